//! Which roles may do what. Administrators may do everything and are implied
//! wherever a list below is checked.

use crate::auth::Viewer;
use entities::entity::{ReleaseStatus, Role};
use entities::lifecycle::release::ReleaseAction;

/// Roles that see every release (the list is theirs; others see only their own).
pub const SEE_ALL_RELEASES: &[Role] = &[Role::ReleaseManager];
/// Roles that create and run releases, milestones and stakeholders.
pub const RUN_RELEASES: &[Role] = &[Role::ReleaseManager];
/// Roles that may look people up (to pick owners and stakeholders).
pub const READ_PEOPLE: &[Role] = &[Role::ReleaseManager, Role::ChangeManager];
/// Roles that may read milestone templates.
pub const READ_TEMPLATES: &[Role] = &[Role::ReleaseManager];
/// Administration (people, roles, tokens, templates, audit): administrators only.
pub const ADMINISTER: &[Role] = &[];

/// Whether `viewer` may apply `action` to a release, and from which statuses.
/// `Ok(&[])` means from any status the lifecycle allows.
pub fn release_action_scope(
    viewer: &Viewer,
    action: ReleaseAction,
) -> Result<&'static [ReleaseStatus], &'static str> {
    if viewer.has_any(RUN_RELEASES) {
        return Ok(&[]);
    }
    if viewer.has(Role::ChangeManager) {
        return match action {
            ReleaseAction::Submit => Ok(&[]),
            ReleaseAction::Cancel => Ok(&[ReleaseStatus::Draft]),
            _ => Err("a change manager may only submit a release or cancel a draft"),
        };
    }
    Err("only release managers and administrators move releases")
}

#[cfg(test)]
mod tests {
    use super::*;
    use entities::entity::person;

    fn viewer(roles: &[Role]) -> Viewer {
        Viewer {
            person: person::Model {
                id: 1,
                name: "T".into(),
                email: "t@example.com".into(),
                created_at: chrono::Utc::now(),
            },
            roles: roles.to_vec(),
            token_id: None,
        }
    }

    #[test]
    fn release_actions_by_role() {
        use ReleaseAction as A;
        for action in ReleaseAction::ALL {
            assert_eq!(
                release_action_scope(&viewer(&[Role::Administrator]), action),
                Ok(&[][..])
            );
            assert_eq!(
                release_action_scope(&viewer(&[Role::ReleaseManager]), action),
                Ok(&[][..])
            );
            assert!(release_action_scope(&viewer(&[Role::ReviewBoard]), action).is_err());
            assert!(release_action_scope(&viewer(&[Role::Stakeholder]), action).is_err());
            let change = release_action_scope(&viewer(&[Role::ChangeManager]), action);
            match action {
                A::Submit => assert_eq!(change, Ok(&[][..])),
                A::Cancel => assert_eq!(change, Ok(&[ReleaseStatus::Draft][..])),
                _ => assert!(change.is_err(), "{action:?}"),
            }
        }
    }

    #[test]
    fn only_managers_and_administrators_see_every_release() {
        assert!(viewer(&[Role::Administrator]).visibility().is_none());
        assert!(viewer(&[Role::ReleaseManager]).visibility().is_none());
        let board = viewer(&[Role::ReviewBoard]).visibility().expect("limited");
        assert!(board.awaiting_decision);
        let change = viewer(&[Role::ChangeManager])
            .visibility()
            .expect("limited");
        assert!(!change.awaiting_decision);
    }
}
