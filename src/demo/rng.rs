//! The demo's random numbers: SplitMix64, written out here so the stream never changes.
//!
//! The demo promises "same seed, same history" across releases. A generator from a crate may change
//! its output between versions (and `rand`'s `StdRng` explicitly reserves the right to), so the
//! demo uses SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
//! OOPSLA 2014; the reference code is at <https://prng.di.unimi.it/splitmix64.c>): ten lines, a
//! 64-bit state, passes BigCrush, and its output is fixed by its definition. It is not
//! cryptographic, and nothing here needs it to be.
//!
//! Only integers: no floating point anywhere in the generator, so the history is the same on every
//! platform.

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// An independent generator for sub-stream `index` (one per commitment, one per step), so that
    /// adding commitments or steps never shifts the numbers of the others.
    pub(crate) fn fork(seed: u64, index: u64) -> Self {
        Self::new(mix(seed ^ mix(index.wrapping_add(1).wrapping_mul(GAMMA))))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `0..bound` (0 when `bound` is 0), by Lemire's multiply-and-shift; the bias is
    /// below 2^-40 for the small bounds used here, which no demo reader can notice.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(bound);
        // The high 64 bits of a 64×64-bit product always fit.
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `low..=high` (just `low` if the range is empty).
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = high.abs_diff(low).saturating_add(1);
        low.saturating_add_unsigned(self.below(span))
    }

    /// True with probability `per_mille` / 1000.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// An index into a slice of length `len` (0 for an empty one; callers never pass one).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// An index chosen with the given weights (the first when all are zero).
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut ticket = self.below(total);
        for (index, weight) in weights.iter().enumerate() {
            let weight = u64::from(*weight);
            if ticket < weight {
                return index;
            }
            ticket -= weight;
        }
        0
    }
}

/// The SplitMix64 output function (a variant of MurmurHash3's finaliser).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_matches_the_reference_splitmix64() {
        // From the reference implementation seeded with 1234567.
        let mut rng = Rng::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn bounded_draws_stay_in_range() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            assert!(rng.below(10) < 10);
            let n = rng.between(-3, 3);
            assert!((-3..=3).contains(&n));
        }
        assert_eq!(rng.between(5, 5), 5);
        assert_eq!(rng.between(5, 1), 5);
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.weighted(&[0, 0, 4]), 2);
    }
}
