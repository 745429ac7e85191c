//! Latency percentiles, as every mode reports them, and what the `typing`
//! and `react` modes' receivers matched to what was sent.

/// The `p`-quantile (0 to 1) of latencies in microseconds, sorted
/// ascending, in milliseconds: the sample at rank `len × p` (the last one
/// for `p` = 1); 0 when there are none.
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    let rank = ((sorted_us.len() as f64 * p) as usize).min(sorted_us.len().saturating_sub(1));
    sorted_us
        .get(rank)
        .map(|v| f64::from(*v) / 1000.0)
        .unwrap_or(0.0)
}

/// Deliveries matched to what was sent.
#[derive(Debug, Default, PartialEq)]
pub struct Matched {
    /// One per matched delivery, microseconds.
    pub latencies_us: Vec<u32>,
    /// Deliveries matched to an event sent (each once per receiver).
    pub received: u64,
    /// Deliveries of an event the receiver already had, or of one the
    /// tool did not expect the server to pass on.
    pub extra: u64,
    /// Deliveries the tool cannot match to anything it sent.
    pub unmatched: u64,
}

impl Matched {
    /// Counts a delivery of `key` to `receiver` at `at`, sent at `sent`;
    /// a second delivery of one key to one receiver is an extra.
    pub fn count<K: Eq + std::hash::Hash>(
        &mut self,
        got: &mut std::collections::HashSet<(u32, K)>,
        receiver: u32,
        key: K,
        sent: u64,
        at: u64,
    ) {
        if got.insert((receiver, key)) {
            self.received += 1;
            let us = at.saturating_sub(sent).min(u64::from(u32::MAX)) as u32;
            self.latencies_us.push(us);
        } else {
            self.extra += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{percentile_ms, Matched};
    use std::collections::HashSet;

    #[test]
    fn a_key_counts_once_per_receiver() {
        let mut m = Matched::default();
        let mut got = HashSet::new();
        m.count(&mut got, 1, 7u64, 1_000, 1_250);
        m.count(&mut got, 2, 7u64, 1_000, 1_400);
        m.count(&mut got, 1, 7u64, 1_000, 1_900);
        assert_eq!(m.received, 2);
        assert_eq!(m.extra, 1);
        assert_eq!(m.latencies_us, vec![250, 400]);
    }

    #[test]
    fn ranks_of_a_hundred_samples() {
        // 1, 2, …, 100 ms.
        let lat: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile_ms(&lat, 0.50), 51.0);
        assert_eq!(percentile_ms(&lat, 0.99), 100.0);
        assert_eq!(percentile_ms(&lat, 0.0), 1.0);
        assert_eq!(percentile_ms(&lat, 1.0), 100.0);
        assert_eq!(percentile_ms(&[1500], 0.99), 1.5);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }
}
