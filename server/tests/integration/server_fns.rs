//! Server functions called over HTTP as the browser calls them.

use crate::on_both_engines;
use crate::support::{Engine, TestApp};

async fn server_info_reports_the_engine_and_migration_level(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let browser = app.signed_in("ada@example.com", "Ada").await;

    let reply = browser.call("server_info", &[]).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let info = reply.json();
    let expected_engine = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(info["database"], expected_engine);
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["migrations"]["applied"].as_i64().is_some(), "{info}");
    assert_eq!(
        info["migrations"]["applied"],
        info["migrations"]["latest_known"]
    );
    assert!(
        info["installed_at"].as_str().unwrap().ends_with('Z'),
        "{info}"
    );
}
on_both_engines!(server_info_reports_the_engine_and_migration_level);

#[tokio::test]
async fn server_info_is_for_signed_in_callers_only() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app.call("server_info", "").await;

    assert_eq!(response.status(), 401);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"kind":"unauthenticated"}"#
    );
}

async fn a_failing_server_function_answers_500_without_internals(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let browser = app.signed_in("ada@example.com", "Ada").await;
    app.db.close().await;

    let reply = browser.call("server_info", &[]).await;

    assert_eq!(reply.status, 500);
    assert_eq!(reply.body, r#"{"kind":"internal"}"#);
}
on_both_engines!(a_failing_server_function_answers_500_without_internals);

#[tokio::test]
async fn an_unknown_server_function_is_not_found() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app.call("no_such_function", "").await;

    // Unregistered paths under /api fall through to the page router.
    assert_eq!(response.status(), 404);
}
