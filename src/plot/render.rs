//! Turning a chart into files: the embedded fonts registered once, the same
//! drawing run against the SVG and the PNG backend, and every failure mapped to
//! a [`PlotError`] that names the file.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::{BitMapBackend, DrawingBackend, IntoDrawingArea, SVGBackend};
use plotters::style::{FontStyle, register_font};

use super::PlotError;
use super::paint::{DrawResult, Root, fail};
use super::style::FONT_FAMILY;

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Draw {
    /// Image size in pixels (width, height).
    fn size(&self) -> (u32, u32);
    /// Draws the whole image, background included.
    fn draw<DB: DrawingBackend>(&self, root: &Root<DB>) -> DrawResult;
}

/// Registers DejaVu Sans (regular and bold) under the family the charts use.
/// Runs once per process; later calls return the first outcome.
fn fonts_ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT_FAMILY, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    })
}

/// Writes `<dir>/<stem>.svg` and `<dir>/<stem>.png`.
pub(crate) fn write_files<C: Draw>(chart: &C, dir: &Path, stem: &str) -> Result<(), PlotError> {
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));
    if !fonts_ready() {
        return Err(PlotError::Font { path: png_path });
    }
    fs::create_dir_all(dir).map_err(|source| PlotError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let size = chart.size();

    // SVG: drawn into memory, written by us, so a write error names the file.
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|()| root.present().map_err(fail))
            .map_err(|message| PlotError::Draw {
                path: svg_path.clone(),
                message,
            })?;
    }
    fs::write(&svg_path, svg).map_err(|source| PlotError::Io {
        path: svg_path.clone(),
        source,
    })?;

    // PNG: the bitmap backend encodes and writes the file on `present`.
    let root = BitMapBackend::new(&png_path, size).into_drawing_area();
    chart
        .draw(&root)
        .and_then(|()| root.present().map_err(fail))
        .map_err(|message| PlotError::Draw {
            path: png_path.clone(),
            message,
        })
}
