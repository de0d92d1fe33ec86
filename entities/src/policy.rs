//! Who may do what, decided in one place: the actor (a person with roles, or the
//! system acting for a job), the action, and where it matters the target's status.
//! Administrators may do everything a role may.

use crate::entity::{ReleaseStatus, Role};
use crate::lifecycle::release::ReleaseAction;
use crate::releases::list::Visibility;
use crate::{DomainError, DomainResult};

/// Who makes a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The service itself: the command line, demo data, scheduled jobs.
    System,
    /// A signed-in person with their roles.
    Person { id: i32, roles: Vec<Role> },
}

/// What an actor may be allowed to do, apart from moving releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// See every release (others see only their own, see [`Actor::visibility`]).
    SeeAllReleases,
    /// Create and run releases, milestones and stakeholders.
    RunReleases,
    /// Look people up, to pick owners and stakeholders.
    ReadPeople,
    /// Read milestone templates.
    ReadTemplates,
    /// People, roles, tokens, templates and the audit trail.
    Administer,
    /// Read, create, edit and link change requests.
    ManageChanges,
}

impl Capability {
    /// The roles granting it besides ADMINISTRATOR.
    fn roles(self) -> &'static [Role] {
        match self {
            Capability::SeeAllReleases | Capability::RunReleases | Capability::ReadTemplates => {
                &[Role::ReleaseManager]
            }
            Capability::ReadPeople | Capability::ManageChanges => {
                &[Role::ReleaseManager, Role::ChangeManager]
            }
            Capability::Administer => &[],
        }
    }
}

impl Actor {
    /// The person acting, if a person is.
    pub fn person_id(&self) -> Option<i32> {
        match self {
            Actor::System => None,
            Actor::Person { id, .. } => Some(*id),
        }
    }

    /// True when the actor holds `role`; administrators and the system hold every role.
    pub fn has(&self, role: Role) -> bool {
        match self {
            Actor::System => true,
            Actor::Person { roles, .. } => {
                roles.contains(&role) || roles.contains(&Role::Administrator)
            }
        }
    }

    /// True when the actor has `capability`.
    pub fn may(&self, capability: Capability) -> bool {
        self.has(Role::Administrator) || capability.roles().iter().any(|r| self.has(*r))
    }

    /// `FORBIDDEN` unless the actor has `capability`.
    pub fn require(&self, capability: Capability) -> DomainResult<()> {
        if self.may(capability) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "your roles do not allow this".into(),
            ))
        }
    }

    /// What the actor may see of the release list; `None` is everything.
    pub fn visibility(&self) -> Option<Visibility> {
        match self {
            _ if self.may(Capability::SeeAllReleases) => None,
            Actor::System => None,
            Actor::Person { id, .. } => Some(Visibility {
                person_id: *id,
                awaiting_decision: self.has(Role::ReviewBoard),
            }),
        }
    }

    /// Whether the actor may apply `action` to a release at all; `FORBIDDEN` says why not.
    pub fn may_attempt(&self, action: ReleaseAction) -> DomainResult<()> {
        self.release_action_statuses(action).map(|_| ())
    }

    /// Whether the actor may apply `action` to a release that is `status`.
    pub fn may_move(&self, action: ReleaseAction, status: ReleaseStatus) -> DomainResult<()> {
        let statuses = self.release_action_statuses(action)?;
        if statuses.is_empty() || statuses.contains(&status) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "you may {} a release only while it is {}",
                action.name(),
                statuses
                    .iter()
                    .map(|s| crate::lifecycle::release::status_name(*s))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    /// The statuses the actor may apply `action` from; empty means any the lifecycle allows.
    fn release_action_statuses(
        &self,
        action: ReleaseAction,
    ) -> DomainResult<&'static [ReleaseStatus]> {
        if self.may(Capability::RunReleases) {
            return Ok(&[]);
        }
        if self.has(Role::ChangeManager) {
            return match action {
                ReleaseAction::Submit => Ok(&[]),
                ReleaseAction::Cancel => Ok(&[ReleaseStatus::Draft]),
                _ => Err(DomainError::Forbidden(
                    "a change manager may only submit a release or cancel a draft".into(),
                )),
            };
        }
        Err(DomainError::Forbidden(
            "only release managers and administrators move releases".into(),
        ))
    }

    /// Administrators revoke any token; others only their own.
    pub fn may_revoke_token_of(&self, owner_id: i32) -> bool {
        self.may(Capability::Administer) || self.person_id() == Some(owner_id)
    }

    /// Who changed a shared setting (the board's policy) is shown to those who
    /// may look people up, and to that person.
    pub fn may_look_up(&self, person_id: i32) -> bool {
        self.may(Capability::ReadPeople) || self.person_id() == Some(person_id)
    }

    /// A person's roles are shown to themselves and to administrators.
    pub fn may_see_roles_of(&self, person_id: i32) -> bool {
        self.may(Capability::Administer) || self.person_id() == Some(person_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(roles: &[Role]) -> Actor {
        Actor::Person {
            id: 1,
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn release_actions_by_role() {
        use ReleaseAction as A;
        use ReleaseStatus as S;
        for action in ReleaseAction::ALL {
            for status in [S::Draft, S::Requested, S::Active] {
                for actor in [
                    Actor::System,
                    person(&[Role::Administrator]),
                    person(&[Role::ReleaseManager]),
                ] {
                    assert!(actor.may_move(action, status).is_ok());
                }
                assert!(person(&[Role::ReviewBoard])
                    .may_move(action, status)
                    .is_err());
                assert!(person(&[Role::Stakeholder])
                    .may_move(action, status)
                    .is_err());
                let change = person(&[Role::ChangeManager]).may_move(action, status);
                match action {
                    A::Submit => assert!(change.is_ok()),
                    A::Cancel => assert_eq!(change.is_ok(), status == S::Draft),
                    _ => assert!(change.is_err(), "{action:?}"),
                }
            }
        }
    }

    #[test]
    fn only_managers_administrators_and_the_system_see_every_release() {
        assert!(Actor::System.visibility().is_none());
        assert!(person(&[Role::Administrator]).visibility().is_none());
        assert!(person(&[Role::ReleaseManager]).visibility().is_none());
        let board = person(&[Role::ReviewBoard]).visibility().expect("limited");
        assert!(board.awaiting_decision);
        let change = person(&[Role::ChangeManager])
            .visibility()
            .expect("limited");
        assert!(!change.awaiting_decision);
    }

    #[test]
    fn tokens_and_roles_are_private_to_their_person_and_administrators() {
        assert!(person(&[Role::ReleaseManager]).may_revoke_token_of(1));
        assert!(!person(&[Role::ReleaseManager]).may_revoke_token_of(2));
        assert!(person(&[Role::Administrator]).may_revoke_token_of(2));
        assert!(!person(&[Role::Stakeholder]).may_see_roles_of(2));
    }
}
