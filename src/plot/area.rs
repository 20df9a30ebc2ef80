//! Stacked area charts: layers (e.g. losses by cause) stacked on a shared x
//! axis, first layer at the bottom, over shaded bands.

use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::frame::{FrameSpec, LegendEntry, Swatch, XAxis, YAxis, band_headroom, draw_frame};
use super::geom::{Span, usable};
use super::paint::{DrawResult, Root, fill_polygon, polyline};
use super::render::Draw;
use super::series::{Band, bands_extent};
use super::style::{CHART_SIZE, series_color};

/// Layers stacked on top of each other over the columns `x`.
///
/// `layers[i].1[j]` is layer `i`'s value at `x[j]`. Missing, negative, NaN and
/// infinite values count as zero; columns whose x is not finite are dropped;
/// columns are drawn in x order. The legend lists the layers top to bottom,
/// as they are stacked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackedAreaChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x: Vec<f64>,
    pub layers: Vec<(String, Vec<f64>)>,
    pub bands: Vec<Band>,
}

impl StackedAreaChart {
    /// The usable columns in x order: (x, running totals, bottom layer first).
    fn stacked_columns(&self) -> Vec<(f64, Vec<f64>)> {
        let mut columns: Vec<(f64, Vec<f64>)> = self
            .x
            .iter()
            .enumerate()
            .filter(|(_, x)| usable(**x))
            .map(|(j, &x)| {
                let mut total = 0.0;
                let tops = self
                    .layers
                    .iter()
                    .map(|(_, values)| {
                        let v = values.get(j).copied().unwrap_or(0.0);
                        if usable(v) && v > 0.0 && usable(total + v) {
                            total += v;
                        }
                        total
                    })
                    .collect();
                (x, tops)
            })
            .collect();
        columns.sort_by(|a, b| a.0.total_cmp(&b.0));
        columns
    }
}

impl Draw for StackedAreaChart {
    fn size(&self) -> (u32, u32) {
        CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult {
        let mut columns = self.stacked_columns();
        let has_data = !columns.is_empty() && !self.layers.is_empty();
        let x = Span::union(
            Span::of(columns.iter().map(|c| c.0)),
            bands_extent(&self.bands),
        )
        .map_or(Span::UNIT, Span::drawable);
        if columns.len() == 1 {
            // One column has no width: draw it as a narrow bar.
            let (x0, tops) = columns[0].clone();
            let half = x.width() / 100.0;
            columns = vec![(x0 - half, tops.clone()), (x0 + half, tops)];
        }
        let legend: Vec<LegendEntry> = self
            .layers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (name, _))| LegendEntry {
                name: name.clone(),
                color: series_color(i),
                swatch: Swatch::Area,
            })
            .collect();
        let totals = columns.iter().filter_map(|c| c.1.last().copied());
        let headroom = band_headroom(root, &self.bands, x, &legend)?;
        let y = Span::of(totals.chain([0.0])).map_or(Span::UNIT, |s| s.value_axis(headroom));
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
        for layer in 0..self.layers.len() {
            let color = series_color(layer);
            let top: Vec<_> = columns
                .iter()
                .map(|(x, tops)| frame.px((*x, tops[layer])))
                .collect();
            let bottom = columns.iter().rev().map(|(x, tops)| {
                let below = if layer == 0 { 0.0 } else { tops[layer - 1] };
                frame.px((*x, below))
            });
            let outline: Vec<_> = top.iter().copied().chain(bottom).collect();
            fill_polygon(root, outline, color.mix(0.85))?;
            polyline(root, top, color, 1)?;
        }
        frame.band_labels(root, &self.bands)?;
        if !has_data {
            frame.no_data(root)?;
        }
        Ok(())
    }
}
