//! The daemon's page and the dedupe report in a real headless Chromium (Debian's `chromium`), driven over
//! the DevTools protocol on a pipe: the tests click, type and press keys as a reader would, check the
//! rendered DOM against what the JSON routes answer, and write screenshots at 1280×900 and 390×844 under
//! `target/screenshots/`. Without a browser the tests say so and pass, except where
//! `STORYHASH_REQUIRE_BROWSER` is set (`.ci/run` sets it): there a missing browser fails them.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::cli::sample_store;
use crate::http::Server;

/// A headless Chromium and one page in it.
pub struct Browser {
    child: Child,
    writer: std::io::PipeWriter,
    replies: Receiver<Value>,
    next_id: u64,
    session: String,
    _profile: tempfile::TempDir,
}

fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("STORYHASH_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|p| p.join(name))
                        .find(|p| p.is_file())
                })
            })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("STORYHASH_REQUIRE_BROWSER").is_none(),
            "no chromium found (install Debian's `chromium` or set STORYHASH_CHROMIUM)"
        );
        eprintln!("note: no chromium found; skipping the browser checks");
    }
    found
}

impl Browser {
    /// Starts the browser with one empty page; `None` when there is no browser (and none is required).
    pub fn launch() -> Option<Browser> {
        let binary = chromium()?;
        // The profile and everything else the browser writes (its singleton socket's directory goes
        // under TMPDIR) live in one temporary directory, removed when the browser is dropped.
        let profile = tempfile::tempdir().unwrap();
        let browser_tmp = profile.path().join("tmp");
        std::fs::create_dir(&browser_tmp).unwrap();
        let (browser_reads, to_browser) = std::io::pipe().unwrap();
        let (from_browser, browser_writes) = std::io::pipe().unwrap();
        let (read_fd, write_fd) = {
            use std::os::fd::AsRawFd;
            (browser_reads.as_raw_fd(), browser_writes.as_raw_fd())
        };
        let mut command = Command::new(binary);
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
                "--hide-scrollbars",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .env("TMPDIR", &browser_tmp)
            // Its own process group, so that the drop ends the renderers and helpers with it.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(match std::env::var_os("STORYHASH_BROWSER_LOG") {
                Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
                None => Stdio::null(),
            });
        // SAFETY: only dup2 runs between fork and exec; it is async-signal-safe. The DevTools pipe is
        // fds 3 (commands in) and 4 (replies out).
        unsafe {
            command.pre_exec(move || {
                // Copies above 4 first, so that neither end is overwritten by the other's move.
                let r = libc::fcntl(read_fd, libc::F_DUPFD, 10);
                let w = libc::fcntl(write_fd, libc::F_DUPFD, 10);
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start chromium");
        drop((browser_reads, browser_writes));
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_browser);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                message.pop();
                if let Ok(v) = serde_json::from_slice::<Value>(&message) {
                    if v.get("id").is_some() && tx.send(v).is_err() {
                        return;
                    }
                }
                message.clear();
            }
        });
        let mut browser = Browser {
            child,
            writer: to_browser,
            replies,
            next_id: 0,
            session: String::new(),
            _profile: profile,
        };
        let target = browser.send(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target = target["targetId"].as_str().expect("a target").to_string();
        let attached = browser.send(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_string();
        browser.call("Page.enable", json!({}));
        Some(browser)
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.writer.write_all(&bytes).expect("write to chromium");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let reply = self
                .replies
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("chromium did not answer {method}"));
            if reply["id"] == id {
                if let Some(e) = reply.get("error") {
                    panic!("{method}: {e}");
                }
                return reply["result"].clone();
            }
        }
    }

    /// A DevTools command to the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(Some(&session), method, params)
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits (within the page, at most 20 s) until `condition` holds.
    pub fn wait(&mut self, condition: &str, what: &str) {
        let js = format!(
            "new Promise((resolve) => {{ const t0 = Date.now(); (function check() {{ \
             let ok = false; try {{ ok = !!({condition}); }} catch (e) {{}} \
             if (ok) return resolve(true); if (Date.now() - t0 > 20000) return resolve(false); \
             setTimeout(check, 25); }})(); }})"
        );
        assert_eq!(self.eval(&js), json!(true), "timed out waiting for {what}");
    }

    /// Sets the viewport and opens `url`, waiting for the page to mark itself ready.
    pub fn open(&mut self, url: &str, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
        self.call("Page.navigate", json!({"url": url}));
        self.wait(
            "document.readyState === 'complete' && document.documentElement.dataset.ready === '1'",
            "the page to be ready",
        );
    }

    /// Clicks the middle of the first element matching `selector`, as a mouse would.
    pub fn click(&mut self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
        ));
        let (x, y) = (
            at[0]
                .as_f64()
                .unwrap_or_else(|| panic!("nothing matches {selector}")),
            at[1].as_f64().unwrap(),
        );
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Types text into the focused element.
    pub fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Presses a key (`Enter`, `Tab`) on the focused element.
    pub fn press(&mut self, key: &str) {
        let (code, text) = match key {
            "Enter" => (13, "\r"),
            "Tab" => (9, ""),
            other => panic!("no key {other}"),
        };
        for kind in ["keyDown", "keyUp"] {
            let mut event = json!({"type": kind, "key": key, "code": key,
                "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code});
            if kind == "keyDown" && !text.is_empty() {
                event["text"] = json!(text);
            }
            self.call("Input.dispatchKeyEvent", event);
        }
    }

    /// Writes a PNG of the viewport to `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64(shot["data"].as_str().expect("screenshot data"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    /// Ends the browser's whole process group, so that no helper process still writes into the profile
    /// when its directory is removed (after this, as the field drops).
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group the browser leads.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= u32::from(value(c)) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots")
        .join(name)
}

/// A browser, and a daemon on a store in `dir` holding the UCI sample; `None` when there is no browser
/// (and none is required).
fn browser_on_sample(dir: &Path) -> Option<(Browser, Server)> {
    let b = Browser::launch()?;
    Some((b, daemon_with_sample(dir)))
}

/// A daemon holding the UCI sample.
fn daemon_with_sample(dir: &Path) -> Server {
    let server = Server::ready(&dir.join("db"), &[]);
    let body = std::fs::read(crate::repo_data("uci-stories-dev.jsonl")).unwrap();
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Type", "application/x-ndjson")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    server
}

/// Opens story `story` with a click on its head and waits for its clusters (`what` names it if they do
/// not come).
fn open_story(b: &mut Browser, story: impl std::fmt::Display, what: &str) {
    b.click(&format!("li.story[data-story='{story}'] .story-head"));
    b.wait(
        &format!(
            "document.querySelector(\"li.story[data-story='{story}']\").dataset.loaded === '1'"
        ),
        what,
    );
}

/// The list the page shows, as the page reads it: `(id, headline, meta text)` per story.
/// Does `act` and waits until the page has drawn its list again (`what` names it in a timeout).
fn redrawn(b: &mut Browser, what: &str, act: impl FnOnce(&mut Browser)) {
    let renders = b.eval("document.documentElement.dataset.renders");
    act(b);
    b.wait(
        &format!("document.documentElement.dataset.renders !== {renders}"),
        what,
    );
}

fn shown_stories(b: &mut Browser) -> Vec<(u64, String, String)> {
    let v = b.eval(
        "[...document.querySelectorAll('li.story')].map(li => [Number(li.dataset.story), \
         li.querySelector('.headline').textContent, li.querySelector('.meta').textContent])",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s[0].as_u64().unwrap(),
                s[1].as_str().unwrap().to_string(),
                s[2].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The stories the API gives for the query the page says it made.
fn api_stories(server: &Server, b: &mut Browser) -> Vec<Value> {
    let query = b.eval("document.getElementById('stories').dataset.query");
    let query = query.as_str().expect("the list names its query");
    let r = server.get(&format!("/v1/stories?{query}"));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["stories"].as_array().unwrap().clone()
}

fn assert_same_list(shown: &[(u64, String, String)], api: &[Value]) {
    assert!(!api.is_empty(), "the period holds stories");
    assert_eq!(shown.len(), api.len());
    for ((id, headline, meta), s) in shown.iter().zip(api) {
        assert_eq!(*id, s["id"].as_u64().unwrap());
        assert_eq!(headline, s["representative"].as_str().unwrap());
        let size = s["size"].as_u64().unwrap();
        let counts = format!(
            "+{} · {} article{} · {} source",
            s["growth"],
            size,
            if size == 1 { "" } else { "s" },
            s["sources"]
        );
        assert!(
            meta.starts_with(&counts),
            "{meta:?} does not start with {counts:?}"
        );
    }
}

#[test]
fn the_page_shows_the_trending_stories_opens_one_checks_a_headline_and_switches_period() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut b, server)) = browser_on_sample(dir.path()) else {
        return;
    };
    let base = format!("http://{}/", server.addr);
    b.open(&base, 1280, 900);

    // The list equals what the API answers for the same period (24 h by default; the sample is from
    // 2014, so the page counts back from its newest article and says so).
    let shown = shown_stories(&mut b);
    let api = api_stories(&server, &mut b);
    assert_same_list(&shown, &api);
    // Under a story's founding headline, its latest, where they differ.
    let latest = b.eval(
        "[...document.querySelectorAll('li.story')].map(li => \
         li.querySelector('.latest')?.textContent ?? null)",
    );
    let mut differ = 0;
    for (shown, s) in latest.as_array().unwrap().iter().zip(&api) {
        if s["latest"] == s["representative"] {
            assert_eq!(*shown, Value::Null, "{s}");
        } else {
            differ += 1;
            assert_eq!(
                shown.as_str(),
                Some(format!("latest: {}", s["latest"].as_str().unwrap()).as_str())
            );
        }
    }
    assert!(
        differ > 0,
        "some story's latest headline is another: {api:?}"
    );
    let note = b.eval("document.getElementById('anchor-note').textContent");
    assert!(note.as_str().unwrap().contains("newest article"), "{note}");
    let counter = b.eval("document.getElementById('counter').textContent");
    assert!(
        counter.as_str().unwrap().starts_with("3,257 articles"),
        "{counter}"
    );

    // Opening a story with a click shows its clusters and members as the API lists them.
    let (first, _, _) = shown[0].clone();
    open_story(&mut b, first, "the story's clusters");
    let detail = server
        .get(&format!(
            "/v1/stories/{first}/clusters?clusters=20&members=20"
        ))
        .json();
    let shown_clusters = b.eval(&format!(
        "[...document.querySelectorAll(\"li.story[data-story='{first}'] details.cluster\")].map(d => \
         [Number(d.dataset.cluster), d.querySelector('summary').textContent, \
          [...d.querySelectorAll('ul.members > li')].length])"
    ));
    let shown_clusters = shown_clusters.as_array().unwrap();
    let api_clusters = detail["clusters"].as_array().unwrap();
    assert_eq!(shown_clusters.len(), api_clusters.len());
    assert_eq!(
        stray_text(&mut b, &first),
        json!([]),
        "text outside the story's blocks"
    );
    for (s, c) in shown_clusters.iter().zip(api_clusters) {
        assert_eq!(s[0], c["id"]);
        assert!(
            s[1].as_str()
                .unwrap()
                .starts_with(c["representative"].as_str().unwrap()),
            "{s} {c}"
        );
        assert_eq!(
            s[2].as_u64(),
            Some(c["members"].as_array().unwrap().len() as u64)
        );
    }
    // A folded cluster opens with a click and shows its members.
    let big = api_clusters
        .iter()
        .find(|c| c["size"].as_u64().unwrap() > 1)
        .expect("a cluster of copies");
    let summary = format!("details.cluster[data-cluster='{}'] summary", big["id"]);
    b.click(&summary);
    b.wait(
        &format!("document.querySelector(\"{summary}\").parentElement.open"),
        "the cluster to open",
    );
    b.screenshot(&screenshot_path("page-1280x900.png"));

    // The keyboard opens a story too: focus the second one and press Enter.
    let (second, _, _) = shown[1].clone();
    b.eval(&format!(
        "document.querySelector(\"li.story[data-story='{second}'] .story-head\").focus()"
    ));
    b.press("Enter");
    b.wait(
        &format!(
            "document.querySelector(\"li.story[data-story='{second}']\").dataset.loaded === '1'"
        ),
        "the story opened from the keyboard",
    );
    assert_eq!(
        stray_text(&mut b, &second),
        json!([]),
        "text outside the story's blocks"
    );
    // The refresh rebuilds the list: the keyboard stays on the same story.
    redrawn(&mut b, "the list to refresh", |b| {
        b.eval("renderList()");
    });
    let on = b.eval("document.activeElement.closest('li.story')?.dataset.story ?? 'nothing'");
    assert_eq!(
        on.as_str().unwrap(),
        second.to_string(),
        "focus after a refresh"
    );

    // The paste box: a rewording of a stored headline is a near-duplicate; the page says what the API says.
    // The store is an archive (2014): the page judges the headline as arriving with its newest article,
    // when the story of the headline it rewords (the archive's last) is still open; arriving now, it
    // would start a story of its own.
    let pasted = "The Flash: Full Costume Revealed in New Image say reports";
    let newest = server.get("/v1/stats").json()["newest"].clone();
    // An article stored under the id "pasted" does not stand in the paste box's way.
    let r = server.post(
        "/v1/articles",
        &json!({"id": "pasted", "title": "Stocks close higher on bank earnings", "published": "2014-01-01T00:00:00Z"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = server
        .post(
            "/v1/query",
            &json!({"id": "probe", "title": pasted, "published": newest}),
        )
        .json();
    assert_ne!(expected["status"], "new");
    b.click("#paste-title-input");
    b.type_text(pasted);
    b.press("Enter");
    b.wait(
        "document.getElementById('verdict').dataset.answered",
        "the verdict",
    );
    let answered = b.eval("document.getElementById('verdict').dataset.answered");
    assert_eq!(answered, expected["status"]);
    // The article it matched is named by its headline.
    let matched = expected["duplicate_of"]
        .as_str()
        .expect("a match")
        .to_string();
    let title = server.get(&format!("/v1/articles/{matched}")).json()["title"].clone();
    let named = b.eval("document.querySelector('#verdict [data-matched]').textContent");
    assert_eq!(named, title);
    let stored = server.get("/readyz").json()["articles"].clone();
    assert_eq!(stored, 3258, "checking stored nothing");
    let now = server
        .post("/v1/query", &json!({"id": "probe", "title": pasted}))
        .json();
    assert_eq!(now["story"], stored, "arriving now, a story of its own");
    assert_ne!(expected["story"], stored);
    let joins = b.eval("document.querySelector('[data-joins-story]').dataset.joinsStory");
    assert_eq!(joins.as_str().unwrap(), expected["story"].to_string());
    let says = b.eval("document.querySelector('[data-joins-story]').textContent");
    assert!(
        says.as_str()
            .unwrap()
            .starts_with("It would join the story"),
        "{says}"
    );
    let note = b.eval("document.querySelector('#verdict .note').textContent");
    assert!(
        note.as_str()
            .unwrap()
            .starts_with("Judged as arriving with the newest article"),
        "{note}"
    );
    // A headline close to nothing, pasted without a body, is said to match nothing by its headline
    // alone: an article stored with a body is matched on both.
    b.eval(
        "(() => { document.getElementById('paste-title-input').value = ''; \
         delete document.getElementById('verdict').dataset.answered; return true; })()",
    );
    b.click("#paste-title-input");
    b.type_text("Zebra crossing painted purple in Oslo suburb");
    b.press("Enter");
    b.wait(
        "document.getElementById('verdict').dataset.answered",
        "the verdict on a new headline",
    );
    let status = b.eval("document.querySelector('#verdict .status').textContent");
    assert!(
        status
            .as_str()
            .unwrap()
            .starts_with("No match for the headline alone"),
        "{status}"
    );

    // Switching the period with a click changes the list, to what the API answers for it.
    redrawn(&mut b, "the list for 1 h", |b| {
        b.click("#periods button[data-period='1h']");
    });
    let hour = shown_stories(&mut b);
    assert_same_list(&hour, &api_stories(&server, &mut b));
    assert_ne!(hour, shown, "1 h and 24 h list different stories");
    let pressed = b.eval("document.querySelector('#periods [aria-pressed=true]').dataset.period");
    assert_eq!(pressed, "1h");

    // At phone width the page still reads: nothing wider than the screen.
    b.open(&format!("{base}?period=24h"), 390, 844);
    open_story(&mut b, first, "the story at phone width");
    let overflow = b.eval("document.documentElement.scrollWidth <= window.innerWidth");
    assert_eq!(overflow, json!(true), "the page fits 390 px");
    b.eval("window.scrollTo(0, 0)");
    b.screenshot(&screenshot_path("page-390x844.png"));
}

#[test]
fn a_small_story_shows_its_clusters_and_the_page_says_when_the_daemon_stops() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let sample = std::fs::read_to_string(crate::repo_data("uci-stories-dev.jsonl")).unwrap();
    let first_forty: String = sample.lines().take(40).map(|l| format!("{l}\n")).collect();
    let r = server.request(
        "POST",
        "/v1/articles",
        &[("Content-Type", "application/x-ndjson")],
        first_forty.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let stats = server.get("/v1/stats").json();
    b.open(&format!("http://{}/", server.addr), 1280, 900);

    // The counter says what `/v1/stats` does, in words that agree with the numbers.
    let counter = b.eval("document.getElementById('counter').textContent");
    let counted = |field: &str, one: &str, many: &str| {
        let n = stats[field].as_u64().unwrap();
        format!("{n} {}", if n == 1 { one } else { many })
    };
    let want = format!(
        "{} · {} · {} · ",
        counted("articles", "article", "articles"),
        counted("stories", "story", "stories"),
        counted("clusters", "cluster", "clusters")
    );
    assert!(counter.as_str().unwrap().starts_with(&want), "{counter}");

    // A story whose clusters are all listed ends with its last cluster.
    let (story, _, _) = shown_stories(&mut b)[0].clone();
    let total = server
        .get(&format!(
            "/v1/stories/{story}/clusters?clusters=20&members=1"
        ))
        .json()["clusters_total"]
        .as_u64()
        .unwrap();
    assert!(total <= 20, "the first story has {total} clusters");
    open_story(&mut b, story, "the story's clusters");
    assert_eq!(
        stray_text(&mut b, &story),
        json!([]),
        "text after the clusters"
    );

    // Once the daemon is gone, the next refresh says since when, and that the list is as it was.
    server.terminate();
    b.eval("poll()");
    b.wait(
        "document.getElementById('counter').textContent.includes('has not answered since')",
        "the page to notice",
    );
    let stale = b.eval("document.getElementById('stories').classList.contains('stale')");
    assert_eq!(stale, json!(true));

    // Another period asked for while the daemon is gone keeps the list shown, under its own period.
    let shown = b.eval("document.querySelectorAll('#stories > li.story').length");
    b.click("#periods button[data-period='7d']");
    b.wait(
        "document.getElementById('counter').textContent.includes('Could not load the list for 7d')",
        "the page to say the period could not load",
    );
    let kept = b.eval("document.querySelectorAll('#stories > li.story').length");
    assert_eq!(kept, shown, "the list kept");
    let pressed = b.eval("document.querySelector('#periods [aria-pressed=true]').dataset.period");
    assert_eq!(pressed, "24h", "the period of the list shown");
}

/// A story of the sample with more clusters than its box shows at first: `(story, clusters in all)`.
fn story_with_many_clusters(server: &Server, b: &mut Browser) -> (u64, u64) {
    api_stories(server, b)
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .map(|id| {
            let detail = server.get(&format!("/v1/stories/{id}/clusters?clusters=1&members=1"));
            (id, detail.json()["clusters_total"].as_u64().unwrap())
        })
        .find(|&(_, total)| total > 25)
        .expect("a story of more than 25 clusters in the list")
}

#[test]
fn a_refresh_keeps_the_readers_place_and_more_of_each_list_shows_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut b, server)) = browser_on_sample(dir.path()) else {
        return;
    };
    b.open(&format!("http://{}/?period=7d", server.addr), 1280, 900);
    let (story, total) = story_with_many_clusters(&server, &mut b);
    open_story(&mut b, story, "the story's clusters");

    // The reader goes down to the story's twelfth cluster, on the keyboard.
    let twelfth = format!(
        "document.querySelectorAll(\"li.story[data-story='{story}'] details.cluster > summary\")[11]"
    );
    b.eval(&format!(
        "{twelfth}.focus({{preventScroll: true}}); window.scrollTo(0, window.scrollY + {twelfth}.getBoundingClientRect().top - 400)"
    ));
    let place = |b: &mut Browser| {
        b.eval(
            "[document.activeElement.closest('details.cluster')?.dataset.cluster ?? 'nothing', \
             Math.round(document.activeElement.getBoundingClientRect().top)]",
        )
    };
    let before = place(&mut b);
    assert_eq!(before[1], 400, "{before}");
    // A refresh, once with the story's answer as it was and once with its box redrawn (as when articles
    // arrive in it): the focus and the line's place in the window stay.
    for redraw in [false, true] {
        if redraw {
            b.eval("state.loaded.clear()");
        }
        redrawn(&mut b, "the list to refresh", |b| {
            b.eval("renderList()");
        });
        assert_eq!(place(&mut b), before, "after a refresh (redrawn: {redraw})");
    }

    // The story's next clusters, then the list's next stories, on request.
    b.click(&format!(
        "li.story[data-story='{story}'] .detail > button.more"
    ));
    let clusters = format!(
        "document.querySelectorAll(\"li.story[data-story='{story}'] details.cluster\").length"
    );
    b.wait(&format!("{clusters} > 20"), "more clusters");
    assert_eq!(b.eval(&clusters), json!(total.min(40)));
    redrawn(&mut b, "more stories", |b| {
        b.click("#more-stories button.more");
    });
    let shown = shown_stories(&mut b);
    assert!(shown.len() > 20, "{} stories", shown.len());
    assert_same_list(&shown, &api_stories(&server, &mut b));
}

#[test]
fn member_lines_say_who_repeated_a_text_and_keep_right_to_left_text_in_order() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::ready(&dir.path().join("db"), &[]);
    let storm = "Storm hits the coast of Portugal overnight";
    let arabic = "الرئيس يعلن عن خطة جديدة لإصلاح الاقتصاد الوطني في مؤتمر صحفي";
    let articles = json!([
        {"id": "s1", "title": storm, "source": "Reuters"},
        {"id": "s2", "title": storm, "source": "AP"},
        {"id": "s3", "title": storm, "source": "Reuters"},
        {"id": "a1", "title": arabic, "source": "الجزيرة"},
        {"id": "a2", "title": format!("{arabic} اليوم"), "source": "العربية"},
        {"id": "n1", "title": "Markets fall on rate fears worldwide"},
        {"id": "n2", "title": "Markets fall on rate fears worldwide"},
    ]);
    let r = server.post("/v1/articles", &articles);
    assert_eq!(r.status, 200, "{}", r.text());
    b.open(&format!("http://{}/", server.addr), 1280, 900);
    for s in shown_stories(&mut b) {
        open_story(&mut b, s.0, "the story's clusters");
    }
    b.eval("document.querySelectorAll('details.cluster').forEach(d => d.open = true)");
    let line = |b: &mut Browser, title: &str| {
        b.eval(&format!(
            "[...document.querySelectorAll('ul.members > li')].find(li => li.querySelector('bdi').textContent === {})?.textContent",
            json!(title)
        ))
    };
    let copies = line(&mut b, storm);
    let copies = copies.as_str().expect("the storm's line");
    assert!(copies.contains("repeated ×3 from 2 sources"), "{copies}");
    assert!(copies.contains("first from Reuters"), "{copies}");
    // Articles that name no source are not counted as "0 sources".
    let page = b.eval("document.body.textContent");
    let page = page.as_str().expect("the page's text");
    assert!(page.contains("no source named"), "{page}");
    assert!(!page.contains("0 sources"), "{page}");

    // Left to right as the page reads: the headline, then its source, then its time, whatever their script.
    let order = b.eval(&format!(
        "(() => {{ const li = [...document.querySelectorAll('ul.members > li')].find(l => \
         l.querySelector('bdi').textContent === {}); const x = (e) => e.getBoundingClientRect(); \
         const [title, source] = li.querySelectorAll('bdi'); const time = li.querySelector('time'); \
         return [x(title).right <= x(source).left, x(source).right <= x(time).left]; }})()",
        json!(arabic)
    ));
    assert_eq!(order, json!([true, true]));

    // A blank headline is said to be blank.
    b.click("#paste-title-input");
    b.type_text("   ");
    b.press("Enter");
    b.wait(
        "document.getElementById('verdict').dataset.answered === 'blank'",
        "the blank headline's answer",
    );
}

/// A daemon that reads its crawler's own keys (`--id-field url --body-field description`) reads the
/// paste box's headline and body under them too: a stored article pasted again is its duplicate.
#[test]
fn the_paste_box_speaks_the_keys_the_daemon_reads() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--id-field",
        "url",
        "--title-field",
        "headline",
        "--body-field",
        "description",
    ];
    let server = Server::ready(&dir.path().join("db"), &flags);
    let (headline, description) = (
        "Harbour reopens after the storm",
        "Ferries run again from Monday, the port authority said.",
    );
    let r = server.post(
        "/v1/articles",
        &json!({"url": "https://example.com/harbour", "headline": headline, "description": description}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    b.open(&format!("http://{}/", server.addr), 1280, 900);
    b.click("#paste-title-input");
    b.type_text(headline);
    b.click("#paste-body");
    b.type_text(description);
    b.click("#paste button[type=submit]");
    b.wait(
        "document.getElementById('verdict').dataset.answered",
        "the verdict",
    );
    let answered = b.eval("document.getElementById('verdict').dataset.answered");
    assert_eq!(answered, "duplicate");
    let matched = b.eval("document.querySelector('#verdict [data-matched]').dataset.matched");
    assert_eq!(matched, "https://example.com/harbour");
    assert_eq!(
        server.get("/readyz").json()["articles"],
        1,
        "checking stored nothing"
    );
}

/// The text an opened story's box holds outside its blocks (its line of figures, its clusters and at
/// most a line saying how many more there are): none is expected.
fn stray_text(b: &mut Browser, story: &impl std::fmt::Display) -> serde_json::Value {
    b.eval(&format!(
        "[...document.querySelector(\"li.story[data-story='{story}'] .detail\").childNodes]\
         .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent)"
    ))
}

#[test]
fn the_report_opens_from_disk_lists_the_largest_stories_and_searches() {
    let Some(mut b) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.html");
    let db = dir.path().join("db");
    sample_store(&db, &["--report", report.to_str().unwrap()]);
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("<script src"),
        "no outside script"
    );
    assert!(!html.contains("<link"), "nothing loaded from elsewhere");
    let engine = storyhash::Engine::open(&db, storyhash::EngineConfig::default()).unwrap();
    let url = format!("file://{}", report.display());
    b.open(&url, 1280, 900);

    // The summary and the lists say what the store holds.
    let summary = b.eval(
        "Object.fromEntries([...document.querySelectorAll('#summary tr')].map(r => \
         [r.cells[0].textContent, r.cells[1].textContent]))",
    );
    assert_eq!(summary["Records read"], "3,257");
    let stats = engine.stats();
    assert_eq!(
        summary["Near-duplicates"],
        stats.near_duplicates.to_string()
    );
    let want: Vec<String> = engine
        .trending_stories(i64::MIN, i64::MAX, 5, 0)
        .unwrap()
        .into_iter()
        .map(|s| s.representative)
        .collect();
    let shown = b.eval(
        "[...document.querySelectorAll('#stories li.story .headline')].slice(0, 5).map(e => e.textContent)",
    );
    assert_eq!(shown, json!(want));
    // Each with its latest headline under the founding one, where they differ.
    let want: Vec<Option<String>> = engine
        .trending_stories(i64::MIN, i64::MAX, 5, 0)
        .unwrap()
        .into_iter()
        .map(|s| (s.latest != s.representative).then(|| format!("latest: {}", s.latest)))
        .collect();
    assert!(want.iter().any(Option::is_some), "{want:?}");
    let shown = b.eval(
        "[...document.querySelectorAll('#stories li.story')].slice(0, 5).map(li => \
         li.querySelector('.latest')?.textContent ?? null)",
    );
    assert_eq!(shown, json!(want));
    let want: Vec<String> = engine
        .trending(i64::MIN, 5)
        .unwrap()
        .into_iter()
        .map(|c| c.representative)
        .collect();
    let shown = b.eval(
        "[...document.querySelectorAll('#clusters li.story .headline')].slice(0, 5).map(e => e.textContent)",
    );
    assert_eq!(shown, json!(want));
    let bars = b.eval("document.querySelectorAll('svg.hist rect').length");
    assert!(bars.as_u64().unwrap() >= 3, "{bars}");

    // A story opens in place with its clusters.
    b.click("#stories li.story .story-head");
    let clusters = b.eval(
        "document.querySelector('#stories li.story .detail').hidden === false && \
         document.querySelectorAll('#stories li.story:first-child details.cluster').length",
    );
    assert!(clusters.as_u64().unwrap() >= 1, "{clusters}");
    b.screenshot(&screenshot_path("report-1280x900.png"));

    // Typing in the search box keeps only what mentions the words.
    b.click("#search");
    b.type_text("titanfall");
    b.wait(
        "document.getElementById('matches').dataset.stories !== undefined && \
         document.getElementById('search').value === 'titanfall'",
        "the search",
    );
    let visible = b.eval(
        "[...document.querySelectorAll('#stories li.story, #clusters li.story')].filter(li => !li.hidden)\
         .map(li => li.dataset.text.includes('titanfall'))",
    );
    let visible = visible.as_array().unwrap();
    assert!(!visible.is_empty(), "something mentions titanfall");
    assert!(visible.iter().all(|v| v == &json!(true)));
    let hidden = b
        .eval("[...document.querySelectorAll('#stories li.story')].filter(li => li.hidden).length");
    assert!(hidden.as_u64().unwrap() > 0, "the others are hidden");
    // The first stories found open, and in them the clusters that hold the match; the search is kept
    // in the address.
    let opened = b.eval(
        "(() => { const li = [...document.querySelectorAll('#stories li.story')].find(li => !li.hidden); \
         return { open: !li.querySelector('.detail').hidden, \
         clusters: [...li.querySelectorAll('details.cluster[open]')].map(d => d.dataset.text.includes('titanfall')), \
         q: new URLSearchParams(location.search).get('q') }; })()",
    );
    assert_eq!(opened["open"], json!(true), "{opened}");
    let clusters_opened = opened["clusters"].as_array().unwrap();
    assert!(
        !clusters_opened.is_empty() && clusters_opened.iter().all(|c| c == &json!(true)),
        "{opened}"
    );
    assert_eq!(opened["q"], json!("titanfall"));
    // A box the browser filled again, as it does going back to the page, is followed.
    let refilled = b.eval(
        "(() => { const s = document.getElementById('search'); s.value = 'ZZZ no such headline'; \
         window.dispatchEvent(new PageTransitionEvent('pageshow')); \
         return document.getElementById('matches').dataset.stories; })()",
    );
    assert_eq!(refilled, json!("0"));

    // The ids of the verdict lines find what they name: here a story by its number.
    let story = engine
        .trending_stories(i64::MIN, i64::MAX, 3, 0)
        .unwrap()
        .pop()
        .expect("a third story")
        .id;
    let search = |b: &mut Browser, q: &str| {
        b.eval(&format!(
            "(() => {{ const s = document.getElementById('search'); s.value = {q:?}; \
             s.dispatchEvent(new Event('input')); return true; }})()"
        ));
        b.eval(
            "[...document.querySelectorAll('#stories li.story')].filter(li => !li.hidden)\
             .map(li => li.dataset.story)",
        )
    };
    // That story alone: an id is matched whole, `story 1` is not `story 12`.
    let found = search(&mut b, &format!("story {story}"));
    assert_eq!(found, json!([story.to_string()]));
    // A story id that verdict lines gave before the story merged into another finds that one.
    let listed: Vec<u64> = engine
        .trending_stories(i64::MIN, i64::MAX, 100, 0)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let merged = engine.merged_stories(&listed);
    let (into, earlier) = merged
        .iter()
        .next()
        .expect("a listed story others merged into");
    assert!(earlier.iter().all(|&e| engine.resolve_story(e) == *into));
    let found = search(&mut b, &format!("Story  {}", earlier[0]));
    assert_eq!(found, json!([into.to_string()]));
    let meta = b.eval(&format!(
        "document.querySelector(\"li.story[data-story='{story}'] .detail .meta\").textContent"
    ));
    assert!(
        meta.as_str()
            .unwrap()
            .starts_with(&format!("story {story} · ")),
        "{meta}"
    );

    // An article by its id as its line shows it, `id N`: the lists that hold that line, and no other
    // id that begins with it.
    let id = b.eval("data.stories[0].clusters[0].members[0].id");
    let id = id.as_str().unwrap().to_lowercase();
    let found = search(&mut b, &format!("id {id}"));
    let first = b.eval("String(data.stories[0].id)");
    assert!(found.as_array().unwrap().contains(&first), "{found}");
    let whole = b.eval(&format!(
        "[...document.querySelectorAll('#stories li.story, #clusters li.story')].filter(li => !li.hidden)\
         .every(li => li.dataset.ids.includes('\\nid {id}\\n'))"
    ));
    assert_eq!(whole, json!(true));
    // Words that begin so ("amid concerns" holds "id concerns") still find the headlines holding them.
    let words = b.eval(
        "(() => { for (const s of data.stories) for (const c of s.clusters) for (const m of c.members) \
         { const x = m.title.toLowerCase().match(/id [a-z]+/); if (x) return x[0]; } return null; })()",
    );
    let words = words
        .as_str()
        .expect("a listed headline holding `id ` and a word");
    let found = search(&mut b, words);
    assert!(!found.as_array().unwrap().is_empty(), "{words}: {found}");

    let said = b.eval("document.getElementById('matches').textContent");
    assert!(
        said.as_str().unwrap().starts_with("Of those listed, "),
        "{said}"
    );
    // An apostrophe of another kind, and a letter without its accent, find the same headlines.
    let word = b.eval(
        "(() => { for (const s of data.stories) for (const c of s.clusters) for (const m of c.members) \
         { const x = m.title.toLowerCase().match(/[a-z]+'[a-z]+/); if (x) return x[0]; } return null; })()",
    );
    let word = word.as_str().expect("a listed headline with an apostrophe");
    let straight = search(&mut b, word);
    let curly = search(&mut b, &word.replace('\'', "\u{2019}"));
    assert!(!straight.as_array().unwrap().is_empty(), "{word}");
    assert_eq!(straight, curly, "{word}");
    // A story that shows some of its clusters says how large the others are at most.
    let more = b.eval(
        "[...document.querySelectorAll('#stories li.story .detail > p.muted')].map(p => p.textContent)",
    );
    let more = more.as_array().unwrap();
    assert!(!more.is_empty(), "a story with clusters not shown");
    for line in more {
        let line = line.as_str().unwrap();
        assert!(
            line.starts_with("and ")
                && line.contains(" more cluster")
                && line.contains(", of at most "),
            "{line}"
        );
    }

    b.open(&url, 390, 844);
    let fits = b.eval("document.documentElement.scrollWidth <= window.innerWidth");
    assert_eq!(fits, json!(true), "the report fits 390 px");
    b.screenshot(&screenshot_path("report-390x844.png"));
}

/// A reverse proxy in front of the daemon at `daemon` that serves it under `prefix` (`/news`): a request
/// for `/news/x` goes on as `/x`, any other path is answered 404. One request per connection.
fn prefix_proxy(daemon: std::net::SocketAddr, prefix: &'static str) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || forward_under_prefix(client, daemon, prefix));
        }
    });
    addr
}

/// Passes one request from `client` on to `daemon` with `prefix` taken off its path, and the answer back.
fn forward_under_prefix(
    mut client: std::net::TcpStream,
    daemon: std::net::SocketAddr,
    prefix: &str,
) {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n").filter(|l| !l.is_empty());
    let mut request = lines.next().unwrap_or_default().splitn(3, ' ');
    let (method, target, version) = (
        request.next().unwrap_or_default(),
        request.next().unwrap_or_default(),
        request.next().unwrap_or_default(),
    );
    let Some(path) = target.strip_prefix(prefix).filter(|p| p.starts_with('/')) else {
        let _ = client
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let mut forwarded = format!("{method} {path} {version}\r\n");
    let mut length = 0;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if let Some(n) = lower.strip_prefix("content-length:") {
            length = n.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            forwarded += &format!("{line}\r\n");
        }
    }
    forwarded += "Connection: close\r\n\r\n";
    let mut body = vec![0u8; length];
    let Ok(mut upstream) = std::net::TcpStream::connect(daemon) else {
        return;
    };
    if client.read_exact(&mut body).is_err()
        || upstream.write_all(forwarded.as_bytes()).is_err()
        || upstream.write_all(&body).is_err()
    {
        return;
    }
    let _ = std::io::copy(&mut upstream, &mut client);
}

#[test]
fn the_page_works_behind_a_proxy_that_serves_the_daemon_under_a_path_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut b, server)) = browser_on_sample(dir.path()) else {
        return;
    };
    let proxy = prefix_proxy(server.addr, "/news");
    b.open(&format!("http://{proxy}/news/"), 1280, 900);

    // The list, the counter, a story's clusters and the paste box all answer through the proxy, which
    // knows no path outside `/news`.
    assert_same_list(&shown_stories(&mut b), &api_stories(&server, &mut b));
    let counter = b.eval("document.getElementById('counter').textContent");
    assert!(
        counter.as_str().unwrap().starts_with("3,257 articles"),
        "{counter}"
    );
    let (first, _, _) = shown_stories(&mut b)[0].clone();
    open_story(&mut b, first, "the story's clusters through the proxy");
    b.click("#paste-title-input");
    b.type_text("The Flash: Full Costume Revealed in New Image say reports");
    b.press("Enter");
    b.wait(
        "document.getElementById('verdict').dataset.answered",
        "the verdict through the proxy",
    );
    let answered = b.eval("document.getElementById('verdict').dataset.answered");
    assert_ne!(answered, json!("new"), "the rewording is caught");
}
