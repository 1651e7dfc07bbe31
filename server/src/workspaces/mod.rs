//! The workspaces context: workspaces, memberships, invitations and the
//! rules around roles (always at least one owner; admins never touch
//! owners). Every method takes the caller's scope and checks it against
//! the one permission table, [`Role::may`].

pub mod store;

use app::AppError;
use app::auth::Client;
use app::scope::Scope;
use app::workspaces::roles::{Action, Role};
use app::workspaces::{
    AuditEntry, InvitationPreview, WorkspaceDetail, WorkspaceSummary, WorkspacesService,
};
use std::sync::Arc;

use serde_json::json;
use url::Url;

use crate::audit;
use crate::db::Database;
use crate::mailer::{Mail, Mailer};
use crate::rate_limit::{Limit, RateLimiter};
use crate::tokens;

/// How long an invitation link stays valid: a week.
const INVITATION_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// Audit entries per page.
const AUDIT_PAGE: i64 = 50;

/// Invitations one member may send per hour: invitations carry text the
/// inviter chose (the workspace name) to any address.
const INVITATIONS_PER_MEMBER: Limit = Limit::per_minutes(30, 60);

#[derive(Debug, Clone)]
pub struct Workspaces {
    db: Database,
    mailer: Mailer,
    limits: Arc<RateLimiter>,
    public_url: Url,
}

fn internal(error: sqlx::Error) -> AppError {
    AppError::internal(&error)
}

fn not_found(what: &str) -> AppError {
    AppError::NotFound { what: what.into() }
}

impl Workspaces {
    pub fn new(db: Database, mailer: Mailer, limits: Arc<RateLimiter>, public_url: Url) -> Self {
        Workspaces {
            db,
            mailer,
            limits,
            public_url,
        }
    }

    /// Refuses to replace or withdraw a pending invitation that offers a
    /// role the caller could not give.
    fn may_touch_invitation(scope: &Scope, offered: Role) -> Result<(), AppError> {
        if scope.role.may_assign(Role::Member, offered) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    async fn audit(
        &self,
        scope: &Scope,
        action: audit::Action,
        detail: serde_json::Value,
        client: &Client,
    ) -> Result<(), AppError> {
        audit::record_in_scope(&self.db, scope, action, detail, client).await
    }

    /// The role of another member, or not-found when they are not one.
    async fn member_role(&self, scope: &Scope, member_id: i64) -> Result<Role, AppError> {
        store::role_of(&self.db, scope.workspace_id, member_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found("The member"))
    }

    /// Applies a membership change unless it would leave the workspace
    /// without an owner.
    async fn change_keeping_owner(
        &self,
        scope: &Scope,
        member_id: i64,
        change: store::MemberChange,
    ) -> Result<(), AppError> {
        if store::change_member_keeping_owner(&self.db, scope.workspace_id, member_id, change)
            .await
            .map_err(internal)?
        {
            Ok(())
        } else {
            Err(AppError::Conflict {
                message: "A workspace needs at least one owner. Make someone else an owner first."
                    .into(),
            })
        }
    }

    fn accept_link(&self, token: &str) -> String {
        let mut url = self.public_url.clone();
        url.set_path("/invitations/accept");
        url.set_query(Some(&format!("token={token}")));
        url.to_string()
    }
}

#[async_trait::async_trait]
impl WorkspacesService for Workspaces {
    async fn create(
        &self,
        user_id: i64,
        name: &str,
        client: &Client,
    ) -> Result<WorkspaceSummary, AppError> {
        let workspace = store::create(&self.db, user_id, name)
            .await
            .map_err(internal)?;
        let scope = Scope {
            user_id,
            workspace_id: workspace.id,
            role: Role::Owner,
        };
        self.audit(
            &scope,
            audit::Action::WorkspaceCreated,
            json!({ "name": name }),
            client,
        )
        .await?;
        Ok(workspace)
    }

    async fn rename(&self, scope: &Scope, name: &str, client: &Client) -> Result<(), AppError> {
        scope.require(Action::Rename)?;
        store::rename(&self.db, scope.workspace_id, name)
            .await
            .map_err(internal)?;
        self.audit(
            scope,
            audit::Action::WorkspaceRenamed,
            json!({ "name": name }),
            client,
        )
        .await
    }

    async fn delete(&self, scope: &Scope, client: &Client) -> Result<(), AppError> {
        scope.require(Action::Delete)?;
        let name = store::workspace_name(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        // Recorded first: the entry keeps the workspace's id, and the log
        // outlives the workspace.
        self.audit(
            scope,
            audit::Action::WorkspaceDeleted,
            json!({ "name": name }),
            client,
        )
        .await?;
        store::delete(&self.db, scope.workspace_id)
            .await
            .map_err(internal)
    }

    async fn detail(&self, scope: &Scope) -> Result<WorkspaceDetail, AppError> {
        scope.require(Action::View)?;
        let name = store::workspace_name(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| not_found("The workspace"))?;
        let members = store::members(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        let invitations = if scope.role.may(Action::Invite) {
            store::pending_invitations(&self.db, scope.workspace_id)
                .await
                .map_err(internal)?
        } else {
            Vec::new()
        };
        Ok(WorkspaceDetail {
            workspace: WorkspaceSummary {
                id: scope.workspace_id,
                name,
                role: scope.role,
            },
            members,
            invitations,
        })
    }

    async fn invite(
        &self,
        scope: &Scope,
        email: &str,
        role: Role,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::Invite)?;
        if !scope.role.may_assign(Role::Member, role) {
            return Err(AppError::Forbidden);
        }
        let already = store::members(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?
            .into_iter()
            .any(|member| member.email == email);
        if already {
            return Err(AppError::Conflict {
                message: format!("{email} is already a member of this workspace."),
            });
        }
        let pending = store::pending_invitations(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        if let Some(earlier) = pending.iter().find(|invitation| invitation.email == email) {
            Self::may_touch_invitation(scope, earlier.role)?;
        }
        self.limits
            .hit("invite", &scope.user_id.to_string(), INVITATIONS_PER_MEMBER)?;
        let workspace = store::workspace_name(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?
            .unwrap_or_default();
        let token = tokens::generate();
        store::insert_invitation(
            &self.db,
            scope.workspace_id,
            email,
            role,
            &token.hash,
            scope.user_id,
            INVITATION_LIFETIME_SECS,
        )
        .await
        .map_err(internal)?;
        self.mailer.send(Mail {
            to: email.to_string(),
            subject: format!("You are invited to {workspace} on Caveman"),
            body: format!(
                "You have been invited to join the workspace \"{workspace}\" on Caveman as {role}.\n\n\
                 Accept the invitation here (the link works for 7 days, once):\n{link}\n\n\
                 If you were not expecting this, ignore this mail.\n",
                role = role.label().to_lowercase(),
                link = self.accept_link(token.plain.expose()),
            ),
        });
        self.audit(
            scope,
            audit::Action::MemberInvited,
            json!({ "email": email, "role": role.as_str() }),
            client,
        )
        .await
    }

    async fn revoke_invitation(
        &self,
        scope: &Scope,
        invitation_id: i64,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::Invite)?;
        let pending = store::pending_invitations(&self.db, scope.workspace_id)
            .await
            .map_err(internal)?;
        if let Some(invitation) = pending
            .iter()
            .find(|invitation| invitation.id == invitation_id)
        {
            Self::may_touch_invitation(scope, invitation.role)?;
        }
        if !store::revoke_invitation(&self.db, scope.workspace_id, invitation_id)
            .await
            .map_err(internal)?
        {
            return Err(not_found("The invitation"));
        }
        self.audit(
            scope,
            audit::Action::InvitationRevoked,
            json!({ "invitation": invitation_id }),
            client,
        )
        .await
    }

    async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview, AppError> {
        let invitation = store::live_invitation(&self.db, &tokens::hash(token))
            .await
            .map_err(internal)?
            .ok_or_else(invitation_gone)?;
        Ok(InvitationPreview {
            workspace_name: invitation.workspace_name,
            email: invitation.email,
            role: Role::parse(&invitation.role).unwrap_or(Role::Member),
        })
    }

    async fn accept_invitation(
        &self,
        user_id: i64,
        token: &str,
        client: &Client,
    ) -> Result<WorkspaceSummary, AppError> {
        let invitation = store::live_invitation(&self.db, &tokens::hash(token))
            .await
            .map_err(internal)?
            .ok_or_else(invitation_gone)?;
        // The link alone is not enough: a forwarded invitation (perhaps for
        // the owner role) must not work for whoever it reaches.
        let email = crate::accounts::store::user_by_id(&self.db, user_id)
            .await
            .map_err(internal)?
            .map(|user| user.email);
        if email.as_deref() != Some(invitation.email.as_str()) {
            return Err(AppError::Invalid {
                field: None,
                message: format!(
                    "This invitation was sent to {}. Sign in with that address to accept it.",
                    invitation.email
                ),
            });
        }
        let existing = store::role_of(&self.db, invitation.workspace_id, user_id)
            .await
            .map_err(internal)?;
        if !store::accept_invitation(&self.db, &invitation, user_id, existing)
            .await
            .map_err(internal)?
        {
            return Err(invitation_gone());
        }
        let role = store::role_of(&self.db, invitation.workspace_id, user_id)
            .await
            .map_err(internal)?
            .unwrap_or(Role::Member);
        let scope = Scope {
            user_id,
            workspace_id: invitation.workspace_id,
            role,
        };
        self.audit(
            &scope,
            audit::Action::InvitationAccepted,
            json!({ "invitation": invitation.id, "invited_email": invitation.email, "role": role.as_str() }),
            client,
        )
        .await?;
        Ok(WorkspaceSummary {
            id: invitation.workspace_id,
            name: invitation.workspace_name,
            role,
        })
    }

    async fn change_role(
        &self,
        scope: &Scope,
        member_id: i64,
        role: Role,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::ChangeRoles)?;
        let current = self.member_role(scope, member_id).await?;
        if !scope.role.may_assign(current, role) {
            return Err(AppError::Forbidden);
        }
        if current == role {
            return Ok(());
        }
        self.change_keeping_owner(scope, member_id, store::MemberChange::Role(role))
            .await?;
        self.audit(
            scope,
            audit::Action::RoleChanged,
            json!({ "member": member_id, "from": current.as_str(), "to": role.as_str() }),
            client,
        )
        .await
    }

    async fn remove_member(
        &self,
        scope: &Scope,
        member_id: i64,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::RemoveMembers)?;
        if member_id == scope.user_id {
            return Err(AppError::Conflict {
                message: "To remove yourself, leave the workspace instead.".into(),
            });
        }
        let current = self.member_role(scope, member_id).await?;
        if current == Role::Owner && scope.role != Role::Owner {
            return Err(AppError::Forbidden);
        }
        self.change_keeping_owner(scope, member_id, store::MemberChange::Remove)
            .await?;
        self.audit(
            scope,
            audit::Action::MemberRemoved,
            json!({ "member": member_id, "role": current.as_str() }),
            client,
        )
        .await
    }

    async fn leave(&self, scope: &Scope, client: &Client) -> Result<(), AppError> {
        self.change_keeping_owner(scope, scope.user_id, store::MemberChange::Remove)
            .await?;
        self.audit(scope, audit::Action::MemberLeft, json!({}), client)
            .await
    }

    async fn transfer_ownership(
        &self,
        scope: &Scope,
        member_id: i64,
        client: &Client,
    ) -> Result<(), AppError> {
        scope.require(Action::TransferOwnership)?;
        if member_id == scope.user_id {
            return Err(AppError::invalid("member", "Choose another member."));
        }
        let current = self.member_role(scope, member_id).await?;
        let swapped =
            store::transfer_ownership(&self.db, scope.workspace_id, member_id, scope.user_id)
                .await
                .map_err(internal)?;
        if !swapped {
            return Err(not_found("The member"));
        }
        self.audit(
            scope,
            audit::Action::OwnershipTransferred,
            json!({ "to": member_id, "their_previous_role": current.as_str() }),
            client,
        )
        .await
    }

    async fn audit_log(
        &self,
        scope: &Scope,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, AppError> {
        scope.require(Action::ViewAudit)?;
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            action: String,
            actor: Option<String>,
            detail: String,
            ip: Option<String>,
            created_at: i64,
        }
        let rows: Vec<Row> = with_pool!(&self.db, pool => {
            sqlx::query_as(
                "SELECT a.id, a.action, COALESCE(u.email, a.actor_email) AS actor, a.detail, a.ip, a.created_at \
                 FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id \
                 WHERE a.workspace_id = $1 AND a.id < $2 ORDER BY a.id DESC LIMIT $3",
            )
            .bind(scope.workspace_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(AUDIT_PAGE)
            .fetch_all(pool)
            .await
        })
        .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                action: row.action,
                actor: row.actor,
                detail: describe(&row.detail),
                ip: row.ip,
                at: row.created_at,
            })
            .collect())
    }
}

fn invitation_gone() -> AppError {
    AppError::NotFound {
        what: "This invitation (it may have expired, been used or been withdrawn)".into(),
    }
}

/// `{"role":"admin","email":"x"}` -> `email: x, role: admin`.
fn describe(detail: &str) -> String {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(detail) {
        Ok(map) => map
            .iter()
            .map(|(key, value)| match value {
                serde_json::Value::String(text) => format!("{key}: {text}"),
                other => format!("{key}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => detail.to_string(),
    }
}
