//! `/healthz` and `/readyz`.

use serde_json::Value;

use crate::on_both_engines;
use crate::support::{Engine, TestApp};

async fn liveness_answers_while_the_process_runs(engine: Engine) {
    let app = TestApp::spawn(engine).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
}
on_both_engines!(liveness_answers_while_the_process_runs);

async fn readiness_is_ok_when_the_database_answers(engine: Engine) {
    let app = TestApp::spawn(engine).await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), 200);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["database"], "ok");
}
on_both_engines!(readiness_is_ok_when_the_database_answers);

async fn readiness_fails_when_the_database_is_gone(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.db.close().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), 503);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "unreachable");
}
on_both_engines!(readiness_fails_when_the_database_is_gone);
