//! A real headless Chromium for the tests, through chromedriver (WebDriver).
//!
//! One chromedriver serves the whole test run: the first browser test spawns it on a free port,
//! the others share it, and the last one to finish asks it to shut down (closing any browser a
//! failed test left open) and then kills it. Each test gets its own browser session with a fresh
//! profile directory.

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The Chromium flags the tests run with: headless, and nothing that reaches the network.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
];

/// The shared chromedriver and how many tests use it.
struct Driver {
    child: Child,
    port: u16,
    users: usize,
}

static DRIVER: Mutex<Option<Driver>> = Mutex::new(None);

/// A test's browser: a WebDriver session on the shared chromedriver.
pub struct Browser {
    client: Client,
    base: String,
    test: String,
    _profile: tempfile::TempDir,
    _lease: Lease,
}

/// A test's claim on the shared chromedriver; the last one dropped stops it.
struct Lease;

impl Drop for Lease {
    fn drop(&mut self) {
        let mut driver = DRIVER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let last = match driver.as_mut() {
            Some(running) => {
                running.users -= 1;
                running.users == 0
            }
            None => false,
        };
        if last && let Some(mut running) = driver.take() {
            stop(&mut running);
        }
    }
}

/// A browser for `test` whose relative URLs go to `base` (e.g. `http://127.0.0.1:1234`), or
/// `None` after printing why the test is skipped.
pub async fn open(test: &str, base: &str) -> Option<Browser> {
    let Some((chromium, chromedriver)) = installed() else {
        assert!(
            std::env::var("COMPACT_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "COMPACT_REQUIRE_BROWSER=1 but chromedriver or chromium is not installed"
        );
        println!(
            "skipped {test}: chromedriver or chromium is not installed \
             (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = lease(&chromedriver);
    let lease = Lease;
    let profile = tempfile::tempdir().expect("a temporary profile directory");
    let mut args: Vec<String> = CHROMIUM_FLAGS
        .iter()
        .map(|flag| (*flag).to_owned())
        .collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium, "args": args},
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal");
    };
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("start a Chromium session through chromedriver");
    Some(Browser {
        client,
        base: base.trim_end_matches('/').to_owned(),
        test: test.to_owned(),
        _profile: profile,
        _lease: lease,
    })
}

impl Browser {
    /// Opens `path` (relative to the server).
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|error| panic!("{}: open {path}: {error}", self.test));
    }

    /// The current URL's path and query.
    pub async fn location(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The one element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: find {css}: {error}", self.test))
    }

    /// The element matching `css`, waiting (up to 10 s) for a page being loaded to show it.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .every(Duration::from_millis(25))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: wait for {css}: {error}", self.test))
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: find all {css}: {error}", self.test))
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|error| panic!("{}: text of {css}: {error}", self.test))
    }

    /// Whether an element matches `css`.
    pub async fn exists(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// Clicks the element matching `css` and waits until the page it leads to has loaded (a
    /// marker set on the current document must be gone, so the old page cannot be mistaken for
    /// the new one).
    pub async fn click_and_load(&self, css: &str) {
        self.client
            .execute(
                "document.documentElement.dataset.testOld = '1';",
                Vec::new(),
            )
            .await
            .unwrap_or_else(|error| panic!("{}: mark the page: {error}", self.test));
        self.click(css).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = self
                .client
                .execute(
                    "return document.readyState === 'complete' \
                        && document.documentElement.dataset.testOld === undefined;",
                    Vec::new(),
                )
                .await
                .ok()
                .and_then(|value| value.as_bool())
                .unwrap_or(false);
            if loaded {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: clicking {css} loaded no new page",
                self.test
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("{}: click {css}: {error}", self.test));
    }

    /// Types into the input matching `css` after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear an input");
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|error| panic!("{}: type into {css}: {error}", self.test));
    }

    /// Sets an input's value directly: date inputs take typed keys in the browser's locale
    /// format, which a test should not depend on.
    pub async fn set_value(&self, css: &str, value: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).value = arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap_or_else(|error| panic!("{}: set {css}: {error}", self.test));
    }

    /// Chooses an option of the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("{}: select {value} in {css}: {error}", self.test));
    }

    /// The outer HTML of the element matching `css`.
    pub async fn html(&self, css: &str) -> String {
        self.find(css)
            .await
            .html(false)
            .await
            .unwrap_or_else(|error| panic!("{}: html of {css}: {error}", self.test))
    }

    /// Saves a full-page screenshot as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", Vec::new())
            .await
            .ok()
            .and_then(|value| value.as_u64())
            .unwrap_or(1000)
            .clamp(600, 8000);
        let (width, old_height) = self.client.get_window_size().await.unwrap_or((1280, 1000));
        let width = u32::try_from(width).unwrap_or(1280);
        let _ = self
            .client
            .set_window_size(width, u32::try_from(height).unwrap_or(1000))
            .await;
        let png = self.client.screenshot().await.expect("take a screenshot");
        let _ = self
            .client
            .set_window_size(width, u32::try_from(old_height).unwrap_or(1000))
            .await;
        let directory = screenshot_dir();
        std::fs::create_dir_all(&directory).expect("create the screenshot directory");
        let path = directory.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write a screenshot");
        path
    }

    /// The rows of a table as the browser renders them: row id → (cell class → text), read in
    /// one script call rather than one WebDriver round trip per cell.
    pub async fn table(&self, css: &str) -> HashMap<String, HashMap<String, String>> {
        let rows = self
            .client
            .execute(
                r"return Array.from(document.querySelectorAll(arguments[0] + ' tr[id]')).map(
                    tr => [tr.id, Array.from(tr.querySelectorAll('td')).map(
                        td => [td.className, td.textContent.trim()])]);",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|error| panic!("{}: read table {css}: {error}", self.test));
        serde_json::from_value::<Vec<(String, Vec<(String, String)>)>>(rows)
            .expect("rows of cells")
            .into_iter()
            .map(|(id, cells)| (id, cells.into_iter().collect()))
            .collect()
    }

    /// The session cookie's attributes as the browser stored them: `(HttpOnly, SameSite,
    /// Secure)`.
    pub async fn cookie_flags(&self, name: &str) -> (Option<bool>, String, Option<bool>) {
        let cookie = self
            .client
            .get_named_cookie(name)
            .await
            .unwrap_or_else(|error| panic!("{}: cookie {name}: {error}", self.test));
        (
            cookie.http_only(),
            format!("{:?}", cookie.same_site()),
            cookie.secure(),
        )
    }

    /// Sets the window size (e.g. a phone's width).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `target/screenshots`, in the target directory this build uses.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

/// Chromium and chromedriver, if both are installed.
fn installed() -> Option<(String, PathBuf)> {
    let chromedriver = find_program("chromedriver")?;
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(find_program)?;
    Some((chromium.display().to_string(), chromedriver))
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|directory| directory.join(name))
        .find(|candidate| candidate.is_file())
}

/// Joins (or starts) the shared chromedriver and returns its port.
fn lease(chromedriver: &Path) -> u16 {
    let mut driver = DRIVER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(running) = driver.as_mut() {
        running.users += 1;
        return running.port;
    }
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromedriver");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not start listening"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    *driver = Some(Driver {
        child,
        port,
        users: 1,
    });
    port
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("the bound address").port()
}

/// Asks chromedriver to close its browsers and exit, then makes sure it has.
fn stop(driver: &mut Driver) {
    use std::io::Write as _;
    if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", driver.port)) {
        let _ = write!(
            stream,
            "GET /shutdown HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = driver.child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = driver.child.kill();
    let _ = driver.child.wait();
}
