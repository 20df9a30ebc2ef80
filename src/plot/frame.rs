//! The frame every chart shares: white canvas, title, axes with ticks and
//! labels, the legend column right of the plot (so it never covers data),
//! shaded bands with their labels, and the "no data" note. Charts draw their
//! data afterwards, in pixels, through [`Frame::px`].

use plotters::chart::ChartBuilder;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, WHITE};

use super::geom::{Span, tick_label};
use super::paint::{
    DrawResult, Font, Px, Root, fail, fill_rect, fit_text, marker, polyline, stroke_rect, text,
    text_size,
};
use super::series::{Band, Marker};
use super::style::{
    AXIS_DESC_SIZE, BAND_FILL, GRID_BOLD, GRID_LIGHT, INK, LEGEND_SIZE, MUTED, NO_DATA_SIZE,
    NOTE_SIZE, RULE, TICK_SIZE, TITLE_SIZE,
};

/// Most tick labels on the x and y axes.
const X_TICKS: usize = 12;
const Y_TICKS: usize = 9;
/// Height of a legend entry and of a row of band labels, in pixels.
const LEGEND_ROW: i32 = 26;
const BAND_ROW: i32 = 22;
/// Widest legend column, as a fraction of the image width.
const LEGEND_MAX_FRACTION: f64 = 0.28;

/// What the x axis shows.
pub(crate) enum XAxis {
    /// Numeric ticks and grid lines.
    Numeric,
    /// An axis line without ticks; the chart writes category names in the
    /// given number of pixels reserved below the axis.
    Categories { room: i32 },
    /// No x axis at all (the ladder).
    Hidden,
}

/// What the y axis shows.
pub(crate) enum YAxis {
    /// Numeric ticks and grid lines.
    Numeric,
    /// An axis line and description only; the chart writes its own tick
    /// labels, at most `label_width` pixels wide, left of the plot.
    Custom { label_width: i32 },
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
pub(crate) enum Swatch {
    Line,
    Marker(Marker),
    LineMarker(Marker),
    Area,
}

pub(crate) struct LegendEntry {
    pub name: String,
    pub color: RGBColor,
    pub swatch: Swatch,
}

/// Everything the frame needs to know about a chart.
pub(crate) struct FrameSpec<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x: Span,
    pub y: Span,
    pub x_axis: XAxis,
    pub y_axis: YAxis,
    /// Pixels kept free between the title and the plot (ladder endpoint names).
    pub top_room: i32,
    /// Drawn only when it has more than one entry.
    pub legend: Vec<LegendEntry>,
}

/// The plotted rectangle in pixels (inclusive) and the data ranges it shows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub left: i32,
    pub right: i32,
    pub top: i32,
    pub bottom: i32,
    pub x: Span,
    pub y: Span,
}

impl Frame {
    /// Pixel column of `x`, clamped to the plot (same rounding as plotters).
    pub fn px_x(&self, x: f64) -> i32 {
        let t = (self.x.clamp(x) - self.x.lo) / self.x.width();
        self.left + (f64::from(self.right - self.left) * t + 1e-3).floor() as i32
    }

    /// Pixel row of `y`, clamped to the plot; larger y is higher up.
    pub fn px_y(&self, y: f64) -> i32 {
        let t = (self.y.clamp(y) - self.y.lo) / self.y.width();
        self.bottom - (f64::from(self.bottom - self.top) * t + 1e-3).floor() as i32
    }

    /// Pixel of a data point, clamped to the plot.
    pub fn px(&self, (x, y): (f64, f64)) -> Px {
        (self.px_x(x), self.px_y(y))
    }

    /// Whether a data point lies inside the plot.
    pub fn shows(&self, (x, y): (f64, f64)) -> bool {
        self.x.contains(x) && self.y.contains(y)
    }

    /// Writes "no data" in the middle of the plot.
    pub fn no_data<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult {
        let at = ((self.left + self.right) / 2, (self.top + self.bottom) / 2);
        text(
            root,
            "no data",
            at,
            Font::new(NO_DATA_SIZE, MUTED).anchor(HPos::Center, VPos::Center),
        )
    }

    /// Shades the bands, behind the data: call before drawing the data.
    pub fn band_fills<DB: DrawingBackend>(&self, root: &Root<DB>, bands: &[Band]) -> DrawResult {
        for span in bands.iter().filter_map(Band::span) {
            if span.hi < self.x.lo || span.lo > self.x.hi {
                continue;
            }
            let (mut a, mut b) = (self.px_x(span.lo), self.px_x(span.hi));
            if b - a < 2 {
                // An instant (or a sliver): still visible.
                a = (a - 1).max(self.left);
                b = (a + 2).min(self.right);
            }
            fill_rect(root, (a, self.top), (b, self.bottom), BAND_FILL)?;
        }
        Ok(())
    }

    /// Writes the band labels inside their bands at the top of the plot,
    /// stacked in rows where they would overlap: call after drawing the data.
    pub fn band_labels<DB: DrawingBackend>(&self, root: &Root<DB>, bands: &[Band]) -> DrawResult {
        let placed = place_band_labels(
            root,
            bands,
            self.x,
            f64::from(self.left),
            f64::from(self.right),
        )?;
        for label in placed {
            let y = self.top + 5 + label.row as i32 * BAND_ROW;
            if y + BAND_ROW > self.bottom {
                continue; // more rows than the plot is tall
            }
            let (w, h) = text_size(root, &label.text, band_font())?;
            fill_rect(
                root,
                (label.x - 3, y - 1),
                (label.x + w + 3, y + h + 3),
                WHITE.mix(0.6),
            )?;
            text(root, &label.text, (label.x, y), band_font())?;
        }
        Ok(())
    }
}

fn band_font() -> Font {
    Font::new(NOTE_SIZE, INK)
}

/// A band label placed in pixels: left edge, row (0 = top) and text.
struct BandLabel {
    x: i32,
    row: usize,
    text: String,
}

/// Places band labels for a plot spanning `left..right` pixels that shows `x`:
/// centred in the band when it fits, else starting at the band's left edge;
/// a label goes to the first row where it overlaps no other.
fn place_band_labels<DB: DrawingBackend>(
    root: &Root<DB>,
    bands: &[Band],
    x: Span,
    left: f64,
    right: f64,
) -> DrawResult<Vec<BandLabel>> {
    let to_px = |v: f64| left + (x.clamp(v) - x.lo) / x.width() * (right - left);
    let mut rows: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut placed = Vec::new();
    let mut order: Vec<(Span, &str)> = bands
        .iter()
        .filter(|b| !b.label.is_empty())
        .filter_map(|b| b.span().map(|s| (s, b.label.as_str())))
        .filter(|(s, _)| s.hi >= x.lo && s.lo <= x.hi)
        .collect();
    order.sort_by(|a, b| a.0.lo.total_cmp(&b.0.lo));
    for (span, label) in order {
        let (a, b) = (to_px(span.lo) as i32, to_px(span.hi) as i32);
        let max_w = (right - left) as i32 - 8;
        let label = fit_text(root, label, band_font(), max_w)?;
        let w = text_size(root, &label, band_font())?.0;
        let start = if w + 8 <= b - a {
            (a + b - w) / 2
        } else {
            a + 4
        };
        let start = start.min(right as i32 - 4 - w).max(left as i32 + 4);
        let extent = (start - 6, start + w + 6);
        let row = rows
            .iter()
            .position(|r| r.iter().all(|o| extent.1 <= o.0 || extent.0 >= o.1))
            .unwrap_or_else(|| {
                rows.push(Vec::new());
                rows.len() - 1
            });
        rows[row].push(extent);
        placed.push(BandLabel {
            x: start,
            row,
            text: label,
        });
    }
    Ok(placed)
}

/// The fraction of the data's height to leave free at the top of an
/// automatic y range so that band labels do not sit on the data. Estimated
/// before the frame exists, from the image size and legend.
pub(crate) fn band_headroom<DB: DrawingBackend>(
    root: &Root<DB>,
    bands: &[Band],
    x: Span,
    legend: &[LegendEntry],
) -> DrawResult<f64> {
    let h = root.dim_in_pixel().1;
    let width = f64::from(provisional_plot_width(root, legend)?);
    let placed = place_band_labels(root, bands, x, 110.0, 110.0 + width)?;
    let Some(rows) = placed.iter().map(|l| l.row + 1).max() else {
        return Ok(0.0);
    };
    let plot_h = (f64::from(h) - 190.0).max(100.0);
    let f = ((rows as f64 * f64::from(BAND_ROW) + 8.0) / plot_h).min(0.5);
    // The top 5 % padding plus this headroom must cover the fraction `f` of
    // the whole axis.
    Ok(((1.05 * f - 0.05) / (1.0 - f)).max(0.0))
}

/// A slightly low estimate of the plot's width in pixels, for layout
/// decisions taken before the frame is drawn.
pub(crate) fn provisional_plot_width<DB: DrawingBackend>(
    root: &Root<DB>,
    legend: &[LegendEntry],
) -> DrawResult<i32> {
    let w = root.dim_in_pixel().0 as i32;
    Ok((w - 170 - legend_width(root, legend)?).max(50))
}

/// Width of the legend column (zero when no legend is drawn).
fn legend_width<DB: DrawingBackend>(root: &Root<DB>, legend: &[LegendEntry]) -> DrawResult<i32> {
    if legend.len() < 2 {
        return Ok(0);
    }
    let max_text = legend_text_max(root)?;
    let mut widest = 0;
    for entry in legend {
        widest = widest.max(text_size(root, &entry.name, legend_font())?.0.min(max_text));
    }
    Ok(LEGEND_PAD + SWATCH_W + 8 + widest + LEGEND_PAD + 12)
}

const SWATCH_W: i32 = 30;
const LEGEND_PAD: i32 = 10;

fn legend_font() -> Font {
    Font::new(LEGEND_SIZE, INK).anchor(HPos::Left, VPos::Center)
}

fn legend_text_max<DB: DrawingBackend>(root: &Root<DB>) -> DrawResult<i32> {
    let w = f64::from(root.dim_in_pixel().0) * LEGEND_MAX_FRACTION;
    Ok(w as i32 - (LEGEND_PAD * 2 + SWATCH_W + 8 + 12))
}

/// Draws the legend in the column starting at pixel `x0`, its top at `y0`,
/// no lower than `y_max`.
fn draw_legend<DB: DrawingBackend>(
    root: &Root<DB>,
    legend: &[LegendEntry],
    x0: i32,
    y0: i32,
    y_max: i32,
) -> DrawResult {
    let width = legend_width(root, legend)? - 12;
    let max_text = legend_text_max(root)?;
    let fit = (((y_max - y0 - 2 * LEGEND_PAD) / LEGEND_ROW).max(1)) as usize;
    let (shown, more) = if legend.len() > fit {
        (&legend[..fit - 1], legend.len() - (fit - 1))
    } else {
        (legend, 0)
    };
    let rows = shown.len() as i32 + i32::from(more > 0);
    let y1 = y0 + 2 * LEGEND_PAD + rows * LEGEND_ROW - 6;
    fill_rect(root, (x0, y0), (x0 + width, y1), WHITE)?;
    stroke_rect(root, (x0, y0), (x0 + width, y1), RULE)?;
    for (i, entry) in shown.iter().enumerate() {
        let cy = y0 + LEGEND_PAD + i as i32 * LEGEND_ROW + LEGEND_ROW / 2 - 3;
        let sx = x0 + LEGEND_PAD;
        let mid = (sx + SWATCH_W / 2, cy);
        match entry.swatch {
            Swatch::Line => polyline(root, vec![(sx, cy), (sx + SWATCH_W, cy)], entry.color, 3)?,
            Swatch::Marker(m) => marker(root, mid, m, entry.color)?,
            Swatch::LineMarker(m) => {
                polyline(root, vec![(sx, cy), (sx + SWATCH_W, cy)], entry.color, 3)?;
                marker(root, mid, m, entry.color)?;
            }
            Swatch::Area => fill_rect(
                root,
                (sx + 2, cy - 7),
                (sx + SWATCH_W - 2, cy + 7),
                entry.color,
            )?,
        }
        let name = fit_text(root, &entry.name, legend_font(), max_text)?;
        text(root, &name, (sx + SWATCH_W + 8, cy), legend_font())?;
    }
    if more > 0 {
        let cy = y0 + LEGEND_PAD + shown.len() as i32 * LEGEND_ROW + LEGEND_ROW / 2 - 3;
        let note = format!("… and {more} more");
        text(
            root,
            &note,
            (x0 + LEGEND_PAD, cy),
            legend_font().with_color(MUTED),
        )?;
    }
    Ok(())
}

/// Draws the title centred at the top, shrinking it (then shortening it) to
/// fit the width. Returns the first pixel row below it.
fn draw_title<DB: DrawingBackend>(root: &Root<DB>, title: &str) -> DrawResult<i32> {
    const TOP: i32 = 12;
    let w = root.dim_in_pixel().0 as i32;
    let max_w = w - 40;
    let mut font = Font::new(TITLE_SIZE, INK)
        .bold()
        .anchor(HPos::Center, VPos::Top);
    while font.size > 18.0 && text_size(root, title, font)?.0 > max_w {
        font.size -= 2.0;
    }
    let title = fit_text(root, title, font, max_w)?;
    let h = text_size(root, "Ag", font)?.1;
    text(root, &title, (w / 2, TOP), font)?;
    Ok(TOP + h + 12)
}

/// The font of tick labels.
pub(crate) fn tick_font() -> Font {
    Font::new(TICK_SIZE, INK)
}

/// The step between tick labels and the widest label of an axis.
fn ticks<DB: DrawingBackend>(root: &Root<DB>, span: Span, max: usize) -> DrawResult<(f64, i32)> {
    let points = RangedCoordf64::from(span.lo..span.hi).key_points(max);
    let step = match points.as_slice() {
        [a, b, ..] => b - a,
        _ => span.width(),
    };
    let mut widest = 0;
    for p in points {
        widest =
            widest.max(text_size(root, &tick_label(p, step, span.magnitude()), tick_font())?.0);
    }
    Ok((step, widest))
}

/// Draws the canvas, title, axes and legend; returns where the data goes.
pub(crate) fn draw_frame<DB: DrawingBackend>(
    root: &Root<DB>,
    spec: &FrameSpec,
) -> DrawResult<Frame> {
    root.fill(&WHITE).map_err(fail)?;
    let below_title = draw_title(root, spec.title)?;
    let legend_w = legend_width(root, &spec.legend)?;
    let area = root.margin(below_title, 0, 0, legend_w);

    let desc_h = text_size(root, "Ag", Font::new(AXIS_DESC_SIZE, INK))?.1;
    let tick_h = text_size(root, "0", tick_font())?.1;
    let (x_step, _) = ticks(root, spec.x, X_TICKS)?;
    let (y_step, y_widest) = ticks(root, spec.y, Y_TICKS)?;
    let y_widest = match spec.y_axis {
        YAxis::Numeric => y_widest,
        YAxis::Custom { label_width } => label_width,
    }
    .min(root.dim_in_pixel().0 as i32 / 4);
    let x_desc_h = if spec.x_label.is_empty() {
        0
    } else {
        desc_h + 10
    };
    let x_area = match spec.x_axis {
        XAxis::Numeric => tick_h + 14 + x_desc_h + 6,
        XAxis::Categories { room } => room + 8 + x_desc_h + 6,
        XAxis::Hidden => 4,
    };
    let y_desc_w = if spec.y_label.is_empty() {
        0
    } else {
        desc_h + 14
    };
    let y_area = y_widest + 14 + y_desc_w + 6;

    let mut chart = ChartBuilder::on(&area)
        .margin_top(10 + spec.top_room)
        .margin_bottom(8)
        .margin_left(12)
        .margin_right(30)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(spec.x.lo..spec.x.hi, spec.y.lo..spec.y.hi)
        .map_err(fail)?;

    let (x_mag, y_mag) = (spec.x.magnitude(), spec.y.magnitude());
    let x_fmt = move |v: &f64| tick_label(*v, x_step, x_mag);
    let y_fmt = move |v: &f64| tick_label(*v, y_step, y_mag);
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(spec.x_label)
        .y_desc(spec.y_label)
        .axis_desc_style(Font::new(AXIS_DESC_SIZE, INK).style())
        .label_style(tick_font().style())
        .x_labels(X_TICKS)
        .y_labels(Y_TICKS)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .max_light_lines(4)
        .light_line_style(GRID_LIGHT)
        .bold_line_style(GRID_BOLD)
        .axis_style(INK.stroke_width(1));
    match spec.x_axis {
        XAxis::Numeric => {}
        XAxis::Categories { .. } => {
            mesh.disable_x_mesh().x_labels(0);
        }
        XAxis::Hidden => {
            mesh.disable_x_mesh().disable_x_axis().x_labels(0);
        }
    }
    if let YAxis::Custom { .. } = spec.y_axis {
        mesh.disable_y_mesh().y_labels(0);
    }
    mesh.draw().map_err(fail)?;

    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let frame = Frame {
        left: xr.start,
        right: xr.end - 1,
        top: yr.start,
        bottom: yr.end - 1,
        x: spec.x,
        y: spec.y,
    };
    if spec.legend.len() > 1 {
        let x0 = root.dim_in_pixel().0 as i32 - legend_w;
        draw_legend(root, &spec.legend, x0, frame.top, frame.bottom)?;
    }
    Ok(frame)
}
