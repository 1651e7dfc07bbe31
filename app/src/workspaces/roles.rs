//! Roles and what each may do: the one permission table of Caveman.
//!
//! Every check of a role anywhere in the code goes through
//! [`Role::may`]; the UI uses the same table to decide which controls to
//! show, and the server enforces it regardless of what the UI showed.

use serde::{Deserialize, Serialize};

use crate::AppError;

/// A member's role in a workspace, highest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

/// Something a member may try to do in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the workspace, its members and everything in it except secrets.
    View,
    /// Rename the workspace.
    Rename,
    /// Delete the workspace and everything in it.
    Delete,
    /// Invite someone, or withdraw an invitation.
    Invite,
    /// Change a member's role (the target and the new role are checked by
    /// [`Role::may_assign`]).
    ChangeRoles,
    /// Remove another member.
    RemoveMembers,
    /// Hand the workspace over to another member.
    TransferOwnership,
    /// Read the audit log.
    ViewAudit,
    /// Add, change or remove hosts, sources and their credentials.
    ManageResources,
    /// Create personal API tokens for this workspace.
    CreateApiTokens,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];

    /// The permission table.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Owner => true,
            Role::Admin => matches!(
                action,
                View | Rename
                    | Invite
                    | ChangeRoles
                    | RemoveMembers
                    | ViewAudit
                    | ManageResources
                    | CreateApiTokens
            ),
            Role::Member => matches!(action, View | CreateApiTokens),
        }
    }

    /// Whether someone with this role may give `target`'s holder the role
    /// `new`: admins manage members and admins, only owners touch owners.
    pub fn may_assign(self, target: Role, new: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => target != Role::Owner && new != Role::Owner,
            Role::Member => false,
        }
    }

    /// `Ok` when the table allows `action`, else [`AppError::Forbidden`].
    pub fn require(self, action: Action) -> Result<(), AppError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }

    pub fn parse(value: &str) -> Result<Role, AppError> {
        match value {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(AppError::invalid("role", "Choose owner, admin or member.")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_grants_each_role_what_the_design_says() {
        use Action::*;
        let expected: &[(Action, [bool; 3])] = &[
            // (action, [owner, admin, member])
            (View, [true, true, true]),
            (Rename, [true, true, false]),
            (Delete, [true, false, false]),
            (Invite, [true, true, false]),
            (ChangeRoles, [true, true, false]),
            (RemoveMembers, [true, true, false]),
            (TransferOwnership, [true, false, false]),
            (ViewAudit, [true, true, false]),
            (ManageResources, [true, true, false]),
            (CreateApiTokens, [true, true, true]),
        ];
        for (action, allowed) in expected {
            for (role, allowed) in Role::ALL.iter().zip(allowed) {
                assert_eq!(role.may(*action), *allowed, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn admins_cannot_make_or_unmake_owners() {
        assert!(Role::Admin.may_assign(Role::Member, Role::Admin));
        assert!(!Role::Admin.may_assign(Role::Member, Role::Owner));
        assert!(!Role::Admin.may_assign(Role::Owner, Role::Admin));
        assert!(Role::Owner.may_assign(Role::Owner, Role::Member));
        assert!(!Role::Member.may_assign(Role::Member, Role::Member));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
    }
}
