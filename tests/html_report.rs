//! The HTML report: one self-contained page that renders in a headless browser.

mod common;

use std::path::Path;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

#[test]
fn report_is_self_contained_and_renders_in_headless_chromium() {
    let out = common::temp_dir("html");
    let r = common::run_file(Path::new("scenarios/quickstart.toml"), &out, false, None);
    let html = std::fs::read_to_string(r.folder.join("index.html")).unwrap();
    let pngs = std::fs::read_dir(&r.folder)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".png")
        })
        .count();
    assert!(pngs >= 5, "{pngs} charts");
    assert_eq!(
        html.matches("<img ").count(),
        pngs,
        "every chart is on the page"
    );
    assert_eq!(
        html.matches("src=\"data:image/png;base64,").count(),
        pngs,
        "images are embedded"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );
    assert!(html.contains("download") && html.contains("<a href=\"stats.json\">"));

    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("chromium not installed: skipping the rendering check; CI installs it");
        return;
    };
    let shot = out.join("shot.png");
    let profile = out.join("profile");
    let status = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "file://{}",
            std::fs::canonicalize(r.folder.join("index.html"))
                .unwrap()
                .display()
        ))
        .output()
        .expect("run chromium");
    assert!(
        status.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    if let Ok(dir) = std::env::var("NETSIM_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, Path::new(&dir).join("report.png")).unwrap();
    }
    std::fs::remove_dir_all(&out).unwrap();
}
