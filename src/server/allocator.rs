//! Handing freed memory back to the system.
//!
//! glibc's malloc gives busy threads arenas of their own and returns a
//! freed page to the system only when it is at the very top of its arena.
//! Under chat load the runtime's worker threads allocate and free messages,
//! frames and queue slots all the time; whenever sending stalls (a slow
//! disk's `fsync`, a busy machine) more of them are alive at once, the
//! arenas grow to hold them, and after the stall the freed pages stay in
//! the middle of the arenas, counted in the process's RSS. Each stall then
//! raises the floor: a soak at 50,000 deliveries/s rose 0.6 to 0.7 MB at
//! each of its slowest minutes and never came down, 1.4 MB per million
//! messages in all (docs/performance.md, issue #19).
//!
//! Two settings bound this. `HUDDLE_MALLOC_ARENAS` (2 by default) caps the
//! number of arenas (glibc's own cap is 8 per core, each with its own
//! free pages); it is set with `mallopt(M_ARENA_MAX)` before the runtime
//! starts its threads, as the environment variable `MALLOC_ARENA_MAX`
//! would. Allocation stays per thread in each thread's cache (tcache);
//! only refills share an arena's lock. And `malloc_trim(0)`, which walks
//! every arena and gives back each free page wherever it is
//! (`madvise(MADV_DONTNEED)`), runs every `HUDDLE_MALLOC_TRIM_SECS` (10 by
//! default, 0 for never) on a thread of its own; on a heap of tens of
//! megabytes it takes well under a millisecond, one arena's lock at a time.
//! Other allocators and platforms have nothing to set or trim.

use std::sync::Once;
use std::time::Duration;

/// Caps the allocator's arenas at `arenas` (0: glibc's default). Call it
/// before any thread but the main one exists: arenas already made stay.
pub fn limit_arenas(arenas: u32) {
    if arenas == 0 {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arenas = libc::c_int::try_from(arenas).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` takes two integers and only sets one of glibc's
        // allocator parameters; M_ARENA_MAX is one glibc knows.
        if unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) } != 1 {
            eprintln!("huddle: cannot cap the allocator's arenas at {arenas}");
        }
    }
}

/// Blocks of this many bytes or more are mapped on their own and unmapped
/// when freed (`M_MMAP_THRESHOLD`).
pub const LARGE_BLOCK_BYTES: usize = 4 << 20;

/// Keeps large blocks out of the arenas: each block of
/// [`LARGE_BLOCK_BYTES`] or more is mapped on its own and given back the
/// moment it is freed. glibc starts at 128 KB but raises the threshold to
/// the size of each mapped block freed (up to 32 MB), after which blocks
/// that size come from the arenas and stay resident once freed, until the
/// next trim. Argon2's working memory (19 MiB per password hashed) is such
/// a block: 50 sign-ups in half a second took the server from 38 MB to
/// 620 MB for the two seconds until the trimmer ran (docs/performance.md).
/// Setting the threshold turns glibc's adjustment off. Call it with
/// [`limit_arenas`], before the runtime starts.
pub fn map_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let bytes = libc::c_int::try_from(LARGE_BLOCK_BYTES).unwrap_or(libc::c_int::MAX);
        // SAFETY: as in `limit_arenas`: `mallopt` only sets one of glibc's
        // allocator parameters, one it knows.
        if unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) } != 1 {
            eprintln!("huddle: cannot set the allocator's mmap threshold");
        }
    }
}

/// Gives the allocator's free pages back to the system now; whether any
/// were given back.
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes no pointer and touches only glibc's
        // own free lists, each under its arena's lock; it is safe to call
        // from any thread at any time.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Starts the thread that calls [`trim`] every `every`, for the process's
/// life: one per process (the first call's interval), none for zero.
pub fn spawn_trimmer(every: Duration) {
    static STARTED: Once = Once::new();
    if every.is_zero() {
        return;
    }
    STARTED.call_once(|| start(every));
}

fn start(every: Duration) {
    let spawned = std::thread::Builder::new()
        .name("malloc-trim".into())
        .spawn(move || loop {
            std::thread::sleep(every);
            if trim() {
                metrics::counter!("huddle_malloc_trims_total").increment(1);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the allocator trimmer; freed memory stays in the arenas");
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::{map_large_blocks, trim, LARGE_BLOCK_BYTES};

    /// The environment variable that tells a re-run test binary which test
    /// it runs in a process of its own.
    const ALONE: &str = "HUDDLE_ALLOCATOR_TEST_ALONE";

    /// Runs `body` in a process of its own: this test binary again, with
    /// only the test `name`. The allocator's figures (`mallinfo2`, RSS) are
    /// the whole process's, and the tests beside these ones allocate at the
    /// same time (each password hash maps a 19 MiB block of its own), so
    /// measured among them a test could see another's block come or go
    /// (CI saw it once).
    fn alone(name: &str, body: fn()) {
        if std::env::var(ALONE).as_deref() == Ok(name) {
            body();
            return;
        }
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no test binary: {e}"));
        let out = std::process::Command::new(exe)
            .args([
                &format!("server::allocator::tests::{name}"),
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(ALONE, name)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the test binary again: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{name}, run alone, failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Bytes in blocks mapped on their own, now.
    fn mapped_bytes() -> usize {
        // SAFETY: `mallinfo2` takes nothing and returns a plain struct.
        unsafe { libc::mallinfo2() }.hblkhd
    }

    /// An Argon2-sized block (19 MiB), freed, then another: without the
    /// fixed threshold glibc would have raised its threshold past it at the
    /// first free and served the second from an arena, where it stays
    /// resident once freed.
    #[test]
    fn a_large_block_is_mapped_even_after_one_was_freed() {
        alone("a_large_block_is_mapped_even_after_one_was_freed", || {
            map_large_blocks();
            let size = 19 << 20;
            assert!(size >= LARGE_BLOCK_BYTES);
            drop(std::hint::black_box(vec![1u8; size]));
            let before = mapped_bytes();
            let second = std::hint::black_box(vec![2u8; size]);
            let during = mapped_bytes();
            drop(second);
            assert!(
                during >= before + size,
                "the second 19 MiB block should be mapped on its own: {before} bytes mapped before, {during} while it lived"
            );
        });
    }

    fn rss_anon_kb() -> u64 {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("RssAnon:"))
                    .and_then(|v| v.split_whitespace().next()?.parse().ok())
            })
            .unwrap_or(0)
    }

    /// The stall the module describes, in small: a thread's arena fills
    /// with 64 MB of message-sized blocks, then all but one in 64 are
    /// freed. Most pages are then wholly free, but the arena's top is not
    /// (its last block lives), so `free` gives nothing back; `trim` does.
    #[test]
    fn trim_gives_back_the_free_pages_inside_an_arena() {
        alone("trim_gives_back_the_free_pages_inside_an_arena", || {
            let (before, after) = std::thread::spawn(|| {
                let blocks: Vec<Vec<u8>> =
                    (0..65_536).map(|i| vec![(i % 251) as u8; 1000]).collect();
                let kept: Vec<Vec<u8>> = blocks
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, b)| (i % 64 == 63).then_some(b))
                    .collect();
                let before = rss_anon_kb();
                trim();
                let after = rss_anon_kb();
                drop(kept);
                (before, after)
            })
            .join()
            .unwrap_or((0, 0));
            assert!(
                before > after + 30_000,
                "trim should give back most of the ~63 MB freed: RssAnon {before} kB before, {after} kB after"
            );
        });
    }
}
