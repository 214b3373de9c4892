//! The console's pure parts: roles and their rules, tokens and CSRF, form parsing,
//! and the HTML it renders. The adapter is `src/console/`.
pub mod audit_view;
pub mod auth;
pub mod form;
pub mod html;
pub mod keys_view;
pub mod pauses_view;
pub mod usage_view;
pub mod view;

/// A member's role on their team. Viewers see everything and change nothing that
/// matters: keys, cancellations, secrets and the team are for owners and admins.
/// Stored in D1 (`members.role`, `magic_links.role`) as these strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Viewer];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
    /// Keys, secrets, cancellations, test pauses and the team.
    pub fn can_manage(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// The role an invitation may grant: never a second owner.
pub fn parse_invite_role(s: &str) -> Option<Role> {
    match Role::parse(s.trim()) {
        Some(r @ (Role::Admin | Role::Viewer)) => Some(r),
        _ => None,
    }
}

/// Can `actor` remove `target` from the team? `Err` says why not, for the page.
pub fn can_remove(actor: Role, target: Role, same_member: bool) -> Result<(), &'static str> {
    if !actor.can_manage() {
        Err("Only the owner and admins can remove members.")
    } else if same_member {
        Err("You cannot remove yourself; sign out instead, or ask another admin.")
    } else if target == Role::Owner {
        Err("The owner of a team cannot be removed.")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_manage() {
        assert!(Role::Owner.can_manage());
        assert!(Role::Admin.can_manage());
        assert!(!Role::Viewer.can_manage());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            // serde reads and writes the same strings as D1 holds.
            let json = format!("\"{}\"", r.as_str());
            assert_eq!(serde_json::to_string(&r).unwrap(), json);
            assert_eq!(serde_json::from_str::<Role>(&json).unwrap(), r);
        }
        assert_eq!(Role::parse("Owner"), None);
    }

    #[test]
    fn invites_grant_admin_or_viewer_only() {
        assert_eq!(parse_invite_role("admin"), Some(Role::Admin));
        assert_eq!(parse_invite_role(" viewer "), Some(Role::Viewer));
        assert_eq!(parse_invite_role("owner"), None);
        assert_eq!(parse_invite_role(""), None);
    }

    #[test]
    fn removal_rules() {
        assert!(can_remove(Role::Owner, Role::Admin, false).is_ok());
        assert!(can_remove(Role::Admin, Role::Viewer, false).is_ok());
        assert!(can_remove(Role::Admin, Role::Owner, false).is_err());
        assert!(can_remove(Role::Viewer, Role::Viewer, false).is_err());
        assert!(can_remove(Role::Owner, Role::Owner, true).is_err());
        assert!(can_remove(Role::Admin, Role::Admin, true).is_err());
    }
}
