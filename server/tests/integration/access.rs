//! The access matrix: every server function and every page route, called
//! by an anonymous visitor, a member, an admin and an owner of a shared
//! workspace, and by an outsider who belongs only to a workspace of their
//! own. Each cell names the one outcome allowed.
//!
//! The test fails when a server function or route exists without an entry
//! here, so a new endpoint cannot ship without deciding who may call it.

use std::collections::BTreeSet;

use app::hosts::HostKind;
use server::db::Database;
use server::hosts::store::{self as host_store, Endpoint};
use server::sources::store as source_store;
use server::workspaces::store as workspace_store;

use crate::support::{Browser, Engine, PASSWORD, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Member,
    Admin,
    Owner,
    Outsider,
}

const CALLERS: [Caller; 5] = [
    Caller::Anonymous,
    Caller::Member,
    Caller::Admin,
    Caller::Owner,
    Caller::Outsider,
];

/// The outcome of one call, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 200: done.
    Ok,
    /// 401: sign in first.
    SignIn,
    /// 403: the role does not allow it.
    Forbidden,
    /// 404: not visible to this caller (or an unknown token).
    NotFound,
    /// 409: allowed, but refused by a rule (the last owner leaving).
    Conflict,
    /// 422: refused for what was sent (an invitation for another address).
    Unprocessable,
    /// 502: allowed, and the outside service it called failed.
    BadGateway,
}

use Outcome::{BadGateway, Conflict, Forbidden, NotFound, Ok, SignIn, Unprocessable};

impl Outcome {
    fn of(status: u16) -> Option<Outcome> {
        Some(match status {
            200 => Ok,
            401 => SignIn,
            403 => Forbidden,
            404 => NotFound,
            409 => Conflict,
            422 => Unprocessable,
            502 => BadGateway,
            _ => return None,
        })
    }
}

/// What a case needs to build its arguments.
struct Case {
    workspace_id: i64,
    target_id: i64,
    invitation_id: i64,
    invitation_token: String,
    target_session: String,
    target_token: i64,
    /// A Docker host (local socket) and a RunPod host of the shared
    /// workspace.
    docker_host: i64,
    runpod_host: i64,
    /// A registry of the shared workspace at an address nothing answers.
    registry: i64,
    unique: String,
}

/// A syntactically valid token that was never issued.
const UNKNOWN_TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// One row: endpoint, arguments, and the outcome for anonymous, member,
/// admin, owner and outsider.
type Row = (
    &'static str,
    fn(&Case) -> Vec<(String, String)>,
    [Outcome; 5],
);

fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_string(), (*value).to_string()))
        .collect()
}

fn matrix() -> Vec<Row> {
    vec![
        (
            "sign_up",
            |c| {
                args(&[
                    ("email", &format!("new-{}@example.com", c.unique)),
                    ("display_name", "New"),
                    ("password", PASSWORD),
                ])
            },
            [Ok, Ok, Ok, Ok, Ok],
        ),
        (
            "confirm_email",
            |_| args(&[("token", UNKNOWN_TOKEN)]),
            [NotFound; 5],
        ),
        (
            "resend_confirmation",
            |_| args(&[("email", "someone@example.com")]),
            [Ok; 5],
        ),
        (
            "sign_in",
            |_| args(&[("email", "owner@example.com"), ("password", PASSWORD)]),
            [Ok; 5],
        ),
        ("sign_out", |_| args(&[]), [Ok; 5]),
        ("viewer", |_| args(&[]), [Ok; 5]),
        (
            "request_password_reset",
            |_| args(&[("email", "someone@example.com")]),
            [Ok; 5],
        ),
        (
            "reset_password",
            |_| args(&[("token", UNKNOWN_TOKEN), ("password", PASSWORD)]),
            [NotFound; 5],
        ),
        (
            "request_magic_link",
            |_| args(&[("email", "someone@example.com")]),
            [Ok; 5],
        ),
        (
            "magic_sign_in",
            |_| args(&[("token", UNKNOWN_TOKEN)]),
            [NotFound; 5],
        ),
        (
            "confirm_password",
            |_| args(&[("password", PASSWORD)]),
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        (
            "change_password",
            |_| args(&[("current", PASSWORD), ("new", PASSWORD)]),
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        (
            "change_email",
            |c| {
                args(&[
                    ("email", &format!("moved-{}@example.com", c.unique)),
                    ("password", PASSWORD),
                ])
            },
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        (
            "confirm_email_change",
            |_| args(&[("token", UNKNOWN_TOKEN)]),
            [NotFound; 5],
        ),
        ("sessions", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        // Someone else's session is never visible, whatever the role.
        (
            "revoke_session",
            |c| args(&[("handle", &c.target_session)]),
            [SignIn, NotFound, NotFound, NotFound, NotFound],
        ),
        (
            "sign_out_everywhere",
            |_| args(&[]),
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        (
            "switch_workspace",
            |c| args(&[("id", &c.workspace_id.to_string())]),
            [SignIn, Ok, Ok, Ok, NotFound],
        ),
        (
            "create_workspace",
            |_| args(&[("name", "Another")]),
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        // Changes name the workspace they act on; the outsider names the
        // shared one and is told it does not exist.
        (
            "rename_workspace",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("name", "Renamed"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "delete_workspace",
            |c| args(&[("workspace_id", &c.workspace_id.to_string())]),
            [SignIn, Forbidden, Forbidden, Ok, NotFound],
        ),
        ("workspace_detail", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        (
            "invite_member",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("email", &format!("invitee-{}@example.com", c.unique)),
                    ("role", "member"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "revoke_invitation",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.invitation_id.to_string()),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        // Invitation links show their offer to whoever holds them, but
        // only the invited address may accept (these callers are not it).
        (
            "invitation_preview",
            |c| args(&[("token", &c.invitation_token)]),
            [Ok; 5],
        ),
        (
            "accept_invitation",
            |c| args(&[("token", &c.invitation_token)]),
            [
                SignIn,
                Unprocessable,
                Unprocessable,
                Unprocessable,
                Unprocessable,
            ],
        ),
        (
            "change_role",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("user_id", &c.target_id.to_string()),
                    ("role", "admin"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "remove_member",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("user_id", &c.target_id.to_string()),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "leave_workspace",
            |c| args(&[("workspace_id", &c.workspace_id.to_string())]),
            [SignIn, Ok, Ok, Conflict, NotFound],
        ),
        (
            "transfer_ownership",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("user_id", &c.target_id.to_string()),
                ])
            },
            [SignIn, Forbidden, Forbidden, Ok, NotFound],
        ),
        ("audit_log", |_| args(&[]), [SignIn, Forbidden, Ok, Ok, Ok]),
        ("server_info", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        (
            "create_api_token",
            |_| args(&[("name", "script")]),
            [SignIn, Ok, Ok, Ok, Ok],
        ),
        ("api_tokens", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        // Hosts: members see and test them; admins and owners change them;
        // other workspaces cannot see them at all.
        ("hosts", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        (
            "host",
            |c| args(&[("id", &c.docker_host.to_string())]),
            [SignIn, Ok, Ok, Ok, NotFound],
        ),
        (
            "add_host",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("kind", "docker"),
                    ("name", &format!("host-{}", c.unique)),
                    ("socket_path", "/var/run/docker.sock"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "update_host",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.docker_host.to_string()),
                    ("name", "Renamed host"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "replace_host_credentials",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.runpod_host.to_string()),
                    ("secret", "rpa_replacement"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        // Scanning makes the server connect out, so only managers may;
        // nothing listens on port 1, which managers are told (422).
        (
            "scan_host_key",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("address", "127.0.0.1:1"),
                ])
            },
            [SignIn, Forbidden, Unprocessable, Unprocessable, NotFound],
        ),
        // A socket host has no key to pin: managers get that far (422).
        (
            "pin_host_key",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.docker_host.to_string()),
                    (
                        "host_key_fingerprint",
                        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
                    ),
                ])
            },
            [SignIn, Forbidden, Unprocessable, Unprocessable, NotFound],
        ),
        (
            "test_host",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.docker_host.to_string()),
                ])
            },
            [SignIn, Ok, Ok, Ok, NotFound],
        ),
        (
            "delete_host",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.docker_host.to_string()),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        // Sources: like hosts. Browsing calls the registry, which here
        // does not answer: callers allowed that far get 502.
        ("sources", |_| args(&[]), [SignIn, Ok, Ok, Ok, Ok]),
        (
            "source",
            |c| args(&[("id", &c.registry.to_string())]),
            [SignIn, Ok, Ok, Ok, NotFound],
        ),
        (
            "add_registry",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("provider", "ghcr"),
                    ("name", &format!("registry-{}", c.unique)),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "update_source",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                    ("name", "Renamed registry"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "replace_source_credentials",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                    ("username", "robot"),
                    ("password", "replacement-token"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        (
            "test_source",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                ])
            },
            [SignIn, Ok, Ok, Ok, NotFound],
        ),
        (
            "registry_repositories",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                ])
            },
            [SignIn, BadGateway, BadGateway, BadGateway, NotFound],
        ),
        (
            "registry_tags",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                    ("repository", "team/app"),
                ])
            },
            [SignIn, BadGateway, BadGateway, BadGateway, NotFound],
        ),
        // Adding a repository over HTTPS calls nothing yet.
        (
            "add_git",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("provider", "generic"),
                    ("name", &format!("git-{}", c.unique)),
                    ("url", "https://git.example.invalid/team/app.git"),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        // Scanning connects out, so only managers may; nothing listens on
        // port 1 (422). The registry has no branches or host key (422).
        (
            "scan_git_host_key",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("url", "ssh://git@127.0.0.1:1/team/app.git"),
                ])
            },
            [SignIn, Forbidden, Unprocessable, Unprocessable, NotFound],
        ),
        (
            "pin_source_host_key",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                    (
                        "host_key_fingerprint",
                        "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
                    ),
                ])
            },
            [SignIn, Forbidden, Unprocessable, Unprocessable, NotFound],
        ),
        (
            "git_branches",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                ])
            },
            [
                SignIn,
                Unprocessable,
                Unprocessable,
                Unprocessable,
                NotFound,
            ],
        ),
        (
            "delete_source",
            |c| {
                args(&[
                    ("workspace_id", &c.workspace_id.to_string()),
                    ("id", &c.registry.to_string()),
                ])
            },
            [SignIn, Forbidden, Ok, Ok, NotFound],
        ),
        // Someone else's token is never visible, whatever the role.
        (
            "revoke_api_token",
            |c| args(&[("id", &c.target_token.to_string())]),
            [SignIn, NotFound, NotFound, NotFound, NotFound],
        ),
    ]
}

/// Page routes: the shell is the same for everyone; what a page shows
/// comes from the server functions above.
const PAGES: &[&str] = &[
    "/",
    "/about",
    "/dashboards",
    "/deployments",
    "/hosts",
    "/hosts/{id}",
    "/probes",
    "/services",
    "/sources",
    "/sources/{id}",
    "/settings",
    "/settings/audit",
    "/settings/workspace",
    "/sign-up",
    "/sign-in",
    "/sign-in-link",
    "/magic-link",
    "/confirm-email",
    "/confirm-email-change",
    "/forgot-password",
    "/reset-password",
    "/invitations/accept",
];

async fn execute(db: &Database, sql: &str, binds: &[i64]) {
    match db {
        Database::Sqlite(pool) => {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query.execute(pool).await.unwrap();
        }
        Database::Postgres(pool) => {
            let mut query = sqlx::query(sql);
            for bind in binds {
                query = query.bind(*bind);
            }
            query.execute(pool).await.unwrap();
        }
    }
}

/// A host of `workspace_id` without credentials.
async fn host(app: &TestApp, workspace_id: i64, owner: i64, kind: HostKind, name: &str) -> i64 {
    let endpoint = Endpoint {
        socket_path: (kind == HostKind::Docker).then(|| "/var/run/docker.sock".to_string()),
        ..Endpoint::default()
    };
    let insert = host_store::Insert {
        workspace_id,
        name,
        kind,
        endpoint: &endpoint,
        description: "",
        labels: &[],
        created_by: owner,
    };
    host_store::insert(&app.db, insert, |_| None)
        .await
        .unwrap()
        .unwrap()
}

/// An anonymous registry of `workspace_id` on port 1, where nothing
/// listens.
async fn registry(app: &TestApp, workspace_id: i64, owner: i64) -> i64 {
    let insert = source_store::Insert {
        workspace_id,
        name: "Registry",
        kind: app::sources::SourceKind::Registry,
        provider: app::sources::Provider::Generic,
        url: "http://127.0.0.1:1",
        username: None,
        description: "",
        host_key: None,
        api_url: None,
        created_by: owner,
    };
    source_store::insert(&app.db, insert, |_| None)
        .await
        .unwrap()
        .unwrap()
}

/// A shared workspace with the owner, an admin, a member and a target
/// member, and a pending invitation.
async fn shared_workspace(app: &TestApp, ids: &Ids, unique: &str) -> (i64, i64, String) {
    let workspace = workspace_store::create(&app.db, ids.owner, "Shared space")
        .await
        .unwrap();
    for (user, role) in [
        (ids.admin, "admin"),
        (ids.member, "member"),
        (ids.target, "member"),
    ] {
        let sql = format!(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, '{role}', 0)"
        );
        execute(&app.db, &sql, &[workspace.id, user]).await;
    }
    let token = server::tokens::generate();
    workspace_store::insert_invitation(
        &app.db,
        workspace.id,
        &format!("pending-{unique}@example.com"),
        app::workspaces::roles::Role::Member,
        &token.hash,
        ids.owner,
        3600,
    )
    .await
    .unwrap();
    let detail = workspace_store::pending_invitations(&app.db, workspace.id)
        .await
        .unwrap();
    (workspace.id, detail[0].id, token.plain.expose().clone())
}

struct Ids {
    owner: i64,
    admin: i64,
    member: i64,
    target: i64,
}

async fn user_id(browser: &Browser) -> i64 {
    browser.viewer().await["user"]["id"].as_i64().unwrap()
}

async fn sign_in(app: &TestApp, email: &str) -> Browser {
    let browser = app.browser();
    let reply = browser
        .call("sign_in", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(reply.status, 200, "{email}: {}", reply.body);
    browser
}

#[tokio::test]
async fn every_endpoint_allows_exactly_whom_the_matrix_says() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let ids = Ids {
        owner: user_id(&app.signed_in("owner@example.com", "Olga").await).await,
        admin: user_id(&app.signed_in("admin@example.com", "Adam").await).await,
        member: user_id(&app.signed_in("member@example.com", "Mia").await).await,
        target: user_id(&app.signed_in("target@example.com", "Tom").await).await,
    };
    app.signed_in("outsider@example.com", "Otto").await;
    // A live session of the target, which nobody else may end.
    let target = sign_in(&app, "target@example.com").await;
    let target_session = target.call("sessions", &[]).await.json()[0]["handle"]
        .as_str()
        .unwrap()
        .to_string();
    // A token of the target's, which nobody else may revoke.
    let created = target
        .call("create_api_token", &[("name", "target's")])
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let target_token = created.json()["summary"]["id"].as_i64().unwrap();

    let rows = matrix();
    let listed: BTreeSet<String> = rows
        .iter()
        .map(|(name, ..)| format!("/api/{name}"))
        .collect();
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    assert_eq!(
        registered, listed,
        "every server function needs a row in the access matrix (and every row a function)"
    );

    let mut failures = Vec::new();
    for (n, (endpoint, make_args, expected)) in rows.iter().enumerate() {
        for (caller, expected) in CALLERS.iter().zip(expected) {
            let unique = format!("{n}-{caller:?}").to_lowercase();
            let (workspace_id, invitation_id, invitation_token) =
                shared_workspace(&app, &ids, &unique).await;
            let case = Case {
                docker_host: host(&app, workspace_id, ids.owner, HostKind::Docker, "Docker").await,
                runpod_host: host(&app, workspace_id, ids.owner, HostKind::Runpod, "RunPod").await,
                registry: registry(&app, workspace_id, ids.owner).await,
                workspace_id,
                target_id: ids.target,
                invitation_id,
                invitation_token,
                target_session: target_session.clone(),
                target_token,
                unique,
            };
            let browser = match caller {
                Caller::Anonymous => app.browser(),
                Caller::Outsider => sign_in(&app, "outsider@example.com").await,
                insider => {
                    let email = match insider {
                        Caller::Member => "member@example.com",
                        Caller::Admin => "admin@example.com",
                        _ => "owner@example.com",
                    };
                    let browser = sign_in(&app, email).await;
                    let switched = browser
                        .call("switch_workspace", &[("id", &workspace_id.to_string())])
                        .await;
                    assert_eq!(switched.status, 200, "{}", switched.body);
                    browser
                }
            };
            let pairs = make_args(&case);
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let reply = browser.call(endpoint, &pairs).await;
            let outcome = Outcome::of(reply.status);
            if outcome != Some(*expected) {
                failures.push(format!(
                    "{endpoint} as {caller:?}: expected {expected:?}, got {} {}",
                    reply.status, reply.body
                ));
            }
            // Invitation links show their workspace to whoever holds them.
            let token_gated = endpoint.contains("invitation");
            if *caller == Caller::Outsider
                && !token_gated
                && (reply.body.contains("Shared space")
                    || reply.body.contains("target@example.com"))
            {
                failures.push(format!(
                    "{endpoint} as outsider shows the shared workspace: {}",
                    reply.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Nobody could end the target's session or revoke their token.
    assert!(!target.viewer().await.is_null());
    assert_eq!(
        target
            .call("api_tokens", &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn every_page_route_is_listed_and_renders_no_workspace_data_for_anonymous_visitors() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    owner
        .call("create_workspace", &[("name", "Secret plans")])
        .await;

    let routes: BTreeSet<String> = leptos_axum::generate_route_list(app::App)
        .iter()
        .map(|route| route.path().to_string())
        .collect();
    let listed: BTreeSet<String> = PAGES.iter().map(|path| (*path).to_string()).collect();
    assert_eq!(routes, listed, "every page route needs an entry in PAGES");

    for path in PAGES {
        let response = app.get(&path.replace(":id", "1")).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("Secret plans"), "{path}");
        assert!(!html.contains("owner@example.com"), "{path}");
    }
    let mailbox = app
        .client
        .get(app.url("/dev/mailbox"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        mailbox.status(),
        200,
        "the local mailbox answers this machine"
    );
}

/// Creates an API token in the browser's current workspace: (token, id).
async fn token(browser: &Browser) -> (String, i64) {
    let created = browser.call("create_api_token", &[("name", "test")]).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let json = created.json();
    (
        json["token"].as_str().unwrap().to_string(),
        json["summary"]["id"].as_i64().unwrap(),
    )
}

/// A GET on the REST API, with a bearer token when given.
async fn rest_get(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn every_rest_route_needs_a_live_token_and_stays_in_its_workspace() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    owner
        .call("create_workspace", &[("name", "Shared space")])
        .await;
    let member = app.signed_in("member@example.com", "Mia").await;
    let outsider = app.signed_in("outsider@example.com", "Otto").await;
    owner
        .call_here(
            "invite_member",
            &[("email", "member@example.com"), ("role", "member")],
        )
        .await;
    let invitation = crate::support::token_in(&app.mail("member@example.com", "invited").await);
    member
        .call("accept_invitation", &[("token", &invitation)])
        .await;
    let (member_token, _) = token(&member).await;
    let (outsider_token, outsider_token_id) = token(&outsider).await;

    let listed: BTreeSet<&str> = server::http::rest::ROUTES.iter().copied().collect();
    assert_eq!(
        listed,
        BTreeSet::from(["/api/v1/me", "/api/v1/workspace/members"]),
        "every REST route needs its checks here"
    );
    for path in server::http::rest::ROUTES {
        for bad in [None, Some("cvm_not-a-token"), Some("garbage")] {
            let (status, body) = rest_get(&app, path, bad).await;
            assert_eq!(status, 401, "{path} with {bad:?}: {body}");
            assert_eq!(body, r#"{"kind":"unauthenticated"}"#);
        }
        let (status, body) = rest_get(&app, path, Some(&member_token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        let (status, body) = rest_get(&app, path, Some(&outsider_token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert!(
            !body.contains("Shared space") && !body.contains("owner@example.com"),
            "{path}: {body}"
        );
    }
    let (_, me) = rest_get(&app, "/api/v1/me", Some(&member_token)).await;
    assert!(
        me.contains("Shared space") && me.contains("\"role\":\"member\""),
        "{me}"
    );

    // Revoking a token ends it; so does leaving its workspace.
    let revoked = outsider
        .call(
            "revoke_api_token",
            &[("id", &outsider_token_id.to_string())],
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(
        outsider.call("api_tokens", &[]).await.json(),
        serde_json::json!([])
    );
    assert_eq!(
        rest_get(&app, "/api/v1/me", Some(&outsider_token)).await.0,
        401
    );
    member.call_here("leave_workspace", &[]).await;
    assert_eq!(
        rest_get(&app, "/api/v1/me", Some(&member_token)).await.0,
        401
    );
}
