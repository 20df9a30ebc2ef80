//! Charts as files: plain data in, a PNG and an SVG of the same chart out.
//!
//! This layer knows nothing about the simulator. Callers build one of the chart
//! structs from numbers and strings (units go into the axis labels, e.g.
//! `"time (s)"`) and call the matching `write_*` function, which writes
//! `<dir>/<stem>.png` and `<dir>/<stem>.svg`.
//!
//! - [`LineChart`]: time series (lines, steps or markers), with shaded [`Band`]s
//! - [`StackedAreaChart`]: layers stacked on a shared x axis (losses by cause)
//! - [`BarChart`]: grouped bars (one group per category, one bar per series)
//! - [`Ladder`]: the textbook sequence diagram of segments between two endpoints
//!
//! Every chart has a title, labelled axes, a legend outside the plot whenever
//! more than one series is drawn, and the same fixed colour-blind-friendly
//! palette (Okabe–Ito) in the same order. Output is deterministic: the same
//! input gives byte-identical files. Bad values (NaN, infinities, empty data,
//! zero-width ranges) give a readable chart, never a panic; failures come back
//! as a [`PlotError`] naming the file.
//!
//! ```no_run
//! use netsim::plot::{Band, LineChart, Series, write_line_chart};
//! let chart = LineChart {
//!     title: "Throughput".into(),
//!     x_label: "time (s)".into(),
//!     y_label: "throughput (Mbit/s)".into(),
//!     series: vec![Series::line("flow 1", vec![(0.0, 1.0), (1.0, 2.5)])],
//!     bands: vec![Band::new(0.4, 0.6, "R1-R2 down")],
//!     ..Default::default()
//! };
//! write_line_chart(&chart, "out".as_ref(), "throughput").unwrap();
//! ```

mod area;
mod bar;
mod frame;
mod geom;
mod ladder;
mod line;
mod paint;
mod render;
mod series;
mod style;

use std::path::{Path, PathBuf};

pub use area::StackedAreaChart;
pub use bar::BarChart;
pub use ladder::{Ladder, LadderArrow};
pub use line::LineChart;
pub use series::{Band, Marker, Series, SeriesStyle, top_n};
pub use style::PALETTE;

/// Why a chart could not be written. Every variant names the file (or folder)
/// concerned.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The embedded DejaVu fonts could not be registered with the renderer.
    #[error("{}: cannot load the embedded DejaVu fonts", .path.display())]
    Font { path: PathBuf },
    /// Creating the output folder or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The renderer reported an error while drawing or encoding.
    #[error("{}: cannot draw the chart: {message}", .path.display())]
    Draw { path: PathBuf, message: String },
}

impl PlotError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &Path {
        match self {
            PlotError::Font { path }
            | PlotError::Io { path, .. }
            | PlotError::Draw { path, .. } => path,
        }
    }
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg` (creating `dir` if needed).
pub fn write_line_chart(chart: &LineChart, dir: &Path, stem: &str) -> Result<(), PlotError> {
    render::write_files(chart, dir, stem)
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg` (creating `dir` if needed).
pub fn write_stacked_area(
    chart: &StackedAreaChart,
    dir: &Path,
    stem: &str,
) -> Result<(), PlotError> {
    render::write_files(chart, dir, stem)
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg` (creating `dir` if needed).
pub fn write_bar_chart(chart: &BarChart, dir: &Path, stem: &str) -> Result<(), PlotError> {
    render::write_files(chart, dir, stem)
}

/// Writes `<dir>/<stem>.png` and `<dir>/<stem>.svg` (creating `dir` if needed).
pub fn write_ladder(ladder: &Ladder, dir: &Path, stem: &str) -> Result<(), PlotError> {
    render::write_files(ladder, dir, stem)
}
