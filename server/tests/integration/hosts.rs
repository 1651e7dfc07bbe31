//! Hosts: a Docker engine on this machine's real socket, Fly.io and RunPod
//! through fakes that follow the specs, credentials that never come back,
//! and who may do what.

use crate::fakes::{self, FLY_APPS, FLY_ORG, FLY_TOKEN, RUNPOD_KEY};
use crate::on_both_engines;
use crate::support::{Browser, Engine, TestApp};

const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// An application whose provider URLs point at fresh fakes.
async fn app_with_fakes(engine: Engine) -> TestApp {
    let fly = fakes::fly().await;
    let runpod = fakes::runpod().await;
    TestApp::spawn_with(
        engine,
        &[
            ("fly_api_url", &fly.base_url),
            ("runpod_api_url", &runpod.base_url),
        ],
    )
    .await
}

async fn add(browser: &Browser, args: &[(&str, &str)]) -> i64 {
    let reply = browser.call_here("add_host", args).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json().as_i64().unwrap()
}

async fn test_host(browser: &Browser, id: i64) -> serde_json::Value {
    let reply = browser
        .call_here("test_host", &[("id", &id.to_string())])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// The engine's version as the docker CLI reports it: a witness
/// independent of Caveman's client.
fn docker_cli_version() -> String {
    let output = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .expect("the docker CLI runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

async fn docker_host_over_the_local_socket(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[
            ("kind", "docker"),
            ("name", "This machine"),
            ("socket_path", DOCKER_SOCKET),
            ("labels", "env=test, local"),
        ],
    )
    .await;
    let before = owner.call("host", &[("id", &id.to_string())]).await.json();
    assert_eq!(before["summary"]["status"], "unknown");
    assert!(before["facts"].is_null());

    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    let facts = &tested["facts"];
    assert_eq!(facts["kind"], "docker");
    assert_eq!(facts["engine_version"], docker_cli_version().as_str());
    assert!(facts["cpus"].as_i64().unwrap() >= 1, "{facts}");
    assert!(facts["memory_bytes"].as_i64().unwrap() > 0, "{facts}");
    assert!(tested["summary"]["checked_at"].as_i64().is_some());
    assert!(tested["summary"]["latency_ms"].as_i64().is_some());
    assert_eq!(
        tested["summary"]["labels"],
        serde_json::json!(["env=test", "local"])
    );

    let listed = owner.call("hosts", &[]).await.json();
    assert_eq!(listed[0]["name"], "This machine");
    assert_eq!(listed[0]["status"], "reachable");
    assert_eq!(listed[0]["target"], format!("unix://{DOCKER_SOCKET}"));
}
on_both_engines!(docker_host_over_the_local_socket);

#[tokio::test]
async fn only_sockets_the_operator_allows_can_be_registered_and_a_missing_one_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.sock");
    let missing = missing.to_str().unwrap();
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        &[("docker_sockets", &format!("{DOCKER_SOCKET},{missing}"))],
    )
    .await;
    let owner = app.signed_in("owner@example.com", "Olga").await;

    let refused = owner
        .call_here(
            "add_host",
            &[
                ("kind", "docker"),
                ("name", "Root"),
                ("socket_path", "/run/other.sock"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.json()["field"], "socket_path");

    let id = add(
        &owner,
        &[
            ("kind", "docker"),
            ("name", "Gone"),
            ("socket_path", missing),
        ],
    )
    .await;
    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    let error = tested["check_error"].as_str().unwrap();
    assert!(
        error.starts_with("Unreachable: There is no socket at"),
        "{error}"
    );

    // Names are unique within a workspace.
    let again = owner
        .call_here(
            "add_host",
            &[
                ("kind", "docker"),
                ("name", "Gone"),
                ("socket_path", DOCKER_SOCKET),
            ],
        )
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(again.json()["field"], "name");
}

async fn fly_and_runpod_through_their_fakes(engine: Engine) {
    let app = app_with_fakes(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;

    let fly = add(
        &owner,
        &[
            ("kind", "fly"),
            ("name", "Fly"),
            ("org_slug", FLY_ORG),
            ("secret", FLY_TOKEN),
        ],
    )
    .await;
    let tested = test_host(&owner, fly).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(tested["facts"]["app_count"], FLY_APPS.len());
    assert_eq!(tested["has_credentials"], true);

    let runpod = add(
        &owner,
        &[
            ("kind", "runpod"),
            ("name", "GPUs"),
            ("secret", "rpa_WRONG"),
        ],
    )
    .await;
    let tested = test_host(&owner, runpod).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    assert_eq!(
        tested["check_error"],
        "Bad credentials: RunPod refused the API key: Invalid API key"
    );

    // Replacing the key fixes it; the facts come from the catalogue.
    let replaced = owner
        .call_here(
            "replace_host_credentials",
            &[("id", &runpod.to_string()), ("secret", RUNPOD_KEY)],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let tested = test_host(&owner, runpod).await;
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert_eq!(tested["facts"]["gpu_types"][0]["display_name"], "A40");
    assert!(tested["check_error"].is_null());

    // A Fly.io organisation the token does not belong to.
    let other = add(
        &owner,
        &[
            ("kind", "fly"),
            ("name", "Other org"),
            ("org_slug", "someone-else"),
            ("secret", FLY_TOKEN),
        ],
    )
    .await;
    let tested = test_host(&owner, other).await;
    assert_eq!(
        tested["check_error"],
        "Not found: Fly.io knows no organisation someone-else for this token."
    );

    // No reply ever carries a credential.
    for endpoint in ["hosts", "audit_log"] {
        let body = owner.call(endpoint, &[]).await.body;
        assert!(
            !body.contains(FLY_TOKEN) && !body.contains(RUNPOD_KEY),
            "{body}"
        );
    }
    let body = owner
        .call("host", &[("id", &runpod.to_string())])
        .await
        .body;
    assert!(!body.contains(RUNPOD_KEY), "{body}");

    // Deleting removes it.
    let deleted = owner
        .call_here("delete_host", &[("id", &other.to_string())])
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        owner
            .call("host", &[("id", &other.to_string())])
            .await
            .status,
        404
    );
    assert_eq!(
        owner
            .call("hosts", &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
on_both_engines!(fly_and_runpod_through_their_fakes);

#[tokio::test]
async fn a_provider_that_refuses_connections_is_reported_as_unreachable() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v2", closed.local_addr().unwrap());
    drop(closed);
    let app = TestApp::spawn_with(Engine::Sqlite, &[("runpod_api_url", &url)]).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let id = add(
        &owner,
        &[("kind", "runpod"), ("name", "GPUs"), ("secret", RUNPOD_KEY)],
    )
    .await;
    let tested = test_host(&owner, id).await;
    assert_eq!(tested["summary"]["status"], "unreachable");
    assert_eq!(
        tested["check_error"],
        "Unreachable: RunPod refused the connection."
    );
}

#[tokio::test]
async fn forms_name_the_field_to_fix() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    for (args, field) in [
        (
            vec![("kind", "fly"), ("name", "F"), ("secret", "x")],
            "org_slug",
        ),
        (
            vec![("kind", "fly"), ("name", "F"), ("org_slug", "acme")],
            "secret",
        ),
        (
            vec![("kind", "runpod"), ("name", ""), ("secret", "x")],
            "name",
        ),
        (
            vec![("kind", "runpod"), ("name", "R"), ("secret", "a b")],
            "secret",
        ),
        (vec![("kind", "ftp"), ("name", "R")], "kind"),
        (
            vec![
                ("kind", "docker"),
                ("name", "D"),
                ("socket_path", "/var/run/docker.sock"),
                ("labels", "Bad Label"),
            ],
            "labels",
        ),
    ] {
        let reply = owner.call_here("add_host", &args).await;
        assert_eq!(reply.status, 422, "{args:?}: {}", reply.body);
        assert_eq!(reply.json()["field"], field, "{args:?}");
    }
    assert_eq!(owner.call("hosts", &[]).await.json(), serde_json::json!([]));
}

#[tokio::test]
async fn members_see_and_test_hosts_but_change_nothing() {
    let app = app_with_fakes(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let member = app.member_of(&owner, "member@example.com", "Mia").await;
    let id = add(
        &owner,
        &[("kind", "runpod"), ("name", "GPUs"), ("secret", RUNPOD_KEY)],
    )
    .await;
    let id = id.to_string();

    assert_eq!(member.call("hosts", &[]).await.json()[0]["name"], "GPUs");
    assert_eq!(
        test_host(&member, id.parse().unwrap()).await["summary"]["status"],
        "reachable"
    );
    for (endpoint, args) in [
        (
            "add_host",
            vec![("kind", "runpod"), ("name", "Mine"), ("secret", "x")],
        ),
        (
            "update_host",
            vec![("id", id.as_str()), ("name", "Renamed")],
        ),
        (
            "replace_host_credentials",
            vec![("id", id.as_str()), ("secret", "stolen")],
        ),
        ("delete_host", vec![("id", id.as_str())]),
    ] {
        let reply = member.call_here(endpoint, &args).await;
        assert_eq!(reply.status, 403, "{endpoint}: {}", reply.body);
    }
    // The host and its working key are untouched.
    assert_eq!(
        test_host(&owner, id.parse().unwrap()).await["summary"]["status"],
        "reachable"
    );
    assert_eq!(member.call("hosts", &[]).await.json()[0]["name"], "GPUs");
}
