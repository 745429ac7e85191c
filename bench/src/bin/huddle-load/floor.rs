//! `huddle-load floor`: what the kernel alone charges a server for one
//! delivery on this machine.
//!
//! The same delivery pattern as `chat` (CLIENTS members in ROOMS rooms,
//! SENDERS x RATE messages per second, each written to every member of its
//! room), but the "server" is one OS thread writing a ready-made WebSocket
//! text frame straight into each member's loopback TCP socket (TCP_NODELAY,
//! one `write` per delivery, as a socket.io server does), with no runtime,
//! no task wake-ups, no encoding and no storage. Readers run on `--threads`
//! other threads. The writer thread's own CPU time per frame written is the
//! floor under any server that sends each delivery as its own write: the
//! TCP send path, the loopback receive path run in the sender's context,
//! and waking the reader.
//!
//! `--writer` puts a tokio server where the plain thread was, to measure
//! what the runtime adds under the same deliveries: the schedule thread
//! then plays the senders, writing each message's number into a loopback
//! socket that a task of a multi-threaded runtime (tokio's defaults: one
//! worker per core) reads, so the server is woken by the network once per
//! message as a real one is. That task writes the message's frame to its
//! room's members either itself, each with one non-blocking `try_write`
//! (`tokio-inline`: the least a tokio server can do per delivery), or
//! through a channel to a writer task per member that writes it
//! (`tokio-tasks`: the shape of engineioxide's WebSocket transport, a
//! queue and a writer task per session). The figure is the runtime's
//! threads' CPU per frame written, counted from their start to the last
//! frame received.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Who writes the deliveries (`--writer`).
#[derive(clap::ValueEnum, serde::Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Writer {
    /// One plain OS thread, blocking writes: the kernel's floor.
    Thread,
    /// A tokio server woken per message, writing every member's frame
    /// itself (`try_write`).
    TokioInline,
    /// A tokio server woken per message, handing each member's frame to
    /// that member's writer task through a channel.
    TokioTasks,
}

#[derive(serde::Serialize, Debug)]
pub struct FloorResult {
    pub label: String,
    pub mode: &'static str,
    pub writer: Writer,
    pub clients: usize,
    pub rooms: usize,
    pub messages_per_s: f64,
    pub frame_bytes: usize,
    pub frames_written: u64,
    pub frames_received: u64,
    pub writer_cpu_s: f64,
    pub writer_cpu_us_per_delivery: f64,
}

/// utime + stime of the calling thread, in seconds.
fn this_thread_cpu() -> Option<f64> {
    Some(
        crate::proc_stat::stat_cpu_ticks("/proc/thread-self/stat")? as f64
            / crate::proc_stat::TICKS_PER_SEC,
    )
}

/// A WebSocket text frame (server to client: unmasked) of `payload` bytes,
/// shaped like a socket.io `new-message` packet.
fn frame(payload: usize) -> Vec<u8> {
    let mut body = String::from(r#"42/chat,["new-message",{"message":""#);
    while body.len() + 3 < payload {
        body.push('x');
    }
    body.push_str(r#""}]"#);
    let mut out = vec![0x81];
    match body.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=65535 => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(body.as_bytes());
    out
}

/// What a floor run writes, how long, and who writes it.
#[derive(Debug, Clone)]
pub struct FloorPlan {
    pub clients: usize,
    pub rooms: usize,
    pub messages_per_s: f64,
    /// Seconds.
    pub duration: f64,
    pub frame_bytes: usize,
    /// Reader threads.
    pub threads: usize,
    pub writer: Writer,
}

pub fn run(label: &str, plan: &FloorPlan) -> Result<FloorResult, String> {
    let FloorPlan {
        clients,
        rooms,
        messages_per_s,
        duration,
        frame_bytes,
        threads,
        writer,
    } = plan.clone();
    let rooms = rooms.max(1);
    if clients == 0 || messages_per_s <= 0.0 {
        return Err("floor needs clients and a positive rate".into());
    }
    eprintln!(
        "[{label}] floor: {clients} sockets in {rooms} rooms, {messages_per_s} messages/s, frames of {frame_bytes} bytes, for {duration} s"
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut writers = Vec::with_capacity(clients);
    let mut readers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = std::net::TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        let (server, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
        server.set_nodelay(true).map_err(|e| e.to_string())?;
        client.set_nodelay(true).map_err(|e| e.to_string())?;
        client.set_nonblocking(true).map_err(|e| e.to_string())?;
        writers.push(server);
        readers.push(client);
    }

    // Readers: one single-threaded runtime per thread, a task per socket.
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let threads = threads.max(1);
    let mut chunks: Vec<Vec<std::net::TcpStream>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, r) in readers.into_iter().enumerate() {
        chunks[i % threads].push(r);
    }
    let mut handles = Vec::new();
    for chunk in chunks {
        let (received, stop) = (received.clone(), stop.clone());
        handles.push(std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let mut tasks = tokio::task::JoinSet::new();
                for std_stream in chunk {
                    let stream =
                        tokio::net::TcpStream::from_std(std_stream).map_err(|e| e.to_string())?;
                    let received = received.clone();
                    tasks.spawn(async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let _ = stream.readable().await;
                            match stream.try_read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    received.fetch_add(n as u64, Ordering::Relaxed);
                                }
                                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                                Err(_) => break,
                            }
                        }
                    });
                }
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                tasks.abort_all();
                Ok(())
            })
        }));
    }

    let frame = frame(frame_bytes);
    let members: Vec<Vec<usize>> = (0..rooms)
        .map(|r| (0..clients).filter(|i| i % rooms == r).collect())
        .collect();
    let schedule = Schedule {
        every: Duration::from_secs_f64(1.0 / messages_per_s),
        duration: Duration::from_secs_f64(duration),
        rooms,
    };
    let (written, cpu) = match writer {
        Writer::Thread => {
            write_from_this_thread(&schedule, &members, &mut writers, &frame, &received)?
        }
        Writer::TokioInline | Writer::TokioTasks => write_from_a_runtime(
            &schedule,
            members,
            std::mem::take(&mut writers),
            frame.clone(),
            &received,
            writer == Writer::TokioTasks,
        )?,
    };
    stop.store(true, Ordering::Relaxed);
    drop(writers);
    for h in handles {
        h.join()
            .map_err(|_| "a reader thread panicked".to_owned())??;
    }
    let result = FloorResult {
        label: label.to_owned(),
        mode: "floor",
        writer,
        clients,
        rooms,
        messages_per_s,
        frame_bytes: frame.len(),
        frames_written: written,
        frames_received: received.load(Ordering::Relaxed) / frame.len() as u64,
        writer_cpu_s: cpu,
        writer_cpu_us_per_delivery: cpu * 1e6 / written.max(1) as f64,
    };
    println!(
        "{:<8} floor ({:?}): {} frames of {} bytes written ({} received), writer's CPU {:.2} s => {:.2} us per delivery",
        result.label,
        result.writer,
        result.frames_written,
        result.frame_bytes,
        result.frames_received,
        result.writer_cpu_s,
        result.writer_cpu_us_per_delivery
    );
    Ok(result)
}

/// When messages are due: one every `every`, for `duration`, to rooms in
/// turn.
struct Schedule {
    every: Duration,
    duration: Duration,
    rooms: usize,
}

impl Schedule {
    /// Calls `send(k)` for message k at its time, from this thread.
    fn run(&self, mut send: impl FnMut(usize) -> Result<(), String>) -> Result<(), String> {
        let start = Instant::now();
        let end = start + self.duration;
        let mut due = start;
        let mut k = 0usize;
        while due < end {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            send(k)?;
            k += 1;
            due += self.every;
        }
        Ok(())
    }
}

/// Waits (at most 5 s) until `done` says so.
fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 5 s) until the readers have counted `bytes`.
fn wait_received(received: &AtomicU64, bytes: u64) {
    wait_until(|| received.load(Ordering::Relaxed) >= bytes);
}

/// The floor: this thread writes every delivery, blocking. Returns the
/// frames written and this thread's CPU seconds.
fn write_from_this_thread(
    schedule: &Schedule,
    members: &[Vec<usize>],
    writers: &mut [std::net::TcpStream],
    frame: &[u8],
    received: &AtomicU64,
) -> Result<(u64, f64), String> {
    let cpu_before = this_thread_cpu().ok_or("cannot read /proc/thread-self/stat")?;
    let mut written = 0u64;
    schedule.run(|k| {
        for &m in &members[k % schedule.rooms] {
            writers[m]
                .write_all(frame)
                .map_err(|e| format!("write: {e}"))?;
            written += 1;
        }
        Ok(())
    })?;
    let cpu = this_thread_cpu().ok_or("cannot read /proc/thread-self/stat")? - cpu_before;
    wait_received(received, written * frame.len() as u64);
    Ok((written, cpu))
}

/// The first field of a `/proc/.../stat`: the thread's id for
/// `/proc/thread-self/stat`.
fn this_thread_id() -> Option<u32> {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU seconds of the threads `ids` of this process.
fn threads_cpu(ids: &[u32]) -> f64 {
    ids.iter()
        .filter_map(|id| crate::proc_stat::stat_cpu_ticks(&format!("/proc/self/task/{id}/stat")))
        .sum::<u64>() as f64
        / crate::proc_stat::TICKS_PER_SEC
}

/// Writes all of `bytes`, waiting while the socket is full.
async fn write_all(stream: &tokio::net::TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A tokio server does the writing: woken by a message's number arriving
/// on a loopback socket, it writes the frame to the room's members itself
/// or through their writer tasks (`tasks`). Returns the frames written and
/// the runtime's threads' CPU seconds.
fn write_from_a_runtime(
    schedule: &Schedule,
    members: Vec<Vec<usize>>,
    writers: Vec<std::net::TcpStream>,
    frame: Vec<u8>,
    received: &AtomicU64,
    tasks: bool,
) -> Result<(u64, f64), String> {
    let ids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let runtime = {
        let ids = ids.clone();
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .on_thread_start(move || {
                if let (Some(id), Ok(mut ids)) = (this_thread_id(), ids.lock()) {
                    ids.push(id);
                }
            })
            .build()
            .map_err(|e| e.to_string())?
    };
    // The senders' side: one loopback socket the schedule writes into.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let mut inbound =
        std::net::TcpStream::connect(listener.local_addr().map_err(|e| e.to_string())?)
            .map_err(|e| format!("connect: {e}"))?;
    inbound.set_nodelay(true).map_err(|e| e.to_string())?;
    let (server_side, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    server_side
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    let written = Arc::new(AtomicU64::new(0));
    let frame: Arc<[u8]> = frame.into();
    let sizes: Vec<u64> = members.iter().map(|m| m.len() as u64).collect();
    let server = {
        let _entered = runtime.enter();
        let mut streams = Vec::with_capacity(writers.len());
        for w in writers {
            w.set_nonblocking(true).map_err(|e| e.to_string())?;
            streams.push(Arc::new(
                tokio::net::TcpStream::from_std(w).map_err(|e| e.to_string())?,
            ));
        }
        let inbound = tokio::net::TcpStream::from_std(server_side).map_err(|e| e.to_string())?;
        let write: Box<dyn Fn(usize) + Send> = if tasks {
            let queues: Vec<_> = streams
                .into_iter()
                .map(|stream| {
                    let (tx, mut rx) = tokio::sync::mpsc::channel::<Arc<[u8]>>(256);
                    let written = written.clone();
                    runtime.spawn(async move {
                        while let Some(frame) = rx.recv().await {
                            if write_all(&stream, &frame).await.is_err() {
                                break;
                            }
                            written.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                    tx
                })
                .collect();
            let frame = frame.clone();
            // A full queue loses the frame: it is then never written, and
            // the run shows fewer frames than its schedule.
            Box::new(move |m| {
                let _ = queues[m].try_send(frame.clone());
            })
        } else {
            let (frame, written) = (frame.clone(), written.clone());
            Box::new(move |m| {
                let stream = &streams[m];
                let sent = match stream.try_write(&frame) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
                    Err(_) => return,
                };
                if sent == frame.len() {
                    written.fetch_add(1, Ordering::Relaxed);
                } else {
                    // The socket is full: the rest waits for it, in a task
                    // (not seen at the rates measured).
                    let (stream, frame, written) = (stream.clone(), frame.clone(), written.clone());
                    tokio::spawn(async move {
                        if write_all(&stream, &frame[sent..]).await.is_ok() {
                            written.fetch_add(1, Ordering::Relaxed);
                        }
                    });
                }
            })
        };
        // The server: each message's number (8 bytes) names its room.
        runtime.spawn(async move {
            let mut buf = [0u8; 8 * 1024];
            let mut pending = Vec::<u8>::new();
            loop {
                if inbound.readable().await.is_err() {
                    return;
                }
                match inbound.try_read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        pending.extend_from_slice(&buf[..n]);
                        let whole = pending.len() / 8 * 8;
                        for number in pending[..whole].chunks_exact(8) {
                            let mut k = [0u8; 8];
                            k.copy_from_slice(number);
                            let k = u64::from_le_bytes(k) as usize;
                            for &m in &members[k % members.len()] {
                                write(m);
                            }
                        }
                        pending.drain(..whole);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        })
    };
    // Let the workers start before counting their CPU.
    std::thread::sleep(Duration::from_millis(100));
    let ids = ids.lock().map_err(|_| "a poisoned lock")?.clone();
    let cpu_before = threads_cpu(&ids);
    let mut expected = 0u64;
    schedule.run(|k| {
        inbound
            .write_all(&(k as u64).to_le_bytes())
            .map_err(|e| format!("write: {e}"))?;
        expected += sizes[k % sizes.len()];
        Ok(())
    })?;
    wait_until(|| written.load(Ordering::Relaxed) >= expected);
    wait_received(
        received,
        written.load(Ordering::Relaxed) * frame.len() as u64,
    );
    let cpu = threads_cpu(&ids) - cpu_before;
    drop(inbound);
    let _ = runtime.block_on(server);
    runtime.shutdown_background();
    Ok((written.load(Ordering::Relaxed), cpu))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;

    #[test]
    fn the_frame_is_one_unmasked_websocket_text_frame_of_the_asked_size() {
        for payload in [40, 125, 126, 190, 70_000] {
            let bytes = frame(payload);
            let mut cursor = std::io::Cursor::new(&bytes[..]);
            let (header, length) = FrameHeader::parse(&mut cursor)
                .expect("a well-formed header")
                .expect("a complete header");
            assert!(header.is_final);
            assert_eq!(header.opcode, OpCode::Data(Data::Text));
            assert!(header.mask.is_none());
            let body = &bytes[cursor.position() as usize..];
            assert_eq!(body.len() as u64, length);
            assert_eq!(body.len(), payload);
            let text = std::str::from_utf8(body).expect("UTF-8");
            assert!(text.starts_with(r#"42/chat,["new-message",{"message":""#));
            assert!(text.ends_with(r#""}]"#));
        }
    }

    #[test]
    fn every_frame_written_is_received_and_counted_whoever_writes() {
        for writer in [Writer::Thread, Writer::TokioInline, Writer::TokioTasks] {
            let plan = FloorPlan {
                clients: 12,
                rooms: 3,
                messages_per_s: 200.0,
                duration: 0.25,
                frame_bytes: 190,
                threads: 2,
                writer,
            };
            let r = run("test", &plan).expect("a floor run");
            // Each message goes to the 4 members of its room. How many the
            // run writes in its 0.25 s depends on the machine: not checked.
            assert_eq!(r.frames_written % 4, 0, "{r:?}");
            assert!(r.frames_written > 0, "{r:?}");
            assert_eq!(r.frames_received, r.frames_written, "{r:?}");
            assert_eq!(r.frame_bytes, 194);
            assert_eq!(r.writer, writer);
        }
    }
}
