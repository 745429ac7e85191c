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

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(serde::Serialize, Debug)]
pub struct FloorResult {
    pub label: String,
    pub mode: &'static str,
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

pub fn run(
    label: &str,
    clients: usize,
    rooms: usize,
    messages_per_s: f64,
    duration: f64,
    frame_bytes: usize,
    threads: usize,
) -> Result<FloorResult, String> {
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

    // The writer: this thread, on the chat mode's schedule.
    let frame = frame(frame_bytes);
    let members: Vec<Vec<usize>> = (0..rooms)
        .map(|r| (0..clients).filter(|i| i % rooms == r).collect())
        .collect();
    let every = Duration::from_secs_f64(1.0 / messages_per_s);
    let cpu_before = this_thread_cpu().ok_or("cannot read /proc/thread-self/stat")?;
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(duration);
    let mut due = start;
    let mut written = 0u64;
    let mut k = 0usize;
    while due < end {
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        for &m in &members[k % rooms] {
            writers[m]
                .write_all(&frame)
                .map_err(|e| format!("write: {e}"))?;
            written += 1;
        }
        k += 1;
        due += every;
    }
    let cpu = this_thread_cpu().ok_or("cannot read /proc/thread-self/stat")? - cpu_before;
    let deadline = Instant::now() + Duration::from_secs(5);
    let expected_bytes = written * frame.len() as u64;
    while received.load(Ordering::Relaxed) < expected_bytes && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    drop(writers);
    for h in handles {
        h.join()
            .map_err(|_| "a reader thread panicked".to_owned())??;
    }
    let result = FloorResult {
        label: label.to_owned(),
        mode: "floor",
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
        "{:<8} floor: {} frames of {} bytes written ({} received), writer thread CPU {:.2} s => {:.2} us per delivery",
        result.label,
        result.frames_written,
        result.frame_bytes,
        result.frames_received,
        result.writer_cpu_s,
        result.writer_cpu_us_per_delivery
    );
    Ok(result)
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
    fn every_frame_written_is_received_and_counted() {
        let r = run("test", 12, 3, 200.0, 0.25, 190, 2).expect("a floor run");
        // Each message goes to the 4 members of its room. How many the
        // run writes in its 0.25 s depends on the machine: not checked.
        assert_eq!(r.frames_written % 4, 0);
        assert!(r.frames_written > 0, "{r:?}");
        assert_eq!(r.frames_received, r.frames_written);
        assert_eq!(r.frame_bytes, 194);
    }
}
