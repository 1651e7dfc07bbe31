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

/// The password the tests' accounts use.
const PASSWORD: &str = "correct horse battery staple";

/// A confirmed account on `server`, and a browser signed in to it.
async fn signed_in(server: &Server, email: &str, name: &str) -> Browser {
    server.create_account(email, name, PASSWORD).await;
    let browser = Browser::start().await;
    browser.sign_in(server, email, PASSWORD).await;
    browser
}

#[tokio::test]
async fn checking_the_server_shows_its_database_and_migration_level() {
    let server = Server::start().await;
    let browser = signed_in(&server, "ada@example.com", "Ada").await;
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
async fn every_signed_in_page_hydrates_whole_including_those_showing_an_error() {
    // A page whose data differ between the server's render and the
    // browser's hydration fails to hydrate with "expected a marker node";
    // a missing host's page did every time while its error was shown
    // through an ErrorBoundary (app/src/components/page_data.rs).
    let server = Server::start().await;
    let browser = signed_in(&server, "ada@example.com", "Ada").await;

    for (path, shown) in [
        ("/hosts/999999", "The host was not found."),
        ("/sources/999999", "The source was not found."),
        (
            "/invitations/accept?token=nothing",
            "This link is not valid.",
        ),
        ("/hosts", "No hosts yet"),
        ("/sources", "This workspace has no sources."),
        ("/settings", "Signed-in browsers"),
        ("/settings/workspace", "Create another workspace"),
        ("/settings/audit", "Nothing has been recorded yet."),
        ("/", "Overview"),
    ] {
        browser.open_hydrated(&server.url(path)).await;
        let main = browser.wait_for("main").await;
        let text = main.text().await.expect("text");
        assert!(text.contains(shown), "{path} shows {text:?}");
    }
    browser.close().await;
}

#[tokio::test]
async fn each_request_is_logged_once_with_route_status_latency_and_id() {
    let server = Server::start().await;

    let response = end2end::http_client()
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

/// The sign-up page, then the confirmation link from the mailbox, then the
/// sign-in page: the whole way a new user takes.
async fn sign_up_through_the_pages(browser: &Browser, server: &Server, email: &str, name: &str) {
    browser.open_hydrated(&server.url("/sign-up")).await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-display_name", name).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("[data-testid=sign-up]").await;
    browser
        .wait_for_text("[data-testid=check-inbox]", email)
        .await;

    browser
        .client
        .goto(&server.url("/dev/mailbox"))
        .await
        .expect("mailbox");
    let link = browser
        .wait_for("[data-testid=mail] a[href*='confirm-email']")
        .await;
    let href = link.attr("href").await.expect("href").expect("a link");
    assert!(href.contains("token="), "{href}");
    let token = server.mailed_token(email, "confirm-email").await;
    browser
        .open_hydrated(&server.url(&format!("/confirm-email?token={token}")))
        .await;
    browser.click("[data-testid=confirm]").await;
    browser.wait_for("[data-testid=confirmed]").await;

    browser.sign_in(server, email, PASSWORD).await;
    browser.wait_for_text("[data-testid=user-name]", name).await;
}

/// Signing up, confirming and signing in with JavaScript off, as before
/// hydration: each form is a plain HTML post whose outcome (an error by its field, a success
/// message, a redirect) comes back as a page the server rendered.
#[tokio::test]
async fn signing_up_and_in_works_without_javascript() {
    let server = Server::start().await;
    let browser = Browser::start_without_javascript().await;
    let email = "nora@example.com";
    let goto = |path: String| {
        let url = server.url(&path);
        let client = browser.client.clone();
        async move { client.goto(&url).await.expect("open the page") }
    };

    goto("/sign-up".into()).await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-display_name", "Nora").await;
    browser.fill("#field-password", "short").await;
    browser.click("[data-testid=sign-up]").await;
    browser
        .wait_for_text("[data-testid=error-password]", "at least 12")
        .await;
    // The page came back from the server: what was typed is gone.
    browser.fill("#field-email", email).await;
    browser.fill("#field-display_name", "Nora").await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("[data-testid=sign-up]").await;
    browser
        .wait_for_text("[data-testid=check-inbox]", "the address you gave")
        .await;

    let token = server.mailed_token(email, "confirm-email").await;
    goto(format!("/confirm-email?token={token}")).await;
    browser.click("[data-testid=confirm]").await;
    browser.wait_for("[data-testid=confirmed]").await;
    // Nothing ran: the page is still as the server rendered it.
    let hydrated = browser
        .client
        .find(Locator::Css("html[data-hydrated=true]"))
        .await;
    assert!(hydrated.is_err(), "the page hydrated with JavaScript off");

    goto("/sign-in?next=/hosts".into()).await;
    browser.fill("#field-email", email).await;
    browser
        .fill("#field-password", "not the password at all")
        .await;
    browser.click("[data-testid=sign-in]").await;
    browser
        .wait_for_text("[data-testid=form-error]", "do not match an account")
        .await;
    browser.fill("#field-email", email).await;
    browser.fill("#field-password", PASSWORD).await;
    browser.click("[data-testid=sign-in]").await;
    // Signed in, the post redirects to where the visitor was going.
    eventually("the redirect after signing in", UI_TIMEOUT, || async {
        let url = browser.client.current_url().await.ok()?;
        (url.path() == "/hosts").then_some(())
    })
    .await;
    browser.close().await;
}

#[tokio::test]
async fn a_team_forms_through_the_pages_and_roles_are_enforced() {
    let server = Server::start().await;
    let owner = Browser::start().await;
    let bob = Browser::start().await;

    // Sign up, confirm through the mailbox, sign in; a personal workspace
    // is there.
    sign_up_through_the_pages(&owner, &server, "olga@example.com", "Olga").await;
    owner
        .open_hydrated(&server.url("/settings/workspace"))
        .await;
    owner
        .wait_for_text("[data-testid=workspace-name]", "Olga's workspace")
        .await;

    // Create a workspace: it becomes the current one.
    owner.fill("#create-workspace-name", "Team").await;
    owner.click("[data-testid=create-workspace]").await;
    owner
        .wait_for_text("[data-testid=workspace-name]", "Team")
        .await;
    owner.wait_for_text("[data-testid=my-role]", "Owner").await;

    // Invite Bob as an admin.
    owner.fill("#field-email", "bob@example.com").await;
    owner
        .wait_for("form:has([data-testid=invite]) select [value=admin]")
        .await
        .click()
        .await
        .expect("choose admin");
    owner.click("[data-testid=invite]").await;
    owner.wait_for("[data-testid=invited]").await;
    owner
        .wait_for_text("[data-testid=invitations]", "bob@example.com")
        .await;

    // Bob, in a browser of his own, signs up and accepts.
    sign_up_through_the_pages(&bob, &server, "bob@example.com", "Bob").await;
    let token = server
        .mailed_token("bob@example.com", "invitations/accept")
        .await;
    bob.open_hydrated(&server.url(&format!("/invitations/accept?token={token}")))
        .await;
    bob.wait_for_text("[data-testid=invitation]", "Team").await;
    bob.click("[data-testid=accept]").await;
    bob.wait_for_text("[data-testid=workspace-name]", "Team")
        .await;
    bob.wait_for_text("[data-testid=my-role]", "Admin").await;
    bob.wait_for("[data-testid=invite]").await;

    // The owner makes Bob a plain member.
    owner
        .open_hydrated(&server.url("/settings/workspace"))
        .await;
    let bob_row = "[data-testid=member][data-email='bob@example.com']";
    owner.wait_for_text(bob_row, "Admin").await;
    owner
        .wait_for(&format!("{bob_row} select [value=member]"))
        .await
        .click()
        .await
        .expect("choose member");
    owner
        .click(&format!("{bob_row} [data-testid=change-role]"))
        .await;
    owner
        .wait_for_text(&format!("{bob_row} [data-testid=member-role]"), "Member")
        .await;

    // Bob's page still shows the admin controls he had; the server refuses
    // the invitation he tries to send.
    bob.fill("#field-email", "eve@example.com").await;
    bob.click("[data-testid=invite]").await;
    bob.wait_for_text("[data-testid=form-error]", "You do not have permission")
        .await;

    // After a reload the controls are gone.
    bob.open_hydrated(&server.url("/settings/workspace")).await;
    bob.wait_for_text("[data-testid=my-role]", "Member").await;
    assert!(
        bob.client
            .find(Locator::Css("[data-testid=invite]"))
            .await
            .is_err(),
        "members get no invitation form"
    );
    owner.close().await;
    bob.close().await;
}

/// An owner adds this machine's Docker engine in the browser, tests it,
/// and sees what the engine reports; the list shows it as reachable.
#[tokio::test]
async fn a_docker_host_is_added_and_tested_through_the_pages() {
    let server = Server::start().await;
    let owner = signed_in(&server, "olga@example.com", "Olga").await;

    owner.open_hydrated(&server.url("/hosts")).await;
    owner.wait_for("[data-testid=hosts-empty]").await;
    owner.fill("#docker-name", "This machine").await;
    owner.fill("#docker-labels", "env=test").await;
    owner.click("[data-testid=add-docker]").await;

    // The new host opens on its own page, not yet tested.
    owner
        .wait_for_text("[data-testid=host-name]", "This machine")
        .await;
    owner.wait_for("[data-testid=no-facts]").await;
    owner.click("[data-testid=test-host]").await;
    owner
        .wait_for_text("[data-testid=host-status]", "reachable")
        .await;
    owner.wait_for_text("[data-testid=facts]", "Engine").await;
    owner
        .wait_for_text("[data-testid=facts]", "running of")
        .await;
    // Loaded afresh, the host's page hydrates from the server's HTML.
    owner.reload_hydrated().await;
    owner.wait_for_text("[data-testid=facts]", "Engine").await;

    owner.open_hydrated(&server.url("/hosts")).await;
    owner
        .wait_for_text(
            "[data-testid=host-row][data-name='This machine']",
            "reachable",
        )
        .await;
    owner.close().await;
}

/// An admin adds a Docker engine over SSH in the browser: the page shows
/// the fingerprint of the key the real sshd presents, the admin confirms
/// it, pastes a private key, and the test reaches the engine through it.
#[tokio::test]
async fn a_docker_host_over_ssh_is_pinned_added_and_tested_through_the_pages() {
    let sshd = end2end::sshd::Sshd::start().await;
    let server = Server::start().await;
    let owner = signed_in(&server, "olga@example.com", "Olga").await;

    owner.open_hydrated(&server.url("/hosts")).await;
    owner
        .fill("#docker-ssh-scan-address", &sshd.address())
        .await;
    owner.click("[data-testid=scan-host-key]").await;
    owner
        .wait_for_text(
            "[data-testid=scanned-fingerprint]",
            &sshd.host_fingerprint(),
        )
        .await;
    owner.click("[data-testid=confirm-fingerprint]").await;
    owner.fill("#docker-ssh-name", "Remote engine").await;
    owner.fill("#docker-ssh-user", &end2end::sshd::user()).await;
    owner
        .fill("#docker-ssh-private-key", &sshd.client_key())
        .await;
    owner.click("[data-testid=add-docker-ssh]").await;

    owner
        .wait_for_text("[data-testid=host-name]", "Remote engine")
        .await;
    owner
        .wait_for_text("[data-testid=pinned-fingerprint]", &sshd.host_fingerprint())
        .await;
    owner.click("[data-testid=test-host]").await;
    owner
        .wait_for_text("[data-testid=host-status]", "reachable")
        .await;
    owner
        .wait_for_text("[data-testid=facts]", "running of")
        .await;
    owner.close().await;
}

/// The password of the browser test's registry account.
const REGISTRY_PASSWORD: &str = "registry-password-for-the-browser";

#[tokio::test]
async fn a_private_registry_is_added_tested_and_browsed_to_real_digests_through_the_pages() {
    use end2end::registry::{Auth, LocalRegistry};

    let account = ("robot".to_string(), REGISTRY_PASSWORD.to_string());
    let mut registry =
        LocalRegistry::start(Auth::Htpasswd(vec![account]), ("robot", REGISTRY_PASSWORD)).await;
    let pushed = registry
        .push("browser test", &["team/app:v1", "team/app:v2"])
        .await;
    let server = Server::start().await;
    let owner = signed_in(&server, "olga@example.com", "Olga").await;

    owner.open_hydrated(&server.url("/sources")).await;
    owner.wait_for("[data-testid=sources-empty]").await;
    // The generic registry is the form's first choice.
    owner.fill("#registry-name", "Private registry").await;
    owner.fill("#registry-url", &registry.url).await;
    owner.fill("#registry-username", "robot").await;
    owner.fill("#registry-password", REGISTRY_PASSWORD).await;
    owner.click("[data-testid=add-registry]").await;

    owner
        .wait_for_text("[data-testid=source-name]", "Private registry")
        .await;
    owner.click("[data-testid=test-source]").await;
    owner
        .wait_for_text("[data-testid=host-status]", "reachable")
        .await;
    owner
        .click("[data-testid=repository][data-name='team/app'] button")
        .await;
    owner
        .wait_for_text("[data-testid=tags-repository]", "team/app")
        .await;
    for tag in ["v1", "v2"] {
        owner
            .wait_for_text(
                &format!("[data-testid=tag-row][data-tag={tag}] [data-testid=tag-digest]"),
                &pushed[&format!("team/app:{tag}")],
            )
            .await;
    }
    let page = owner.client.source().await.expect("page source");
    assert!(!page.contains(REGISTRY_PASSWORD), "the password came back");
    // Loaded afresh, the source's page and its catalogue hydrate from the
    // server's HTML.
    owner.reload_hydrated().await;
    owner
        .wait_for("[data-testid=repository][data-name='team/app']")
        .await;
    owner.close().await;
}

/// An admin adds a git repository over SSH in the browser: the page shows
/// the fingerprint of the key the real sshd presents, the admin confirms
/// it and pastes a key, and the repository's branches appear with the
/// commits git itself reports.
#[tokio::test]
async fn a_git_repository_over_ssh_is_pinned_added_and_its_branches_shown_through_the_pages() {
    let repositories = end2end::git::Repositories::create();
    let sshd = end2end::sshd::Sshd::start().await;
    let server = Server::start().await;
    let owner = signed_in(&server, "olga@example.com", "Olga").await;
    let url = format!(
        "ssh://{}@{}{}",
        end2end::sshd::user(),
        sshd.address(),
        repositories.path("team/app.git").display()
    );

    owner.open_hydrated(&server.url("/sources")).await;
    owner.fill("#git-ssh-scan-url", &url).await;
    owner.click("[data-testid=scan-git-host-key]").await;
    owner
        .wait_for_text(
            "[data-testid=scanned-git-fingerprint]",
            &sshd.host_fingerprint(),
        )
        .await;
    owner.click("[data-testid=confirm-git-fingerprint]").await;
    owner.fill("#git-ssh-name", "App repository").await;
    owner.fill("#git-ssh-private-key", &sshd.client_key()).await;
    owner.click("[data-testid=add-git-ssh]").await;

    owner
        .wait_for_text("[data-testid=source-name]", "App repository")
        .await;
    owner
        .wait_for_text("[data-testid=pinned-fingerprint]", &sshd.host_fingerprint())
        .await;
    for branch in ["main", "dev"] {
        owner
            .wait_for_text(
                &format!(
                    "[data-testid=branch-row][data-branch={branch}] [data-testid=branch-commit]"
                ),
                &repositories.commit(branch),
            )
            .await;
    }
    owner.click("[data-testid=test-source]").await;
    owner
        .wait_for_text("[data-testid=host-status]", "reachable")
        .await;
    owner
        .wait_for_text("[data-testid=default-branch]", "main")
        .await;
    owner.reload_hydrated().await;
    owner.wait_for("[data-testid=branches]").await;
    owner.close().await;
}
