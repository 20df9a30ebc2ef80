//! The data charts take: series of (x, y) points with a drawing style, shaded
//! x-intervals ([`Band`]), and [`top_n`], which keeps charts of many flows
//! readable.

use super::geom::{Span, usable, usable_point};

/// One named sequence of (x, y) points. Points are drawn in the given order;
/// a point with a NaN or infinite coordinate is skipped and breaks the line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub style: SeriesStyle,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>, style: SeriesStyle) -> Series {
        Series {
            name: name.into(),
            points,
            style,
        }
    }

    /// Points joined by straight lines.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series::new(name, points, SeriesStyle::Line)
    }

    /// Each value held until the next point (a congestion window, a queue length).
    pub fn step(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series::new(name, points, SeriesStyle::Step)
    }

    /// Unjoined markers (RTT samples, drops).
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>, marker: Marker) -> Series {
        Series::new(name, points, SeriesStyle::Points(marker))
    }

    /// Sum of the usable y values.
    fn y_sum(&self) -> f64 {
        self.points
            .iter()
            .filter(|p| usable_point(**p))
            .map(|p| p.1)
            .sum()
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SeriesStyle {
    /// Straight lines between consecutive points.
    #[default]
    Line,
    /// A staircase: y holds its value until the next point's x.
    Step,
    /// A marker at each point, no line.
    Points(Marker),
    /// Straight lines with a marker at each point.
    LinePoints(Marker),
}

/// Marker shapes for [`SeriesStyle::Points`] and [`SeriesStyle::LinePoints`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Cross,
}

/// A shaded x-interval drawn behind the data, its label written inside it at
/// the top (e.g. "R2-R4 down" from 10 s to 15 s). Ends may be given in either
/// order; an unusable end hides the band.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub label: String,
}

impl Band {
    pub fn new(from: f64, to: f64, label: impl Into<String>) -> Band {
        Band {
            from,
            to,
            label: label.into(),
        }
    }

    /// The band as a span, if both ends are usable.
    pub(crate) fn span(&self) -> Option<Span> {
        (usable(self.from) && usable(self.to)).then(|| Span {
            lo: self.from.min(self.to),
            hi: self.from.max(self.to),
        })
    }
}

/// The x extent covered by the bands that can be drawn.
pub(crate) fn bands_extent(bands: &[Band]) -> Option<Span> {
    bands.iter().filter_map(Band::span).reduce(|a, b| Span {
        lo: a.lo.min(b.lo),
        hi: a.hi.max(b.hi),
    })
}

/// Keeps the `n` series with the largest sum of y values and replaces the
/// others by one series named `"other (K flows)"`, their sum.
///
/// Kept series stay in their original order (so their colours do not move);
/// the aggregate comes last and takes the style of the first series it
/// absorbs. Ties in the sum are broken by original order. NaN and infinite
/// values count as absent.
///
/// The aggregate's x values are the union of the absorbed series' x values; at
/// each, every absorbed series contributes its value there (interpolated along
/// its line, or held for a step series), and zero outside its own x range.
/// When the series share their x values (throughput per time bin), this is
/// the exact sum.
///
/// Nothing is aggregated when at most `n + 1` series are given: replacing a
/// single series by an "other" line would only hide its name.
pub fn top_n(series: Vec<Series>, n: usize) -> Vec<Series> {
    if series.len() <= n.saturating_add(1) {
        return series;
    }
    let mut ranked: Vec<(usize, f64)> = series.iter().map(Series::y_sum).enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut keep = vec![false; series.len()];
    for (i, _) in ranked.iter().take(n) {
        keep[*i] = true;
    }
    let (kept, rest): (Vec<_>, Vec<_>) = series.into_iter().zip(keep).partition(|(_, k)| *k);
    let mut out: Vec<Series> = kept.into_iter().map(|(s, _)| s).collect();
    let rest: Vec<Series> = rest.into_iter().map(|(s, _)| s).collect();
    out.push(aggregate(&rest));
    out
}

/// The sum of several series, as described in [`top_n`].
fn aggregate(rest: &[Series]) -> Series {
    let style = rest.first().map(|s| s.style).unwrap_or_default();
    // Each series' usable points, sorted by x.
    let sorted: Vec<(bool, Vec<(f64, f64)>)> = rest
        .iter()
        .map(|s| {
            let mut pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| usable_point(*p))
                .collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            (s.style == SeriesStyle::Step, pts)
        })
        .collect();
    let mut xs: Vec<f64> = sorted
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.0))
        .collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let points = xs
        .iter()
        .map(|&x| {
            (
                x,
                sorted
                    .iter()
                    .map(|(step, pts)| value_at(pts, x, *step))
                    .sum(),
            )
        })
        .collect();
    Series {
        name: format!("other ({} flows)", rest.len()),
        points,
        style,
    }
}

/// The value of a series (points sorted by x) at `x`: the last point's value
/// at or before `x` for a step series, linear interpolation otherwise; zero
/// outside the series' x range.
fn value_at(points: &[(f64, f64)], x: f64, step: bool) -> f64 {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return 0.0;
    };
    if x < first.0 || x > last.0 {
        return 0.0;
    }
    // Index of the first point with a larger x.
    let after = points.partition_point(|p| p.0 <= x);
    let before = points[after - 1];
    if step || before.0 == x || after == points.len() {
        return before.1;
    }
    let next = points[after];
    let t = (x - before.0) / (next.0 - before.0);
    before.1 + t * (next.1 - before.1)
}
