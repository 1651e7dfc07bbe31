//! Accounts through the HTTP surface: sign-up, confirmation, sign-in and
//! out, sessions, password reset and change, sign-in links, rate limits.

use crate::on_both_engines;
use crate::support::{Engine, PASSWORD, TestApp, token_in};

const EMAIL: &str = "ada@example.com";

fn session_cookie(set_cookies: &[String]) -> Option<&String> {
    set_cookies
        .iter()
        .find(|cookie| cookie.starts_with("caveman_session="))
}

async fn signing_up_needs_a_confirmed_address_before_signing_in(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let browser = app.browser();

    let reply = browser
        .call(
            "sign_up",
            &[
                ("email", " Ada@Example.com "),
                ("display_name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), EMAIL);

    let early = browser
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(early.status, 422, "{}", early.body);
    assert_eq!(early.json()["field"], "email");
    assert!(
        early.body.contains("Confirm your email address"),
        "{}",
        early.body
    );

    let token = token_in(&app.mail(EMAIL, "Confirm").await);
    assert_eq!(
        browser
            .call("confirm_email", &[("token", &token)])
            .await
            .status,
        200
    );
    let again = browser.call("confirm_email", &[("token", &token)]).await;
    assert_eq!(
        again.status, 404,
        "a confirmation link works once: {}",
        again.body
    );

    let signed_in = browser
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let cookie = session_cookie(&signed_in.set_cookies).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    assert!(
        !cookie.contains("Max-Age"),
        "ends with the browser: {cookie}"
    );

    let viewer = browser.viewer().await;
    assert_eq!(viewer["user"]["email"], EMAIL);
    assert_eq!(viewer["user"]["display_name"], "Ada");
    assert_eq!(viewer["workspace"]["name"], "Ada's workspace");
    assert_eq!(viewer["workspace"]["role"], "owner");
}
on_both_engines!(signing_up_needs_a_confirmed_address_before_signing_in);

async fn wrong_password_and_unknown_address_get_the_same_reply(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.signed_in(EMAIL, "Ada").await;
    let browser = app.browser();

    let wrong = browser
        .call(
            "sign_in",
            &[("email", EMAIL), ("password", "not the password")],
        )
        .await;
    let unknown = browser
        .call(
            "sign_in",
            &[
                ("email", "nobody@example.com"),
                ("password", "not the password"),
            ],
        )
        .await;

    assert_eq!(wrong.status, 422);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert!(session_cookie(&wrong.set_cookies).is_none());
    assert!(browser.viewer().await.is_null());
}
on_both_engines!(wrong_password_and_unknown_address_get_the_same_reply);

#[tokio::test]
async fn signing_up_again_with_a_taken_address_looks_the_same_and_mails_a_notice() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.signed_in(EMAIL, "Ada").await;

    let reply = app
        .browser()
        .call(
            "sign_up",
            &[
                ("email", EMAIL),
                ("display_name", "Mallory"),
                ("password", "another long password"),
            ],
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), EMAIL);
    let notice = app.mail(EMAIL, "already have").await;
    assert!(notice.contains("/forgot-password"), "{notice}");
}

#[tokio::test]
async fn each_password_rule_is_reported_on_its_field() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    let cases = [
        ("short", "at least 12"),
        ("aaaaaaaaaaaaaaa", "four different"),
        ("ada@example.com", "email address"),
    ];
    for (password, rule) in cases {
        let reply = browser
            .call(
                "sign_up",
                &[
                    ("email", EMAIL),
                    ("display_name", "Ada"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(reply.status, 422, "{password}");
        assert_eq!(reply.json()["field"], "password");
        assert!(reply.body.contains(rule), "{password}: {}", reply.body);
    }
    let reply = browser
        .call(
            "sign_up",
            &[
                ("email", "ada"),
                ("display_name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.json()["field"], "email");
}

async fn signing_in_rotates_the_session_id_and_remember_me_keeps_it_60_days(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.signed_in(EMAIL, "Ada").await;
    let browser = app.browser();
    // A session id planted before sign-in (session fixation).
    let planted = "caveman_session=AAAAAAAAAAAAAAAAAAAAAA";
    let reply = browser
        .client
        .post(format!("{}/api/sign_in", app.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", &app.base_url)
        .header("cookie", planted)
        .body(format!(
            "email={EMAIL}&password={}&remember=on",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let cookie = reply
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .find(|cookie| cookie.starts_with("caveman_session="))
        .expect("a session cookie");

    assert!(!cookie.starts_with(planted), "{cookie}");
    let max_age: i64 = cookie
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Max-Age="))
        .expect("remembered sessions outlive the browser")
        .parse()
        .unwrap();
    let sixty_days = 60 * 24 * 3600;
    assert!(
        (sixty_days - 60..=sixty_days).contains(&max_age),
        "{max_age}"
    );
}
on_both_engines!(signing_in_rotates_the_session_id_and_remember_me_keeps_it_60_days);

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_url_is_https() {
    let app =
        TestApp::spawn_with(Engine::Sqlite, &[("public_url", "https://caveman.example")]).await;
    let browser = app.browser();
    browser
        .call(
            "sign_up",
            &[
                ("email", EMAIL),
                ("display_name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let token = token_in(&app.mail(EMAIL, "Confirm").await);
    browser.call("confirm_email", &[("token", &token)]).await;

    let reply = browser
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;

    let cookie = session_cookie(&reply.set_cookies).expect("a session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn signing_out_ends_the_session_on_the_server(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let browser = app.signed_in(EMAIL, "Ada").await;
    assert_eq!(with_sessions(&app).await.len(), 1);

    let reply = browser.call("sign_out", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    assert!(browser.viewer().await.is_null());
    assert!(
        with_sessions(&app).await.is_empty(),
        "the session row is gone"
    );
}
on_both_engines!(signing_out_ends_the_session_on_the_server);

/// The session rows: (key, user id).
async fn with_sessions(app: &TestApp) -> Vec<(String, i64)> {
    match &app.db {
        server::db::Database::Sqlite(pool) => {
            sqlx::query_as("SELECT id_hash, user_id FROM sessions WHERE user_id IS NOT NULL")
                .fetch_all(pool)
                .await
                .unwrap()
        }
        server::db::Database::Postgres(pool) => {
            sqlx::query_as("SELECT id_hash, user_id FROM sessions WHERE user_id IS NOT NULL")
                .fetch_all(pool)
                .await
                .unwrap()
        }
    }
}

async fn sessions_are_listed_and_can_be_revoked_or_all_ended(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let laptop = app.signed_in(EMAIL, "Ada").await;
    let phone = app.browser();
    phone
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    let tablet = app.browser();
    tablet
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;

    let list = laptop.call("sessions", &[]).await.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    // Stored keys are hashes, never the cookie value.
    assert!(
        list.iter()
            .all(|s| s["handle"].as_str().unwrap().len() == 43)
    );

    let phone_list = phone.call("sessions", &[]).await.json();
    let phone_handle = phone_list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_string();
    let revoked = laptop
        .call("revoke_session", &[("handle", &phone_handle)])
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert!(
        phone.viewer().await.is_null(),
        "the revoked browser is signed out"
    );
    assert!(!laptop.viewer().await.is_null());

    let everywhere = laptop.call("sign_out_everywhere", &[]).await;
    assert_eq!(everywhere.status, 200, "{}", everywhere.body);
    assert!(laptop.viewer().await.is_null());
    assert!(tablet.viewer().await.is_null());
}
on_both_engines!(sessions_are_listed_and_can_be_revoked_or_all_ended);

async fn a_password_reset_link_sets_a_new_password_once_and_ends_sessions(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let old_browser = app.signed_in(EMAIL, "Ada").await;
    let browser = app.browser();

    let asked = browser
        .call("request_password_reset", &[("email", EMAIL)])
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    let token = token_in(&app.mail(EMAIL, "Reset").await);

    let weak = browser
        .call(
            "reset_password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    let new_password = "a brand new passphrase";
    let reset = browser
        .call(
            "reset_password",
            &[("token", &token), ("password", new_password)],
        )
        .await;
    assert_eq!(
        reset.status, 200,
        "the link still works after a refused password: {}",
        reset.body
    );
    let reused = browser
        .call(
            "reset_password",
            &[("token", &token), ("password", "yet another passphrase")],
        )
        .await;
    assert_eq!(reused.status, 404, "{}", reused.body);

    assert!(old_browser.viewer().await.is_null(), "old sessions end");
    let old = browser
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, 422);
    let new = browser
        .call("sign_in", &[("email", EMAIL), ("password", new_password)])
        .await;
    assert_eq!(new.status, 200, "{}", new.body);
}
on_both_engines!(a_password_reset_link_sets_a_new_password_once_and_ends_sessions);

#[tokio::test]
async fn asking_for_links_for_an_unknown_address_looks_the_same_and_mails_nothing() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    let nobody = "nobody@example.com";

    for endpoint in ["request_password_reset", "request_magic_link"] {
        let reply = browser.call(endpoint, &[("email", nobody)]).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "null"),
            "{endpoint}"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail_count(nobody).await, 0);
}

async fn a_sign_in_link_signs_in_once_without_unlocking_sudo_mode(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    app.signed_in(EMAIL, "Ada").await;
    let browser = app.browser();

    browser
        .call("request_magic_link", &[("email", EMAIL)])
        .await;
    let token = token_in(&app.mail(EMAIL, "sign-in link").await);
    let reply = browser.call("magic_sign_in", &[("token", &token)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(browser.viewer().await["user"]["email"], EMAIL);

    let again = app
        .browser()
        .call("magic_sign_in", &[("token", &token)])
        .await;
    assert_eq!(again.status, 404, "{}", again.body);

    // Deleting a workspace is sensitive: a mailed link did not prove the
    // password.
    let delete = browser.call_here("delete_workspace", &[]).await;
    assert_eq!(delete.status, 403, "{}", delete.body);
    assert_eq!(delete.json()["kind"], "sudo_required");
    let wrong = browser
        .call("confirm_password", &[("password", "wrong password")])
        .await;
    assert_eq!(wrong.status, 422);
    let confirmed = browser
        .call("confirm_password", &[("password", PASSWORD)])
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let delete = browser.call_here("delete_workspace", &[]).await;
    assert_eq!(delete.status, 200, "{}", delete.body);
}
on_both_engines!(a_sign_in_link_signs_in_once_without_unlocking_sudo_mode);

async fn changing_the_password_ends_the_other_sessions_only(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let here = app.signed_in(EMAIL, "Ada").await;
    let elsewhere = app.browser();
    elsewhere
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;

    let wrong = here
        .call(
            "change_password",
            &[
                ("current", "not it at all"),
                ("new", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["field"], "current");
    let changed = here
        .call(
            "change_password",
            &[("current", PASSWORD), ("new", "a brand new passphrase")],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);

    assert!(!here.viewer().await.is_null());
    assert!(elsewhere.viewer().await.is_null());
    app.mail(EMAIL, "password was changed").await;
}
on_both_engines!(changing_the_password_ends_the_other_sessions_only);

#[tokio::test]
async fn too_many_sign_in_attempts_for_one_address_are_refused_with_429() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let reply = browser
            .call(
                "sign_in",
                &[
                    ("email", "target@example.com"),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        statuses.push(reply.status);
        if reply.status == 429 {
            assert_eq!(reply.json()["kind"], "rate_limited");
            assert!(reply.json()["retry_after_secs"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(statuses[..10], [422; 10]);
    assert_eq!(statuses[10], 429);
}

#[tokio::test]
async fn failed_and_successful_sign_ins_are_audited_and_the_log_is_append_only() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    app.signed_in(EMAIL, "Ada").await;
    app.browser()
        .call(
            "sign_in",
            &[("email", EMAIL), ("password", "wrong password!")],
        )
        .await;

    let server::db::Database::Sqlite(pool) = &app.db else {
        unreachable!()
    };
    let actions: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT action, actor_email, ip FROM audit_events ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    let names: Vec<&str> = actions.iter().map(|(action, ..)| action.as_str()).collect();
    assert_eq!(
        names,
        [
            "signed_up",
            "email_confirmed",
            "sign_in_succeeded",
            "sign_in_failed"
        ]
    );
    assert!(
        actions
            .iter()
            .all(|(_, _, ip)| ip.as_deref() == Some("127.0.0.1"))
    );

    let update = sqlx::query("UPDATE audit_events SET action = 'nothing'")
        .execute(pool)
        .await;
    assert!(update.is_err(), "updates are refused");
    let delete = sqlx::query("DELETE FROM audit_events").execute(pool).await;
    assert!(delete.is_err(), "deletes are refused");
}

#[tokio::test]
async fn the_audit_log_refuses_changes_on_postgres_too() {
    let app = TestApp::spawn(Engine::Postgres).await;
    app.signed_in(EMAIL, "Ada").await;
    let server::db::Database::Postgres(pool) = &app.db else {
        unreachable!()
    };

    let update = sqlx::query("UPDATE audit_events SET action = 'nothing'")
        .execute(pool)
        .await;
    let delete = sqlx::query("DELETE FROM audit_events").execute(pool).await;

    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

async fn the_address_changes_once_the_new_one_is_confirmed(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let browser = app.signed_in(EMAIL, "Ada").await;
    app.signed_in("taken@example.com", "Tina").await;
    let new_email = "ada@new.example.com";

    let wrong = browser
        .call(
            "change_email",
            &[("email", new_email), ("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.json()["field"], "password");

    // A taken address gets the same reply; its owner gets a notice.
    let taken = browser
        .call(
            "change_email",
            &[("email", "taken@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(taken.status, 200, "{}", taken.body);
    app.mail("taken@example.com", "tried to use your address")
        .await;

    let asked = browser
        .call(
            "change_email",
            &[("email", new_email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert_eq!(
        browser.viewer().await["user"]["email"],
        EMAIL,
        "nothing changes yet"
    );
    let token = token_in(&app.mail(new_email, "new email address").await);
    let confirmed = app
        .browser()
        .call("confirm_email_change", &[("token", &token)])
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);

    assert_eq!(browser.viewer().await["user"]["email"], new_email);
    app.mail(EMAIL, "address was changed").await;
    let old = app
        .browser()
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(old.status, 422);
    let new = app
        .browser()
        .call("sign_in", &[("email", new_email), ("password", PASSWORD)])
        .await;
    assert_eq!(new.status, 200, "{}", new.body);
    let again = app
        .browser()
        .call("confirm_email_change", &[("token", &token)])
        .await;
    assert_eq!(again.status, 404);
}
on_both_engines!(the_address_changes_once_the_new_one_is_confirmed);

async fn a_stranger_who_signed_up_first_with_an_address_cannot_keep_a_password_on_it(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let stranger = app.browser();
    let strangers_password = "the stranger's own password";
    stranger
        .call(
            "sign_up",
            &[
                ("email", EMAIL),
                ("display_name", "Not Ada"),
                ("password", strangers_password),
            ],
        )
        .await;
    app.mail(EMAIL, "Confirm").await;
    let since = app.newest_mail_id().await;

    // The owner of the address signs up too, and opens the link of their
    // own sign-up.
    let ada = app.browser();
    let reply = ada
        .call(
            "sign_up",
            &[
                ("email", EMAIL),
                ("display_name", "Ada"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = token_in(&app.mail_since(EMAIL, "Confirm", since).await);
    assert_eq!(
        ada.call("confirm_email", &[("token", &token)]).await.status,
        200
    );

    let theirs = app
        .browser()
        .call(
            "sign_in",
            &[("email", EMAIL), ("password", strangers_password)],
        )
        .await;
    assert_eq!(theirs.status, 422, "{}", theirs.body);
    let hers = ada
        .call("sign_in", &[("email", EMAIL), ("password", PASSWORD)])
        .await;
    assert_eq!(hers.status, 200, "{}", hers.body);
}
on_both_engines!(a_stranger_who_signed_up_first_with_an_address_cannot_keep_a_password_on_it);

#[tokio::test]
async fn a_sign_in_link_to_an_unconfirmed_account_voids_the_password_chosen_at_sign_up() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let strangers_password = "the stranger's own password";
    app.browser()
        .call(
            "sign_up",
            &[
                ("email", EMAIL),
                ("display_name", "Not Ada"),
                ("password", strangers_password),
            ],
        )
        .await;
    let strangers_link = token_in(&app.mail(EMAIL, "Confirm").await);

    let ada = app.browser();
    ada.call("request_magic_link", &[("email", EMAIL)]).await;
    let token = token_in(&app.mail(EMAIL, "sign-in link").await);
    assert_eq!(
        ada.call("magic_sign_in", &[("token", &token)]).await.status,
        200
    );

    let theirs = app
        .browser()
        .call(
            "sign_in",
            &[("email", EMAIL), ("password", strangers_password)],
        )
        .await;
    assert_eq!(theirs.status, 422, "{}", theirs.body);

    // The stranger's confirmation mail, opened later, does nothing.
    let late = app
        .browser()
        .call("confirm_email", &[("token", &strangers_link)])
        .await;
    assert_eq!(late.status, 404, "{}", late.body);
    let theirs = app
        .browser()
        .call(
            "sign_in",
            &[("email", EMAIL), ("password", strangers_password)],
        )
        .await;
    assert_eq!(theirs.status, 422, "{}", theirs.body);
}

#[tokio::test]
async fn a_password_reset_revokes_api_tokens_and_earlier_links() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let browser = app.signed_in(EMAIL, "Ada").await;
    let created = browser
        .call("create_api_token", &[("name", "script")])
        .await;
    let api_token = created.json()["token"].as_str().unwrap().to_string();
    browser
        .call("request_magic_link", &[("email", EMAIL)])
        .await;
    let magic = token_in(&app.mail(EMAIL, "sign-in link").await);

    browser
        .call("request_password_reset", &[("email", EMAIL)])
        .await;
    let reset = token_in(&app.mail(EMAIL, "Reset").await);
    let done = app
        .browser()
        .call(
            "reset_password",
            &[("token", &reset), ("password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);

    let rest = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Bearer {api_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 401);
    let old_link = app
        .browser()
        .call("magic_sign_in", &[("token", &magic)])
        .await;
    assert_eq!(old_link.status, 404, "{}", old_link.body);
}
