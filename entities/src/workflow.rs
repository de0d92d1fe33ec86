//! Lifecycle moves that span aggregates, and the one place their cascades are
//! declared. A release or milestone move returns its new state; [`effects_of_release`]
//! and [`effects_of_milestone`] say what must follow, and [`run`] carries it out
//! in the same unit of work. Approvals, cost freezes and linked-change dates add
//! an [`Effect`] here instead of edits across the aggregates.

use crate::entity::{milestone, release, MilestoneStatus, ReleaseStatus};
use crate::lifecycle::milestone::MilestoneAction;
use crate::lifecycle::release::ReleaseAction;
use crate::policy::Capability;
use crate::schedule::freeze::{self, FreezeOverride};
use crate::{approvals, changes, costs, milestones, releases, windows, DomainResult, Tx};
use std::collections::VecDeque;

/// Something that must happen because something else did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Start the first planned milestone of the release unless one runs.
    ActivateNextMilestone { release_id: i32 },
    /// Cancel the release's open milestones (one statement).
    CancelOpenMilestones { release_id: i32 },
    /// Cancel the open phases of a master, each with its own cascade.
    CancelPhases { master_id: i32 },
    /// A milestone finished: start the next one, or move the release to REVIEW.
    MilestoneFinished { release_id: i32 },
    /// The release's planned window moved: its linked changes follow.
    ReleaseWindowMoved { release_id: i32 },
    /// The release (or one milestone) asks for a decision: the board's, if it governs.
    RequestApproval {
        release_id: i32,
        milestone_id: Option<i32>,
    },
    /// Cancel the open approval requests of the release (or of one milestone).
    CancelApprovals {
        release_id: i32,
        milestone_id: Option<i32>,
    },
    /// Freeze the running cost of the release (or one milestone) as final.
    FreezeCost {
        release_id: i32,
        milestone_id: Option<i32>,
    },
}

/// What follows a release reaching its new status.
pub fn effects_of_release(release: &release::Model) -> Vec<Effect> {
    match release.status {
        ReleaseStatus::Active => vec![Effect::ActivateNextMilestone {
            release_id: release.id,
        }],
        ReleaseStatus::Closed => vec![Effect::FreezeCost {
            release_id: release.id,
            milestone_id: None,
        }],
        ReleaseStatus::Requested => vec![Effect::RequestApproval {
            release_id: release.id,
            milestone_id: None,
        }],
        ReleaseStatus::Cancelled => vec![
            Effect::CancelApprovals {
                release_id: release.id,
                milestone_id: None,
            },
            Effect::CancelOpenMilestones {
                release_id: release.id,
            },
            Effect::CancelPhases {
                master_id: release.id,
            },
        ],
        _ => Vec::new(),
    }
}

/// What follows a milestone of `release` reaching its new status.
pub fn effects_of_milestone(release: &release::Model, milestone: &milestone::Model) -> Vec<Effect> {
    let mut effects = Vec::new();
    match milestone.status {
        MilestoneStatus::PendingApproval => effects.push(Effect::RequestApproval {
            release_id: release.id,
            milestone_id: Some(milestone.id),
        }),
        MilestoneStatus::Cancelled => effects.push(Effect::CancelApprovals {
            release_id: release.id,
            milestone_id: Some(milestone.id),
        }),
        MilestoneStatus::Completed => effects.push(Effect::FreezeCost {
            release_id: release.id,
            milestone_id: Some(milestone.id),
        }),
        _ => {}
    }
    if !milestone.status.is_open() && release.status == ReleaseStatus::Active {
        effects.push(Effect::MilestoneFinished {
            release_id: release.id,
        });
    }
    effects
}

/// Edits release `id` (see [`releases::update`]); when its planned window moved,
/// what follows the window moves with it. An approved or running release is
/// not moved into a hard freeze it was not in unless `overridden`.
pub async fn update_release(
    tx: &mut Tx,
    id: i32,
    edits: releases::ReleaseChanges,
    expected_version: i32,
    overridden: Option<FreezeOverride>,
) -> DomainResult<release::Model> {
    let before = releases::find_visible_locked(tx, id).await?;
    let after = releases::update(tx, id, edits, expected_version).await?;
    if windows::of_release(&before) != windows::of_release(&after) {
        if let (true, (Some(start), Some(end))) = (
            freeze::holds_moves(after.status),
            windows::of_release(&after),
        ) {
            let mut frozen = freeze::hard_freezes_over(tx, id, (start, end), None).await?;
            if let (Some(old_start), Some(old_end)) = windows::of_release(&before) {
                frozen.retain(|f| f.starts_at >= old_end || f.ends_at <= old_start);
            }
            freeze::enforce(tx, &after, "move", frozen, overridden.as_ref())?;
        }
        run(tx, vec![Effect::ReleaseWindowMoved { release_id: id }]).await?;
    }
    Ok(after)
}

/// Applies a lifecycle action chosen by the actor of `tx` to release `id`, with
/// its cascades. `reason` is required to reject or cancel. APPROVE and START
/// are held by a hard freeze over the planned window (START also by one in
/// force now) unless `overridden`.
pub async fn transition_release(
    tx: &mut Tx,
    id: i32,
    action: ReleaseAction,
    reason: Option<String>,
    overridden: Option<FreezeOverride>,
) -> DomainResult<release::Model> {
    tx.stamp().actor.may_attempt(action)?;
    let reason = releases::reason_for(action, reason)?;
    let before = releases::find_visible_locked(tx, id).await?;
    tx.stamp().actor.may_move(action, before.status)?;
    let held = matches!(action, ReleaseAction::Approve | ReleaseAction::Start);
    let window = windows::of_release(&before);
    let after = releases::apply(tx, before, action, reason).await?;
    if let (true, (Some(start), Some(end))) = (held, window) {
        let at = (action == ReleaseAction::Start).then(|| tx.now());
        let frozen = freeze::hard_freezes_over(tx, id, (start, end), at).await?;
        freeze::enforce(tx, &after, action.name(), frozen, overridden.as_ref())?;
    }
    run(tx, effects_of_release(&after)).await?;
    Ok(after)
}

/// Applies a lifecycle action to milestone `id`, with its cascades.
pub async fn transition_milestone(
    tx: &mut Tx,
    id: i32,
    action: MilestoneAction,
) -> DomainResult<milestone::Model> {
    tx.stamp().actor.require(Capability::RunReleases)?;
    let (release, before) = milestones::find_visible_locked(tx, id).await?;
    let after = milestones::apply(tx, &release, before, action).await?;
    run(tx, effects_of_milestone(&release, &after)).await?;
    Ok(after)
}

/// Carries out `effects` and everything they lead to, in order.
pub async fn run(tx: &mut Tx, effects: Vec<Effect>) -> DomainResult<()> {
    let mut queue = VecDeque::from(effects);
    while let Some(effect) = queue.pop_front() {
        match effect {
            Effect::ActivateNextMilestone { release_id } => {
                milestones::activate_next(tx, release_id).await?;
            }
            Effect::CancelOpenMilestones { release_id } => {
                milestones::cancel_open(tx, release_id).await?;
            }
            Effect::CancelPhases { master_id } => {
                let note = Some(format!("master release {master_id} was cancelled"));
                for phase in releases::open_phases(tx, master_id).await? {
                    let cancelled =
                        releases::apply(tx, phase, ReleaseAction::Cancel, note.clone()).await?;
                    queue.extend(effects_of_release(&cancelled));
                }
            }
            Effect::RequestApproval {
                release_id,
                milestone_id,
            } => {
                let release = releases::find(tx.db(), release_id).await?;
                let milestone = match milestone_id {
                    Some(id) => Some(milestones::find(tx.db(), id).await?),
                    None => None,
                };
                approvals::open_for(tx, &release, milestone.as_ref()).await?;
            }
            Effect::CancelApprovals {
                release_id,
                milestone_id,
            } => approvals::cancel_open(tx, release_id, milestone_id).await?,
            Effect::FreezeCost {
                release_id,
                milestone_id,
            } => costs::freeze(tx, release_id, milestone_id).await?,
            Effect::ReleaseWindowMoved { release_id } => {
                let release = releases::find(tx.db(), release_id).await?;
                changes::follow_release(tx, &release).await?;
            }
            Effect::MilestoneFinished { release_id } => {
                if milestones::activate_next(tx, release_id).await?.is_some()
                    || milestones::count_open(tx.db(), release_id).await? > 0
                {
                    continue;
                }
                let release = releases::find(tx.db(), release_id).await?;
                let completed = releases::apply(
                    tx,
                    release,
                    ReleaseAction::Complete,
                    Some("the last milestone finished".into()),
                )
                .await?;
                queue.extend(effects_of_release(&completed));
            }
        }
    }
    Ok(())
}
