//! Small random-number helpers: independent, reproducible streams per organisation, weighted and Zipf-like
//! choices, and log-normal delays (the time between two steps of a funnel is heavy-tailed).

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// SplitMix64's finaliser: a well-mixed 64-bit value from any input.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream of one part (`stream`) of one item (`index`) of the dataset for `seed`: the same inputs
/// always give the same stream, whatever order or thread items are generated in.
pub fn stream(seed: u64, index: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(mix(
        mix(mix(seed) ^ index) ^ stream.wrapping_mul(0x2545_f491_4f6c_dd1d)
    ))
}

/// A weighted choice among `n` items.
#[derive(Clone, Debug)]
pub struct Weights {
    cumulative: Vec<f64>,
}

impl Weights {
    /// Items with the given (positive) weights.
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Weights {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect::<Vec<_>>();
        assert!(total > 0.0, "at least one positive weight");
        Weights { cumulative }
    }

    /// Zipf-like weights `1 / (rank + 1)^exponent` for `n` items.
    pub fn zipf(n: usize, exponent: f64) -> Weights {
        Weights::new((0..n).map(|rank| 1.0 / ((rank + 1) as f64).powf(exponent)))
    }

    /// Picks an index.
    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        let total = *self.cumulative.last().expect("not empty");
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cumulative.len() - 1)
    }
}

/// Picks an item of a `(item, weight)` table.
pub fn pick<'a, T>(rng: &mut impl Rng, table: &'a [(T, u32)]) -> &'a T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (item, weight) in table {
        if x < *weight {
            return item;
        }
        x -= weight;
    }
    unreachable!("x < total")
}

/// A standard normal deviate (Box–Muller).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal duration in milliseconds with the given median and spread (`sigma` of the logarithm).
pub fn log_normal_ms(rng: &mut impl Rng, median_ms: f64, sigma: f64) -> i64 {
    (median_ms * (sigma * normal(rng)).exp()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: u64 = stream(1, 2, 3).random();
        assert_eq!(a, stream(1, 2, 3).random::<u64>());
        assert_ne!(a, stream(1, 2, 4).random::<u64>());
        assert_ne!(a, stream(1, 3, 3).random::<u64>());
        assert_ne!(a, stream(2, 2, 3).random::<u64>());
    }

    #[test]
    fn zipf_prefers_the_first_items() {
        let weights = Weights::zipf(10, 1.0);
        let mut rng = stream(9, 0, 0);
        let mut counts = [0u32; 10];
        for _ in 0..20_000 {
            counts[weights.pick(&mut rng)] += 1;
        }
        assert!(counts[0] > counts[1] && counts[1] > counts[4] && counts[4] > counts[9]);
        assert!(counts.iter().all(|c| *c > 0));
    }

    #[test]
    fn log_normal_has_the_median() {
        let mut rng = stream(4, 0, 0);
        let mut samples: Vec<i64> = (0..10_001)
            .map(|_| log_normal_ms(&mut rng, 1000.0, 1.0))
            .collect();
        samples.sort_unstable();
        let median = samples[5_000];
        assert!((850..1150).contains(&median), "{median}");
    }
}
