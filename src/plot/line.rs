//! Line charts: named series drawn as lines, steps or markers over shaded
//! bands, with optional fixed axis ranges.

use plotters::prelude::DrawingBackend;
use plotters::style::RGBColor;

use super::frame::{
    Frame, FrameSpec, LegendEntry, Swatch, XAxis, YAxis, band_headroom, draw_frame,
};
use super::geom::{Span, clip_polyline, usable_point, usable_runs};
use super::paint::{DrawResult, Root, marker, polyline};
use super::render::Draw;
use super::series::{Band, Marker, Series, SeriesStyle, bands_extent};
use super::style::{CHART_SIZE, LINE_WIDTH, series_color};

/// Series over a shared x axis (e.g. throughput per flow over time).
///
/// Without `x_range` the x axis spans the data and the bands; without
/// `y_range` the y axis spans the data shown (from zero when the data sits
/// near it) with room at the top for band labels. Data outside a fixed range
/// is clipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

impl Draw for LineChart {
    fn size(&self) -> (u32, u32) {
        CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult {
        let all_points = || {
            self.series
                .iter()
                .flat_map(|s| s.points.iter().copied())
                .filter(|p| usable_point(*p))
        };
        let x = Span::given(self.x_range).unwrap_or_else(|| {
            let data = Span::of(all_points().map(|p| p.0));
            Span::union(data, bands_extent(&self.bands)).map_or(Span::UNIT, Span::drawable)
        });
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .filter(|(_, s)| s.points.iter().any(|p| usable_point(*p)))
            .map(|(i, s)| LegendEntry {
                name: s.name.clone(),
                color: series_color(i),
                swatch: swatch(s.style),
            })
            .collect();
        let y = match Span::given(self.y_range) {
            Some(y) => y,
            None => {
                let shown = Span::of(all_points().filter(|p| x.contains(p.0)).map(|p| p.1));
                let headroom = band_headroom(root, &self.bands, x, &legend)?;
                shown.map_or(Span::UNIT, |s| s.value_axis(headroom))
            }
        };
        let frame = draw_frame(
            root,
            &FrameSpec {
                title: &self.title,
                x_label: &self.x_label,
                y_label: &self.y_label,
                x,
                y,
                x_axis: XAxis::Numeric,
                y_axis: YAxis::Numeric,
                top_room: 0,
                legend,
            },
        )?;
        frame.band_fills(root, &self.bands)?;
        for (i, series) in self.series.iter().enumerate() {
            draw_series(root, &frame, series, series_color(i))?;
        }
        frame.band_labels(root, &self.bands)?;
        if !all_points().any(|p| frame.shows(p)) {
            frame.no_data(root)?;
        }
        Ok(())
    }
}

fn swatch(style: SeriesStyle) -> Swatch {
    match style {
        SeriesStyle::Line | SeriesStyle::Step => Swatch::Line,
        SeriesStyle::Points(m) => Swatch::Marker(m),
        SeriesStyle::LinePoints(m) => Swatch::LineMarker(m),
    }
}

/// Draws one series, clipped to the frame.
fn draw_series<DB: DrawingBackend>(
    root: &Root<DB>,
    frame: &Frame,
    series: &Series,
    color: RGBColor,
) -> DrawResult {
    let (joined, markers) = match series.style {
        SeriesStyle::Line | SeriesStyle::Step => (true, None),
        SeriesStyle::Points(m) => (false, Some(m)),
        SeriesStyle::LinePoints(m) => (true, Some(m)),
    };
    if joined {
        for run in usable_runs(&series.points) {
            if run.len() == 1 {
                // A lone point has no line: show it as a dot.
                if markers.is_none() && frame.shows(run[0]) {
                    marker(root, frame.px(run[0]), Marker::Circle, color)?;
                }
                continue;
            }
            let path = if series.style == SeriesStyle::Step {
                staircase(&run)
            } else {
                run
            };
            for part in clip_polyline(&path, frame.x, frame.y) {
                let mut pixels: Vec<_> = part.into_iter().map(|p| frame.px(p)).collect();
                pixels.dedup();
                polyline(root, pixels, color, LINE_WIDTH)?;
            }
        }
    }
    if let Some(m) = markers {
        for p in series
            .points
            .iter()
            .copied()
            .filter(|p| usable_point(*p) && frame.shows(*p))
        {
            marker(root, frame.px(p), m, color)?;
        }
    }
    Ok(())
}

/// The corners of a staircase through `points`: each y holds until the next x.
fn staircase(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for pair in points.windows(2) {
        out.push(pair[0]);
        out.push((pair[1].0, pair[0].1));
    }
    if let Some(last) = points.last() {
        out.push(*last);
    }
    out
}
