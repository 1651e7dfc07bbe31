//! Mail over SMTP to a real SMTP server: aiosmtpd (Debian's
//! python3-aiosmtpd, installed by the test command's set-up) started on a
//! free loopback port, writing what it receives to a Maildir.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::support::{Engine, PASSWORD, TestApp, token_in};

/// Debian's interpreter, which has the packaged aiosmtpd (a `python3`
/// earlier on PATH may be another installation).
const PYTHON: &str = "/usr/bin/python3";

struct SmtpServer {
    port: u16,
    maildir: tempfile::TempDir,
    _child: Child,
}

impl SmtpServer {
    async fn start() -> SmtpServer {
        let maildir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A folder that does not exist yet: Python's Maildir creates
            // its cur/new/tmp layout only then.
            .arg(maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start aiosmtpd ({error}): run `bash .dev/setup.sh`, which installs python3-aiosmtpd")
            });
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    port,
                    maildir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start listening on port {port} (is python3-aiosmtpd installed?)");
    }

    /// The raw messages received so far.
    fn messages(&self) -> Vec<String> {
        let new: PathBuf = self.maildir.path().join("maildir/new");
        read_dir_sorted(&new)
            .into_iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect()
    }

    async fn wait_for_message(&self, containing: &str) -> String {
        for _ in 0..200 {
            if let Some(message) = self.messages().into_iter().find(|m| m.contains(containing)) {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message containing {containing:?} reached the SMTP server");
    }
}

fn read_dir_sorted(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

#[tokio::test]
async fn confirmation_mail_goes_out_over_smtp_and_its_link_works() {
    let smtp = SmtpServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[
            ("smtp_url", &url),
            ("mail_from", "Caveman <caveman@example.com>"),
        ],
    )
    .await;
    let browser = app.browser();

    let reply = browser
        .call(
            "sign_up",
            &[
                ("email", "ada@example.com"),
                ("display_name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let message = smtp.wait_for_message("ada@example.com").await;
    assert!(
        message.contains("From: Caveman <caveman@example.com>"),
        "{message}"
    );
    assert!(message.contains("To: ada@example.com"), "{message}");
    assert!(
        message.contains("Subject: Confirm your email address for Caveman"),
        "{message}"
    );
    // Quoted-printable may fold long lines; join them before reading the link.
    let body = message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token = token_in(&body);
    assert_eq!(token.len(), 43, "{body}");
    let confirmed = browser.call("confirm_email", &[("token", &token)]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(
        app.mail_count("ada@example.com").await,
        0,
        "nothing went to the local mailbox"
    );
    let mailbox = app.get("/dev/mailbox").await;
    assert_eq!(
        mailbox.status(),
        404,
        "the mailbox page exists only without SMTP"
    );
}
