//! Ladder (sequence) diagrams: two endpoints as vertical time lines, time
//! flowing down, one slanted arrow per segment from the sender at its
//! departure to the receiver at its arrival, labelled; lost segments dashed in
//! vermillion, ending in an "x" halfway. Also owns the ladder's time scale,
//! which keeps bursts readable and squeezes idle periods.

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, WHITE};

use super::frame::{Frame, FrameSpec, XAxis, YAxis, draw_frame, tick_font};
use super::geom::{Span, usable};
use super::paint::{
    DrawResult, Font, Px, Root, dashed, fill_polygon, fill_rect, fit_text, polyline, text,
    text_size,
};
use super::render::Draw;
use super::style::{GRID_BOLD, INK, LOST, series_color};

/// A sequence diagram of the segments exchanged by two endpoints.
///
/// The time axis (in ms, on the left) is drawn to scale where the instants of
/// departures and arrivals are spread out, but spreads instants closer than
/// the height of a label (a burst of back-to-back segments) and squeezes long
/// idle periods (a retransmission timeout), marking each squeezed period with
/// break marks. Every tick label is the exact time of a departure or arrival.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ladder {
    pub title: String,
    /// Name of the endpoint drawn on the left (e.g. "client 10.0.0.1:5000").
    pub left: String,
    /// Name of the endpoint drawn on the right.
    pub right: String,
    pub arrows: Vec<LadderArrow>,
}

/// One segment. Times are in seconds; an arrow whose times are NaN or
/// infinite is skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LadderArrow {
    /// When the sender sent it.
    pub depart: f64,
    /// When it reached (or, if lost, would have reached) the receiver.
    pub arrive: f64,
    pub left_to_right: bool,
    /// E.g. "SYN seq=0 win=65535".
    pub label: String,
    /// Drawn dashed and in vermillion, stopping halfway at an "x".
    pub lost: bool,
}

impl LadderArrow {
    fn usable(&self) -> bool {
        usable(self.depart)
            && usable(self.arrive)
            && usable(self.depart * 1e3)
            && usable(self.arrive * 1e3)
    }
}

const WIDTH: u32 = 1200;
/// Image height: at least this, growing with the number of distinct instants.
const MIN_HEIGHT: u32 = 700;
const HEIGHT_PER_INSTANT: u32 = 30;
const MAX_HEIGHT: u32 = 8000;
/// Pixels above the plot for the endpoint names.
const NAME_ROOM: i32 = 34;
/// Pixels kept free at the top and bottom of the plot.
const PLOT_PAD: f64 = 18.0;
/// Where the time lines stand, as a fraction of the plot width from each side.
const LINE_INSET: f64 = 0.12;
const HEAD_LEN: f64 = 12.0;
const HEAD_HALF_WIDTH: f64 = 5.0;
/// Half the size of the "x" ending a lost segment.
const CROSS: i32 = 7;
/// Where along its visible part a label may go, best first.
const LABEL_SPOTS: [f64; 9] = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88];
/// A label is left out when even its best spot has this share of its area
/// covered by earlier labels.
const MAX_LABEL_OVERLAP: f64 = 0.25;

fn label_font() -> Font {
    Font::new(14.0, INK).anchor(HPos::Center, VPos::Center)
}

fn name_font() -> Font {
    Font::new(19.0, INK)
        .bold()
        .anchor(HPos::Center, VPos::Bottom)
}

/// Colour of an arrow going right, going left, or lost.
fn arrow_color(arrow: &LadderArrow) -> RGBColor {
    if arrow.lost {
        LOST
    } else if arrow.left_to_right {
        series_color(0)
    } else {
        series_color(2)
    }
}

/// A pixel box (x0, y0, x1, y1).
type PxBox = (i32, i32, i32, i32);

fn overlap(a: PxBox, b: PxBox) -> i64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0);
    i64::from(w) * i64::from(h)
}

fn area(b: PxBox) -> i64 {
    i64::from(b.2 - b.0) * i64::from(b.3 - b.1)
}

impl Ladder {
    /// The arrows that can be drawn.
    fn usable_arrows(&self) -> Vec<&LadderArrow> {
        self.arrows.iter().filter(|a| a.usable()).collect()
    }
}

/// The distinct instants (in ms, sorted) at which arrows depart or arrive.
fn instants(arrows: &[&LadderArrow]) -> Vec<f64> {
    let mut t: Vec<f64> = arrows
        .iter()
        .flat_map(|a| [a.depart * 1e3, a.arrive * 1e3])
        .collect();
    t.sort_by(f64::total_cmp);
    t.dedup_by(|b, a| (*b - *a).abs() <= 1e-9 * a.abs().max(1.0));
    t
}

/// The ladder's time scale: pixel rows of the distinct instants.
struct TimeScale {
    /// Instants in ms, sorted.
    times: Vec<f64>,
    /// Their pixel rows, increasing.
    rows: Vec<f64>,
    /// Pixel rows of the middles of squeezed idle periods.
    breaks: Vec<i32>,
}

impl TimeScale {
    /// Consecutive instants at least this many pixels apart (less only when
    /// the plot is too short for that).
    const MIN_GAP: f64 = 26.0;
    /// With many instants, no gap takes more than this share of the height.
    const MAX_GAP_SHARE: f64 = 0.15;

    /// Lays `times` out between pixel rows `top` and `bottom`: every gap gets
    /// `clamp(k * duration, MIN_GAP, max_gap)` pixels, with `k` chosen so
    /// that the gaps fill the height.
    fn new(times: Vec<f64>, top: f64, bottom: f64) -> TimeScale {
        let avail = (bottom - top - 2.0 * PLOT_PAD).max(1.0);
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        if gaps.is_empty() {
            let rows = times.iter().map(|_| top + PLOT_PAD + avail / 2.0).collect();
            return TimeScale {
                times,
                rows,
                breaks: Vec::new(),
            };
        }
        let m = gaps.len() as f64;
        let min_gap = Self::MIN_GAP.min(avail / m);
        let max_gap = if m * avail * Self::MAX_GAP_SHARE < avail {
            avail
        } else {
            (avail * Self::MAX_GAP_SHARE).max(min_gap)
        };
        let height = |k: f64| {
            gaps.iter()
                .map(|d| (d * k).clamp(min_gap, max_gap))
                .sum::<f64>()
        };
        // `height` grows with k: bisect on a log scale.
        let (mut lo, mut hi) = (1e-12f64, 1e15f64);
        for _ in 0..200 {
            let mid = (lo * hi).sqrt();
            if height(mid) < avail {
                lo = mid
            } else {
                hi = mid
            }
        }
        let k = lo;
        let mut rows = vec![top + PLOT_PAD];
        let mut breaks = Vec::new();
        for d in &gaps {
            let prev = rows[rows.len() - 1];
            let gap = (d * k).clamp(min_gap, max_gap);
            if d * k > max_gap + 0.5 {
                breaks.push((prev + gap / 2.0).round() as i32);
            }
            rows.push(prev + gap);
        }
        TimeScale {
            times,
            rows,
            breaks,
        }
    }

    /// Pixel row of `t` (ms): exact at the instants, interpolated between them.
    fn row(&self, t: f64) -> i32 {
        let i = self.times.partition_point(|x| *x < t);
        let y = if i == 0 {
            self.rows.first().copied().unwrap_or(0.0)
        } else if i == self.times.len() {
            self.rows.last().copied().unwrap_or(0.0)
        } else if (self.times[i] - t).abs() <= 1e-9 * t.abs().max(1.0) {
            self.rows[i]
        } else {
            let (t0, t1, y0, y1) = (
                self.times[i - 1],
                self.times[i],
                self.rows[i - 1],
                self.rows[i],
            );
            y0 + (y1 - y0) * (t - t0) / (t1 - t0)
        };
        y.round() as i32
    }
}

/// Tick labels of the instants: exact when few decimals suffice, else
/// rounded to a tenth of the closest spacing (at most three decimals).
fn time_labels(times: &[f64]) -> Vec<String> {
    let exact = (0..=3).find(|d| {
        let scale = 10f64.powi(*d);
        times
            .iter()
            .all(|t| ((t * scale).round() - t * scale).abs() < 1e-6 * scale.max(t.abs()))
    });
    let closest = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let resolution = if closest.is_finite() && closest > 0.0 {
        (-(closest / 10.0).log10()).ceil().clamp(0.0, 3.0) as i32
    } else {
        0
    };
    let largest = times.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    if largest >= 1e9 {
        // Beyond about eleven days: scientific, with enough digits to tell the
        // closest instants apart.
        let digits = if closest.is_finite() && closest > 0.0 {
            (largest.log10().floor() - (closest / 10.0).log10().floor()).clamp(0.0, 12.0)
        } else {
            0.0
        } as usize;
        return times.iter().map(|t| format!("{t:.digits$e}")).collect();
    }
    let decimals = exact.unwrap_or(resolution) as usize;
    times
        .iter()
        .map(|t| {
            let s = format!("{t:.decimals$}");
            if s.starts_with('-') && s.chars().all(|c| matches!(c, '-' | '0' | '.')) {
                s[1..].to_string()
            } else {
                s
            }
        })
        .collect()
}

impl Draw for Ladder {
    fn size(&self) -> (u32, u32) {
        let n = u32::try_from(instants(&self.usable_arrows()).len()).unwrap_or(u32::MAX);
        let h = n.saturating_mul(HEIGHT_PER_INSTANT).saturating_add(150);
        (WIDTH, h.clamp(MIN_HEIGHT, MAX_HEIGHT))
    }

    fn draw<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult {
        let arrows = self.usable_arrows();
        let times = instants(&arrows);
        let tick_labels = time_labels(&times);
        let mut label_width = 0;
        for label in &tick_labels {
            label_width = label_width.max(text_size(root, label, tick_font())?.0);
        }
        let frame = draw_frame(
            root,
            &FrameSpec {
                title: &self.title,
                x_label: "",
                y_label: "time (ms)",
                x: Span::UNIT,
                y: Span::UNIT,
                x_axis: XAxis::Hidden,
                y_axis: YAxis::Custom { label_width },
                top_room: NAME_ROOM,
                legend: Vec::new(),
            },
        )?;
        let scale = TimeScale::new(times, f64::from(frame.top), f64::from(frame.bottom));
        let inset = (f64::from(frame.right - frame.left) * LINE_INSET) as i32;
        let (xl, xr) = (frame.left + inset, frame.right - inset);

        // Ticks at the instants, where there is room for their labels.
        let tick_h = text_size(root, "0", tick_font())?.1;
        let mut last_row = i32::MIN;
        for (t, label) in scale.times.iter().zip(&tick_labels) {
            let y = scale.row(*t);
            if y.saturating_sub(last_row) < tick_h + 4 {
                continue;
            }
            last_row = y;
            polyline(
                root,
                vec![(frame.left, y), (frame.right, y)],
                GRID_BOLD.mix(0.5),
                1,
            )?;
            polyline(root, vec![(frame.left - 5, y), (frame.left, y)], INK, 1)?;
            text(
                root,
                label,
                (frame.left - 8, y),
                tick_font().anchor(HPos::Right, VPos::Center),
            )?;
        }

        let image_w = root.dim_in_pixel().0 as i32;
        for (x, name) in [(xl, &self.left), (xr, &self.right)] {
            polyline(
                root,
                vec![(x, frame.top), (x, frame.bottom)],
                INK.mix(0.7),
                3,
            )?;
            // Centred over its line, but moved inwards rather than cut off.
            let name = fit_text(root, name, name_font(), (xr - xl) / 2 - 10)?;
            let half = text_size(root, &name, name_font())?.0 / 2;
            let cx = x.min(image_w - 10 - half).max(10 + half);
            text(root, &name, (cx, frame.top - 8), name_font())?;
        }
        for y in &scale.breaks {
            for x in [frame.left, xl, xr] {
                break_mark(root, (x, *y))?;
            }
        }

        // Arrows, remembering where they go; crosses of lost segments are
        // obstacles for the labels.
        let mut placed: Vec<PxBox> = Vec::new();
        let mut lines = Vec::new();
        for arrow in &arrows {
            let (from_x, to_x) = if arrow.left_to_right {
                (xl, xr)
            } else {
                (xr, xl)
            };
            let start = (from_x, scale.row(arrow.depart * 1e3));
            let end = (to_x, scale.row(arrow.arrive * 1e3));
            if let Some(mid) = draw_arrow(root, start, end, arrow.lost, arrow_color(arrow))? {
                let r = CROSS + 3;
                placed.push((mid.0 - r, mid.1 - r, mid.0 + r, mid.1 + r));
            }
            lines.push((start, end));
        }
        // Labels last, so that no arrow is drawn across a label.
        for (arrow, (start, end)) in arrows.iter().zip(lines) {
            if arrow.label.is_empty() {
                continue;
            }
            let label = fit_text(root, &arrow.label, label_font(), xr - xl - 40)?;
            let visible = if arrow.lost { 0.5 } else { 1.0 };
            let Some(b) =
                place_label(root, &frame, &label, start, end, visible, (xl, xr), &placed)?
            else {
                continue;
            };
            placed.push(b);
            fill_rect(root, (b.0, b.1), (b.2, b.3), WHITE.mix(0.88))?;
            let ink = if arrow.lost { LOST } else { INK };
            text(
                root,
                &label,
                ((b.0 + b.2) / 2, (b.1 + b.3) / 2),
                label_font().with_color(ink),
            )?;
        }
        if arrows.is_empty() {
            frame.no_data(root)?;
        }
        Ok(())
    }
}

/// Two short slanted strokes across a vertical line: time is not to scale here.
fn break_mark<DB: DrawingBackend>(root: &Root<DB>, (x, y): Px) -> DrawResult {
    fill_rect(root, (x - 7, y - 4), (x + 7, y + 4), WHITE)?;
    for dy in [-4, 4] {
        polyline(root, vec![(x - 7, y + dy + 3), (x + 7, y + dy - 3)], INK, 1)?;
    }
    Ok(())
}

/// Draws one arrow from `start` towards `end`: solid with a head, or, if lost,
/// dashed up to halfway and crossed out there. Returns the cross's centre.
fn draw_arrow<DB: DrawingBackend>(
    root: &Root<DB>,
    start: Px,
    end: Px,
    lost: bool,
    color: RGBColor,
) -> DrawResult<Option<Px>> {
    let (dx, dy) = (f64::from(end.0 - start.0), f64::from(end.1 - start.1));
    let len = dx.hypot(dy).max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let at = |d: f64| {
        (
            (f64::from(start.0) + ux * d).round() as i32,
            (f64::from(start.1) + uy * d).round() as i32,
        )
    };
    if lost {
        let mid = at(len / 2.0);
        dashed(root, start, mid, color, 2)?;
        let r = CROSS;
        polyline(
            root,
            vec![(mid.0 - r, mid.1 - r), (mid.0 + r, mid.1 + r)],
            color,
            3,
        )?;
        polyline(
            root,
            vec![(mid.0 - r, mid.1 + r), (mid.0 + r, mid.1 - r)],
            color,
            3,
        )?;
        return Ok(Some(mid));
    }
    polyline(root, vec![start, at(len - HEAD_LEN + 1.0)], color, 2)?;
    let base = (
        f64::from(end.0) - ux * HEAD_LEN,
        f64::from(end.1) - uy * HEAD_LEN,
    );
    let (px, py) = (-uy * HEAD_HALF_WIDTH, ux * HEAD_HALF_WIDTH);
    let corner = |s: f64| {
        (
            (base.0 + s * px).round() as i32,
            (base.1 + s * py).round() as i32,
        )
    };
    fill_polygon(root, vec![end, corner(1.0), corner(-1.0)], color)?;
    Ok(None)
}

/// Chooses where an arrow's label goes: centred on the arrow's visible part,
/// at the first of [`LABEL_SPOTS`] where it overlaps nothing placed before
/// (else where it overlaps least), kept clear of the time lines. Returns the
/// label's background box, or `None` when every spot is mostly covered.
#[allow(clippy::too_many_arguments)]
fn place_label<DB: DrawingBackend>(
    root: &Root<DB>,
    frame: &Frame,
    label: &str,
    start: Px,
    end: Px,
    visible: f64,
    (xl, xr): (i32, i32),
    placed: &[PxBox],
) -> DrawResult<Option<PxBox>> {
    let (w, h) = text_size(root, label, label_font())?;
    let (half_w, half_h) = (w / 2 + 4, h / 2 + 3);
    let (sx, sy) = (f64::from(start.0), f64::from(start.1));
    let (dx, dy) = (f64::from(end.0 - start.0), f64::from(end.1 - start.1));
    let (min_x, max_x) = (xl + half_w + 16, xr - half_w - 16);
    let mut best: Option<(i64, PxBox)> = None;
    for spot in LABEL_SPOTS {
        let wanted = (sx + dx * spot * visible).round() as i32;
        let cx = if min_x <= max_x {
            wanted.clamp(min_x, max_x)
        } else {
            (xl + xr) / 2
        };
        let cy = if dx == 0.0 {
            sy + dy * spot * visible
        } else {
            sy + dy * (f64::from(cx) - sx) / dx
        };
        let cy = (cy.round() as i32).clamp(
            frame.top + half_h,
            (frame.bottom - half_h).max(frame.top + half_h),
        );
        let candidate = (cx - half_w, cy - half_h, cx + half_w, cy + half_h);
        let score: i64 = placed.iter().map(|b| overlap(*b, candidate)).sum();
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, candidate));
        }
        if score == 0 {
            break;
        }
    }
    Ok(best
        .filter(|(score, b)| (*score as f64) <= MAX_LABEL_OVERLAP * area(*b) as f64)
        .map(|(_, b)| b))
}
