//! The look shared by every chart: the fixed palette, font family and sizes,
//! neutral colours, and image sizes.

use plotters::style::{RGBAColor, RGBColor};

/// The series colours, in the order series are coloured: the Okabe–Ito
/// colour-blind-friendly palette, with yellow (hard to see on white) last.
/// Series `i` gets `PALETTE[i % 8]`, in every chart kind.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x00, 0x72, 0xB2), // blue
    (0xE6, 0x9F, 0x00), // orange
    (0x00, 0x9E, 0x73), // bluish green
    (0xD5, 0x5E, 0x00), // vermillion
    (0xCC, 0x79, 0xA7), // reddish purple
    (0x56, 0xB4, 0xE9), // sky blue
    (0x00, 0x00, 0x00), // black
    (0xF0, 0xE4, 0x42), // yellow
];

/// Colour of series number `i`.
pub(crate) fn series_color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// Vermillion: lost segments in the ladder.
pub(crate) const LOST: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Body text.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (band labels, "no data").
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Frames of boxes (legend).
pub(crate) const RULE: RGBColor = RGBColor(0xBB, 0xBB, 0xBB);
/// Shading of bands.
pub(crate) const BAND_FILL: RGBAColor = RGBAColor(0x70, 0x70, 0x70, 0.16);
/// Fine grid lines.
pub(crate) const GRID_LIGHT: RGBAColor = RGBAColor(0, 0, 0, 0.04);
/// Major grid lines.
pub(crate) const GRID_BOLD: RGBAColor = RGBAColor(0, 0, 0, 0.12);

/// The registered font family (DejaVu Sans, embedded).
pub(crate) const FONT_FAMILY: &str = "sans-serif";
/// Font sizes, in plotters units (about 1.24 x the glyph height in pixels).
pub(crate) const TITLE_SIZE: f64 = 28.0;
pub(crate) const AXIS_DESC_SIZE: f64 = 19.0;
pub(crate) const TICK_SIZE: f64 = 16.0;
pub(crate) const LEGEND_SIZE: f64 = 16.0;
pub(crate) const NOTE_SIZE: f64 = 15.0;
pub(crate) const NO_DATA_SIZE: f64 = 26.0;

/// Size of line, area and bar charts.
pub(crate) const CHART_SIZE: (u32, u32) = (1200, 700);
/// Stroke width of data lines.
pub(crate) const LINE_WIDTH: u32 = 2;
