//! Git repositories against real git servers: git's own `http-backend`
//! (smart HTTP, run as a CGI program behind Basic sign-in by this test)
//! and `git-upload-pack` over a real OpenSSH sshd on loopback; first the
//! ref client alone, then git sources through the server functions. The
//! repositories are made with the git CLI, which is also the witness for
//! the commits each branch points to.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use end2end::git::Repositories;
use end2end::sshd::{Sshd, user};
use server::sources::git::{Branch, GitError, Remote, list_refs};
use server::vault::Secret;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use crate::on_both_engines;
use crate::support::{Browser as Caller, Engine, TestApp};

const USER: &str = "alice";
const TOKEN: &str = "glpat-test-token-for-git";

/// The branches of `team/app.git`, as git itself says.
fn expected_branches(repositories: &Repositories) -> Vec<Branch> {
    ["dev", "main"]
        .map(|name| Branch {
            name: name.to_string(),
            commit: repositories.commit(name),
        })
        .to_vec()
}

/// git's `http-backend` behind Basic sign-in: the CGI program answers
/// every request under the root, for [`USER`] with [`TOKEN`] only.
async fn smart_http(root: &Path) -> String {
    let router = Router::new()
        .fallback(cgi)
        .with_state(Arc::new(root.to_path_buf()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

async fn cgi(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    let signed_in = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .is_some_and(|decoded| decoded == format!("{USER}:{TOKEN}").as_bytes());
    if !signed_in {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"git\"")],
            "sign in",
        )
            .into_response();
    }
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let mut child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("GIT_PROJECT_ROOT", root.as_path())
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REMOTE_USER", USER)
        .env("CONTENT_LENGTH", body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&body).await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    // CGI: header lines, a blank line, the body.
    let split = output
        .stdout
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("CGI headers end with a blank line");
    let head = String::from_utf8_lossy(&output.stdout[..split]).to_string();
    let mut response = Response::builder();
    for line in head.split("\r\n") {
        let (name, value) = line.split_once(": ").unwrap();
        if name.eq_ignore_ascii_case("status") {
            let code: u16 = value[..3].parse().unwrap();
            response = response.status(code);
        } else {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(output.stdout[split + 4..].to_vec()))
        .unwrap()
}

fn https<'a>(url: &'a url::Url, token: Option<&'a Secret<String>>) -> Remote<'a> {
    Remote::Https {
        url,
        account: token.map(|token| (USER, token)),
    }
}

#[tokio::test]
async fn smart_http_lists_branches_head_and_the_default_branch() {
    let repositories = Repositories::create();
    let base = smart_http(repositories.root()).await;
    let token = Secret::new(TOKEN.to_string());
    let url = url::Url::parse(&format!("{base}/team/app.git")).unwrap();

    let refs = list_refs(https(&url, Some(&token))).await.unwrap();
    assert_eq!(refs.default_branch.as_deref(), Some("main"));
    assert_eq!(refs.head_commit, Some(repositories.commit("main")));
    assert_eq!(refs.branches, expected_branches(&repositories));
    assert_eq!(refs.branch_count, 2);
    assert_ne!(repositories.commit("main"), repositories.commit("dev"));

    let empty = url::Url::parse(&format!("{base}/team/empty.git")).unwrap();
    let refs = list_refs(https(&empty, Some(&token))).await.unwrap();
    assert!(refs.branches.is_empty(), "{refs:?}");
    assert_eq!(refs.head_commit, None);
}

#[tokio::test]
async fn smart_http_names_a_wrong_token_a_missing_one_and_a_missing_repository() {
    let repositories = Repositories::create();
    let base = smart_http(repositories.root()).await;
    let url = url::Url::parse(&format!("{base}/team/app.git")).unwrap();

    let wrong = Secret::new("not-the-token".to_string());
    let refused = list_refs(https(&url, Some(&wrong))).await;
    let Err(GitError::BadCredentials(message)) = &refused else {
        panic!("expected BadCredentials, got {refused:?}");
    };
    assert!(message.contains(USER), "{message}");
    assert!(!message.contains("not-the-token"), "{message}");

    let anonymous = list_refs(https(&url, None)).await;
    assert!(
        matches!(&anonymous, Err(GitError::BadCredentials(message)) if message.contains("needs")),
        "{anonymous:?}"
    );

    let token = Secret::new(TOKEN.to_string());
    let missing = url::Url::parse(&format!("{base}/team/none.git")).unwrap();
    let refused = list_refs(https(&missing, Some(&token))).await;
    assert!(matches!(refused, Err(GitError::NotFound(_))), "{refused:?}");

    // A web server that is not git: refused as such, not misread.
    let web = smart_http_impostor().await;
    let url = url::Url::parse(&format!("{web}/team/app.git")).unwrap();
    let refused = list_refs(https(&url, None)).await;
    assert!(
        matches!(&refused, Err(GitError::Protocol(message)) if message.contains("smart HTTP")),
        "{refused:?}"
    );

    let closed =
        url::Url::parse(&format!("http://127.0.0.1:{}/x.git", end2end::free_port())).unwrap();
    let refused = list_refs(https(&closed, None)).await;
    assert!(
        matches!(&refused, Err(GitError::Unreachable(message)) if message.contains("refused")),
        "{refused:?}"
    );
}

/// A server that answers every path with an HTML page.
async fn smart_http_impostor() -> String {
    let router = Router::new().fallback(|| async { axum::response::Html("<h1>Welcome</h1>") });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

fn host_key(sshd: &Sshd) -> String {
    std::fs::read_to_string(sshd.path("host_key.pub")).unwrap()
}

#[tokio::test]
async fn over_ssh_upload_pack_lists_the_same_refs_behind_a_pinned_host_key() {
    let repositories = Repositories::create();
    let mut sshd = Sshd::start().await;
    let key = Secret::new(sshd.client_key());
    let pinned = host_key(&sshd);
    let user = user();
    let app = repositories.path("team/app.git").display().to_string();
    let address = sshd.address();
    let listed = list_refs(Remote::Ssh {
        address: &address,
        user: &user,
        path: &app,
        host_key: &pinned,
        private_key: &key,
    })
    .await
    .unwrap();
    assert_eq!(listed.default_branch.as_deref(), Some("main"));
    assert_eq!(listed.head_commit, Some(repositories.commit("main")));
    assert_eq!(listed.branches, expected_branches(&repositories));

    let missing = repositories.path("team/none.git").display().to_string();
    let refused = list_refs(Remote::Ssh {
        address: &address,
        user: &user,
        path: &missing,
        host_key: &pinned,
        private_key: &key,
    })
    .await;
    assert!(
        matches!(&refused, Err(GitError::NotFound(message)) if message.contains("none.git")),
        "{refused:?}"
    );

    sshd.change_host_key().await;
    let refused = list_refs(Remote::Ssh {
        address: &address,
        user: &user,
        path: &app,
        host_key: &pinned,
        private_key: &key,
    })
    .await;
    let Err(GitError::HostKeyMismatch(message)) = &refused else {
        panic!("expected HostKeyMismatch, got {refused:?}");
    };
    assert!(message.contains(&sshd.host_fingerprint()), "{message}");
}

// Git repositories as sources, through the server functions.

async fn add_git(caller: &Caller, args: &[(&str, &str)]) -> String {
    let reply = caller.call_here("add_git", args).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_i64().unwrap().to_string()
}

async fn test_source(caller: &Caller, id: &str) -> serde_json::Value {
    let reply = caller.call_here("test_source", &[("id", id)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn a_repository_over_https_is_added_tested_and_its_branches_listed(engine: Engine) {
    let repositories = Repositories::create();
    let base = smart_http(repositories.root()).await;
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let url = format!("{base}/team/app.git");
    let id = add_git(
        &owner,
        &[
            ("provider", "gitlab"),
            ("name", "App"),
            ("url", &url),
            ("username", USER),
            ("password", TOKEN),
        ],
    )
    .await;

    let tested = test_source(&owner, &id).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(tested["summary"]["kind"], "git");
    assert_eq!(tested["git"]["default_branch"], "main");
    assert_eq!(
        tested["git"]["head_commit"],
        repositories.commit("main").as_str()
    );
    assert_eq!(tested["git"]["branch_count"], 2);

    let branches = owner.call_here("git_branches", &[("id", &id)]).await;
    assert_eq!(branches.status, 200, "{}", branches.body);
    let listed: Vec<(String, String)> = branches.json()["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|branch| {
            (
                branch["name"].as_str().unwrap().to_string(),
                branch["commit"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = expected_branches(&repositories)
        .into_iter()
        .map(|branch| (branch.name, branch.commit))
        .collect();
    assert_eq!(listed, expected);

    // A registry call on a repository is refused on its own terms.
    let tags = owner
        .call_here("registry_tags", &[("id", &id), ("repository", "team/app")])
        .await;
    assert_eq!(tags.status, 422, "{}", tags.body);

    let listed = owner.call("sources", &[]).await;
    assert_eq!(listed.json()[0]["provider"], "gitlab");
    for reply in [&listed.body, &branches.body] {
        assert!(!reply.contains(TOKEN), "{reply}");
    }
    let detail = owner.call("source", &[("id", &id)]).await;
    assert!(!detail.body.contains(TOKEN), "{}", detail.body);

    // A wrong token fails the test and says why.
    let replaced = owner
        .call_here(
            "replace_source_credentials",
            &[("id", &id), ("username", USER), ("password", "wrong-token")],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let tested = test_source(&owner, &id).await;
    assert_eq!(tested["summary"]["status"], "unreachable", "{tested}");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("Bad credentials"), "{error}");
    // What the last good test saw is kept.
    assert_eq!(tested["git"]["default_branch"], "main");
}
on_both_engines!(a_repository_over_https_is_added_tested_and_its_branches_listed);

#[tokio::test]
async fn a_repository_over_ssh_is_pinned_added_tested_and_repinned_after_a_key_change() {
    let repositories = Repositories::create();
    let mut sshd = Sshd::start().await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let url = format!(
        "ssh://{}@{}{}",
        user(),
        sshd.address(),
        repositories.path("team/app.git").display()
    );

    let scanned = owner.call_here("scan_git_host_key", &[("url", &url)]).await;
    assert_eq!(scanned.status, 200, "{}", scanned.body);
    let fingerprint = scanned.json()["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint, sshd.host_fingerprint());
    assert_eq!(scanned.json()["url"], url.as_str());

    let key = sshd.client_key();
    let mismatched = owner
        .call_here(
            "add_git",
            &[
                ("provider", "generic"),
                ("name", "App"),
                ("url", &url),
                ("private_key", &key),
                (
                    "host_key_fingerprint",
                    "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
                ),
            ],
        )
        .await;
    assert_eq!(mismatched.status, 422, "{}", mismatched.body);
    assert_eq!(mismatched.json()["field"], "host_key_fingerprint");

    let id = add_git(
        &owner,
        &[
            ("provider", "generic"),
            ("name", "App"),
            ("url", &url),
            ("private_key", &key),
            ("host_key_fingerprint", &fingerprint),
        ],
    )
    .await;
    let tested = test_source(&owner, &id).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(tested["host_key_fingerprint"], fingerprint.as_str());
    assert_eq!(
        tested["git"]["head_commit"],
        repositories.commit("main").as_str()
    );
    let branches = owner.call_here("git_branches", &[("id", &id)]).await.json();
    assert_eq!(
        branches["branches"][1]["commit"],
        repositories.commit("main").as_str()
    );
    let detail = owner.call("source", &[("id", &id)]).await;
    assert!(!detail.body.contains("PRIVATE KEY"), "{}", detail.body);

    // A key given for a password source is refused, and vice versa.
    let refused = owner
        .call_here(
            "replace_source_credentials",
            &[("id", &id), ("username", "x"), ("password", "y")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.json()["field"], "private_key");

    sshd.change_host_key().await;
    let tested = test_source(&owner, &id).await;
    assert_eq!(tested["summary"]["status"], "unreachable", "{tested}");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("Host key mismatch"), "{error}");
    let branches = owner.call_here("git_branches", &[("id", &id)]).await;
    assert_eq!(branches.status, 502, "{}", branches.body);

    let rescanned = owner
        .call_here("scan_git_host_key", &[("url", &url)])
        .await
        .json();
    let new_fingerprint = rescanned["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(new_fingerprint, sshd.host_fingerprint());
    let pinned = owner
        .call_here(
            "pin_source_host_key",
            &[("id", &id), ("host_key_fingerprint", &new_fingerprint)],
        )
        .await;
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    assert_eq!(
        pinned.json()["host_key_fingerprint"],
        new_fingerprint.as_str()
    );
    let tested = test_source(&owner, &id).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
}

#[tokio::test]
async fn git_forms_are_checked_field_by_field() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    for (args, field) in [
        (
            vec![
                ("provider", "ghcr"),
                ("name", "G"),
                ("url", "https://h/x.git"),
            ],
            "provider",
        ),
        (
            vec![("provider", "github"), ("name", "G"), ("url", "h/x.git")],
            "url",
        ),
        (
            vec![
                ("provider", "github"),
                ("name", "G"),
                ("url", "git@github.com:acme/app.git"),
            ],
            "private_key",
        ),
        (
            vec![
                ("provider", "github"),
                ("name", "G"),
                ("url", "git@github.com:acme/app.git"),
                (
                    "private_key",
                    "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----",
                ),
            ],
            "host_key_fingerprint",
        ),
    ] {
        let reply = owner.call_here("add_git", &args).await;
        assert_eq!(reply.status, 422, "{args:?}: {}", reply.body);
        assert_eq!(reply.json()["field"], field, "{args:?}");
    }
}
