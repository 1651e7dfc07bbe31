//! Server-rendered pages: the shell, navigation and the 404 page.

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
