//! Signing up, confirming, signing in and asking for a mailed link as
//! plain HTML posts, the way a browser sends them
//! before the page hydrates or with JavaScript off (`Accept: text/html`,
//! a `Referer`, urlencoded fields): each answers with a redirect to a page
//! the server renders with the outcome.

use crate::support::{Engine, TestApp, token_in};

const EMAIL: &str = "nora@example.com";
const PASSWORD: &str = "correct horse battery staple";

/// Posts a form from `page` to server function `endpoint`, as a browser
/// does, and returns the status and the `Location` it redirects to.
async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    endpoint: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let response = client
        .post(format!("{}/api/{endpoint}", app.base_url))
        .header("accept", "text/html,application/xhtml+xml")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &app.base_url)
        .header("referer", format!("{}{page}", app.base_url))
        .body(body)
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status().as_u16(), location)
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = client
        .get(format!("{}{path}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// The opening tag of the button with `testid`.
fn button<'a>(html: &'a str, testid: &str) -> &'a str {
    let at = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("no {testid} in {html}"));
    let start = html[..at].rfind("<button").unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..end]
}

#[tokio::test]
async fn signing_up_confirming_and_signing_in_work_as_plain_form_posts() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let sign_up = page(&client, &app, "/sign-up").await;
    assert!(sign_up.contains(r#"action="/api/sign_up""#), "{sign_up}");
    assert!(!button(&sign_up, "sign-up").contains("disabled"));

    // A refused field comes back in the URL and is shown by that field.
    let fields = [
        ("email", EMAIL),
        ("display_name", "Nora"),
        ("password", "short"),
    ];
    let (status, location) = post_form(&app, &client, "/sign-up", "sign_up", &fields).await;
    assert_eq!(status, 302);
    assert!(location.contains("__err="), "{location}");
    let refused = page(&client, &app, &location.replace(&app.base_url, "")).await;
    assert!(refused.contains("Use at least 12 characters"), "{refused}");

    // Success returns to the page marked done, which says what happened.
    let fields = [
        ("email", EMAIL),
        ("display_name", "Nora"),
        ("password", PASSWORD),
    ];
    let (status, location) = post_form(&app, &client, "/sign-up", "sign_up", &fields).await;
    assert_eq!(
        (status, location.as_str()),
        (302, "/sign-up?done=/api/sign_up")
    );
    let done = page(&client, &app, &location).await;
    assert!(done.contains("data-testid=\"check-inbox\""), "{done}");

    // The address is not carried back, so resending asks for it. A
    // browser that sends no Referer still comes back to the sign-up page.
    assert!(done.contains(r#"id="resend-email""#), "{done}");
    let before = app.newest_mail_id().await;
    let response = client
        .post(format!("{}/api/resend_confirmation", app.base_url))
        .header("accept", "text/html")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &app.base_url)
        .body(format!("email={}", EMAIL.replace('@', "%40")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        "/sign-up?done=/api/resend_confirmation"
    );
    let resent = page(&client, &app, "/sign-up?done=/api/resend_confirmation").await;
    assert!(resent.contains("data-testid=\"check-inbox\""), "{resent}");
    assert!(resent.contains("data-testid=\"resent\""), "{resent}");
    app.mail_since(EMAIL, "Confirm", before).await;

    let token = token_in(&app.mail(EMAIL, "Confirm").await);
    let confirm_page = format!("/confirm-email?token={token}");
    let (status, location) = post_form(
        &app,
        &client,
        &confirm_page,
        "confirm_email",
        &[("token", &token)],
    )
    .await;
    assert_eq!(status, 302);
    assert_eq!(location, format!("{confirm_page}&done=/api/confirm_email"));
    assert!(
        page(&client, &app, &location)
            .await
            .contains("data-testid=\"confirmed\"")
    );

    let fields = [("email", EMAIL), ("password", PASSWORD), ("next", "/hosts")];
    let (status, location) = post_form(&app, &client, "/sign-in", "sign_in", &fields).await;
    assert_eq!((status, location.as_str()), (302, "/hosts"));
    // The session cookie came with the redirect.
    let viewer = client
        .post(format!("{}/api/viewer", app.base_url))
        .header("origin", &app.base_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(viewer.contains(EMAIL), "{viewer}");
}

#[tokio::test]
async fn a_mailed_link_request_comes_back_with_the_same_words_for_any_address() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (page_path, endpoint, testid) in [
        ("/forgot-password", "request_password_reset", "request"),
        ("/sign-in-link", "request_magic_link", "request"),
    ] {
        let html = page(&client, &app, page_path).await;
        assert!(!button(&html, testid).contains("disabled"), "{page_path}");
        let (status, location) = post_form(
            &app,
            &client,
            page_path,
            endpoint,
            &[("email", "nobody@example.com")],
        )
        .await;
        assert_eq!(status, 302, "{page_path}");
        assert_eq!(location, format!("{page_path}?done=/api/{endpoint}"));
        let done = page(&client, &app, &location).await;
        assert!(done.contains("data-testid=\"request-sent\""), "{done}");
    }
}
