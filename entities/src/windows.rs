//! Planned windows, in one place: a window ends after it starts; a phase lies
//! inside its master; a release keeps covering its phases and its milestones; a
//! milestone lies inside its release. Each given end is checked on its own, so a
//! half-open window cannot slip outside its parent.

use crate::entity::{milestone, release, MilestoneStatus, ReleaseScope, ReleaseStatus};
use crate::validate::{self, show_time};
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
    if let Some(start) = window.0 {
        validate::instant("plannedStart", start)?;
    }
    if let Some(end) = window.1 {
        validate::instant(end_field, end)?;
    }
    match window {
        (Some(start), Some(end)) if end <= start => Err(DomainError::validation(
            end_field,
            format!("{end_field} must be after the planned start"),
        )),
        _ => Ok(()),
    }
}

/// Checks that `inner` lies inside `outer`: each end it gives must fall within
/// the ends `outer` gives, so a half-open window cannot lie outside its parent.
pub fn inside(inner: Window, outer: Window, what: &str) -> DomainResult<()> {
    for (field, instant) in [("plannedStart", inner.0), ("plannedEnd", inner.1)] {
        let Some(instant) = instant else { continue };
        if let Some(outer_start) = outer.0.filter(|s| instant < *s) {
            return Err(DomainError::validation(
                field,
                format!(
                    "{what} must lie inside its parent's window, which starts {}",
                    outer_start.to_rfc3339()
                ),
            ));
        }
        if let Some(outer_end) = outer.1.filter(|e| instant > *e) {
            return Err(DomainError::validation(
                field,
                format!(
                    "{what} must lie inside its parent's window, which ends {}",
                    outer_end.to_rfc3339()
                ),
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
    inside(inner, window, what).map_err(|_| {
        // name the release's own end that no longer covers `inner`
        let before_start = window
            .0
            .is_some_and(|start| [inner.0, inner.1].into_iter().flatten().any(|i| i < start));
        let field = if before_start {
            "plannedStart"
        } else {
            "plannedEnd"
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> Option<DateTime<Utc>> {
        Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0).single()
    }

    #[test]
    fn each_given_end_must_fall_inside_the_parent() {
        let parent = (day(10), day(20));
        assert!(inside((day(12), day(18)), parent, "x").is_ok());
        assert!(inside((None, day(15)), parent, "x").is_ok());
        // only an end, before the parent starts
        let early = inside((None, day(5)), parent, "x").unwrap_err();
        assert!(
            matches!(early, DomainError::Validation { ref field, .. } if field == "plannedEnd")
        );
        // only a start, after the parent ends
        assert!(inside((day(25), None), parent, "x").is_err());
        assert!(inside((day(9), day(15)), parent, "x").is_err());
        assert!(inside((day(15), day(21)), parent, "x").is_err());
        // an open parent end bounds nothing on that side
        assert!(inside((day(25), None), (day(10), None), "x").is_ok());
    }
}
