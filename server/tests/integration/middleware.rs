//! What every response gets: request ids, security headers, body limits.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Engine, TestApp};

#[tokio::test]
async fn every_response_carries_a_fresh_request_id() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;

    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id(&first).len(), 32);
    assert_ne!(id(&first), id(&second));
}

#[tokio::test]
async fn a_plain_caller_request_id_is_propagated() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["x-request-id"], "trace-42.a_b");
}

#[tokio::test]
async fn an_unsafe_caller_request_id_is_replaced() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(200))
        .send()
        .await
        .unwrap();

    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 32, "{id}");
}

#[tokio::test]
async fn responses_forbid_framing_and_mime_sniffing() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app.get("/").await;

    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app
        .client
        .post(app.url("/api/server_info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: caveman\r\n")
        .await
        .unwrap();
    let started = Instant::now();

    let mut buffer = [0_u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer)).await;

    assert!(read.is_ok(), "the connection was still open after 20 s");
    // Closed by the header-read deadline (10 s), not at once.
    assert!(
        started.elapsed() >= Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn state_changing_requests_from_another_site_are_refused() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let request = |origin: Option<&str>, cookie: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/request_magic_link"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body("email=ada%40example.com");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request
    };

    let cross_site = request(Some("https://evil.example"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let body = cross_site.text().await.unwrap();
    assert!(body.contains("did not come from a Caveman page"), "{body}");

    let no_origin_with_cookie = request(None, Some("caveman_session=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin_with_cookie.status(), 403);

    let other_scheme = app.base_url.replace("http://", "https://");
    let wrong_scheme = request(Some(&other_scheme), None).send().await.unwrap();
    assert_eq!(wrong_scheme.status(), 403, "another scheme is another site");

    let same_origin = request(Some(&app.base_url), None).send().await.unwrap();
    assert_eq!(same_origin.status(), 200);

    let public_origin = request(Some("http://127.0.0.1:3000"), None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        public_origin.status(),
        200,
        "the configured public URL is this site too"
    );

    // A Referer from this site stands in for a missing Origin.
    let referred = app
        .client
        .post(app.url("/api/request_magic_link"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("referer", app.url("/sign-in-link"))
        .header("cookie", "caveman_session=x")
        .body("email=ada%40example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), 200);
}
