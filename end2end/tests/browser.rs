//! Browser tests: the real server, the real front end, a real Chromium.

use end2end::{Browser, Server, UI_TIMEOUT, eventually};
use fantoccini::Locator;

const CHECK_BUTTON: Locator<'static> = Locator::Css("[data-testid=check-server]");

#[tokio::test]
async fn pages_are_rendered_on_the_server_before_any_script_runs() {
    let server = Server::start().await;

    let response = reqwest::get(server.url("/")).await.expect("GET /");

    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains("<h1>Overview</h1>"), "{html}");
    assert!(html.contains("href=\"/deployments\""), "{html}");
    assert!(html.contains("/pkg/caveman_bg.wasm"), "{html}");
}

#[tokio::test]
async fn the_page_becomes_interactive_once_the_webassembly_hydrates_it() {
    let server = Server::start().await;
    let browser = Browser::start().await;

    // The server renders the button disabled; only the hydrated component
    // enables it (the HTML side is asserted in the server's page tests).
    browser.open_hydrated(&server.url("/about")).await;

    let button = browser.client.find(CHECK_BUTTON).await.expect("button");
    let label = button.text().await.expect("label");
    assert_eq!(label, "Check server", "{}", browser.console_log());
    browser.close().await;
}

#[tokio::test]
async fn checking_the_server_shows_its_database_and_migration_level() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.open_hydrated(&server.url("/about")).await;

    let client = &browser.client;
    client
        .find(CHECK_BUTTON)
        .await
        .expect("button")
        .click()
        .await
        .expect("click");

    let facts = client
        .wait()
        .at_most(UI_TIMEOUT)
        .for_element(Locator::Css("[data-testid=server-facts]"))
        .await
        .unwrap_or_else(|e| panic!("no server facts: {e}\n{}", browser.console_log()));
    let fact = |name: &'static str| {
        let facts = facts.clone();
        async move {
            let selector = format!("[data-testid=server-{name}]");
            let element = facts.find(Locator::Css(&selector)).await.expect(name);
            element.text().await.expect("text")
        }
    };
    assert_eq!(fact("database").await, "SQLite");
    assert!(fact("migrations").await.ends_with("(up to date)"));
    assert_eq!(fact("version").await, env!("CARGO_PKG_VERSION"));
    browser.close().await;
}

#[tokio::test]
async fn navigation_after_hydration_stays_in_the_page() {
    let server = Server::start().await;
    let browser = Browser::start().await;
    browser.open_hydrated(&server.url("/about")).await;
    let client = &browser.client;
    // A marker on `window` survives only if the router swaps the content
    // without a full page load.
    client
        .execute("window.__caveman_marker = 1", vec![])
        .await
        .expect("set marker");

    let hosts = client
        .find(Locator::LinkText("Hosts"))
        .await
        .expect("Hosts link");
    hosts.click().await.expect("click");

    eventually("the Hosts page", UI_TIMEOUT, || async {
        let heading = client
            .find(Locator::Css("h1"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (heading == "Hosts").then_some(())
    })
    .await;
    let marker = client
        .execute("return window.__caveman_marker", vec![])
        .await
        .expect("marker");
    assert_eq!(
        marker,
        serde_json::json!(1),
        "the page reloaded instead of routing"
    );
    assert_eq!(client.current_url().await.expect("url").path(), "/hosts");
    browser.close().await;
}

#[tokio::test]
async fn an_unknown_address_shows_the_not_found_page() {
    let server = Server::start().await;
    let status = reqwest::get(server.url("/nowhere"))
        .await
        .expect("GET")
        .status();
    assert_eq!(status, 404);

    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&server.url("/nowhere"))
        .await
        .expect("open /nowhere");

    let heading = client.find(Locator::Css("h1")).await.expect("heading");
    assert_eq!(heading.text().await.expect("text"), "Page not found");
    assert_eq!(
        client.title().await.expect("title"),
        "Page not found · Caveman"
    );
    browser.close().await;
}

#[tokio::test]
async fn each_request_is_logged_once_with_route_status_latency_and_id() {
    let server = Server::start().await;

    let response = reqwest::Client::new()
        .get(server.url("/about"))
        .header("x-request-id", "e2e-log-check")
        .send()
        .await
        .expect("GET /about");
    assert_eq!(response.status(), 200);

    let events = eventually("the request's log event", UI_TIMEOUT, || async {
        let events: Vec<_> = server
            .log_events()
            .into_iter()
            .filter(|event| event["span"]["request.id"] == "e2e-log-check")
            .collect();
        (!events.is_empty()).then_some(events)
    })
    .await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["message"], "request finished");
    assert_eq!(event["http.status"], 200);
    assert!(event["latency_ms"].as_f64().is_some(), "{event}");
    assert_eq!(event["span"]["http.method"], "GET");
    assert_eq!(event["span"]["http.route"], "/about");
}
