//! A small Chrome DevTools Protocol client over `--remote-debugging-pipe`: headless Chromium reads
//! NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4. Every wait has a
//! deadline, so a hung browser fails the test with a message; the browser is killed on drop.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Debian's chromium package; tests/run.sh installs it.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long one command or one awaited event may take.
const WAIT: Duration = Duration::from_secs(30);

/// A running headless Chromium and the pipe pair to it.
pub struct Browser {
    /// The browser process, killed on drop.
    child: Child,
    /// Commands to Chromium (its fd 3).
    commands: File,
    /// Parsed messages from Chromium (its fd 4), read by a thread.
    messages: Receiver<Result<Value, String>>,
    /// Events read while waiting for a reply, kept for `events`/`wait_event`.
    backlog: VecDeque<Value>,
    /// The id of the next command.
    next_id: u64,
    /// Chromium's profile folder, removed on drop.
    _profile: tempfile::TempDir,
}

/// A page (tab) attached with `flatten: true`: commands carry its `sessionId`.
pub struct Page {
    pub session: String,
    pub target: String,
}

/// Two pipes with close-on-exec ends: `(read, write)`.
fn pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

impl Browser {
    /// Starts Chromium; fails with a clear message when it is not installed.
    pub fn launch() -> Browser {
        assert!(
            Path::new(CHROMIUM).is_file(),
            "{CHROMIUM} is missing: install Debian's `chromium` package (tests/run.sh does: \
             apt-get install --no-install-recommends chromium)"
        );
        let profile = tempfile::tempdir().expect("tempdir for the Chromium profile");
        let (cmd_read, cmd_write) = pipe();
        let (msg_read, msg_write) = pipe();
        let mut command = Command::new(CHROMIUM);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec. The ends are
        // first moved above 10 so that placing one on 3 cannot overwrite the other; dup2 clears
        // close-on-exec on 3 and 4.
        unsafe {
            command.pre_exec(move || {
                let high_read = libc::fcntl(cmd_read, libc::F_DUPFD, 10);
                let high_write = libc::fcntl(msg_write, libc::F_DUPFD, 10);
                if high_read < 0
                    || high_write < 0
                    || libc::dup2(high_read, 3) < 0
                    || libc::dup2(high_write, 4) < 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                libc::close(high_read);
                libc::close(high_write);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMIUM}: {e}"));
        // SAFETY: the child holds its own copies; the parent's unused ends are closed once, here,
        // and the used ones are owned by the Files below.
        let (commands, replies) = unsafe {
            libc::close(cmd_read);
            libc::close(msg_write);
            (File::from_raw_fd(cmd_write), File::from_raw_fd(msg_read))
        };
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(replies);
            loop {
                let mut buf = Vec::new();
                match reader.read_until(0, &mut buf) {
                    Ok(0) => break,
                    Ok(_) => {
                        if buf.last() == Some(&0) {
                            buf.pop();
                        }
                        let parsed = serde_json::from_slice(&buf).map_err(|e| {
                            format!(
                                "not JSON from Chromium ({e}): {}",
                                String::from_utf8_lossy(&buf)
                            )
                        });
                        if tx.send(parsed).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(format!("reading from Chromium: {e}")));
                        break;
                    }
                }
            }
        });
        Browser {
            child,
            commands,
            messages,
            backlog: VecDeque::new(),
            next_id: 1,
            _profile: profile,
        }
    }

    /// The next message from Chromium before `deadline`.
    fn receive(&mut self, deadline: Instant, waiting_for: &str) -> Result<Value, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "Chromium did not answer within {}s while waiting for {waiting_for}",
                WAIT.as_secs()
            )),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.try_wait().ok().flatten();
                Err(format!(
                    "Chromium closed its pipe while waiting for {waiting_for} (exit: {status:?})"
                ))
            }
        }
    }

    /// Sends `method` (to the page's session when given) and returns its `result`.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).map_err(|e| e.to_string())?;
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .map_err(|e| format!("cannot send {method} to Chromium: {e}"))?;
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.receive(deadline, method)?;
            if m.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = m.get("error") {
                    return Err(format!("{method} failed: {error}"));
                }
                return Ok(m.get("result").cloned().unwrap_or(Value::Null));
            }
            if m.get("method").is_some() {
                self.backlog.push_back(m);
            }
        }
    }

    /// Waits for the event `method` of `session`; the events before it stay in the backlog.
    pub fn wait_event(&mut self, session: &str, method: &str) -> Result<Value, String> {
        let is_it = |m: &Value| {
            m["method"] == method && m.get("sessionId").and_then(Value::as_str) == Some(session)
        };
        if let Some(i) = self.backlog.iter().position(is_it) {
            return Ok(self.backlog.remove(i).unwrap_or(Value::Null));
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let m = self.receive(deadline, method)?;
            if is_it(&m) {
                return Ok(m);
            }
            if m.get("method").is_some() {
                self.backlog.push_back(m);
            }
        }
    }

    /// Takes every event of `session` received so far (after a round trip, so none is in flight).
    pub fn take_events(&mut self, session: &str) -> Result<Vec<Value>, String> {
        self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": "0"}),
        )?;
        let (mine, rest) = self
            .backlog
            .drain(..)
            .partition(|m| m.get("sessionId").and_then(Value::as_str) == Some(session));
        self.backlog = rest;
        Ok(mine.into())
    }

    /// A new tab with Runtime, Log and Page enabled, showing about:blank.
    pub fn new_page(&mut self) -> Result<Page, String> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target = target["targetId"]
            .as_str()
            .ok_or("Target.createTarget returned no targetId")?
            .to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("Target.attachToTarget returned no sessionId")?
            .to_string();
        for method in ["Runtime.enable", "Log.enable", "Page.enable"] {
            self.call(Some(&session), method, json!({}))?;
        }
        Ok(Page { session, target })
    }

    /// Navigates `page` to `url` and waits for its load event.
    pub fn navigate(&mut self, page: &Page, url: &str) -> Result<(), String> {
        let nav = self.call(Some(&page.session), "Page.navigate", json!({"url": url}))?;
        if let Some(error) = nav.get("errorText").and_then(Value::as_str) {
            return Err(format!("cannot open {url}: {error}"));
        }
        self.wait_event(&page.session, "Page.loadEventFired")
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(())
    }

    /// Evaluates `expression` in the page and returns its value (promises awaited).
    pub fn eval(&mut self, page: &Page, expression: &str) -> Result<Value, String> {
        let r = self.call(
            Some(&page.session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(details) = r.get("exceptionDetails") {
            return Err(format!("script threw: {details}"));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// A PNG of the whole page (the viewport stretched to the content, at most 16384 px tall).
    pub fn screenshot(&mut self, page: &Page) -> Result<Vec<u8>, String> {
        let metrics = self.call(Some(&page.session), "Page.getLayoutMetrics", json!({}))?;
        let size = &metrics["cssContentSize"];
        let width = size["width"]
            .as_f64()
            .unwrap_or(1280.0)
            .clamp(800.0, 4096.0);
        let height = size["height"]
            .as_f64()
            .unwrap_or(800.0)
            .clamp(600.0, 16384.0);
        self.call(
            Some(&page.session),
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width.ceil() as u64, "height": height.ceil() as u64,
                   "deviceScaleFactor": 1, "mobile": false}),
        )?;
        let shot = self.call(
            Some(&page.session),
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )?;
        let data = shot["data"]
            .as_str()
            .ok_or("Page.captureScreenshot returned no data")?;
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("screenshot is not base64: {e}"))
    }

    /// Closes the tab.
    pub fn close(&mut self, page: Page) -> Result<(), String> {
        self.call(None, "Target.closeTarget", json!({"targetId": page.target}))?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What an event says is wrong on the page, if anything: an uncaught exception, a console error or
/// warning, or a log entry of level error (a missing CSS or JS file shows up there).
pub fn problem(event: &Value) -> Option<String> {
    let p = &event["params"];
    match event["method"].as_str()? {
        "Runtime.exceptionThrown" => {
            let d = &p["exceptionDetails"];
            let text = d["exception"]["description"]
                .as_str()
                .or(d["text"].as_str())
                .unwrap_or("?");
            Some(format!(
                "uncaught exception at {}:{}: {text}",
                d["url"].as_str().unwrap_or("?"),
                d["lineNumber"]
            ))
        }
        "Runtime.consoleAPICalled" => {
            let kind = p["type"].as_str()?;
            if kind != "error" && kind != "warning" && kind != "assert" {
                return None;
            }
            let args: Vec<String> = p["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| {
                            v["value"]
                                .as_str()
                                .map(str::to_string)
                                .or_else(|| v["description"].as_str().map(str::to_string))
                                .unwrap_or_else(|| v["value"].to_string())
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(format!("console.{kind}: {}", args.join(" ")))
        }
        "Log.entryAdded" => {
            let e = &p["entry"];
            (e["level"] == "error").then(|| {
                format!(
                    "log error ({}): {} {}",
                    e["source"].as_str().unwrap_or("?"),
                    e["text"].as_str().unwrap_or("?"),
                    e["url"].as_str().unwrap_or("")
                )
            })
        }
        _ => None,
    }
}

#[test]
fn evaluates_and_reports_console_errors() {
    let mut browser = Browser::launch();
    let page = browser.new_page().expect("a page");
    let sum = browser.eval(&page, "6 * 7").expect("evaluate");
    assert_eq!(sum, json!(42));
    browser
        .eval(&page, "console.error('boom from the test'); 1")
        .expect("evaluate");
    let problems: Vec<String> = browser
        .take_events(&page.session)
        .expect("events")
        .iter()
        .filter_map(problem)
        .collect();
    assert!(
        problems.iter().any(|p| p.contains("boom from the test")),
        "{problems:?}"
    );
    let thrown = browser.eval(&page, "throw new Error('thrown on purpose')");
    assert!(
        thrown
            .as_ref()
            .is_err_and(|e| e.contains("thrown on purpose")),
        "{thrown:?}"
    );
    browser.close(page).expect("close the tab");
}
