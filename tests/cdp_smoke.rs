//! The CDP test client drives a real page: evaluate, click, screenshot.

mod common;

use common::cdp::{Browser, base64_decode, find_chromium};
use std::time::{Duration, Instant};

const PAGE: &str = r#"<!doctype html>
<html><body style="margin:0">
<button id="inc" style="position:absolute;left:40px;top:30px;width:120px;height:40px"
  onclick="count++; document.getElementById('n').textContent = count">+1</button>
<span id="n">0</span>
<canvas id="c" width="200" height="100" style="position:absolute;left:40px;top:100px"></canvas>
<script>
  var count = 0;
  const g = document.getElementById('c').getContext('2d');
  g.fillStyle = 'red';
  g.fillRect(0, 0, 200, 100);
</script>
</body></html>"#;

#[test]
fn base64_decodes_padded_and_unpadded_text() {
    assert_eq!(base64_decode("").unwrap(), b"");
    assert_eq!(base64_decode("TQ==").unwrap(), b"M");
    assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
    assert_eq!(base64_decode("TWFu").unwrap(), b"Man");
    assert_eq!(base64_decode("/+8A").unwrap(), [0xff, 0xef, 0x00]);
    assert!(base64_decode("TW*u").is_err());
}

#[test]
fn browser_evaluates_clicks_and_screenshots_a_page() {
    if find_chromium().is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("chromium not installed: skipping the CDP smoke test; CI installs it");
        return;
    }
    let start = Instant::now();
    let dir = common::temp_dir("cdp-smoke");
    let page = dir.join("page.html");
    std::fs::write(&page, PAGE).unwrap();
    let url = format!("file://{}", std::fs::canonicalize(&page).unwrap().display());
    let shot = dir.join("shot.png");
    {
        let mut b = Browser::launch(&url, 400, 300, &dir.join("profile")).unwrap();
        assert_eq!(b.eval("1+2").unwrap(), 3);
        assert_eq!(b.eval("count").unwrap(), 0);
        let err = b.eval("nosuchname").unwrap_err();
        assert!(err.contains("ReferenceError"), "{err}");

        b.click_selector("#inc").unwrap();
        let n = b.wait_until("count", Duration::from_secs(5)).unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            b.eval("document.getElementById('n').textContent").unwrap(),
            "1"
        );

        b.screenshot(&shot).unwrap();
    } // Dropping the browser closes Chromium.
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let dim = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((dim(16), dim(20)), (400, 300), "the viewport's size");
    assert!(png.len() > 500, "{} bytes", png.len());
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("CDP smoke test took {:?}", start.elapsed());
}
