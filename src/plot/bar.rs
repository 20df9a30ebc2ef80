//! Grouped bar charts: one group of bars per category (e.g. a loss cause), one
//! bar per series in each group (e.g. "packet" and "circuit"), values written
//! on the bars.

use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{
    FrameSpec, LegendEntry, Swatch, XAxis, YAxis, draw_frame, provisional_plot_width,
};
use super::geom::{Span, usable, value_label};
use super::paint::{DrawResult, Font, Root, fill_rect, fit_text, polyline, text, text_size};
use super::render::Draw;
use super::style::{CHART_SIZE, INK, NOTE_SIZE, TICK_SIZE, series_color};

/// Most lines a category name is wrapped into.
const MAX_NAME_LINES: usize = 3;

/// Bars grouped by category.
///
/// `series[i].1[g]` is series `i`'s value in group `groups[g]`. Values past
/// the number of groups are ignored; NaN and infinite values draw no bar.
/// Bars start at zero, so negative values hang below it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarChart {
    pub title: String,
    /// Describes the categories (may be empty).
    pub x_label: String,
    pub y_label: String,
    pub groups: Vec<String>,
    pub series: Vec<(String, Vec<f64>)>,
}

fn name_font() -> Font {
    Font::new(TICK_SIZE, INK).anchor(HPos::Center, VPos::Top)
}

fn value_font() -> Font {
    Font::new(NOTE_SIZE, INK)
}

/// Splits `s` into lines at most `max_w` pixels wide, breaking at spaces;
/// at most `max_lines` lines, the last one shortened with an ellipsis if text
/// is left over.
fn wrap<DB: DrawingBackend>(
    root: &Root<DB>,
    s: &str,
    font: Font,
    max_w: i32,
    max_lines: usize,
) -> DrawResult<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut words = s.split_whitespace().peekable();
    while let Some(word) = words.next() {
        if lines.len() == max_lines {
            break;
        }
        let mut line = word.to_string();
        while let Some(next) = words.peek() {
            let candidate = format!("{line} {next}");
            if text_size(root, &candidate, font)?.0 > max_w {
                break;
            }
            line = candidate;
            words.next();
        }
        if lines.len() + 1 == max_lines && words.peek().is_some() {
            let rest: Vec<&str> = words.by_ref().collect();
            line = format!("{line} {}", rest.join(" "));
        }
        lines.push(fit_text(root, &line, font, max_w)?);
    }
    Ok(lines)
}

impl BarChart {
    /// The usable values: (series, group, value).
    fn bars(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        self.series
            .iter()
            .enumerate()
            .flat_map(move |(i, (_, values))| {
                values
                    .iter()
                    .take(self.groups.len())
                    .enumerate()
                    .filter(|(_, v)| usable(**v))
                    .map(move |(g, v)| (i, g, *v))
            })
    }
}

impl Draw for BarChart {
    fn size(&self) -> (u32, u32) {
        CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult {
        let groups = self.groups.len();
        let x = if groups == 0 {
            Span::UNIT
        } else {
            Span {
                lo: -0.5,
                hi: groups as f64 - 0.5,
            }
        };
        let y = Span::of(self.bars().map(|b| b.2).chain([0.0]))
            .map_or(Span::UNIT, |s| s.value_axis(0.06));
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| LegendEntry {
                name: name.clone(),
                color: series_color(i),
                swatch: Swatch::Area,
            })
            .collect();

        // Room for the category names, wrapped to a provisional slot width.
        let line_h = text_size(root, "Ag", name_font())?.1 + 3;
        let provisional_slot = provisional_plot_width(root, &legend)? / groups.max(1) as i32;
        let mut lines = 1;
        for name in &self.groups {
            lines = lines.max(
                wrap(
                    root,
                    name,
                    name_font(),
                    provisional_slot - 8,
                    MAX_NAME_LINES,
                )?
                .len(),
            );
        }
        let frame = draw_frame(
            root,
            &FrameSpec {
                title: &self.title,
                x_label: &self.x_label,
                y_label: &self.y_label,
                x,
                y,
                x_axis: XAxis::Categories {
                    room: lines as i32 * line_h,
                },
                y_axis: YAxis::Numeric,
                top_room: 0,
                legend,
            },
        )?;

        if y.lo < 0.0 {
            let zero = frame.px_y(0.0);
            polyline(root, vec![(frame.left, zero), (frame.right, zero)], INK, 1)?;
        }
        let slot = (frame.right - frame.left) / groups.max(1) as i32;
        for (g, name) in self.groups.iter().enumerate() {
            let cx = frame.px_x(g as f64);
            for (k, line) in wrap(root, name, name_font(), slot - 8, lines)?
                .iter()
                .enumerate()
            {
                text(
                    root,
                    line,
                    (cx, frame.bottom + 8 + k as i32 * line_h),
                    name_font(),
                )?;
            }
        }

        let width = 0.8 / self.series.len().max(1) as f64;
        let value_h = text_size(root, "0", value_font())?.1;
        let mut any = false;
        for (i, g, v) in self.bars() {
            any = true;
            let x0 = g as f64 - 0.4 + i as f64 * width;
            let (mut a, mut b) = (frame.px_x(x0), frame.px_x(x0 + width));
            if b - a > 6 {
                // A small gap between neighbouring bars.
                a += 1;
                b -= 1;
            }
            let (zero, top) = (frame.px_y(0.0), frame.px_y(v));
            if zero != top {
                fill_rect(
                    root,
                    (a, top.min(zero)),
                    (b, top.max(zero)),
                    series_color(i),
                )?;
            }
            let label = value_label(v);
            if text_size(root, &label, value_font())?.0 <= b - a + 12 {
                let (y, v_pos) = if v >= 0.0 {
                    ((top - 4).max(frame.top + value_h), VPos::Bottom)
                } else {
                    ((top + 4).min(frame.bottom - value_h), VPos::Top)
                };
                text(
                    root,
                    &label,
                    ((a + b) / 2, y),
                    value_font().anchor(HPos::Center, v_pos),
                )?;
            }
        }
        if !any {
            frame.no_data(root)?;
        }
        Ok(())
    }
}
