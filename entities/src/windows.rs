//! Planned windows, in one place: a window ends after it starts; a phase lies
//! inside its master; a release keeps covering its phases and its milestones; a
//! milestone lies inside its release. Each given end is checked on its own, so a
//! half-open window cannot slip outside its parent.

use crate::entity::{milestone, release, MilestoneStatus, ReleaseScope, ReleaseStatus};
use crate::validate::show_time;
use crate::{DomainError, DomainResult};
use chrono::{DateTime, Utc};
use sea_orm::{prelude::*, QueryOrder};

/// A planned window; either end may be open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The window of a release.
pub fn of_release(release: &release::Model) -> Window {
    (release.planned_start, release.planned_end)
}

/// A window whose end, when both ends are given, is after its start.
pub fn ordered(window: Window, end_field: &str) -> DomainResult<()> {
    match window {
        (Some(start), Some(end)) if end <= start => Err(DomainError::validation(
            end_field,
            format!("{end_field} must be after the planned start"),
        )),
        _ => Ok(()),
    }
}

/// Checks that `inner` lies inside `outer`, end by end.
pub fn inside(inner: Window, outer: Window, what: &str) -> DomainResult<()> {
    if let (Some(start), Some(outer_start)) = (inner.0, outer.0) {
        if start < outer_start {
            return Err(DomainError::validation(
                "plannedStart",
                format!("{what} must not start before {}", outer_start.to_rfc3339()),
            ));
        }
    }
    if let (Some(end), Some(outer_end)) = (inner.1, outer.1) {
        if end > outer_end {
            return Err(DomainError::validation(
                "plannedEnd",
                format!("{what} must not end after {}", outer_end.to_rfc3339()),
            ));
        }
    }
    Ok(())
}

/// A milestone's window, inside its release.
pub fn check_milestone(release: &release::Model, window: Window) -> DomainResult<()> {
    ordered(window, "plannedEnd")?;
    inside(window, of_release(release), "a milestone")
}

/// A new phase's window, inside its master.
pub fn check_phase(master: &release::Model, window: Window) -> DomainResult<()> {
    ordered(window, "plannedEnd")?;
    inside(window, of_release(master), "a phase")
}

/// A release moving to `window`: inside its master, still around its phases
/// (those not cancelled) and its open milestones.
pub async fn check_release_move<C: ConnectionTrait>(
    db: &C,
    release: &release::Model,
    window: Window,
) -> DomainResult<()> {
    ordered(window, "plannedEnd")?;
    if let Some(master_id) = release.master_id {
        let master = release::Entity::find_by_id(master_id)
            .one(db)
            .await?
            .ok_or_else(|| DomainError::not_found("release", master_id))?;
        inside(window, of_release(&master), "a phase")?;
    }
    if release.scope == ReleaseScope::Master {
        let phases = release::Entity::find()
            .filter(release::Column::MasterId.eq(release.id))
            .filter(release::Column::Status.ne(ReleaseStatus::Cancelled))
            .order_by_asc(release::Column::Id)
            .all(db)
            .await?;
        for phase in phases {
            must_cover(window, of_release(&phase), &format!("phase {}", phase.id))?;
        }
    }
    let milestones = milestone::Entity::find()
        .filter(milestone::Column::ReleaseId.eq(release.id))
        .filter(milestone::Column::Status.is_in(MilestoneStatus::OPEN))
        .order_by_asc(milestone::Column::Sequence)
        .all(db)
        .await?;
    for m in milestones {
        must_cover(
            window,
            (m.planned_start, m.planned_end),
            &format!("milestone {} \"{}\"", m.sequence, m.title),
        )?;
    }
    Ok(())
}

/// `window` must contain `inner`, reported from the outer window's side.
fn must_cover(window: Window, inner: Window, what: &str) -> DomainResult<()> {
    inside(inner, window, what).map_err(|err| {
        let field = match &err {
            DomainError::Validation { field, .. } => field.clone(),
            _ => "plannedStart".into(),
        };
        DomainError::validation(
            field,
            format!(
                "the release's window must cover {what} ({} to {})",
                show_time(inner.0).unwrap_or_else(|| "open".into()),
                show_time(inner.1).unwrap_or_else(|| "open".into())
            ),
        )
    })
}
