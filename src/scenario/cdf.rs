//! Empirical flow-size distributions (`size_cdf` of a `[[flows]]` set), read
//! from a file of `SIZE,P` lines: the probability P that a flow is at most
//! SIZE, P rising to 1 on the last line (the shape of the web-search and
//! data-mining flow-size CDFs datacentre studies publish). A draw u in [0, 1)
//! is inverted with linear interpolation between neighbouring points; below
//! the first point's P every flow has the first size.

use crate::units::ByteSize;

#[derive(Clone, Debug, PartialEq)]
pub struct SizeCdf {
    /// (size in bytes, P(size <= it)), sizes rising, P non-decreasing, last P = 1.
    points: Vec<(f64, f64)>,
}

/// Where a line of the file is wrong: line and column (from 1) and why.
pub type CdfError = (usize, usize, String);

impl SizeCdf {
    pub fn parse(text: &str) -> Result<SizeCdf, CdfError> {
        let mut points: Vec<(f64, f64)> = Vec::new();
        let mut last_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let n = i + 1;
            last_line = n;
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let col = |k: usize| raw.find(fields[k]).unwrap_or(0) + 1;
            let [size, p] = fields[..] else {
                return Err((
                    n,
                    1,
                    format!(
                        "expected two fields SIZE,P such as `10KB,0.5` (P: the probability that a flow is at most SIZE); found {}",
                        fields.len()
                    ),
                ));
            };
            let size: ByteSize = size.parse().map_err(|e| (n, col(0), e))?;
            if size.0 == 0 {
                return Err((n, col(0), "a flow size must be at least 1B".into()));
            }
            let p: f64 = match p.parse() {
                Ok(p) if (0.0..=1.0).contains(&p) => p,
                _ => {
                    return Err((
                        n,
                        col(1),
                        format!("`{p}` is not a probability; expected a number from 0 to 1"),
                    ));
                }
            };
            if let Some(&(s0, p0)) = points.last() {
                if size.0 as f64 <= s0 {
                    return Err((
                        n,
                        col(0),
                        format!(
                            "size {size} does not rise above the line before's; expected sizes in increasing order"
                        ),
                    ));
                }
                if p < p0 {
                    return Err((
                        n,
                        col(1),
                        format!(
                            "probability {p} falls below the line before's ({p0}); expected a cumulative probability that never decreases"
                        ),
                    ));
                }
            }
            points.push((size.0 as f64, p));
        }
        match points.last() {
            None => Err((
                1,
                1,
                "no `SIZE,P` line; expected at least one, the last with P = 1".into(),
            )),
            Some(&(_, p)) if p != 1.0 => Err((
                last_line,
                1,
                format!(
                    "the last probability is {p}; expected 1 (every flow is at most the largest size)"
                ),
            )),
            Some(_) => Ok(SizeCdf { points }),
        }
    }

    /// The size whose cumulative probability is `u` (in [0, 1)).
    pub fn sample(&self, u: f64) -> f64 {
        let i = self.points.partition_point(|&(_, p)| p <= u);
        match i {
            0 => self.points[0].0,
            i if i >= self.points.len() => self.points[self.points.len() - 1].0,
            i => {
                let ((s0, p0), (s1, p1)) = (self.points[i - 1], self.points[i]);
                s0 + (s1 - s0) * (u - p0) / (p1 - p0)
            }
        }
    }

    /// The mean size: the first point's mass plus each segment's midpoint.
    pub fn mean(&self) -> f64 {
        let (s0, p0) = self.points[0];
        s0 * p0
            + self
                .points
                .windows(2)
                .map(|w| (w[1].1 - w[0].1) * (w[0].0 + w[1].0) / 2.0)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverts_with_linear_interpolation() {
        let c = SizeCdf::parse("# size, P(<= size)\n1KB,0.5\n3KB,1\n").unwrap();
        assert_eq!(c.sample(0.0), 1000.0);
        assert_eq!(c.sample(0.25), 1000.0, "half the flows are exactly 1KB");
        assert_eq!(c.sample(0.75), 2000.0);
        assert_eq!(c.mean(), 0.5 * 1000.0 + 0.5 * 2000.0);
    }

    #[test]
    fn bad_lines_are_located() {
        let err = |t: &str| SizeCdf::parse(t).unwrap_err();
        assert_eq!(err("1KB,0.5\n1KB,1\n").0, 2);
        assert_eq!(err("1KB,0.5\n2KB,0.4\n3KB,1\n").1, 5);
        assert!(err("1KB,0.5\n2KB,0.9\n").2.contains("expected 1"));
        assert!(err("1KB\n").2.contains("two fields"));
        assert!(err("1KB,x\n").2.contains("not a probability"));
        assert!(err("").2.contains("no `SIZE,P` line"));
    }
}
