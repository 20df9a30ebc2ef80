//! Per-component random streams.
//!
//! Every component that draws random numbers (a link direction's loss, a traffic
//! source, a host's ISNs) owns a ChaCha8 generator keyed by the scenario seed and
//! selected by a stream number derived from the component's stable label (e.g.
//! `"link:A-R1:A>R1"`). Adding a flow therefore does not change what any link
//! draws, and ChaCha's output is the same on every platform.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator type every component uses.
pub type Rng = ChaCha8Rng;

/// FNV-1a, 64 bits: a stable, platform-independent hash of a component label.
pub fn stable_hash(label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The random stream of the component named `label` under scenario seed `seed`.
pub fn stream(seed: u64, label: &str) -> Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stable_hash(label));
    rng
}

/// A uniform draw in [0, 1) with 53 random bits.
pub fn unit(rng: &mut Rng) -> f64 {
    use rand::RngExt;
    let bits: u64 = rng.random();
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An exponential draw with the given mean, by inversion.
pub fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    -mean * (1.0 - unit(rng)).ln()
}

/// A Bernoulli trial with probability `p` (p <= 0 never, p >= 1 always).
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || unit(rng) < p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "link:A-B");
                move |_| unit(&mut r)
            })
            .collect();
        let b: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "link:A-B");
                move |_| unit(&mut r)
            })
            .collect();
        let c: Vec<f64> = (0..4)
            .map({
                let mut r = stream(7, "flow:x");
                move |_| unit(&mut r)
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn exponential_mean_is_close() {
        let mut r = stream(1, "test");
        let n = 200_000;
        let mean: f64 = (0..n).map(|_| exponential(&mut r, 2.0)).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.02, "mean {mean}");
    }
}
