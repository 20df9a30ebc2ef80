//! A minimal Chrome DevTools Protocol client for tests that drive a page in
//! headless Chromium: load a file:// page, evaluate JavaScript, click,
//! take screenshots.
//!
//! It talks over `--remote-debugging-pipe` (no ports, so parallel tests
//! cannot collide): Chromium reads commands on fd 3 and writes replies and
//! events on fd 4, each a JSON text ended by a NUL byte.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long one command may take before we give up on it.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The first Chromium-like browser on the PATH that runs.
pub fn find_chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// A headless Chromium with one page attached through a flat CDP session.
pub struct Browser {
    child: Child,
    pipe: ChildStdin,
    rx: Receiver<Value>,
    next_id: u64,
    session: String,
    /// Events received while waiting for replies, for `wait_event`.
    events: Vec<Value>,
}

impl Browser {
    /// Starts Chromium with a `width`×`height` window and its profile in
    /// `profile`, opens `url` in a page and waits for its load event.
    pub fn launch(url: &str, width: u32, height: u32, profile: &Path) -> Result<Browser, String> {
        let exe = find_chromium().ok_or("no chromium on the PATH")?;
        std::fs::create_dir_all(profile).map_err(|e| format!("{}: {e}", profile.display()))?;
        let log_path = profile.join("chromium.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        // The shell moves our pipes onto fds 3 and 4, where Chromium expects
        // them, so no unsafe pre-exec code is needed.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>/dev/null"#)
            .arg(exe)
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
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--window-size={width},{height}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {exe}: {e}"))?;
        let pipe = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        // The reader ends when Chromium closes its end; dropping `tx` then
        // tells `call` that the browser is gone.
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            while out.read_until(0, &mut buf).is_ok_and(|n| n > 0) {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        let mut b = Browser {
            child,
            pipe,
            rx,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        b.open(url, width, height)
            .map_err(|e| format!("{e} (chromium log: {})", log_path.display()))?;
        Ok(b)
    }

    fn open(&mut self, url: &str, width: u32, height: u32) -> Result<(), String> {
        let t = self.send(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target = t["targetId"].as_str().ok_or("no targetId")?.to_string();
        let s = self.send(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )?;
        self.session = s["sessionId"].as_str().ok_or("no sessionId")?.to_string();
        // --window-size sets the outer window, which in Chromium 156's
        // headless mode keeps ~87 px of emulated browser frame and is at
        // least 500 px wide: pin the page's viewport to the size asked.
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        self.call("Page.enable", json!({}))?;
        self.call("Runtime.enable", json!({}))?;
        // Forget about:blank's own load event, if it came late.
        self.events.clear();
        let nav = self.call("Page.navigate", json!({"url": url}))?;
        if let Some(err) = nav["errorText"].as_str() {
            return Err(format!("cannot load {url}: {err}"));
        }
        self.wait_event("Page.loadEventFired", CALL_TIMEOUT)?;
        Ok(())
    }

    /// Writes one command, to the browser or to a session; returns its id.
    fn write(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<u64, String> {
        self.next_id += 1;
        let mut msg = json!({"id": self.next_id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.pipe
            .write_all(&bytes)
            .and_then(|()| self.pipe.flush())
            .map_err(|e| format!("{method}: cannot write to chromium: {e}"))?;
        Ok(self.next_id)
    }

    /// Sends one command and waits for its reply, keeping the events that
    /// arrive meanwhile.
    fn send(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.write(session, method, params)?;
        let deadline = Instant::now() + CALL_TIMEOUT;
        loop {
            let v = self.recv(deadline).map_err(|e| format!("{method}: {e}"))?;
            if v["id"].as_u64() == Some(id) {
                if let Some(err) = v.get("error") {
                    return Err(format!("{method}: {err}"));
                }
                return Ok(v["result"].clone());
            }
            // Replies to calls that timed out earlier are dropped.
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    fn recv(&mut self, deadline: Instant) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.rx.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout => "timed out".to_string(),
            RecvTimeoutError::Disconnected => "chromium closed the pipe".to_string(),
        })
    }

    /// Sends a command to the page's session and returns its result.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let s = self.session.clone();
        self.send(Some(&s), method, params)
    }

    /// Waits for an event named `method` (one that already came counts)
    /// and returns it whole, removing it from the kept events.
    pub fn wait_event(&mut self, method: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return Ok(self.events.remove(i));
        }
        loop {
            let v = self.recv(deadline).map_err(|e| format!("{method}: {e}"))?;
            if v["method"] == method {
                return Ok(v);
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    /// Evaluates `expr` in the page, awaiting it if it is a promise; returns
    /// its value as JSON (`null` for undefined), or the exception's text.
    pub fn eval(&mut self, expr: &str) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(ex) = r.get("exceptionDetails") {
            // Errors carry a description; thrown primitives only a value.
            let e = &ex["exception"];
            let text = match (e["description"].as_str(), e.get("value")) {
                (Some(d), _) => d.to_string(),
                (None, Some(v)) => format!("Uncaught {v}"),
                _ => ex["text"].to_string(),
            };
            let short: String = expr.chars().take(60).collect();
            return Err(format!("{short}: {text}"));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Polls `expr` until it is truthy and returns its value.
    pub fn wait_until(&mut self, expr: &str, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.eval(expr)?;
            let truthy = match &v {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(format!("timed out waiting for {expr}: last {v}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A left click at (`x`, `y`) in CSS pixels of the viewport.
    pub fn click(&mut self, x: f64, y: f64) -> Result<(), String> {
        // The move first, so hover styles and mouseenter run as for a user.
        self.call(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        )?;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// Clicks the centre of the first element matching `css`, scrolled
    /// into view.
    pub fn click_selector(&mut self, css: &str) -> Result<(), String> {
        let sel = serde_json::to_string(css).unwrap();
        let c = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel});
                if (!e) throw new Error('no element matches ' + {sel});
                e.scrollIntoView({{block: 'center', inline: 'center'}});
                const r = e.getBoundingClientRect();
                return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ))?;
        let (x, y) = (c[0].as_f64(), c[1].as_f64());
        self.click(x.ok_or("bad x")?, y.ok_or("bad y")?)
    }

    /// Saves a PNG screenshot of the viewport.
    pub fn screenshot(&mut self, path: &Path) -> Result<(), String> {
        self.capture(path, json!({"format": "png"}))
    }

    /// Saves a PNG screenshot of the whole page, below the fold too.
    pub fn screenshot_page(&mut self, path: &Path) -> Result<(), String> {
        self.capture(
            path,
            json!({"format": "png", "captureBeyondViewport": true}),
        )
    }

    fn capture(&mut self, path: &Path, params: Value) -> Result<(), String> {
        let r = self.call("Page.captureScreenshot", params)?;
        let png = base64_decode(r["data"].as_str().ok_or("no screenshot data")?)?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    /// Closes Chromium politely, then by force, so no processes outlive
    /// the test.
    fn drop(&mut self) {
        let _ = self.write(None, "Browser.close", json!({}));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes standard base64 (CDP's encoding of binary data).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return Err(format!("bad base64 byte {c:#x}")),
        };
        acc = (acc << 6 | u32::from(v)) & 0xfff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}
