//! `index.html`: one self-contained page per result — the summary, every chart
//! (PNG embedded as data URIs, so the page needs no other file), and links to
//! the statistics, trace and captures beside it.

use crate::error::{Error, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Standard base64 (RFC 4648 §4), for embedding images.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `dir/index.html` from the files already in `dir`: `summary` is shown
/// first, then every PNG (in name order), then links to every other file.
pub fn write_index(dir: &Path, title: &str, summary: &str) -> Result<()> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "index.html")
        .collect();
    files.sort();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{t}</title>\n<style>\n\
         body {{ font-family: sans-serif; margin: 2em auto; max-width: 1250px; color: #222; }}\n\
         pre {{ background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }}\n\
         figure {{ margin: 2em 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }}\n\
         figcaption {{ color: #555; font-size: 14px; }}\n</style>\n</head>\n<body>\n<h1>{t}</h1>\n\
         <h2>Summary</h2>\n<pre>{s}</pre>\n",
        t = escape(title),
        s = escape(summary)
    );
    if files.iter().any(|f| f == "view.html") {
        h.push_str("<p><a href=\"view.html\">view.html</a>: the run animated (packets, queues, failures, hosts' TCP state).</p>\n");
    }
    // The overview first, the details (one connection's segments) last.
    const ORDER: [&str; 11] = [
        "throughput",
        "compare-delivered",
        "losses",
        "compare-losses",
        "loss-by-cause",
        "queues",
        "compare-calls",
        "tcp-sequence",
        "tcp-window",
        "tcp-rto",
        "ladder",
    ];
    let mut pngs: Vec<&String> = files.iter().filter(|f| f.ends_with(".png")).collect();
    pngs.sort_by_key(|f| {
        (
            ORDER
                .iter()
                .position(|p| f.starts_with(p))
                .unwrap_or(ORDER.len()),
            f.to_string(),
        )
    });
    if !pngs.is_empty() {
        h.push_str("<h2>Charts</h2>\n");
    }
    for png in &pngs {
        let path = dir.join(png);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let stem = png.trim_end_matches(".png");
        let _ = writeln!(
            h,
            "<figure id=\"{id}\"><img alt=\"{id}\" src=\"data:image/png;base64,{data}\">\
             <figcaption>{id} (<a href=\"{id}.svg\">SVG</a>)</figcaption></figure>",
            id = escape(stem),
            data = base64(&bytes)
        );
    }
    h.push_str("<h2>Files</h2>\n<ul>\n");
    for f in files
        .iter()
        .filter(|f| !f.ends_with(".png") && !f.ends_with(".svg"))
    {
        let _ = writeln!(h, "<li><a href=\"{0}\">{0}</a></li>", escape(f));
    }
    let pcap_dir = dir.join("pcap");
    if pcap_dir.is_dir() {
        let mut caps: Vec<String> = std::fs::read_dir(&pcap_dir)
            .map_err(|e| Error::io(&pcap_dir, e))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        caps.sort();
        for c in caps {
            let _ = writeln!(h, "<li><a href=\"pcap/{0}\">pcap/{0}</a></li>", escape(&c));
        }
    }
    h.push_str("</ul>\n</body>\n</html>\n");
    let out = dir.join("index.html");
    std::fs::write(&out, h).map_err(|e| Error::io(&out, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
