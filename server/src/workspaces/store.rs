//! The workspaces context's SQL: workspaces, memberships and invitations.
//! Every statement is the same on both engines; every query that reads
//! workspace data names the workspace it is scoped to.

use app::auth::now_secs;
use app::workspaces::roles::Role;
use app::workspaces::{Member, PendingInvitation, WorkspaceSummary};

use crate::db::Database;

fn role(text: &str) -> Role {
    // The column's CHECK constraint admits exactly the three names.
    Role::parse(text).unwrap_or(Role::Member)
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    name: String,
    role: String,
}

impl From<SummaryRow> for WorkspaceSummary {
    fn from(row: SummaryRow) -> Self {
        WorkspaceSummary {
            id: row.id,
            name: row.name,
            role: role(&row.role),
        }
    }
}

/// The workspaces `user_id` belongs to, by name.
pub async fn list_for_user(
    db: &Database,
    user_id: i64,
) -> Result<Vec<WorkspaceSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT w.id, w.name, m.role FROM workspaces w \
             JOIN memberships m ON m.workspace_id = w.id \
             WHERE m.user_id = $1 ORDER BY w.name, w.id",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A new workspace with `user_id` as its owner, in one transaction.
pub async fn create(
    db: &Database,
    user_id: i64,
    name: &str,
) -> Result<WorkspaceSummary, sqlx::Error> {
    let now = now_secs();
    let id: i64 = with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO workspaces (name, created_by, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(id)
    })?;
    Ok(WorkspaceSummary {
        id,
        name: name.to_string(),
        role: Role::Owner,
    })
}

/// The role of `user_id` in `workspace_id`, if they are a member.
pub async fn role_of(
    db: &Database,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<Role>, sqlx::Error> {
    let found: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await
    })?;
    Ok(found.as_deref().map(role))
}

pub async fn rename(db: &Database, workspace_id: i64, name: &str) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("UPDATE workspaces SET name = $2 WHERE id = $1")
            .bind(workspace_id)
            .bind(name)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Deletes a workspace; memberships and invitations go with it.
pub async fn delete(db: &Database, workspace_id: i64) -> Result<(), sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(())
}

pub async fn workspace_name(
    db: &Database,
    workspace_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
            .bind(workspace_id)
            .fetch_optional(pool)
            .await
    })
}

pub async fn members(db: &Database, workspace_id: i64) -> Result<Vec<Member>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        user_id: i64,
        email: String,
        display_name: String,
        role: String,
        created_at: i64,
    }
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT m.user_id, u.email, u.display_name, m.role, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.workspace_id = $1 ORDER BY u.display_name, u.id",
        )
        .bind(workspace_id)
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| Member {
            user_id: row.user_id,
            email: row.email,
            display_name: row.display_name,
            role: role(&row.role),
            joined_at: row.created_at,
        })
        .collect())
}

/// Makes `to` an owner and `from`, who must still be an owner, an admin,
/// in one transaction that first locks the workspace row (as
/// [`change_member_keeping_owner`] does). `false`, and nothing changed,
/// when `to` is no longer a member or `from` no longer an owner.
pub async fn transfer_ownership(
    db: &Database,
    workspace_id: i64,
    to: i64,
    from: i64,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        let stepped_down = sqlx::query(
            "UPDATE memberships SET role = 'admin' \
             WHERE workspace_id = $1 AND user_id = $2 AND role = 'owner'",
        )
        .bind(workspace_id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let promoted = sqlx::query(
            "UPDATE memberships SET role = 'owner' WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(to)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if stepped_down != 1 || promoted != 1 {
            // Dropping the transaction rolls it back.
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Stores an invitation; an earlier pending one to the same address for
/// this workspace is withdrawn, so only the newest link works.
pub async fn insert_invitation(
    db: &Database,
    workspace_id: i64,
    email: &str,
    new_role: Role,
    token_hash: &str,
    invited_by: i64,
    lifetime_secs: i64,
) -> Result<(), sqlx::Error> {
    let now = now_secs();
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "UPDATE invitations SET revoked_at = $3 \
             WHERE workspace_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(workspace_id)
        .bind(email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO invitations \
             (workspace_id, email, role, token_hash, invited_by, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(workspace_id)
        .bind(email)
        .bind(new_role.as_str())
        .bind(token_hash)
        .bind(invited_by)
        .bind(now + lifetime_secs)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    })
}

pub async fn pending_invitations(
    db: &Database,
    workspace_id: i64,
) -> Result<Vec<PendingInvitation>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        email: String,
        role: String,
        expires_at: i64,
    }
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, email, role, expires_at FROM invitations \
             WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY id DESC",
        )
        .bind(workspace_id)
        .bind(now_secs())
        .fetch_all(pool)
        .await
    })?;
    Ok(rows
        .into_iter()
        .map(|row| PendingInvitation {
            id: row.id,
            email: row.email,
            role: role(&row.role),
            expires_at: row.expires_at,
        })
        .collect())
}

/// Withdraws a pending invitation of this workspace; `false` when there
/// was none with that id.
pub async fn revoke_invitation(
    db: &Database,
    workspace_id: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE invitations SET revoked_at = $3 \
             WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(workspace_id)
        .bind(now_secs())
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(done > 0)
}

/// A live invitation found by its token's hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveInvitation {
    pub id: i64,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub email: String,
    pub role: String,
}

pub async fn live_invitation(
    db: &Database,
    token_hash: &str,
) -> Result<Option<LiveInvitation>, sqlx::Error> {
    with_pool!(db, pool => {
        sqlx::query_as(
            "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.email, i.role \
             FROM invitations i JOIN workspaces w ON w.id = i.workspace_id \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL \
             AND i.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_secs())
        .fetch_optional(pool)
        .await
    })
}

/// Marks the invitation accepted and adds `user_id` with its role, in one
/// transaction. `false` when the invitation was used meanwhile. A member
/// already in the workspace keeps the higher of the two roles.
pub async fn accept_invitation(
    db: &Database,
    invitation: &LiveInvitation,
    user_id: i64,
    existing: Option<Role>,
) -> Result<bool, sqlx::Error> {
    let now = now_secs();
    let offered = role(&invitation.role);
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let claimed = sqlx::query(
            "UPDATE invitations SET accepted_at = $2 \
             WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(invitation.id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(false);
        }
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(invitation.workspace_id)
                .bind(user_id)
                .bind(offered.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Some(current) if outranks(offered, current) => {
                sqlx::query("UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2")
                    .bind(invitation.workspace_id)
                    .bind(user_id)
                    .bind(offered.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            Some(_) => {}
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Whether `a` is a higher role than `b`.
pub fn outranks(a: Role, b: Role) -> bool {
    let rank = |role| match role {
        Role::Owner => 3,
        Role::Admin => 2,
        Role::Member => 1,
    };
    rank(a) > rank(b)
}

/// A change to one membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Role(Role),
    Remove,
}

/// Applies `change` to `user_id`'s membership unless it would leave the
/// workspace without an owner; `false` when refused.
///
/// The check and the change run in one transaction that first locks the
/// workspace's row with a no-op update (a row lock on PostgreSQL, the
/// write lock on SQLite), so two owners stepping down at the same moment
/// cannot both see the other still there.
pub async fn change_member_keeping_owner(
    db: &Database,
    workspace_id: i64,
    user_id: i64,
    change: MemberChange,
) -> Result<bool, sqlx::Error> {
    with_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE workspaces SET name = name WHERE id = $1")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        let current: Option<String> = sqlx::query_scalar(
            "SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2",
        )
        .bind(workspace_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let owners: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'",
        )
        .bind(workspace_id)
        .fetch_one(&mut *tx)
        .await?;
        let loses_owner = current.as_deref() == Some("owner")
            && change != MemberChange::Role(Role::Owner);
        if loses_owner && owners <= 1 {
            return Ok(false);
        }
        match change {
            MemberChange::Role(new) => {
                sqlx::query("UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2")
                    .bind(workspace_id)
                    .bind(user_id)
                    .bind(new.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            MemberChange::Remove => {
                sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                    .bind(workspace_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    })
}
