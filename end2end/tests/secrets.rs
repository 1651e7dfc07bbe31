//! The planted-secret test: a password and a session cookie go through a
//! whole session of the real server, then the database file, the server's
//! debug log and every HTTP response are searched for them.

use end2end::{Server, encode};

const PASSWORD: &str = "planted-password-7c1e9d4b2a";
const NEW_PASSWORD: &str = "planted-password-changed-3f8a";

/// A client that keeps the session cookie by hand and records every
/// response it gets.
struct Session<'a> {
    server: &'a Server,
    client: reqwest::Client,
    cookie: Option<String>,
    seen: String,
}

impl Session<'_> {
    async fn call(&mut self, endpoint: &str, pairs: &[(&str, &str)]) -> u16 {
        let body = pairs
            .iter()
            .map(|(key, value)| format!("{key}={}", encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .client
            .post(self.server.url(&format!("/api/{endpoint}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("origin", &self.server.base_url)
            .body(body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("call");
        self.record(response).await
    }

    async fn get(&mut self, path: &str) -> u16 {
        let mut request = self.client.get(self.server.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("get");
        self.record(response).await
    }

    async fn record(&mut self, response: reqwest::Response) -> u16 {
        let status = response.status().as_u16();
        for (name, value) in response.headers() {
            let value = value.to_str().unwrap_or_default();
            if name == "set-cookie" && value.starts_with("caveman_session=") {
                self.cookie = value.split(';').next().map(str::to_string);
            }
            self.seen.push_str(&format!("{name}: {value}\n"));
        }
        self.seen
            .push_str(&response.text().await.unwrap_or_default());
        status
    }
}

fn occurrences(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle.as_bytes())
        .count()
}

#[tokio::test]
async fn a_planted_password_and_session_id_appear_nowhere() {
    let server = Server::start_with(&[("CAVEMAN_LOG", "debug")]).await;
    server
        .create_account("ada@example.com", "Ada", PASSWORD)
        .await;
    let mut session = Session {
        server: &server,
        client: reqwest::Client::new(),
        cookie: None,
        seen: String::new(),
    };

    assert_eq!(
        session
            .call(
                "sign_in",
                &[("email", "ada@example.com"), ("password", PASSWORD)]
            )
            .await,
        200
    );
    let cookie = session.cookie.clone().expect("a session cookie");
    let session_id = cookie.trim_start_matches("caveman_session=").to_string();
    for endpoint in [
        "viewer",
        "sessions",
        "workspace_detail",
        "audit_log",
        "server_info",
    ] {
        assert_eq!(session.call(endpoint, &[]).await, 200, "{endpoint}");
    }
    for path in ["/", "/settings", "/settings/workspace", "/settings/audit"] {
        assert_eq!(session.get(path).await, 200, "{path}");
    }
    assert_eq!(
        session
            .call(
                "change_password",
                &[("current", PASSWORD), ("new", NEW_PASSWORD)]
            )
            .await,
        200
    );
    assert_eq!(
        session
            .call("confirm_password", &[("password", "a wrong guess")])
            .await,
        422
    );
    assert_eq!(session.call("sign_out", &[]).await, 200);
    assert_eq!(
        session
            .call(
                "sign_in",
                &[("email", "ada@example.com"), ("password", NEW_PASSWORD)]
            )
            .await,
        200
    );

    let mut stored = Vec::new();
    for file in ["caveman.db", "caveman.db-wal"] {
        if let Ok(bytes) = std::fs::read(server.data_dir().join(file)) {
            stored.extend(bytes);
        }
    }
    assert!(
        occurrences(&stored, "ada@example.com") > 0,
        "the search sees what the database holds"
    );
    let log = server.log();
    assert!(
        log.contains("sign_in"),
        "the log was captured at debug level"
    );

    for secret in [PASSWORD, NEW_PASSWORD, session_id.as_str()] {
        assert_eq!(occurrences(&stored, secret), 0, "{secret} is stored");
        assert_eq!(occurrences(log.as_bytes(), secret), 0, "{secret} is logged");
    }
    for password in [PASSWORD, NEW_PASSWORD] {
        assert_eq!(
            occurrences(session.seen.as_bytes(), password),
            0,
            "{password} was sent back"
        );
    }
}
