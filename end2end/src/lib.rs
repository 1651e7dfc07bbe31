//! Harness for Caveman's browser tests: the built `caveman` binary on a free
//! port against a fresh SQLite database, and headless Chromium driven over
//! WebDriver by Debian's chromedriver.
//!
//! The tests expect a built server and front end; `bash .dev/test.sh` builds
//! both before running them. `CAVEMAN_BIN` and `CAVEMAN_SITE_ROOT` point at
//! other builds, `CHROMEDRIVER` and `CHROMIUM` at other browser binaries.
//!
//! `sshd` is a real SSH server for the Docker-over-SSH tests, `registry` a
//! real container registry and `git` real git repositories for the sources
//! tests, all shared with the server's integration tests.

pub mod git;
pub mod registry;
pub mod sshd;

use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

/// How long a server or browser may take to become ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page may take to show what a test waits for. Generous: the
/// debug WebAssembly is large, and on a loaded 2-core machine several
/// Chromiums hydrating it at once took over 20 s (seen once).
pub const UI_TIMEOUT: Duration = Duration::from_secs(60);

/// The workspace's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// Polls `check` until it yields `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running `caveman serve`, stopped when dropped.
#[derive(Debug)]
pub struct Server {
    pub base_url: String,
    child: Child,
    data_dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(&[]).await
    }

    /// Starts the server with extra environment variables.
    pub async fn start_with(env: &[(&str, &str)]) -> Server {
        let binary = std::env::var_os("CAVEMAN_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("debug/caveman"));
        let site_root = std::env::var_os("CAVEMAN_SITE_ROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("site"));
        assert!(
            binary.exists(),
            "no server at {}: build it first",
            binary.display()
        );
        assert!(
            site_root.join("pkg/caveman.js").exists(),
            "no front end in {}: run `bash .dev/build.sh site`",
            site_root.display()
        );

        let data_dir = tempfile::tempdir().expect("temporary data folder");
        let log = std::fs::File::create(data_dir.path().join("server.log")).expect("log file");
        let mut command = Command::new(&binary);
        for (name, _) in std::env::vars() {
            if name.starts_with("CAVEMAN_") || name == "DATABASE_URL" {
                command.env_remove(name);
            }
        }
        let child = command
            .arg("serve")
            .current_dir(data_dir.path())
            // Port 0: the kernel picks a free port, and the server logs it.
            .env("CAVEMAN_BIND", "127.0.0.1:0")
            .env("CAVEMAN_LOG_FORMAT", "json")
            .env("CAVEMAN_DATA_DIR", data_dir.path())
            .env("CAVEMAN_SITE_ROOT", &site_root)
            .envs(env.iter().copied())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start caveman");

        let mut server = Server {
            base_url: String::new(),
            child,
            data_dir,
        };
        server.wait_ready().await;
        server
    }

    /// Waits for the "listening" log line, then for `/readyz` to answer.
    async fn wait_ready(&mut self) {
        let client = http_client();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.base_url.is_empty()
                && let Some(addr) = self.listening_addr()
            {
                self.base_url = format!("http://{addr}");
            }
            if !self.base_url.is_empty()
                && let Ok(response) = client.get(self.url("/readyz")).send().await
                && response.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "caveman exited with {status} before it was ready:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "caveman was not ready in time:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The bound address from the server's "listening" event, once logged.
    fn listening_addr(&self) -> Option<SocketAddr> {
        self.log_events()
            .into_iter()
            .find(|event| {
                event["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("listening on"))
            })
            .and_then(|event| event["addr"].as_str()?.parse().ok())
    }

    /// The server's data folder (its SQLite database, vault key file, log).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// Creates a confirmed account over HTTP, reading the confirmation link
    /// from the local mailbox page as a user would.
    pub async fn create_account(&self, email: &str, name: &str, password: &str) {
        let client = http_client();
        let call = |endpoint: &str, body: String| {
            client
                .post(self.url(&format!("/api/{endpoint}")))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "application/json")
                .header("origin", &self.base_url)
                .body(body)
        };
        let form = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(key, value)| format!("{key}={}", encode(value)))
                .collect::<Vec<_>>()
                .join("&")
        };
        let reply = call(
            "sign_up",
            form(&[
                ("email", email),
                ("display_name", name),
                ("password", password),
            ]),
        )
        .send()
        .await
        .expect("sign up");
        assert_eq!(
            reply.status(),
            200,
            "{}",
            reply.text().await.unwrap_or_default()
        );
        let token = self.mailed_token(email, "confirm-email").await;
        let reply = call("confirm_email", form(&[("token", &token)]))
            .send()
            .await
            .expect("confirm");
        assert_eq!(
            reply.status(),
            200,
            "{}",
            reply.text().await.unwrap_or_default()
        );
    }

    /// The token of the newest link to `path` mailed to `email`, read from
    /// the local mailbox page.
    pub async fn mailed_token(&self, email: &str, path: &str) -> String {
        eventually(&format!("a {path} mail to {email}"), UI_TIMEOUT, || async {
            let page = reqwest::get(self.url("/dev/mailbox"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            // Mails are listed newest first, one <article> each.
            page.split("<article")
                .find(|mail| mail.contains(email) && mail.contains(path))
                .and_then(|mail| {
                    let start = mail.find("token=")? + "token=".len();
                    Some(
                        mail[start..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                            .collect::<String>(),
                    )
                })
        })
        .await
    }

    /// The server's log so far, one JSON object per event.
    pub fn log_events(&self) -> Vec<serde_json::Value> {
        self.log()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Everything the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }
}

/// A headless Chromium session, with the chromedriver that drives it.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: tempfile::TempDir,
}

/// Browsers open at once across the tests of one binary. On a 2-core
/// machine, nine Chromiums hydrating the debug WebAssembly together took
/// a page past [`UI_TIMEOUT`] (seen once); three keep every test moving.
/// Only one test opens two browsers, so waiting for a slot cannot
/// deadlock.
const MAX_OPEN_BROWSERS: usize = 3;
static OPEN_BROWSERS: AtomicUsize = AtomicUsize::new(0);

/// Waits for a free browser slot and takes it; [`Browser`]'s drop gives
/// it back.
async fn take_browser_slot() {
    loop {
        let open = OPEN_BROWSERS.load(Ordering::SeqCst);
        if open < MAX_OPEN_BROWSERS
            && OPEN_BROWSERS
                .compare_exchange(open, open + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether a browser runs the pages' scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scripts {
    Run,
    Off,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session, once fewer
    /// than [`MAX_OPEN_BROWSERS`] are open. The port is free when picked
    /// but may be taken before chromedriver binds it (many tests start
    /// servers at once); such a start is retried on a new port.
    pub async fn start() -> Browser {
        Self::start_with(Scripts::Run).await
    }

    /// Like [`Browser::start`], with JavaScript turned off: pages never
    /// hydrate, and forms work only as plain HTML posts.
    pub async fn start_without_javascript() -> Browser {
        Self::start_with(Scripts::Off).await
    }

    async fn start_with(scripts: Scripts) -> Browser {
        take_browser_slot().await;
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::launch(scripts).await {
                Ok(browser) => return browser,
                Err(error) => last_error = error,
            }
        }
        OPEN_BROWSERS.fetch_sub(1, Ordering::SeqCst);
        panic!("open a WebDriver session: {last_error}");
    }

    async fn launch(scripts: Scripts) -> Result<Browser, String> {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            // Its own process group, so that Chromium can be killed along
            // with it when a test fails before closing the session.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver}: {e} (bash .dev/setup.sh installs it)")
            });
        eventually("chromedriver to listen", START_TIMEOUT, || async move {
            TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        })
        .await;

        let profile = tempfile::tempdir().expect("browser profile folder");
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--enable-logging",
                    "--v=0",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                // Chromium's content setting: 1 allows scripts, 2 blocks them.
                "prefs": {
                    "profile.managed_default_content_settings.javascript":
                        if scripts == Scripts::Off { 2 } else { 1 },
                },
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = match ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => client,
            Err(error) => {
                kill_process_group(&driver);
                return Err(format!("{error:?}"));
            }
        };
        Ok(Browser {
            client,
            driver,
            profile,
        })
    }

    /// Opens `url` and waits until the WebAssembly front end has hydrated
    /// all of it: the entry point marks `<html data-hydrated>` once
    /// hydration returns, which a mismatch with the server's HTML prevents.
    pub async fn open_hydrated(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
        let deadline = Instant::now() + UI_TIMEOUT;
        while self
            .client
            .find(Locator::Css("html[data-hydrated=true]"))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "{url} did not hydrate within {UI_TIMEOUT:?}; the browser's console:\n{}",
                self.console_messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Loads the current address afresh from the server and waits until
    /// the page hydrated: a page reached by navigating in the browser was
    /// never hydrated from the server's HTML.
    pub async fn reload_hydrated(&self) {
        let here = self
            .client
            .current_url()
            .await
            .expect("the current address");
        self.open_hydrated(here.as_str()).await;
    }

    /// Waits for the element at `css` and returns it.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(UI_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}\n{}", self.console_log()))
    }

    /// Waits until the element at `css` shows `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) {
        eventually(&format!("{css} to show {text:?}"), UI_TIMEOUT, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            let shown = element.text().await.ok()?;
            shown.contains(text).then_some(())
        })
        .await;
    }

    /// Types `value` into the empty input at `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.wait_for(css).await;
        input.clear().await.expect("clear the input");
        input.send_keys(value).await.expect("type into the input");
    }

    /// Clicks the element at `css` once it is enabled (most buttons stay
    /// disabled until the page hydrates).
    pub async fn click(&self, css: &str) {
        let element = eventually(&format!("{css} to be enabled"), UI_TIMEOUT, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.is_enabled().await.ok()?.then_some(element)
        })
        .await;
        element.click().await.expect("click");
    }

    /// Signs in through the sign-in page and waits for the user box.
    pub async fn sign_in(&self, server: &Server, email: &str, password: &str) {
        self.open_hydrated(&server.url("/sign-in")).await;
        self.fill("#field-email", email).await;
        self.fill("#field-password", password).await;
        self.click("[data-testid=sign-in]").await;
        self.wait_for("[data-testid=user-name]").await;
    }

    /// What the page printed to the browser console, for failure reports.
    pub fn console_log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chrome_debug.log")).unwrap_or_default()
    }

    /// What pages printed, from [`Self::console_log`] without Chromium's
    /// own chatter: its lines start with `[pid:tid:time:LEVEL:source]`,
    /// the pages' ones with the source `CONSOLE`, and a message's further
    /// lines with no bracket at all.
    pub fn console_messages(&self) -> String {
        self.console_log()
            .lines()
            .filter(|line| !line.starts_with('[') || line.contains(":CONSOLE"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Ends the WebDriver session, which also quits Chromium.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Dropping kills whatever is left of the process group.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_process_group(&self.driver);
        OPEN_BROWSERS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Percent-encodes a form value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Kills chromedriver and every Chromium process it started: `kill --
/// -PGID` signals the whole process group, for which std has no API.
fn kill_process_group(driver: &Child) {
    if let Some(pid) = driver.id() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
}

/// A plain HTTP client. reqwest is built with rustls but no crypto
/// provider (the server's choice, shared by this build), so the first call
/// installs ring process-wide, as the server does.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
