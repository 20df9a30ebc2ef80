//! Per-figure summaries over seeds: n, mean, sample standard deviation, the
//! half-width of the 95% confidence interval of the mean (Student's t), min, max.

use serde::Serialize;

/// The summary of one figure at one grid point. With n = 0 every field but n is
/// `None`; with n = 1 there is a mean but no spread (`std`, `ci95` are `None`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    pub mean: Option<f64>,
    /// Half-width: the interval is mean ± ci95 = t(0.975, n-1) · std / √n.
    pub ci95: Option<f64>,
    pub std: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Summarizes `xs` in the order given (the order fixes the float rounding, so
/// callers pass values sorted by seed).
pub fn summarize(xs: &[f64]) -> Summary {
    let n = xs.len();
    if n == 0 {
        return Summary {
            n,
            mean: None,
            ci95: None,
            std: None,
            min: None,
            max: None,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (std, ci95) = if n >= 2 {
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        let std = var.sqrt();
        (
            Some(std),
            Some(t_975(n as u64 - 1) * std / (n as f64).sqrt()),
        )
    } else {
        (None, None)
    };
    Summary {
        n,
        mean: Some(mean),
        ci95,
        std,
        min: Some(min),
        max: Some(max),
    }
}

/// The 0.975 quantile of Student's t distribution with `df` degrees of freedom
/// (df ≥ 1): the t of a two-sided 95% interval. Solved from the exact
/// distribution function up to df = 1000, from its asymptotic expansion above.
pub fn t_975(df: u64) -> f64 {
    assert!(df >= 1, "t quantile needs at least one degree of freedom");
    if df > 1000 {
        return t_975_expansion(df as f64);
    }
    // Bisection on P(|T| < t) = 0.95; the function increases with t.
    let (mut lo, mut hi) = (0.0f64, 100.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if central_probability(mid, df) < 0.95 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// P(|T| < t) for integer degrees of freedom, by the finite series in
/// θ = atan(t/√df) (Abramowitz & Stegun 26.7.3 and 26.7.4).
fn central_probability(t: f64, df: u64) -> f64 {
    let theta = (t / (df as f64).sqrt()).atan();
    let (s, c) = theta.sin_cos();
    let c2 = c * c;
    if df % 2 == 1 {
        // (2/π)(θ + sinθ cosθ (1 + 2/3 c² + 2·4/(3·5) c⁴ + …)), (df-3)/2 terms after 1.
        let mut sum = 0.0;
        if df > 1 {
            let (mut term, mut k) = (1.0, 1u64);
            sum = 1.0;
            while 2 * k < df - 1 {
                term *= (2 * k) as f64 / (2 * k + 1) as f64 * c2;
                sum += term;
                k += 1;
            }
        }
        2.0 / std::f64::consts::PI * (theta + s * c * sum)
    } else {
        // sinθ (1 + 1/2 c² + 1·3/(2·4) c⁴ + …), (df-2)/2 terms after 1.
        let (mut term, mut sum, mut k) = (1.0, 1.0, 1u64);
        while 2 * k < df {
            term *= (2 * k - 1) as f64 / (2 * k) as f64 * c2;
            sum += term;
            k += 1;
        }
        s * sum
    }
}

/// The Cornish–Fisher expansion of the t quantile in powers of 1/df around the
/// normal quantile z (A&S 26.7.5); its error at df > 1000 is far below 1e-12.
fn t_975_expansion(df: f64) -> f64 {
    let z = 1.959_963_984_540_054_f64;
    let (z3, z5, z7, z9) = (z.powi(3), z.powi(5), z.powi(7), z.powi(9));
    let g1 = (z3 + z) / 4.0;
    let g2 = (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0;
    let g3 = (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0;
    let g4 = (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 - 945.0 * z) / 92160.0;
    z + g1 / df + g2 / df.powi(2) + g3 / df.powi(3) + g4 / df.powi(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Printed tables, three decimals.
        let table = [
            (1, 12.706),
            (2, 4.303),
            (3, 3.182),
            (4, 2.776),
            (5, 2.571),
            (9, 2.262),
            (10, 2.228),
            (19, 2.093),
            (29, 2.045),
            (30, 2.042),
            (60, 2.000),
            (120, 1.980),
        ];
        for (df, t) in table {
            let got = t_975(df);
            assert!((got - t).abs() < 5e-4, "df {df}: {got} vs {t}");
        }
        // More digits for the cases that matter most.
        assert!((t_975(1) - 12.706_204_736).abs() < 1e-8, "{}", t_975(1));
        assert!((t_975(2) - 4.302_652_730).abs() < 1e-8, "{}", t_975(2));
        assert!((t_975(29) - 2.045_229_642).abs() < 1e-8, "{}", t_975(29));
        // The expansion takes over smoothly.
        assert!((t_975(1000) - t_975_expansion(1000.0)).abs() < 1e-10);
        assert!((t_975(1001) - 1.962_330).abs() < 1e-5, "{}", t_975(1001));
        assert!(t_975(1_000_000) > 1.959_96 && t_975(1_000_000) < 1.959_97);
    }

    #[test]
    fn summaries() {
        let s = summarize(&[1.0, 2.0, 3.0]);
        assert_eq!(s.n, 3);
        assert_eq!(s.mean, Some(2.0));
        assert_eq!(s.std, Some(1.0));
        assert!((s.ci95.unwrap() - 4.302_652_73 / 3f64.sqrt()).abs() < 1e-8);
        assert_eq!((s.min, s.max), (Some(1.0), Some(3.0)));
        let one = summarize(&[5.0]);
        assert_eq!((one.mean, one.std, one.ci95), (Some(5.0), None, None));
        assert_eq!(summarize(&[]).mean, None);
        let same = summarize(&[7.0; 4]);
        assert_eq!((same.std, same.ci95), (Some(0.0), Some(0.0)));
    }
}
