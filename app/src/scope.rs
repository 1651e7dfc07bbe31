//! The resolved caller of a request: who they are, which workspace they
//! act in, and their role there. Every domain function that reads or
//! changes workspace data takes a [`Scope`], and every list query filters
//! by it; a server function obtains one with [`crate::auth::scope`].

use crate::AppError;
use crate::workspaces::roles::{Action, Role};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub user_id: i64,
    pub workspace_id: i64,
    pub role: Role,
}

impl Scope {
    /// `Ok` when the caller's role allows `action` in this workspace.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        self.role.require(action)
    }
}
