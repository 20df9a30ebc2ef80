//! Pixel-space drawing primitives shared by all charts: measured and anchored
//! text, polylines, dashed lines, markers and filled shapes. Coordinates are
//! absolute image pixels on the root drawing area.

use std::error::Error;

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::{Circle, PathElement, Polygon, Rectangle, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBAColor, ShapeStyle, TextStyle};

use super::series::Marker;
use super::style::FONT_FAMILY;

/// The whole image, in pixels.
pub(crate) type Root<DB> = DrawingArea<DB, Shift>;
/// Drawing errors are reduced to their message; the caller adds the path.
pub(crate) type DrawResult<T = ()> = Result<T, String>;

/// Turns a plotters drawing error into its message.
pub(crate) fn fail<E: Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> String {
    e.to_string()
}

/// A pixel point.
pub(crate) type Px = (i32, i32);

/// How text is set: size, weight, colour and which point of its box sits at
/// the given position.
#[derive(Clone, Copy)]
pub(crate) struct Font {
    pub size: f64,
    pub bold: bool,
    pub color: RGBAColor,
    pub h: HPos,
    pub v: VPos,
}

impl Font {
    pub fn new(size: f64, color: impl Into<RGBAColor>) -> Font {
        Font {
            size,
            bold: false,
            color: color.into(),
            h: HPos::Left,
            v: VPos::Top,
        }
    }
    pub fn bold(self) -> Font {
        Font { bold: true, ..self }
    }
    pub fn anchor(self, h: HPos, v: VPos) -> Font {
        Font { h, v, ..self }
    }
    pub fn with_color(self, color: impl Into<RGBAColor>) -> Font {
        Font {
            color: color.into(),
            ..self
        }
    }
    pub fn style(&self) -> TextStyle<'static> {
        let weight = if self.bold {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        FontDesc::new(FontFamily::Name(FONT_FAMILY), self.size, weight)
            .color(&self.color)
            .pos(Pos::new(self.h, self.v))
    }
}

/// Width and height of `s` set in `font`, in pixels.
pub(crate) fn text_size<DB: DrawingBackend>(
    root: &Root<DB>,
    s: &str,
    font: Font,
) -> DrawResult<(i32, i32)> {
    let (w, h) = root.estimate_text_size(s, &font.style()).map_err(fail)?;
    Ok((w.min(i32::MAX as u32) as i32, h.min(i32::MAX as u32) as i32))
}

/// `s`, shortened with an ellipsis if needed so that it is at most `max_w` pixels wide.
pub(crate) fn fit_text<DB: DrawingBackend>(
    root: &Root<DB>,
    s: &str,
    font: Font,
    max_w: i32,
) -> DrawResult<String> {
    if text_size(root, s, font)?.0 <= max_w {
        return Ok(s.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    // Binary search on the number of characters kept.
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if text_size(root, &candidate, font)?.0 <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(chars[..lo].iter().chain(['…'].iter()).collect())
}

/// Draws `s` with its anchor point at `at`. Empty text draws nothing.
pub(crate) fn text<DB: DrawingBackend>(root: &Root<DB>, s: &str, at: Px, font: Font) -> DrawResult {
    if s.is_empty() {
        return Ok(());
    }
    root.draw(&Text::new(s.to_string(), at, font.style()))
        .map_err(fail)
}

/// A polyline of the given width. Fewer than two points draw nothing.
pub(crate) fn polyline<DB: DrawingBackend>(
    root: &Root<DB>,
    points: Vec<Px>,
    color: impl Into<RGBAColor>,
    width: u32,
) -> DrawResult {
    if points.len() < 2 {
        return Ok(());
    }
    let style = ShapeStyle {
        color: color.into(),
        filled: false,
        stroke_width: width,
    };
    root.draw(&PathElement::new(points, style)).map_err(fail)
}

/// A dashed straight line from `a` to `b`.
pub(crate) fn dashed<DB: DrawingBackend>(
    root: &Root<DB>,
    a: Px,
    b: Px,
    color: impl Into<RGBAColor>,
    width: u32,
) -> DrawResult {
    const DASH: f64 = 9.0;
    const GAP: f64 = 6.0;
    let color = color.into();
    let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
    let len = dx.hypot(dy);
    if len < 1.0 {
        return Ok(());
    }
    let at = |d: f64| {
        let t = (d / len).min(1.0);
        (
            (f64::from(a.0) + t * dx).round() as i32,
            (f64::from(a.1) + t * dy).round() as i32,
        )
    };
    let mut d = 0.0;
    while d < len {
        polyline(root, vec![at(d), at(d + DASH)], color, width)?;
        d += DASH + GAP;
    }
    Ok(())
}

/// A filled rectangle between two corners.
pub(crate) fn fill_rect<DB: DrawingBackend>(
    root: &Root<DB>,
    a: Px,
    b: Px,
    color: impl Into<RGBAColor>,
) -> DrawResult {
    root.draw(&Rectangle::new([a, b], color.into().filled()))
        .map_err(fail)
}

/// A rectangle outline between two corners.
pub(crate) fn stroke_rect<DB: DrawingBackend>(
    root: &Root<DB>,
    a: Px,
    b: Px,
    color: impl Into<RGBAColor>,
) -> DrawResult {
    root.draw(&Rectangle::new([a, b], color.into().stroke_width(1)))
        .map_err(fail)
}

/// A filled polygon. Fewer than three points draw nothing.
pub(crate) fn fill_polygon<DB: DrawingBackend>(
    root: &Root<DB>,
    points: Vec<Px>,
    color: impl Into<RGBAColor>,
) -> DrawResult {
    if points.len() < 3 {
        return Ok(());
    }
    root.draw(&Polygon::new(points, color.into().filled()))
        .map_err(fail)
}

/// Marker radius in pixels.
pub(crate) const MARKER_R: i32 = 4;

/// A data marker centred on `at`.
pub(crate) fn marker<DB: DrawingBackend>(
    root: &Root<DB>,
    at: Px,
    kind: Marker,
    color: impl Into<RGBAColor>,
) -> DrawResult {
    let color = color.into();
    let (x, y) = at;
    let r = MARKER_R;
    match kind {
        Marker::Circle => root.draw(&Circle::new(at, r, color.filled())).map_err(fail),
        Marker::Square => fill_rect(root, (x - r, y - r), (x + r, y + r), color),
        Marker::Triangle => fill_polygon(
            root,
            vec![(x, y - r - 1), (x + r + 1, y + r), (x - r - 1, y + r)],
            color,
        ),
        Marker::Cross => {
            polyline(root, vec![(x - r, y - r), (x + r, y + r)], color, 2)?;
            polyline(root, vec![(x - r, y + r), (x + r, y - r)], color, 2)
        }
    }
}
