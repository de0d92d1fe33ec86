//! `releasedesk seed-demo`: a realistic data set to explore the API with.

use chrono::{Duration, TimeZone, Utc};
use entities::entity::{person, ReleaseScope, ReleaseType, ReviewOutcome, Role, StakeholderRole};
use entities::lifecycle::milestone::MilestoneAction;
use entities::lifecycle::release::ReleaseAction;
use entities::milestones::{self, NewMilestone};
use entities::releases::{self, NewRelease, TemplateChoice};
use entities::{
    access, approvals, people, stakeholders, tokens, workflow, Clock, DomainResult, Stamp, Tx,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

/// E-mail of the first demo person; its presence means the demo is loaded.
const MARKER_EMAIL: &str = "rita.manager@example.com";

/// A demo user and the API token made for them.
#[derive(Debug, PartialEq, Eq)]
pub struct DemoUser {
    pub email: String,
    pub role: String,
    pub token: String,
}

/// What `seed` did.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    /// The demo was loaded, with this many releases and these users.
    Loaded {
        releases: usize,
        users: Vec<DemoUser>,
    },
    /// The demo was loaded before; nothing changed.
    AlreadyPresent,
}

/// Loads the demo data set unless it is already there.
pub async fn seed(db: &DatabaseConnection, clock: &dyn Clock) -> DomainResult<SeedOutcome> {
    let present = person::Entity::find()
        .filter(person::Column::Email.eq(MARKER_EMAIL))
        .count(db)
        .await?;
    if present > 0 {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    // one unit of work: the demo loads completely or not at all
    let mut tx = Tx::begin(db, Stamp::system(clock.now())).await?;
    let mut people_by_role = Vec::new();
    let mut users = Vec::new();
    for (name, email, role) in [
        ("Rita Manager", MARKER_EMAIL, Some(Role::ReleaseManager)),
        ("Ivan Implementer", "ivan.implementer@example.com", None),
        ("Tess Tester", "tess.tester@example.com", None),
        (
            "Bora Board",
            "bora.board@example.com",
            Some(Role::ReviewBoard),
        ),
        (
            "Chen Change",
            "chen.change@example.com",
            Some(Role::ChangeManager),
        ),
        (
            "Sam Stakeholder",
            "sam.stakeholder@example.com",
            Some(Role::Stakeholder),
        ),
        (
            "Ada Admin",
            "ada.admin@example.com",
            Some(Role::Administrator),
        ),
    ] {
        let person = people::create(&mut tx, name, email).await?;
        if let Some(role) = role {
            if role != Role::Stakeholder {
                access::set_roles(&mut tx, person.id, &[role]).await?;
            }
            let issued = tokens::issue(&mut tx, person.id, "demo", None).await?;
            users.push(DemoUser {
                email: person.email.clone(),
                role: role.to_value(),
                token: issued.secret,
            });
        }
        people_by_role.push(person.id);
    }
    let [rita, ivan, tess, bora, chen, sam, _ada] = people_by_role[..] else {
        unreachable!("seven people were created above");
    };
    let base = Utc
        .with_ymd_and_hms(2027, 1, 4, 8, 0, 0)
        .single()
        .expect("a valid fixed date");
    let day = Duration::days(1);
    let release =
        |title: &str, release_type, scope, master_id, owner_id, start_day: i64, days: i64| {
            NewRelease {
                title: title.to_owned(),
                description: String::new(),
                release_type,
                scope,
                master_id,
                owner_id: Some(owner_id),
                planned_start: Some(base + day * start_day as i32),
                planned_end: Some(base + day * (start_day + days) as i32),
                template: TemplateChoice::Default,
            }
        };
    let mut count = 0;

    // A Windows rollout as a master with one phase per site.
    let master = releases::create(
        &mut tx,
        NewRelease {
            description: "Upgrade every workstation to Windows 11, one site at a time.".into(),
            ..release(
                "Windows 11 rollout",
                ReleaseType::Major,
                ReleaseScope::Master,
                None,
                rita,
                0,
                120,
            )
        },
    )
    .await?;
    count += 1;
    let mut phases = Vec::new();
    for (i, site) in ["Berlin", "Lisbon", "Toronto"].iter().enumerate() {
        let phase = releases::create(
            &mut tx,
            NewRelease {
                template: TemplateChoice::None,
                ..release(
                    &format!("Windows 11 rollout: {site} office"),
                    ReleaseType::Minor,
                    ReleaseScope::Phase,
                    Some(master.id),
                    ivan,
                    10 + 30 * i as i64,
                    25,
                )
            },
        )
        .await?;
        for title in ["Pilot group", "BIOS settings and imaging", "All desks"] {
            milestones::add(
                &mut tx,
                NewMilestone {
                    release_id: phase.id,
                    title: title.into(),
                    description: String::new(),
                    requires_approval: false,
                    planned_start: None,
                    planned_end: None,
                },
            )
            .await?;
        }
        phases.push(phase.id);
        count += 1;
    }
    workflow::transition_release(&mut tx, master.id, ReleaseAction::Submit, None).await?;
    board_approves(&mut tx, bora, Asked::Release(master.id)).await?;
    for action in [ReleaseAction::Submit, ReleaseAction::Approve] {
        workflow::transition_release(&mut tx, phases[0], action, None).await?;
    }
    workflow::transition_release(&mut tx, master.id, ReleaseAction::Start, None).await?;
    workflow::transition_release(&mut tx, phases[0], ReleaseAction::Start, None).await?;
    stakeholders::add(&mut tx, master.id, bora, StakeholderRole::Approver, true).await?;
    stakeholders::add(&mut tx, master.id, sam, StakeholderRole::Stakeholder, false).await?;

    // A major mail migration, under way: planning approved, build running.
    let mail = releases::create(
        &mut tx,
        NewRelease {
            description: "Move every mailbox from Exchange 2019 to Exchange Online.".into(),
            ..release(
                "Mail server upgrade",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                14,
                60,
            )
        },
    )
    .await?;
    count += 1;
    stakeholders::add(&mut tx, mail.id, chen, StakeholderRole::Requester, true).await?;
    stakeholders::add(&mut tx, mail.id, ivan, StakeholderRole::Implementer, true).await?;
    stakeholders::add(&mut tx, mail.id, tess, StakeholderRole::Tester, true).await?;
    workflow::transition_release(&mut tx, mail.id, ReleaseAction::Submit, None).await?;
    board_approves(&mut tx, bora, Asked::Release(mail.id)).await?;
    workflow::transition_release(&mut tx, mail.id, ReleaseAction::Start, None).await?;
    let plan = milestones::for_releases(tx.db(), &[mail.id])
        .await?
        .remove(&mail.id)
        .and_then(|m| m.into_iter().next());
    if let Some(plan) = plan {
        workflow::transition_milestone(&mut tx, plan.id, MilestoneAction::Complete).await?;
        board_approves(&mut tx, bora, Asked::Milestone(plan.id)).await?;
    }

    // A minor release still being planned, with hand-made milestones.
    let minor = releases::create(
        &mut tx,
        release(
            "Mail gateway TLS policy update",
            ReleaseType::Minor,
            ReleaseScope::Standalone,
            None,
            ivan,
            20,
            5,
        ),
    )
    .await?;
    count += 1;
    for title in ["Stage policy", "Switch enforcement on"] {
        milestones::add(
            &mut tx,
            NewMilestone {
                release_id: minor.id,
                title: title.into(),
                description: String::new(),
                requires_approval: false,
                planned_start: None,
                planned_end: None,
            },
        )
        .await?;
    }
    workflow::transition_release(&mut tx, minor.id, ReleaseAction::Submit, None).await?;

    // An emergency fix, done and reviewed.
    let emergency = releases::create(
        &mut tx,
        release(
            "VPN appliance hotfix",
            ReleaseType::Emergency,
            ReleaseScope::Standalone,
            None,
            ivan,
            -3,
            1,
        ),
    )
    .await?;
    count += 1;
    workflow::transition_release(&mut tx, emergency.id, ReleaseAction::Submit, None).await?;
    board_approves(&mut tx, bora, Asked::Release(emergency.id)).await?;
    for action in [ReleaseAction::Start, ReleaseAction::Complete] {
        workflow::transition_release(&mut tx, emergency.id, action, None).await?;
    }
    releases::record_review(
        &mut tx,
        emergency.id,
        ReviewOutcome::Successful,
        "Patched within the window; keep a pre-approved emergency change for this vendor.".into(),
    )
    .await?;
    workflow::transition_release(&mut tx, emergency.id, ReleaseAction::Close, None).await?;

    // A cancelled one, to show the reason and the cascade.
    let cancelled = releases::create(
        &mut tx,
        release(
            "Legacy intranet retirement",
            ReleaseType::Major,
            ReleaseScope::Standalone,
            None,
            rita,
            40,
            30,
        ),
    )
    .await?;
    count += 1;
    workflow::transition_release(
        &mut tx,
        cancelled.id,
        ReleaseAction::Cancel,
        Some("Superseded by the new portal project".into()),
    )
    .await?;
    tx.commit().await?;

    Ok(SeedOutcome::Loaded {
        releases: count,
        users,
    })
}

/// What the board is asked to approve in the demo.
#[derive(Clone, Copy)]
enum Asked {
    Release(i32),
    Milestone(i32),
}

/// Board member `member` approves the open request of `asked` when the board
/// was asked; otherwise a release manager's direct approval of the release
/// decides (a milestone without a request completed already).
async fn board_approves(tx: &mut Tx, member: i32, asked: Asked) -> DomainResult<()> {
    let key = match asked {
        Asked::Release(id) => approvals::release_key(id),
        Asked::Milestone(id) => approvals::milestone_key(id),
    };
    if let Some(request) = approvals::open_request(tx.db(), &key).await? {
        let vote = approvals::VoteInput {
            request_id: request.id,
            decision: entities::entity::VoteDecision::Approved,
            comment: Some("Looks ready (demo data).".into()),
            on_behalf_of: None,
            delegate_to: None,
        };
        approvals::cast_vote_for(tx, member, vote).await?;
    } else if let Asked::Release(id) = asked {
        workflow::transition_release(tx, id, ReleaseAction::Approve, None).await?;
    }
    Ok(())
}
