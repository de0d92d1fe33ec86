//! `releasedesk seed-demo`: a lived-in installation to explore the API and the
//! workspace with. Releases span the past six months and the next three,
//! relative to the moment of seeding: closed on time and late, rejected by the
//! board, rolled back, cancelled, under way, waiting for a decision and still
//! planned. Every event happens at its own time ([`Tx::travel_to`]), with costs
//! against budgets, decided and pending approvals, changes and packages. The
//! e-mails of that past count as sent back then; the last event, a major
//! release submitted to the board at the moment of seeding, leaves its
//! e-mails waiting in the outbox.

use chrono::{DateTime, Duration, Utc};
use entities::changes::{self, NewChange};
use entities::costs::{self, NewCostLine};
use entities::entity::{
    person, ChangeRisk, CostCategory, ItemType, MilestoneStatus, ReleaseScope, ReleaseType,
    ReviewOutcome, Role, StakeholderRole, VoteDecision,
};
use entities::lifecycle::milestone::MilestoneAction;
use entities::lifecycle::release::ReleaseAction;
use entities::milestones::{self, NewMilestone};
use entities::packages::{self, NewItem, NewPackage};
use entities::releases::{self, NewRelease, TemplateChoice};
use entities::{
    access, approvals, outbox, people, stakeholders, tokens, workflow, Clock, DomainResult, Stamp,
    Tx,
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

/// The demo's people by what they do.
#[derive(Clone, Copy)]
struct Cast {
    rita: i32,
    ivan: i32,
    tess: i32,
    bora: i32,
    chen: i32,
    sam: i32,
}

/// The unit of work loading the demo, and 08:00 UTC of the day it is loaded:
/// the story's days count from there, and every event of it but the last lies
/// at least a day before.
struct Demo<'a> {
    tx: Tx,
    today: DateTime<Utc>,
    currency: &'a str,
    cast: Cast,
    releases: usize,
}

/// Loads the demo data set unless it is already there; amounts are in
/// `currency`, the deployment's.
pub async fn seed(
    db: &DatabaseConnection,
    clock: &dyn Clock,
    currency: &str,
) -> DomainResult<SeedOutcome> {
    let present = person::Entity::find()
        .filter(person::Column::Email.eq(MARKER_EMAIL))
        .count(db)
        .await?;
    if present > 0 {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let now = clock.now();
    // one unit of work: the demo loads completely or not at all
    let mut tx = Tx::begin(db, Stamp::system(now)).await?;
    tx.travel_to(now - Duration::days(200));
    let mut ids = Vec::new();
    let mut with_roles = Vec::new();
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
            with_roles.push((person.id, person.email.clone(), role));
        }
        ids.push(person.id);
    }
    let [rita, ivan, tess, bora, chen, sam, _ada] = ids[..] else {
        unreachable!("seven people were created above");
    };
    let today = now
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .map_or(now, |at| at.and_utc());
    let mut demo = Demo {
        tx,
        today,
        currency,
        cast: Cast {
            rita,
            ivan,
            tess,
            bora,
            chen,
            sam,
        },
        releases: 0,
    };
    demo.past().await?;
    demo.present().await?;
    let erp = demo.future().await?;
    // what was mailed so far went out back then; the submit happens now
    outbox::settle_queued(&mut demo.tx).await?;
    demo.tx.travel_to(now);
    demo.act(erp, ReleaseAction::Submit, None).await?;

    let Demo {
        mut tx, releases, ..
    } = demo;
    let mut users = Vec::new();
    for (person_id, email, role) in with_roles {
        let issued = tokens::issue(&mut tx, person_id, "demo", None).await?;
        users.push(DemoUser {
            email,
            role: role.to_value(),
            token: issued.secret,
        });
    }
    tx.commit().await?;
    Ok(SeedOutcome::Loaded { releases, users })
}

impl Demo<'_> {
    /// The moment `days` (and `hours`) from today's 08:00.
    fn day(&self, days: i64, hours: i64) -> DateTime<Utc> {
        self.today + Duration::days(days) + Duration::hours(hours)
    }

    /// Continues the story `days` (and `hours`) from today's 08:00.
    fn at(&mut self, days: i64, hours: i64) {
        let at = self.day(days, hours);
        self.tx.travel_to(at);
    }

    /// A release planned from `start` for `length` days, created at the
    /// current moment.
    #[allow(clippy::too_many_arguments)]
    async fn release(
        &mut self,
        title: &str,
        description: &str,
        release_type: ReleaseType,
        scope: ReleaseScope,
        master_id: Option<i32>,
        owner_id: i32,
        (start, length): (i64, i64),
        template: TemplateChoice,
    ) -> DomainResult<i32> {
        let planned_start = self.day(start, 0);
        let release = releases::create(
            &mut self.tx,
            NewRelease {
                title: title.to_owned(),
                description: description.to_owned(),
                release_type,
                scope,
                master_id,
                owner_id: Some(owner_id),
                planned_start: Some(planned_start),
                planned_end: Some(planned_start + Duration::days(length) + Duration::hours(10)),
                template,
            },
        )
        .await?;
        self.releases += 1;
        Ok(release.id)
    }

    async fn act(
        &mut self,
        id: i32,
        action: ReleaseAction,
        reason: Option<&str>,
    ) -> DomainResult<()> {
        workflow::transition_release(&mut self.tx, id, action, reason.map(str::to_owned), None)
            .await?;
        Ok(())
    }

    /// Submits release `id`, and the board approves it when it was asked;
    /// otherwise a release manager approves it directly.
    async fn submit_and_approve(&mut self, id: i32) -> DomainResult<()> {
        self.act(id, ReleaseAction::Submit, None).await?;
        let later = self.tx.now() + Duration::hours(20);
        self.tx.travel_to(later);
        let key = approvals::release_key(id);
        if approvals::open_request(self.tx.db(), &key).await?.is_some() {
            self.vote(
                &key,
                VoteDecision::Approved,
                "Plan and rollback look sound.",
            )
            .await
        } else {
            self.act(id, ReleaseAction::Approve, None).await
        }
    }

    /// Bora votes on the open request of `subject_key`.
    async fn vote(
        &mut self,
        subject_key: &str,
        decision: VoteDecision,
        comment: &str,
    ) -> DomainResult<()> {
        let Some(request) = approvals::open_request(self.tx.db(), subject_key).await? else {
            return Ok(());
        };
        let vote = approvals::VoteInput {
            request_id: request.id,
            decision,
            comment: Some(comment.to_owned()),
            on_behalf_of: None,
            delegate_to: None,
        };
        approvals::cast_vote_for(&mut self.tx, self.cast.bora, vote).await?;
        Ok(())
    }

    /// Completes the open milestones of release `id` in order, the first on
    /// `first_day` and each next one `every` days later; the board approves
    /// those that ask for it a few hours after. Stops after `count` (all
    /// when `None`).
    async fn complete_milestones(
        &mut self,
        id: i32,
        first_day: i64,
        every: i64,
        count: Option<usize>,
    ) -> DomainResult<()> {
        let all = milestones::for_releases(self.tx.db(), &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let open: Vec<_> = all
            .into_iter()
            .filter(|m| matches!(m.status, MilestoneStatus::Planned | MilestoneStatus::Active))
            .collect();
        for (n, milestone) in open.iter().enumerate().take(count.unwrap_or(open.len())) {
            self.at(first_day + every * n as i64, 0);
            let done = workflow::transition_milestone(
                &mut self.tx,
                milestone.id,
                MilestoneAction::Complete,
            )
            .await?;
            if done.status == MilestoneStatus::PendingApproval {
                self.at(first_day + every * n as i64, 4);
                self.vote(
                    &approvals::milestone_key(milestone.id),
                    VoteDecision::Approved,
                    "Evidence attached; go ahead.",
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Hand-made milestones of release `id`, in order, without approval gates.
    async fn milestones(&mut self, id: i32, titles: &[&str]) -> DomainResult<()> {
        for title in titles {
            milestones::add(
                &mut self.tx,
                NewMilestone {
                    release_id: id,
                    title: (*title).into(),
                    description: String::new(),
                    requires_approval: false,
                    planned_start: None,
                    planned_end: None,
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn budget(&mut self, id: i32, amount: i64) -> DomainResult<()> {
        costs::set_budget(&mut self.tx, id, Some(amount)).await?;
        Ok(())
    }

    /// A cost line on release `id` (or its milestone), incurred on `day`.
    async fn cost(
        &mut self,
        id: i32,
        milestone_id: Option<i32>,
        day: i64,
        (category, description, amount): (CostCategory, &str, i64),
    ) -> DomainResult<()> {
        self.at(day, 2);
        let incurred_on = self.day(day, 0).date_naive();
        costs::add_line(
            &mut self.tx,
            NewCostLine {
                release_id: id,
                milestone_id,
                category,
                description: description.to_owned(),
                amount,
                currency: self.currency.to_owned(),
                incurred_on,
            },
            self.currency,
        )
        .await?;
        Ok(())
    }

    async fn review(&mut self, id: i32, outcome: ReviewOutcome, lessons: &str) -> DomainResult<()> {
        releases::record_review(&mut self.tx, id, outcome, lessons.to_owned()).await?;
        Ok(())
    }

    async fn stake(&mut self, id: i32, people: &[(i32, StakeholderRole)]) -> DomainResult<()> {
        for (person, role) in people {
            stakeholders::add(&mut self.tx, id, *person, *role, false).await?;
        }
        Ok(())
    }

    /// A change request by Chen, linked to release `release_id` when given.
    async fn change(
        &mut self,
        title: &str,
        risk: ChangeRisk,
        release_id: Option<i32>,
        window: (i64, i64),
    ) -> DomainResult<i32> {
        let (start, end) = (self.day(window.0, 0), self.day(window.0, window.1));
        let change = changes::create(
            &mut self.tx,
            NewChange {
                title: title.to_owned(),
                description: String::new(),
                risk,
                requester_id: self.cast.chen,
                scheduled_start: Some(start),
                scheduled_end: Some(end),
            },
        )
        .await?;
        if let Some(release_id) = release_id {
            changes::link(&mut self.tx, change.id, release_id).await?;
        }
        Ok(change.id)
    }

    /// Configuration items, then a package of them on release `id`.
    async fn package(
        &mut self,
        id: i32,
        name: &str,
        items: &[(&str, ItemType, &str)],
    ) -> DomainResult<()> {
        let mut item_ids = Vec::new();
        for (item, item_type, version) in items {
            let created = packages::create_item(
                &mut self.tx,
                NewItem {
                    name: (*item).to_owned(),
                    item_type: *item_type,
                    item_version: (*version).to_owned(),
                    owner_id: Some(self.cast.ivan),
                },
            )
            .await?;
            item_ids.push(created.id);
        }
        packages::create(
            &mut self.tx,
            NewPackage {
                name: name.to_owned(),
                release_id: id,
                change_id: None,
                item_ids: Some(item_ids),
            },
        )
        .await?;
        Ok(())
    }

    /// What is done: closed on time and late, rejected, rolled back, cancelled.
    async fn past(&mut self) -> DomainResult<()> {
        let Cast {
            rita,
            ivan,
            tess,
            chen,
            ..
        } = self.cast;
        use CostCategory::{Hardware, Labour, Services, Software};
        use StakeholderRole::{Implementer, Requester, Tester};

        // a major release through every gate, closed on time and under budget
        self.at(-182, 0);
        let exchange = self
            .release(
                "Exchange 2016 decommission",
                "Retire the last Exchange 2016 servers after the move to Exchange 2019.",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                (-170, 30),
                TemplateChoice::Default,
            )
            .await?;
        self.stake(
            exchange,
            &[(chen, Requester), (ivan, Implementer), (tess, Tester)],
        )
        .await?;
        self.budget(exchange, 4_000_000).await?;
        self.package(
            exchange,
            "Exchange 2016 servers",
            &[("exch-2016-01", ItemType::Server, "2016 CU23")],
        )
        .await?;
        self.change(
            "Decommission EXCH-2016-01",
            ChangeRisk::Medium,
            Some(exchange),
            (-160, 8),
        )
        .await?;
        self.at(-176, 0);
        self.submit_and_approve(exchange).await?;
        self.at(-170, 0);
        self.act(exchange, ReleaseAction::Start, None).await?;
        self.cost(
            exchange,
            None,
            -168,
            (Labour, "Migration planning workshops", 1_800_000),
        )
        .await?;
        self.complete_milestones(exchange, -165, 4, Some(2)).await?;
        self.cost(
            exchange,
            None,
            -158,
            (Services, "Partner migration support", 1_200_000),
        )
        .await?;
        self.complete_milestones(exchange, -155, 4, Some(2)).await?;
        self.cost(
            exchange,
            None,
            -149,
            (Software, "Archive connector licences", 450_000),
        )
        .await?;
        self.complete_milestones(exchange, -147, 2, None).await?;
        self.at(-142, 0);
        self.review(
            exchange,
            ReviewOutcome::Successful,
            "Mailbox moves in batches of 200 kept the help desk calm; keep that size.",
        )
        .await?;
        self.at(-141, 0);
        self.act(exchange, ReleaseAction::Close, None).await?;

        // a minor release that overran its window and its budget
        self.at(-128, 0);
        let firmware = self
            .release(
                "Core switch firmware 17.9",
                "Upgrade the core switch stacks to IOS XE 17.9.",
                ReleaseType::Minor,
                ReleaseScope::Standalone,
                None,
                ivan,
                (-120, 2),
                TemplateChoice::Default,
            )
            .await?;
        self.budget(firmware, 500_000).await?;
        self.package(
            firmware,
            "Core switches",
            &[("core-sw-01", ItemType::Network, "17.6.4")],
        )
        .await?;
        self.at(-125, 0);
        self.submit_and_approve(firmware).await?;
        self.at(-120, 0);
        self.act(firmware, ReleaseAction::Start, None).await?;
        self.cost(
            firmware,
            None,
            -119,
            (Hardware, "Spare supervisor module", 380_000),
        )
        .await?;
        self.cost(
            firmware,
            None,
            -116,
            (Labour, "Second maintenance night", 340_000),
        )
        .await?;
        self.at(-115, 0);
        self.act(firmware, ReleaseAction::Complete, None).await?;
        self.at(-114, 0);
        self.review(
            firmware,
            ReviewOutcome::PartiallySuccessful,
            "Two stacks needed a second reload; book a longer window for stacked switches.",
        )
        .await?;
        self.at(-113, 0);
        self.act(firmware, ReleaseAction::Close, None).await?;

        // a major release the board rejected
        self.at(-100, 0);
        let crm = self
            .release(
                "CRM 9 upgrade",
                "Upgrade the CRM to version 9 with its new data model.",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                (-80, 40),
                TemplateChoice::Default,
            )
            .await?;
        self.stake(crm, &[(chen, Requester)]).await?;
        self.at(-95, 0);
        self.act(crm, ReleaseAction::Submit, None).await?;
        self.at(-93, 0);
        self.vote(
            &approvals::release_key(crm),
            VoteDecision::Rejected,
            "No rollback plan for the data migration; come back with one.",
        )
        .await?;

        // a minor release rolled back, closed a day late
        self.at(-70, 0);
        let print = self
            .release(
                "Print server migration",
                "Move the print queues from PRN-01 to the new print cluster.",
                ReleaseType::Minor,
                ReleaseScope::Standalone,
                None,
                ivan,
                (-60, 1),
                TemplateChoice::Default,
            )
            .await?;
        self.budget(print, 200_000).await?;
        self.change(
            "Replace print server PRN-01",
            ChangeRisk::Low,
            Some(print),
            (-60, 6),
        )
        .await?;
        self.at(-65, 0);
        self.submit_and_approve(print).await?;
        self.at(-60, 0);
        self.act(print, ReleaseAction::Start, None).await?;
        self.cost(print, None, -60, (Labour, "Cut-over and rollback", 150_000))
            .await?;
        self.at(-59, 0);
        self.act(print, ReleaseAction::Complete, None).await?;
        self.review(print, ReviewOutcome::Failed, "Rolled back: the new drivers broke the label printers in the warehouse. Test every printer model first.")
            .await?;
        self.at(-57, 0);
        self.act(print, ReleaseAction::Close, None).await?;

        // a major release cancelled before it was asked for
        self.at(-75, 0);
        let intranet = self
            .release(
                "Legacy intranet retirement",
                "Switch off the old intranet once the portal carries its content.",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                (-40, 30),
                TemplateChoice::Default,
            )
            .await?;
        self.at(-50, 0);
        self.act(
            intranet,
            ReleaseAction::Cancel,
            Some("Superseded by the new portal project"),
        )
        .await?;

        // an emergency fix: a release manager approved it, done within its window
        self.at(-15, 0);
        let vpn = self
            .release(
                "VPN appliance hotfix",
                "Patch the VPN appliances against the vendor's critical advisory.",
                ReleaseType::Emergency,
                ReleaseScope::Standalone,
                None,
                ivan,
                (-14, 0),
                TemplateChoice::Default,
            )
            .await?;
        self.change(
            "Patch VPN appliances for the critical advisory",
            ChangeRisk::High,
            Some(vpn),
            (-14, 6),
        )
        .await?;
        self.budget(vpn, 100_000).await?;
        self.package(
            vpn,
            "VPN appliances",
            &[("vpn-gw-01", ItemType::Network, "9.1.2")],
        )
        .await?;
        self.at(-15, 1);
        self.submit_and_approve(vpn).await?;
        self.at(-14, 0);
        self.act(vpn, ReleaseAction::Start, None).await?;
        self.cost(
            vpn,
            None,
            -14,
            (Services, "Vendor emergency support", 90_000),
        )
        .await?;
        self.at(-14, 6);
        self.act(vpn, ReleaseAction::Complete, None).await?;
        self.review(
            vpn,
            ReviewOutcome::Successful,
            "Patched within the window; keep a pre-approved emergency change for this vendor.",
        )
        .await?;
        self.at(-14, 8);
        self.act(vpn, ReleaseAction::Close, None).await?;
        Ok(())
    }

    /// What is under way now: a rollout in phases and a mail migration.
    async fn present(&mut self) -> DomainResult<()> {
        let Cast {
            rita,
            ivan,
            tess,
            bora,
            chen,
            sam,
        } = self.cast;
        use CostCategory::{Hardware, Labour, Software};

        // a Windows rollout as a master with one phase per site
        self.at(-45, 0);
        let master = self
            .release(
                "Windows 11 rollout",
                "Upgrade every workstation to Windows 11, one site at a time.",
                ReleaseType::Major,
                ReleaseScope::Master,
                None,
                rita,
                (-30, 120),
                TemplateChoice::Default,
            )
            .await?;
        self.stake(
            master,
            &[
                (bora, StakeholderRole::Approver),
                (sam, StakeholderRole::Stakeholder),
            ],
        )
        .await?;
        self.budget(master, 12_000_000).await?;
        let mut phases = Vec::new();
        for (i, site) in ["Berlin", "Lisbon", "Toronto"].iter().enumerate() {
            let phase = self
                .release(
                    &format!("Windows 11 rollout: {site} office"),
                    "",
                    ReleaseType::Minor,
                    ReleaseScope::Phase,
                    Some(master),
                    ivan,
                    (-25 + 35 * i as i64, 25),
                    TemplateChoice::None,
                )
                .await?;
            self.milestones(
                phase,
                &["Pilot group", "BIOS settings and imaging", "All desks"],
            )
            .await?;
            self.package(
                phase,
                &format!("{site} workstations"),
                &[(
                    &format!("{}-desks", site.to_lowercase()),
                    ItemType::Workstation,
                    "Windows 10 22H2",
                )],
            )
            .await?;
            phases.push(phase);
        }
        self.at(-40, 0);
        self.submit_and_approve(master).await?;
        self.at(-38, 0);
        self.submit_and_approve(phases[0]).await?;
        self.at(-30, 0);
        self.act(master, ReleaseAction::Start, None).await?;
        self.at(-25, 0);
        self.act(phases[0], ReleaseAction::Start, None).await?;
        self.cost(
            phases[0],
            None,
            -24,
            (Hardware, "TPM 2.0 modules for older desks", 2_400_000),
        )
        .await?;
        self.complete_milestones(phases[0], -18, 1, Some(1)).await?;
        self.cost(phases[0], None, -10, (Labour, "Imaging weekend", 650_000))
            .await?;

        // a mail migration under way: planning approved, build running
        self.at(-24, 0);
        let mail = self
            .release(
                "Mail server upgrade",
                "Move every mailbox from Exchange 2019 to Exchange Online.",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                (-10, 110),
                TemplateChoice::Default,
            )
            .await?;
        self.stake(
            mail,
            &[
                (chen, StakeholderRole::Requester),
                (ivan, StakeholderRole::Implementer),
                (tess, StakeholderRole::Tester),
            ],
        )
        .await?;
        self.budget(mail, 6_000_000).await?;
        self.package(
            mail,
            "Mailbox servers",
            &[
                ("mail-01", ItemType::Server, "Exchange 2019 CU14"),
                ("mail-02", ItemType::Server, "Exchange 2019 CU14"),
            ],
        )
        .await?;
        self.change(
            "Migrate mailboxes to Exchange Online",
            ChangeRisk::High,
            Some(mail),
            (-10, 24),
        )
        .await?;
        self.at(-20, 0);
        self.submit_and_approve(mail).await?;
        self.at(-10, 0);
        self.act(mail, ReleaseAction::Start, None).await?;
        let plan = milestones::for_releases(self.tx.db(), &[mail])
            .await?
            .remove(&mail)
            .and_then(|m| m.into_iter().next())
            .map(|m| m.id);
        self.cost(
            mail,
            plan,
            -8,
            (Labour, "Migration plan and pilot", 900_000),
        )
        .await?;
        self.complete_milestones(mail, -6, 1, Some(1)).await?;
        self.cost(
            mail,
            None,
            -3,
            (Software, "Exchange Online plan licences", 1_500_000),
        )
        .await?;
        Ok(())
    }

    /// What comes: a decision pending with a release manager, plans, and a
    /// major release ready to go to the board; answers that release.
    async fn future(&mut self) -> DomainResult<i32> {
        let Cast {
            rita, ivan, tess, ..
        } = self.cast;

        // ready for the board, submitted as the demo loads (see `seed`)
        self.at(-6, 0);
        let erp = self
            .release(
                "ERP database upgrade",
                "Upgrade the ERP database cluster to PostgreSQL 17.",
                ReleaseType::Major,
                ReleaseScope::Standalone,
                None,
                rita,
                (30, 45),
                TemplateChoice::Default,
            )
            .await?;
        self.stake(erp, &[(tess, StakeholderRole::Tester)]).await?;
        self.budget(erp, 3_000_000).await?;
        self.package(
            erp,
            "ERP database",
            &[("erp-db-01", ItemType::Database, "PostgreSQL 14")],
        )
        .await?;
        self.change(
            "Upgrade the ERP database to PostgreSQL 17",
            ChangeRisk::High,
            Some(erp),
            (30, 8),
        )
        .await?;

        // waiting for a release manager: a minor release the board does not govern
        self.at(-9, 0);
        let tls = self
            .release(
                "Mail gateway TLS policy update",
                "Require TLS 1.2 or later on every inbound connection.",
                ReleaseType::Minor,
                ReleaseScope::Standalone,
                None,
                ivan,
                (20, 5),
                TemplateChoice::Default,
            )
            .await?;
        self.milestones(tls, &["Stage policy", "Switch enforcement on"])
            .await?;
        self.at(-1, 0);
        self.act(tls, ReleaseAction::Submit, None).await?;

        // planned for later, nothing asked yet
        self.at(-3, 0);
        self.release(
            "Wi-Fi controller replacement",
            "Replace the end-of-life wireless controllers at every site.",
            ReleaseType::Minor,
            ReleaseScope::Standalone,
            None,
            ivan,
            (60, 2),
            TemplateChoice::Default,
        )
        .await?;
        self.change(
            "Rotate TLS certificates on the load balancers",
            ChangeRisk::Low,
            None,
            (7, 2),
        )
        .await?;
        Ok(erp)
    }
}
