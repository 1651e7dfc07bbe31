//! The planted-secret test: a password, a session cookie, and host,
//! registry and git credentials sealed by the vault go through a whole session of the real
//! server, then the database file, the server's debug log and every HTTP
//! response are searched for them.

use end2end::{Server, encode};

const PASSWORD: &str = "planted-password-7c1e9d4b2a";
const NEW_PASSWORD: &str = "planted-password-changed-3f8a";
const RUNPOD_KEY: &str = "rpa_planted_runpod_key_5d2e8c";
const RUNPOD_KEY_REPLACED: &str = "rpa_planted_replacement_91b7";
const FLY_TOKEN: &str = "fm2_planted_fly_token_a4c6";
const REGISTRY_PASSWORD: &str = "planted-registry-password-6e0f";
const REGISTRY_PASSWORD_REPLACED: &str = "planted-registry-replacement-2b9d";
const GIT_TOKEN: &str = "planted-git-token-8d31aa";

/// A client that keeps the session cookie by hand and records every
/// response it gets.
struct Session<'a> {
    server: &'a Server,
    client: reqwest::Client,
    cookie: Option<String>,
    seen: String,
    /// The body of the last response.
    last: String,
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
        self.last = response.text().await.unwrap_or_default();
        self.seen.push_str(&self.last);
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
    // Provider calls go to a port nothing listens on: the test is about
    // where the credentials travel, not what the providers answer.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let fly_url = format!("http://{closed}/v1");
    let runpod_url = format!("http://{closed}/v2");
    let server = Server::start_with(&[
        ("CAVEMAN_LOG", "debug"),
        ("CAVEMAN_FLY_API_URL", &fly_url),
        ("CAVEMAN_RUNPOD_API_URL", &runpod_url),
    ])
    .await;
    server
        .create_account("ada@example.com", "Ada", PASSWORD)
        .await;
    let mut session = Session {
        server: &server,
        client: end2end::http_client(),
        cookie: None,
        seen: String::new(),
        last: String::new(),
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

    // Host credentials: stored, tested (each test opens them), replaced.
    assert_eq!(session.call("viewer", &[]).await, 200);
    let viewer: serde_json::Value = serde_json::from_str(&session.last).unwrap();
    let workspace = viewer["workspace"]["id"].as_i64().unwrap().to_string();
    let mut hosts = Vec::new();
    for (kind, secret, org) in [("runpod", RUNPOD_KEY, ""), ("fly", FLY_TOKEN, "acme")] {
        let args = [
            ("workspace_id", workspace.as_str()),
            ("kind", kind),
            ("name", kind),
            ("org_slug", org),
            ("secret", secret),
        ];
        assert_eq!(
            session.call("add_host", &args).await,
            200,
            "{}",
            session.last
        );
        hosts.push(session.last.clone());
    }
    for id in &hosts {
        let args = [("workspace_id", workspace.as_str()), ("id", id.as_str())];
        assert_eq!(
            session.call("test_host", &args).await,
            200,
            "{}",
            session.last
        );
        assert!(session.last.contains("refused"), "{}", session.last);
        assert_eq!(session.call("host", &[("id", id)]).await, 200);
        assert_eq!(session.get(&format!("/hosts/{id}")).await, 200);
    }
    let args = [
        ("workspace_id", workspace.as_str()),
        ("id", hosts[0].as_str()),
        ("secret", RUNPOD_KEY_REPLACED),
    ];
    assert_eq!(
        session.call("replace_host_credentials", &args).await,
        200,
        "{}",
        session.last
    );
    assert_eq!(session.call("hosts", &[]).await, 200);
    assert_eq!(session.get("/hosts").await, 200);

    // A registry's password: stored, used to sign in and browse, replaced.
    let registry_url = format!("http://{closed}");
    let args = [
        ("workspace_id", workspace.as_str()),
        ("provider", "generic"),
        ("name", "Registry"),
        ("url", registry_url.as_str()),
        ("username", "robot"),
        ("password", REGISTRY_PASSWORD),
    ];
    assert_eq!(
        session.call("add_registry", &args).await,
        200,
        "{}",
        session.last
    );
    let source = session.last.clone();
    let args = [
        ("workspace_id", workspace.as_str()),
        ("id", source.as_str()),
    ];
    assert_eq!(session.call("test_source", &args).await, 200);
    assert!(session.last.contains("unreachable"), "{}", session.last);
    assert_eq!(session.call("registry_repositories", &args).await, 502);
    let args = [
        ("workspace_id", workspace.as_str()),
        ("id", source.as_str()),
        ("repository", "team/app"),
    ];
    assert_eq!(session.call("registry_tags", &args).await, 502);
    let args = [
        ("workspace_id", workspace.as_str()),
        ("id", source.as_str()),
        ("username", "robot"),
        ("password", REGISTRY_PASSWORD_REPLACED),
    ];
    assert_eq!(
        session.call("replace_source_credentials", &args).await,
        200,
        "{}",
        session.last
    );
    let args = [
        ("workspace_id", workspace.as_str()),
        ("id", source.as_str()),
    ];
    assert_eq!(session.call("test_source", &args).await, 200);
    assert_eq!(session.call("source", &[("id", &source)]).await, 200);
    assert_eq!(session.call("sources", &[]).await, 200);
    assert_eq!(session.get("/sources").await, 200);
    assert_eq!(session.get(&format!("/sources/{source}")).await, 200);

    // A git token over HTTPS, and a private key over SSH (a real sshd, so
    // that its host key can be pinned; the repository itself is missing).
    let git_url = format!("http://{closed}/team/app.git");
    let args = [
        ("workspace_id", workspace.as_str()),
        ("provider", "github"),
        ("name", "Git over HTTPS"),
        ("url", git_url.as_str()),
        ("username", "robot"),
        ("password", GIT_TOKEN),
    ];
    assert_eq!(
        session.call("add_git", &args).await,
        200,
        "{}",
        session.last
    );
    let git_https = session.last.clone();
    let sshd = end2end::sshd::Sshd::start().await;
    let ssh_url = format!(
        "ssh://{}@{}/srv/none.git",
        end2end::sshd::user(),
        sshd.address()
    );
    let args = [
        ("workspace_id", workspace.as_str()),
        ("url", ssh_url.as_str()),
    ];
    assert_eq!(
        session.call("scan_git_host_key", &args).await,
        200,
        "{}",
        session.last
    );
    let private_key = sshd.client_key();
    let fingerprint = sshd.host_fingerprint();
    let args = [
        ("workspace_id", workspace.as_str()),
        ("provider", "generic"),
        ("name", "Git over SSH"),
        ("url", ssh_url.as_str()),
        ("private_key", private_key.as_str()),
        ("host_key_fingerprint", fingerprint.as_str()),
    ];
    assert_eq!(
        session.call("add_git", &args).await,
        200,
        "{}",
        session.last
    );
    let git_ssh = session.last.clone();
    for id in [&git_https, &git_ssh] {
        let args = [("workspace_id", workspace.as_str()), ("id", id.as_str())];
        assert_eq!(session.call("test_source", &args).await, 200);
        assert!(session.last.contains("unreachable"), "{}", session.last);
        assert_eq!(session.call("git_branches", &args).await, 502);
        assert_eq!(session.get(&format!("/sources/{id}")).await, 200);
    }
    assert_eq!(session.get("/sources").await, 200);
    // The key's body: its BEGIN and END lines are not secret.
    let key_body: String = private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();

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

    assert!(
        occurrences(&stored, "host_credentials_replaced") > 0,
        "the search sees the hosts' rows"
    );
    assert!(
        occurrences(&stored, "source_credentials_replaced") > 0,
        "the search sees the sources' rows"
    );

    let credentials = [
        RUNPOD_KEY,
        RUNPOD_KEY_REPLACED,
        FLY_TOKEN,
        REGISTRY_PASSWORD,
        REGISTRY_PASSWORD_REPLACED,
        GIT_TOKEN,
    ];
    for secret in [PASSWORD, NEW_PASSWORD, session_id.as_str()]
        .into_iter()
        .chain(credentials)
    {
        assert_eq!(occurrences(&stored, secret), 0, "{secret} is stored");
        assert_eq!(occurrences(log.as_bytes(), secret), 0, "{secret} is logged");
    }
    // Each line of the key's body, since a stored or sent copy could be
    // wrapped or escaped differently from the pasted text.
    for line in private_key
        .lines()
        .filter(|line| !line.starts_with("-----"))
    {
        assert_eq!(
            occurrences(&stored, line),
            0,
            "a private key line is stored"
        );
        assert_eq!(
            occurrences(log.as_bytes(), line),
            0,
            "a private key line is logged"
        );
        assert_eq!(
            occurrences(session.seen.as_bytes(), line),
            0,
            "a private key line was sent back"
        );
    }
    assert!(key_body.len() > 40, "the key has a body to search for");
    for password in [PASSWORD, NEW_PASSWORD].into_iter().chain(credentials) {
        assert_eq!(
            occurrences(session.seen.as_bytes(), password),
            0,
            "{password} was sent back"
        );
    }
}
