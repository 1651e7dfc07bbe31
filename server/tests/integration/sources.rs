//! Sources through the server functions, against the real registry of
//! `registry.rs` (Debian's docker-registry with images pushed by this
//! machine's Docker engine): adding a registry, testing its sign-in,
//! browsing the catalogue and tags with the digests Docker reported, a
//! password that never comes back, and who may do what.

use crate::on_both_engines;
use crate::registry::{ADMIN, ADMIN_PASSWORD, READER, READER_PASSWORD, SignIn, TestRegistry};
use crate::support::{Browser, Engine, TestApp};

async fn add(browser: &Browser, args: &[(&str, &str)]) -> String {
    let reply = browser.call_here("add_registry", args).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(!reply.body.contains(ADMIN_PASSWORD), "{}", reply.body);
    reply.json().as_i64().unwrap().to_string()
}

async fn a_private_registry_is_added_tested_and_browsed_with_real_digests(engine: Engine) {
    let mut registry = TestRegistry::start(SignIn::Htpasswd).await;
    let pushed = registry
        .push("app v1", &["team/app:v1", "team/app:stable"])
        .await;
    let web = registry.push("web v1", &["team/web:v1"]).await;
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let url = registry.url.to_string();

    let id = add(
        &owner,
        &[
            ("provider", "generic"),
            ("name", "Private"),
            ("url", &url),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    let detail = owner.call("source", &[("id", &id)]).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let detail_json = detail.json();
    assert_eq!(detail_json["summary"]["status"], "unknown");
    assert_eq!(detail_json["summary"]["username"], ADMIN);
    assert_eq!(detail_json["has_credentials"], true);
    assert!(!detail.body.contains(ADMIN_PASSWORD));

    let tested = owner.call_here("test_source", &[("id", &id)]).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    let tested = tested.json();
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");
    assert!(tested["summary"]["latency_ms"].as_i64().is_some());
    assert!(tested["check_error"].is_null());

    let repositories = owner
        .call_here("registry_repositories", &[("id", &id)])
        .await;
    assert_eq!(repositories.status, 200, "{}", repositories.body);
    assert_eq!(
        repositories.json(),
        serde_json::json!({"kind": "listed", "names": ["team/app", "team/web"], "next": null})
    );

    let tags = owner
        .call_here("registry_tags", &[("id", &id), ("repository", "team/app")])
        .await;
    assert_eq!(tags.status, 200, "{}", tags.body);
    let tags = tags.json();
    assert_eq!(tags["repository"], "team/app");
    assert_eq!(tags["next"], serde_json::Value::Null);
    // In the registry's order, which distribution does not promise to be
    // lexical.
    let mut shown: Vec<(String, String)> = tags["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["tag"].as_str().unwrap().to_string(),
                row["digest"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    shown.sort();
    let expected: Vec<(String, String)> = ["stable", "v1"]
        .iter()
        .map(|tag| {
            let digest = &pushed[&format!("team/app:{tag}")];
            (tag.to_string(), digest.as_str().to_string())
        })
        .collect();
    assert_eq!(shown, expected);
    let web_tags = owner
        .call_here("registry_tags", &[("id", &id), ("repository", "team/web")])
        .await
        .json();
    assert_eq!(
        web_tags["tags"][0]["digest"],
        web["team/web:v1"].as_str(),
        "{web_tags}"
    );

    let unknown = owner
        .call_here(
            "registry_tags",
            &[("id", &id), ("repository", "team/nothing")],
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.json()["field"], "repository");
    let malformed = owner
        .call_here("registry_tags", &[("id", &id), ("repository", "Team/../x")])
        .await;
    assert_eq!(malformed.status, 422, "{}", malformed.body);

    let listed = owner.call("sources", &[]).await;
    assert_eq!(listed.json()[0]["name"], "Private");
    assert_eq!(listed.json()[0]["status"], "reachable");
    assert!(!listed.body.contains(ADMIN_PASSWORD));
}
on_both_engines!(a_private_registry_is_added_tested_and_browsed_with_real_digests);

#[tokio::test]
async fn a_wrong_password_fails_the_test_and_a_replaced_one_passes() {
    let registry = TestRegistry::start(SignIn::Token).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let url = registry.url.to_string();
    let id = add(
        &owner,
        &[
            ("provider", "generic"),
            ("name", "Tokens"),
            ("url", &url),
            ("username", ADMIN),
            ("password", "not-the-password"),
        ],
    )
    .await;

    let tested = owner.call_here("test_source", &[("id", &id)]).await.json();
    assert_eq!(tested["summary"]["status"], "unreachable", "{tested}");
    let error = tested["check_error"].as_str().unwrap();
    assert!(error.starts_with("Bad credentials"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
    let browsing = owner
        .call_here("registry_repositories", &[("id", &id)])
        .await;
    assert_eq!(browsing.status, 502, "{}", browsing.body);

    let replaced = owner
        .call_here(
            "replace_source_credentials",
            &[
                ("id", &id),
                ("username", ADMIN),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let after = owner.call("source", &[("id", &id)]).await.json();
    assert_eq!(
        after["summary"]["status"], "unknown",
        "a new account is untested"
    );
    let tested = owner.call_here("test_source", &[("id", &id)]).await.json();
    assert_eq!(tested["summary"]["status"], "reachable", "{tested}");

    // An account whose tokens carry no catalogue right is told so.
    let replaced = owner
        .call_here(
            "replace_source_credentials",
            &[
                ("id", &id),
                ("username", READER),
                ("password", READER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let denied = owner
        .call_here("registry_repositories", &[("id", &id)])
        .await;
    assert_eq!(denied.status, 502, "{}", denied.body);
    assert!(denied.body.contains("Denied"), "{}", denied.body);
}

#[tokio::test]
async fn forms_are_checked_field_by_field() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    for (args, field) in [
        (vec![("provider", "quay"), ("name", "Q")], "provider"),
        (vec![("provider", "generic"), ("name", "G")], "url"),
        (
            vec![
                ("provider", "generic"),
                ("name", "G"),
                ("url", "https://alice:pw@example.com"),
            ],
            "url",
        ),
        (
            vec![("provider", "ghcr"), ("name", ""), ("username", "octo")],
            "name",
        ),
        (
            vec![("provider", "ghcr"), ("name", "G"), ("username", "octo")],
            "password",
        ),
        (
            vec![("provider", "ghcr"), ("name", "G"), ("password", "ghp_x")],
            "username",
        ),
    ] {
        let reply = owner.call_here("add_registry", &args).await;
        assert_eq!(reply.status, 422, "{args:?}: {}", reply.body);
        assert_eq!(reply.json()["field"], field, "{args:?}");
    }
    // A known provider needs no address; the name is unique per workspace.
    let github = add(&owner, &[("provider", "ghcr"), ("name", "GitHub")]).await;
    let listed = owner.call("sources", &[]).await.json();
    assert_eq!(listed[0]["url"], "https://ghcr.io");
    assert!(listed[0]["username"].is_null());
    // GHCR has no catalogue, and its API lists an account's packages:
    // used anonymously, the page is told so without asking anything.
    let repositories = owner
        .call_here("registry_repositories", &[("id", &github)])
        .await;
    assert_eq!(repositories.status, 200, "{}", repositories.body);
    assert_eq!(repositories.json()["kind"], "no_catalogue");
    assert!(
        repositories.json()["why"]
            .as_str()
            .unwrap()
            .contains("GitHub Container Registry lists the repositories of an account"),
        "{}",
        repositories.body
    );
    let again = owner
        .call_here("add_registry", &[("provider", "ghcr"), ("name", "GitHub")])
        .await;
    assert_eq!(again.status, 422, "{}", again.body);
    assert_eq!(again.json()["field"], "name");
}

#[tokio::test]
async fn members_browse_and_test_but_change_nothing_and_other_workspaces_see_nothing() {
    let mut registry = TestRegistry::start(SignIn::Htpasswd).await;
    registry.push("app v1", &["team/app:v1"]).await;
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let member = app.member_of(&owner, "member@example.com", "Mia").await;
    let stranger = app.signed_in("stranger@example.com", "Sam").await;
    let url = registry.url.to_string();
    let id = add(
        &owner,
        &[
            ("provider", "generic"),
            ("name", "Private"),
            ("url", &url),
            ("username", ADMIN),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;

    assert_eq!(
        member.call("sources", &[]).await.json()[0]["name"],
        "Private"
    );
    let tested = member.call_here("test_source", &[("id", &id)]).await;
    assert_eq!(tested.json()["summary"]["status"], "reachable");
    let tags = member
        .call_here("registry_tags", &[("id", &id), ("repository", "team/app")])
        .await;
    assert_eq!(tags.status, 200, "{}", tags.body);
    for (endpoint, args) in [
        ("add_registry", vec![("provider", "ghcr"), ("name", "Mine")]),
        (
            "update_source",
            vec![("id", id.as_str()), ("name", "Renamed")],
        ),
        (
            "replace_source_credentials",
            vec![("id", id.as_str()), ("username", "x"), ("password", "y")],
        ),
        ("delete_source", vec![("id", id.as_str())]),
    ] {
        let reply = member.call_here(endpoint, &args).await;
        assert_eq!(reply.status, 403, "{endpoint}: {}", reply.body);
    }

    assert_eq!(
        stranger.call("sources", &[]).await.json(),
        serde_json::json!([])
    );
    for (endpoint, args) in [
        ("test_source", vec![("id", id.as_str())]),
        (
            "registry_tags",
            vec![("id", id.as_str()), ("repository", "team/app")],
        ),
        ("registry_repositories", vec![("id", id.as_str())]),
        ("delete_source", vec![("id", id.as_str())]),
    ] {
        let reply = stranger.call_here(endpoint, &args).await;
        assert_eq!(reply.status, 404, "{endpoint}: {}", reply.body);
    }
    let source = stranger.call("source", &[("id", &id)]).await;
    assert_eq!(source.status, 404, "{}", source.body);

    // Still there, still working, under its own name.
    let after = owner.call("source", &[("id", &id)]).await.json();
    assert_eq!(after["summary"]["name"], "Private");
    assert_eq!(after["has_credentials"], true);
}
