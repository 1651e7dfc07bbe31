//! Workspaces through the HTTP surface: creating and switching, inviting
//! and accepting, roles and their limits, leaving, deleting, the audit log.

use serde_json::Value;

use crate::on_both_engines;
use crate::support::{Browser, Engine, PASSWORD, TestApp, token_in};

/// Invites `email` with `role` into `inviter`'s current workspace and has
/// `invitee` accept. Returns the invitee's user id.
async fn invite_and_accept(
    app: &TestApp,
    inviter: &Browser,
    invitee: &Browser,
    email: &str,
    role: &str,
) -> i64 {
    let since = app.newest_mail_id().await;
    let invited = inviter
        .call_here("invite_member", &[("email", email), ("role", role)])
        .await;
    assert_eq!(invited.status, 200, "{}", invited.body);
    let token = token_in(&app.mail_since(email, "invited", since).await);
    let preview = invitee
        .call("invitation_preview", &[("token", &token)])
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.json()["role"], role);
    let accepted = invitee
        .call("accept_invitation", &[("token", &token)])
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    invitee.viewer().await["user"]["id"].as_i64().unwrap()
}

fn member<'a>(detail: &'a Value, email: &str) -> &'a Value {
    detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|member| member["email"] == email)
        .unwrap_or_else(|| panic!("{email} is not a member: {detail}"))
}

async fn an_invited_member_joins_with_the_offered_role(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let created = owner.call("create_workspace", &[("name", "Team")]).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        owner.viewer().await["workspace"]["name"],
        "Team",
        "creating switches"
    );

    let bob = app.signed_in("bob@example.com", "Bob").await;
    invite_and_accept(&app, &owner, &bob, "bob@example.com", "member").await;

    let viewer = bob.viewer().await;
    assert_eq!(viewer["workspace"]["name"], "Team", "accepting switches");
    assert_eq!(viewer["workspace"]["role"], "member");
    assert_eq!(viewer["workspaces"].as_array().unwrap().len(), 2);
    let detail = owner.call("workspace_detail", &[]).await.json();
    assert_eq!(member(&detail, "bob@example.com")["role"], "member");
    assert_eq!(
        detail["invitations"],
        Value::Array(vec![]),
        "accepted invitations are gone"
    );

    // A member sees the members but not the invitations, and cannot invite.
    let seen = bob.call("workspace_detail", &[]).await.json();
    assert_eq!(seen["members"].as_array().unwrap().len(), 2);
    let refused = bob
        .call_here(
            "invite_member",
            &[("email", "eve@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}
on_both_engines!(an_invited_member_joins_with_the_offered_role);

async fn roles_change_in_sudo_mode_and_the_table_limits_who_may_do_what(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let admin = app.signed_in("admin@example.com", "Adam").await;
    let bob = app.signed_in("bob@example.com", "Bob").await;
    let admin_id = invite_and_accept(&app, &owner, &admin, "admin@example.com", "admin").await;
    let bob_id = invite_and_accept(&app, &owner, &bob, "bob@example.com", "member").await;
    let owner_id = owner.viewer().await["user"]["id"].as_i64().unwrap();

    // Admins manage members but never owners.
    let promote = admin
        .call_here(
            "change_role",
            &[("user_id", &bob_id.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    let to_owner = admin
        .call_here(
            "change_role",
            &[("user_id", &bob_id.to_string()), ("role", "owner")],
        )
        .await;
    assert_eq!(to_owner.status, 403);
    let demote_owner = admin
        .call_here(
            "change_role",
            &[("user_id", &owner_id.to_string()), ("role", "member")],
        )
        .await;
    assert_eq!(demote_owner.status, 403);
    let remove_owner = admin
        .call_here("remove_member", &[("user_id", &owner_id.to_string())])
        .await;
    assert_eq!(remove_owner.status, 403);

    // The last owner cannot step down or leave.
    let self_demote = owner
        .call_here(
            "change_role",
            &[("user_id", &owner_id.to_string()), ("role", "admin")],
        )
        .await;
    assert_eq!(self_demote.status, 409, "{}", self_demote.body);
    let leave = owner.call_here("leave_workspace", &[]).await;
    assert_eq!(leave.status, 409, "{}", leave.body);

    // Members may do neither.
    let demote = owner
        .call_here(
            "change_role",
            &[("user_id", &bob_id.to_string()), ("role", "member")],
        )
        .await;
    assert_eq!(demote.status, 200, "{}", demote.body);
    let by_member = bob
        .call_here(
            "change_role",
            &[("user_id", &admin_id.to_string()), ("role", "member")],
        )
        .await;
    assert_eq!(by_member.status, 403);
    let rename = bob
        .call_here("rename_workspace", &[("name", "Mine now")])
        .await;
    assert_eq!(rename.status, 403);
    let audit = bob.call("audit_log", &[]).await;
    assert_eq!(audit.status, 403);

    // Ownership moves in one step; the old owner becomes an admin.
    let transfer = owner
        .call_here("transfer_ownership", &[("user_id", &admin_id.to_string())])
        .await;
    assert_eq!(transfer.status, 200, "{}", transfer.body);
    let detail = owner.call("workspace_detail", &[]).await.json();
    assert_eq!(member(&detail, "admin@example.com")["role"], "owner");
    assert_eq!(member(&detail, "owner@example.com")["role"], "admin");

    // Everything above is in the audit log, for admins and owners.
    let log = admin.call("audit_log", &[]).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let actions: Vec<String> = log
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "member_invited",
        "invitation_accepted",
        "role_changed",
        "ownership_transferred",
    ] {
        assert!(
            actions.iter().any(|action| action == expected),
            "{expected} in {actions:?}"
        );
    }
}
on_both_engines!(roles_change_in_sudo_mode_and_the_table_limits_who_may_do_what);

async fn a_member_can_be_removed_or_leave_and_then_sees_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let bob = app.signed_in("bob@example.com", "Bob").await;
    let workspace = owner.viewer().await["workspace"]["id"].as_i64().unwrap();
    let bob_id = invite_and_accept(&app, &owner, &bob, "bob@example.com", "member").await;

    let removed = owner
        .call_here("remove_member", &[("user_id", &bob_id.to_string())])
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let switch = bob
        .call("switch_workspace", &[("id", &workspace.to_string())])
        .await;
    assert_eq!(switch.status, 404, "{}", switch.body);
    assert_ne!(bob.viewer().await["workspace"]["id"], workspace);

    invite_and_accept(&app, &owner, &bob, "bob@example.com", "member").await;
    let left = bob.call_here("leave_workspace", &[]).await;
    assert_eq!(left.status, 200, "{}", left.body);
    let names: Vec<Value> = bob.viewer().await["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|workspace| workspace["name"].clone())
        .collect();
    assert_eq!(names, ["Bob's workspace"]);
}
on_both_engines!(a_member_can_be_removed_or_leave_and_then_sees_nothing);

#[tokio::test]
async fn invitations_can_be_withdrawn_and_expire_with_their_link() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let bob = app.signed_in("bob@example.com", "Bob").await;
    owner
        .call_here(
            "invite_member",
            &[("email", "bob@example.com"), ("role", "admin")],
        )
        .await;
    let token = token_in(&app.mail("bob@example.com", "invited").await);
    let detail = owner.call("workspace_detail", &[]).await.json();
    let id = detail["invitations"][0]["id"].as_i64().unwrap();

    let withdrawn = owner
        .call_here("revoke_invitation", &[("id", &id.to_string())])
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);

    let accepted = bob.call("accept_invitation", &[("token", &token)]).await;
    assert_eq!(accepted.status, 404, "{}", accepted.body);
    let preview = app
        .browser()
        .call("invitation_preview", &[("token", &token)])
        .await;
    assert_eq!(preview.status, 404);
}

#[tokio::test]
async fn a_workspace_is_deleted_only_by_an_owner_in_sudo_mode() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let owner = app.signed_in("owner@example.com", "Olga").await;
    let admin = app.signed_in("admin@example.com", "Adam").await;
    owner.call("create_workspace", &[("name", "Doomed")]).await;
    invite_and_accept(&app, &owner, &admin, "admin@example.com", "admin").await;

    let by_admin = admin.call_here("delete_workspace", &[]).await;
    assert_eq!(by_admin.status, 403);
    let by_owner = owner.call_here("delete_workspace", &[]).await;
    assert_eq!(by_owner.status, 200, "{}", by_owner.body);

    // Both land in a workspace they still have.
    assert_eq!(
        owner.viewer().await["workspace"]["name"],
        "Olga's workspace"
    );
    assert_eq!(
        admin.viewer().await["workspace"]["name"],
        "Adam's workspace"
    );
    let sign_in_again = app.browser();
    let reply = sign_in_again
        .call(
            "sign_in",
            &[("email", "admin@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, 200);
}
