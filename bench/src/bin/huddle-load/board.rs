//! `board` mode: one room's whiteboard, drawers streaming pen strokes
//! (`board-draw`) and storing each finished one (`board-op`); the measured
//! run is `chat`'s, counted in points.

use crate::chat::{run_rooms, ChatResult};
use crate::client::{arg, tagged, unix_micros, Ack, PendingAcks, Plan, Tally};
use crate::{Args, BoardArgs, ChatArgs};
use huddle::client::core::{ClientCore, Output};
use huddle::protocol::board::{BoardDraw, BoardOp, Color, Op, Shape, ShapeId, Tool};
use huddle::protocol::chat::NAMESPACE;
use huddle::protocol::{ClientEvent, RoomName};
use std::sync::atomic::Ordering;

#[derive(Clone, Copy, Debug)]
pub struct BoardPlan {
    pub batch: usize,
    pub stroke: usize,
}

/// A drawer's stroke in progress.
#[derive(Default)]
pub struct Stroke {
    pub number: u64,
    pub points: Vec<[f32; 2]>,
}

impl Stroke {
    /// The next batch of points as `board-draw`; at the stroke's end, the
    /// stroke stored with `board-op`.
    pub fn next(
        &mut self,
        plan: &Plan,
        tally: &Tally,
        core: &mut ClientCore,
        now_ms: f64,
        acks: &mut PendingAcks,
    ) -> Vec<Output> {
        let Some(board) = plan.board else {
            return Vec::new();
        };
        let id = ShapeId::numbered(&format!("load{}", plan.index), self.number);
        let start = self.points.len();
        let y = 20.0 + (plan.index % 40) as f32 * 24.0;
        let batch: Vec<[f32; 2]> = (start..start + board.batch)
            .map(|i| [10.0 + (i % 1500) as f32, y])
            .collect();
        self.points.extend(&batch);
        let draw = BoardDraw {
            room: plan.room.clone(),
            id: id.clone(),
            tool: Tool::Pen,
            color: Color::BLACK,
            width: 2.0,
            start: start as u32,
            points: batch,
        };
        if let Ok(mut sent_at) = tally.sent_at.lock() {
            sent_at.insert((id.as_str().to_owned(), start as u64), unix_micros());
        }
        tally.sent.fetch_add(board.batch as u64, Ordering::Relaxed);
        let mut out = core.emit(NAMESPACE, BoardDraw::NAME, arg(&draw));
        if self.points.len() >= board.stroke {
            let op = BoardOp {
                room: plan.room.clone(),
                op: Op::Add {
                    shape: Shape {
                        id,
                        tool: Tool::Pen,
                        color: Color::BLACK,
                        width: 2.0,
                        points: std::mem::take(&mut self.points),
                    },
                },
            };
            let (rx, more) = core.emit_with_ack(now_ms, NAMESPACE, BoardOp::NAME, arg(&op), 30_000);
            acks.push(Box::pin(tagged(Ack::Message, rx)));
            out.extend(more);
            self.number += 1;
        }
        out
    }
}

/// `board` mode: `chat`'s machinery with one room whose board everyone
/// opens; counts are in points, not messages.
pub async fn board_run(args: &Args, board: &BoardArgs) -> Result<ChatResult, String> {
    eprintln!(
        "[{}] board: {} clients, {} drawers x {} points/s in batches of {}, strokes of {} points, for {} s",
        args.label, board.clients, board.drawers, board.rate, board.batch, board.stroke, board.duration
    );
    let chat = ChatArgs {
        clients: board.clients,
        rooms: 1,
        senders: board.drawers,
        rate: board.rate / board.batch.max(1) as f64,
        duration: board.duration,
    };
    // A fresh board per run, so that runs do not fill one up.
    let room =
        RoomName::parse(&format!("board-{}", unix_micros() / 1000)).map_err(|e| e.to_string())?;
    let plan = BoardPlan {
        batch: board.batch.max(1),
        stroke: board.stroke.max(1),
    };
    Ok(run_rooms(args, &chat, false, Some((plan, room)), None)
        .await?
        .0)
}
