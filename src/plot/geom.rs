//! Geometry in data space: value ranges made safe to draw ([`Span`]),
//! clipping of segments to the plotted rectangle, and tick-label text.

/// Values beyond this magnitude are treated like infinities and skipped: it
/// keeps every width and padding computed below finite.
const MAX_ABS: f64 = 1e300;

/// Whether a value can be drawn (finite and not absurdly large).
pub(crate) fn usable(v: f64) -> bool {
    v.is_finite() && v.abs() <= MAX_ABS
}

/// Whether both coordinates of a point can be drawn.
pub(crate) fn usable_point((x, y): (f64, f64)) -> bool {
    usable(x) && usable(y)
}

/// A closed interval `lo..=hi` of an axis, `lo <= hi`, both usable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Span {
    pub lo: f64,
    pub hi: f64,
}

impl Span {
    pub const UNIT: Span = Span { lo: 0.0, hi: 1.0 };

    /// The smallest span holding every usable value, if there is one.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Span> {
        values
            .into_iter()
            .filter(|v| usable(*v))
            .fold(None, |acc, v| {
                Some(match acc {
                    None => Span { lo: v, hi: v },
                    Some(s) => Span {
                        lo: s.lo.min(v),
                        hi: s.hi.max(v),
                    },
                })
            })
    }

    /// The smallest span holding both.
    pub fn union(a: Option<Span>, b: Option<Span>) -> Option<Span> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Span {
                lo: a.lo.min(b.lo),
                hi: a.hi.max(b.hi),
            }),
            (a, b) => a.or(b),
        }
    }

    /// A range given by the caller: ignored when an end is not usable, ends
    /// swapped when reversed, widened when empty.
    pub fn given(range: Option<(f64, f64)>) -> Option<Span> {
        let (a, b) = range?;
        (usable(a) && usable(b)).then(|| {
            Span {
                lo: a.min(b),
                hi: a.max(b),
            }
            .drawable()
        })
    }

    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }

    /// The largest absolute value in the span.
    pub fn magnitude(&self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }

    pub fn contains(&self, v: f64) -> bool {
        self.lo <= v && v <= self.hi
    }

    pub fn clamp(&self, v: f64) -> f64 {
        if v.is_nan() {
            self.lo
        } else {
            v.clamp(self.lo, self.hi)
        }
    }

    /// The span, widened around its middle if it is too narrow to draw (a single
    /// value, or a width lost in rounding).
    pub fn drawable(self) -> Span {
        if self.width() > self.magnitude() * 1e-9 && self.width() > 1e-200 {
            return self;
        }
        let mid = self.lo / 2.0 + self.hi / 2.0;
        let half = if mid.abs() > 1e-200 {
            mid.abs() / 2.0
        } else {
            1.0
        };
        Span {
            lo: mid - half,
            hi: mid + half,
        }
    }

    /// The automatic range of a value (y) axis for data spanning `self`:
    /// starts at zero when the data sits near it, is padded by 5 %, and leaves
    /// `headroom` (a fraction of the width) free at the top for labels.
    pub fn value_axis(self, headroom: f64) -> Span {
        let (mut lo, mut hi) = (self.lo, self.hi);
        if lo >= 0.0 && lo <= 0.3 * hi {
            lo = 0.0;
        }
        if hi <= 0.0 && hi >= 0.3 * lo {
            hi = 0.0;
        }
        if lo == 0.0 && hi == 0.0 {
            return Span {
                lo: 0.0,
                hi: 1.0 + headroom,
            };
        }
        let s = Span { lo, hi }.drawable();
        let w = s.width();
        Span {
            lo: if s.lo == 0.0 { 0.0 } else { s.lo - 0.05 * w },
            hi: if s.hi == 0.0 && headroom == 0.0 {
                0.0
            } else {
                s.hi + (0.05 + headroom) * w
            },
        }
    }
}

/// The part of segment `a`–`b` inside the rectangle `x` × `y` (Liang–Barsky).
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: Span,
    y: Span,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - x.lo),
        (dx, x.hi - a.0),
        (-dy, a.1 - y.lo),
        (dy, y.hi - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// The parts of a polyline inside the rectangle, as separate polylines.
/// The input points must all be usable.
pub(crate) fn clip_polyline(points: &[(f64, f64)], x: Span, y: Span) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false; // whether the last run may be extended
    for pair in points.windows(2) {
        match clip_segment(pair[0], pair[1], x, y) {
            Some((s, e)) => {
                let extend = open && runs.last().and_then(|r| r.last()) == Some(&s);
                if !extend {
                    runs.push(vec![s]);
                }
                if let Some(run) = runs.last_mut() {
                    run.push(e);
                }
                open = e == pair[1];
            }
            None => open = false,
        }
    }
    runs
}

/// Splits a sequence of points at unusable ones: each returned run holds only
/// usable points, in the original order.
pub(crate) fn usable_runs(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    points
        .split(|p| !usable_point(*p))
        .filter(|run| !run.is_empty())
        .map(<[_]>::to_vec)
        .collect()
}

/// Text of a tick at `v` on an axis whose ticks are `step` apart and whose
/// largest absolute value is `magnitude`: as many decimals as the step needs,
/// scientific notation (with the same mantissa precision on the whole axis)
/// for very large or very small values, never "-0".
pub(crate) fn tick_label(v: f64, step: f64, magnitude: f64) -> String {
    let step = if usable(step) && step > 0.0 {
        step
    } else {
        v.abs().max(1.0)
    };
    if v.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let magnitude = if usable(magnitude) {
        magnitude.max(v.abs())
    } else {
        v.abs()
    };
    if magnitude >= 1e7 || step < 1e-5 {
        // Mantissa digits: enough to tell neighbouring ticks apart.
        let digits = (magnitude.log10().floor() - step.log10().floor()).clamp(0.0, 6.0) as usize;
        return format!("{v:.digits$e}");
    }
    let decimals: usize = (0..=9)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(9);
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s.chars().all(|c| matches!(c, '-' | '0' | '.')) {
        s[1..].to_string()
    } else {
        s
    }
}

/// Text of a data value printed on the chart (bar values): up to three
/// significant decimals, no trailing zeros.
pub(crate) fn value_label(v: f64) -> String {
    if !usable(v) {
        return String::new();
    }
    if v != 0.0 && (v.abs() >= 1e7 || v.abs() < 1e-3) {
        return format!("{v:.2e}");
    }
    let decimals: usize = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}
