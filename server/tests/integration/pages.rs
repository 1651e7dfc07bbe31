//! Server-rendered pages: the shell, navigation and the 404 page.

use std::time::Duration;

use crate::support::{Engine, TestApp};

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Overview · Caveman</title>"), "{html}");
    for section in [
        "Dashboards",
        "Services",
        "Deployments",
        "Hosts",
        "Sources",
        "Probes",
        "Settings",
    ] {
        assert!(
            html.contains(&format!(">{section}</a>")),
            "nav lacks {section}"
        );
    }
    assert!(html.contains("/pkg/caveman.js"), "hydration script missing");
}

#[tokio::test]
async fn unbuilt_sections_say_so_instead_of_showing_data() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    for path in ["/dashboards", "/services", "/deployments", "/probes"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Not available yet"), "{path}");
        assert!(html.contains("Nothing shown here is real data."), "{path}");
    }
}

#[tokio::test]
async fn settings_pages_ask_anonymous_visitors_to_sign_in() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    for path in ["/settings", "/settings/workspace", "/settings/audit"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("You need to sign in to see this page."),
            "{path}"
        );
        assert!(html.contains(&format!("/sign-in?next={path}")), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_path_answers_404_with_the_not_found_page() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let response = app.get("/no/such/page").await;

    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains("/no/such/page"), "{html}");
}

#[tokio::test]
async fn the_about_button_is_disabled_until_the_page_hydrates() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let html = app.get("/about").await.text().await.unwrap();

    let button = html
        .split("<button")
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .expect("the About page has a button");
    assert!(button.contains("data-testid=\"check-server\""), "{button}");
    assert!(button.contains("disabled"), "{button}");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_with_a_fresh_nonce() {
    let app = TestApp::spawn(Engine::Sqlite).await;

    let first = app.get("/").await;
    let policy = first.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = first.text().await.unwrap();
    let second = app.get("/").await;
    let second_policy = second.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();

    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "scripts lack the nonce"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_ne!(
        policy, second_policy,
        "the nonce is reused across responses"
    );
}

/// The numbers of the values a page's server render sent for the browser
/// to hydrate from, in the order the stream carries them. Values ready
/// before the first chunk would sit in the opening
/// `__RESOLVED_RESOURCES=[…]`, which this asserts is empty; the others
/// stream in as `__RESOLVED_RESOURCES[n] = …`.
fn serialized_resources(html: &str) -> Vec<usize> {
    assert!(html.contains("__RESOLVED_RESOURCES=[];"), "{html}");
    html.split("__RESOLVED_RESOURCES[")
        .skip(1)
        .map(|rest| {
            let number = rest.split(']').next().unwrap();
            number
                .parse()
                .unwrap_or_else(|_| panic!("{number:?} in {html}"))
        })
        .collect()
}

#[tokio::test]
async fn a_signed_in_page_sends_each_resource_it_loads_once() {
    // The browser numbers resources in the order it creates them; the
    // server must create each one once, as the browser does, or their
    // numbers drift apart and the page fails to hydrate now and then
    // (app/src/components/page_data.rs). A page that created a resource
    // inside a suspense boundary sent it two or three times.
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let host = owner
        .call_here(
            "add_host",
            &[
                ("kind", "docker"),
                ("name", "local"),
                ("socket_path", "/var/run/docker.sock"),
            ],
        )
        .await;
    assert_eq!(host.status, 200, "{}", host.body);
    // An anonymous GHCR lists nothing without asking it; a git repository
    // at an address that does not resolve answers at once.
    let registry = owner
        .call_here("add_registry", &[("provider", "ghcr"), ("name", "GitHub")])
        .await;
    assert_eq!(registry.status, 200, "{}", registry.body);
    let git = owner
        .call_here(
            "add_git",
            &[
                ("provider", "generic"),
                ("name", "App"),
                ("url", "https://git.example.invalid/team/app.git"),
            ],
        )
        .await;
    assert_eq!(git.status, 200, "{}", git.body);

    // The viewer, which the layout loads on every page, and what the
    // page itself loads.
    let pages = [
        ("/".to_string(), 1),
        ("/about".to_string(), 1),
        ("/hosts".to_string(), 2),
        (format!("/hosts/{}", host.body), 2),
        ("/hosts/999999".to_string(), 2),
        ("/sources".to_string(), 2),
        // The source, then its repositories or branches.
        (format!("/sources/{}", registry.body), 3),
        (format!("/sources/{}", git.body), 3),
        // Sessions and API tokens.
        ("/settings".to_string(), 3),
        ("/settings/workspace".to_string(), 2),
        ("/settings/audit".to_string(), 2),
        ("/invitations/accept?token=none".to_string(), 2),
    ];
    for (path, expected) in pages {
        let response = owner.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        // A render that panics part-way leaves the stream open: a page
        // creating a resource inside a boundary does, in a debug build.
        let html = tokio::time::timeout(Duration::from_secs(20), response.text())
            .await
            .unwrap_or_else(|_| panic!("{path}: the render never finished (did it panic?)"))
            .unwrap();
        let sent = serialized_resources(&html);
        assert_eq!(sent.len(), expected, "{path} sent {sent:?}: {html}");
    }
}
