//! The one write path. Every change, from the API or from a job, runs in a
//! [`Tx`]: it opens the write transaction (`BEGIN IMMEDIATE` on SQLite, so writers
//! queue instead of failing), carries the [`Stamp`] of who acts and when, collects
//! history events as the change goes, and at commit writes them and the audit
//! event of the API call in the same transaction.
//!
//! **The lock order.** A unit of work that touches anything under a release
//! (its milestones, approval requests and votes, cost lines, stakeholders,
//! packages, linked changes) first locks the release row, the aggregate root,
//! through [`Tx::lock_release`] or [`Tx::lock_releases`], and reads what it
//! decides on only after that. Release rows are locked in ascending id, which
//! puts a master before its phases (a phase is always created after its
//! master); a phase's master is locked with it. Rows outside any release come
//! after, and a job run's lease row last, at commit. PostgreSQL runs READ
//! COMMITTED: every statement after the lock sees what committed before it.

use crate::entity::job_run::{self, JobOutcome};
use crate::entity::{audit_event, history_event, release, EventKind, SubjectType};
use crate::live::LiveEvent;
use crate::shapes::{insert_values, Shape};
use crate::{audit, DomainError, DomainResult, Stamp};
use sea_orm::sea_query::{Alias, CommonTableExpression, WithClause, WithQuery};
use sea_orm::{
    prelude::*, sea_query::Query, ActiveValue::Set, Condition, DatabaseTransaction, DbBackend,
    QueryOrder, QuerySelect, QueryTrait, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use sea_orm::{FromQueryResult, Statement};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Releases per live-event statement: 2 parameters each, far below both
/// databases' bounds.
const RELEASES_PER_ANNOUNCEMENT: usize = 1_000;

/// Runs of a unit of work chosen as a deadlock's victim, the first included.
const ATTEMPTS: usize = 4;

/// History rows per `INSERT`: 11 columns each, far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters.
const HISTORY_ROWS_PER_INSERT: usize = 1_000;

/// The statement writing up to this many history rows with the audit row keeps
/// its text (see [`crate::shapes`]); more rows are built each time.
static SHAPED: [Shape; 8] = [const { Shape::new() }; 8];

/// History `rows` and the audit row in one statement (a data-modifying `WITH`,
/// PostgreSQL only): a change is then one round trip shorter.
fn history_and_audit(
    rows: Vec<history_event::ActiveModel>,
    audit_row: audit_event::ActiveModel,
) -> WithQuery {
    let history = history_event::Entity::insert_many(rows).into_query();
    let written = CommonTableExpression::new()
        .query(history)
        .table_name(Alias::new("history_written"))
        .to_owned();
    audit_event::Entity::insert(audit_row)
        .into_query()
        .with(WithClause::new().cte(written).to_owned())
}

/// What a history event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A release (its milestones and stakeholders included).
    Release(i32),
    /// A change request, and the release it is linked to, if any.
    Change { id: i32, release_id: Option<i32> },
}

impl Subject {
    fn columns(self) -> (SubjectType, i32, Option<i32>) {
        match self {
            Subject::Release(id) => (SubjectType::Release, id, Some(id)),
            Subject::Change { id, release_id } => (SubjectType::Change, id, release_id),
        }
    }
}

/// One change to record; the subject, actor and time come from the unit of work.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    pub milestone_id: Option<i32>,
    pub field: Option<String>,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
}

impl Event {
    /// An event of `kind` with nothing else filled in.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            milestone_id: None,
            field: None,
            from_value: None,
            to_value: None,
            note: None,
        }
    }

    /// A change of `field` from one value to another.
    pub fn change(
        kind: EventKind,
        field: &str,
        from_value: Option<String>,
        to_value: Option<String>,
    ) -> Self {
        Self {
            field: Some(field.to_owned()),
            from_value,
            to_value,
            ..Self::new(kind)
        }
    }

    /// The same event, about one milestone.
    pub fn on_milestone(mut self, milestone_id: i32) -> Self {
        self.milestone_id = Some(milestone_id);
        self
    }

    /// The same event, with a free-text note (a reason, a comment).
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// The claim of a job run: its effects commit only while the ledger still
/// shows the run `RUNNING` on this runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub run_id: i32,
    pub runner: String,
}

/// A unit of work: one write transaction with its stamp and pending history.
pub struct Tx {
    txn: DatabaseTransaction,
    stamp: Stamp,
    /// Each event with the moment it happened.
    history: Vec<(Subject, Event, DateTimeUtc)>,
    lease: Option<Lease>,
    locked: BTreeSet<i32>,
    /// People whose tokens or roles changed (see [`crate::live`]).
    identities: BTreeSet<i32>,
    /// The SQLite file, whose in-process bus hears the live events.
    sqlite_file: Option<PathBuf>,
}

impl Tx {
    /// Opens the write transaction for a change made under `stamp`.
    pub async fn begin(db: &DatabaseConnection, stamp: Stamp) -> DomainResult<Self> {
        let waited = crate::gauges::begin_wait().start_timer();
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        waited.observe_duration();
        let sqlite_file = (db.get_database_backend() == DbBackend::Sqlite).then(|| {
            db.get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                .to_path_buf()
        });
        Ok(Self {
            txn,
            stamp,
            history: Vec::new(),
            lease: None,
            locked: BTreeSet::new(),
            identities: BTreeSet::new(),
            sqlite_file,
        })
    }

    /// Commits only while `lease` is held (see [`Lease`]).
    pub fn under_lease(mut self, lease: Option<Lease>) -> Self {
        self.lease = lease;
        self
    }

    /// Locks release `id` (and its master, for a phase) until the unit of work
    /// ends and answers it as it is now; `NotFound` when it does not exist.
    /// The caller applies visibility itself.
    pub async fn lock_release(&mut self, id: i32) -> DomainResult<release::Model> {
        self.lock_releases(&[id])
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| DomainError::not_found("release", id))
    }

    /// Locks every release in `ids` with their masters, in ascending id (the
    /// lock order), and answers those that exist, in that order.
    pub async fn lock_releases(&mut self, ids: &[i32]) -> DomainResult<Vec<release::Model>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let masters = Query::select()
            .column(release::Column::MasterId)
            .from(release::Entity)
            .and_where(release::Column::Id.is_in(ids.iter().copied()))
            .and_where(release::Column::MasterId.is_not_null())
            .to_owned();
        let rows = release::Entity::find()
            .filter(
                Condition::any()
                    .add(release::Column::Id.is_in(ids.iter().copied()))
                    .add(release::Column::Id.in_subquery(masters)),
            )
            .order_by_asc(release::Column::Id)
            .lock_exclusive()
            .all(&self.txn)
            .await?;
        if let Some(&highest) = self.locked.last() {
            if let Some(early) = rows
                .iter()
                .find(|r| r.id < highest && !self.locked.contains(&r.id))
            {
                debug_assert!(
                    false,
                    "release {} locked after release {highest}: against the lock order",
                    early.id
                );
            }
        }
        self.locked.extend(rows.iter().map(|r| r.id));
        Ok(rows.into_iter().filter(|r| ids.contains(&r.id)).collect())
    }

    /// The connection to read and write through.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Who acts, when, and for which API call.
    pub fn stamp(&self) -> &Stamp {
        &self.stamp
    }

    /// The moment of the change.
    pub fn now(&self) -> DateTimeUtc {
        self.stamp.at
    }

    /// Moves the moment of what follows in this unit of work to `at`, so one
    /// transaction can load a past the service did not live through (the
    /// demo's months of releases) with every event at its own time. The API
    /// and the jobs never call it: their changes happen now.
    pub fn travel_to(&mut self, at: DateTimeUtc) {
        self.stamp.at = at;
    }

    /// Queues history `events` about `subject`, at this moment, written at
    /// commit in this order.
    pub fn record(&mut self, subject: Subject, events: impl IntoIterator<Item = Event>) {
        let at = self.stamp.at;
        self.history
            .extend(events.into_iter().map(|event| (subject, event, at)));
    }

    /// Notes that person `person_id`'s tokens or roles changed, so every
    /// replica forgets what it cached about them once this commits.
    pub fn identity_changed(&mut self, person_id: i32) {
        self.identities.insert(person_id);
    }

    /// Writes the pending history and the audit event, announces the change
    /// (see [`crate::live`]), then commits. Dropping a `Tx` without committing
    /// rolls everything back.
    pub async fn commit(self) -> DomainResult<()> {
        let Tx {
            txn,
            stamp,
            history,
            lease,
            identities,
            sqlite_file,
            ..
        } = self;
        if let Some(lease) = lease {
            hold(&txn, &lease).await?;
        }
        let mut touched: BTreeMap<i32, Vec<EventKind>> = BTreeMap::new();
        for (subject, event, _) in &history {
            if let (_, _, Some(release_id)) = subject.columns() {
                let kinds = touched.entry(release_id).or_default();
                if !kinds.contains(&event.kind) {
                    kinds.push(event.kind);
                }
            }
        }
        let rows: Vec<history_event::ActiveModel> = history
            .into_iter()
            .map(|(subject, event, at)| {
                let (subject_type, subject_id, release_id) = subject.columns();
                history_event::ActiveModel {
                    subject_type: Set(subject_type),
                    subject_id: Set(subject_id),
                    release_id: Set(release_id),
                    milestone_id: Set(event.milestone_id),
                    actor_id: Set(stamp.actor.person_id()),
                    kind: Set(event.kind),
                    field: Set(event.field),
                    from_value: Set(event.from_value),
                    to_value: Set(event.to_value),
                    note: Set(event.note),
                    occurred_at: Set(at),
                    ..Default::default()
                }
            })
            .collect();
        let audited = audit::success_entry(&stamp);
        let postgres = txn.get_database_backend() == DbBackend::Postgres;
        match audited {
            // one statement for both on PostgreSQL (a data-modifying WITH;
            // SQLite has none): a change is then one round trip shorter
            Some(entry)
                if postgres && !rows.is_empty() && rows.len() <= HISTORY_ROWS_PER_INSERT =>
            {
                let audit_row = entry.row();
                let statement = match SHAPED.get(rows.len() - 1) {
                    Some(shape) => {
                        let mut values = Vec::with_capacity(rows.len() * 11 + 7);
                        for row in &rows {
                            insert_values(row, &mut values);
                        }
                        insert_values(&audit_row, &mut values);
                        shape.statement(DbBackend::Postgres, values, || {
                            history_and_audit(rows, audit_row)
                        })
                    }
                    None => DbBackend::Postgres.build(&history_and_audit(rows, audit_row)),
                };
                txn.execute_raw(statement).await?;
            }
            audited => {
                // in chunks, so a job correcting thousands of rows stays under
                // the databases' limits on bound parameters per statement
                let mut rows = rows.into_iter().peekable();
                while rows.peek().is_some() {
                    let chunk: Vec<_> = rows.by_ref().take(HISTORY_ROWS_PER_INSERT).collect();
                    history_event::Entity::insert_many(chunk).exec(&txn).await?;
                }
                if let Some(entry) = audited {
                    audit::record(&txn, entry).await?;
                }
            }
        }
        let announced = announce(&txn, touched, identities).await?;
        txn.commit().await?;
        if let (Some(file), false) = (sqlite_file, announced.is_empty()) {
            let bus = crate::live::local_bus(&file);
            for event in announced {
                // no receiver is no one listening: nothing to deliver
                let _ = bus.send(event);
            }
        }
        Ok(())
    }
}

#[derive(FromQueryResult)]
struct Revision {
    release_id: i32,
    revision: i64,
}

/// Announces what this unit of work changed. On PostgreSQL, `pg_notify` in
/// the transaction (delivered only on commit); the answer is then empty. On
/// SQLite, the events to send on the file's bus after the commit.
async fn announce(
    txn: &DatabaseTransaction,
    touched: BTreeMap<i32, Vec<EventKind>>,
    identities: BTreeSet<i32>,
) -> DomainResult<Vec<LiveEvent>> {
    let backend = txn.get_database_backend();
    let postgres = backend == DbBackend::Postgres;
    let mut events: Vec<LiveEvent> = identities
        .into_iter()
        .map(|person_id| LiveEvent::Identity { person_id })
        .collect();
    if postgres && !events.is_empty() {
        let payloads: Vec<String> = events.drain(..).map(|e| e.encode()).collect();
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
            [crate::live::CHANNEL.into(), payloads.into()],
        ))
        .await?;
    }
    // in chunks, under both databases' limits on bound parameters, for a
    // job that touches thousands of releases at once
    let touched: Vec<(i32, Vec<EventKind>)> = touched.into_iter().collect();
    for chunk in touched.chunks(RELEASES_PER_ANNOUNCEMENT) {
        if postgres {
            // the revision is read where the event is built: one statement
            let mut values = vec![sea_orm::Value::from(crate::live::CHANNEL)];
            let mut rows = Vec::with_capacity(chunk.len());
            for (release_id, kinds) in chunk {
                rows.push(format!(
                    "(${}::integer, ${}::text)",
                    values.len() + 1,
                    values.len() + 2
                ));
                values.push((*release_id).into());
                values.push(crate::live::release_payload_head(*release_id, kinds).into());
            }
            let sql = format!(
                "SELECT pg_notify($1, v.head || MAX(h.id)::text || '}}') \
                 FROM (VALUES {}) AS v(release_id, head) \
                 JOIN history_events h ON h.release_id = v.release_id \
                 GROUP BY v.release_id, v.head",
                rows.join(", ")
            );
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
            continue;
        }
        let ids: Vec<i32> = chunk.iter().map(|(id, _)| *id).collect();
        let revisions = Revision::find_by_statement(
            backend.build(
                Query::select()
                    .column(history_event::Column::ReleaseId)
                    .expr_as(history_event::Column::Id.max(), Alias::new("revision"))
                    .from(history_event::Entity)
                    .and_where(history_event::Column::ReleaseId.is_in(ids))
                    .group_by_col(history_event::Column::ReleaseId),
            ),
        )
        .all(txn)
        .await?;
        let kinds_of: BTreeMap<i32, &Vec<EventKind>> =
            chunk.iter().map(|(id, kinds)| (*id, kinds)).collect();
        events.extend(revisions.into_iter().filter_map(|row| {
            kinds_of
                .get(&row.release_id)
                .map(|kinds| LiveEvent::Release {
                    id: row.release_id,
                    revision: row.revision,
                    kinds: (*kinds).clone(),
                })
        }));
    }
    Ok(events)
}

/// Checks, inside the unit of work and under the run's row lock, that `lease`
/// is still held; a run given up as abandoned rolls its work back.
async fn hold(txn: &DatabaseTransaction, lease: &Lease) -> DomainResult<()> {
    let held = job_run::Entity::update_many()
        .col_expr(
            job_run::Column::HeartbeatAt,
            Expr::col(job_run::Column::HeartbeatAt),
        )
        .filter(job_run::Column::Id.eq(lease.run_id))
        .filter(job_run::Column::Runner.eq(lease.runner.as_str()))
        .filter(job_run::Column::Outcome.eq(JobOutcome::Running))
        .exec(txn)
        .await?
        .rows_affected;
    if held == 1 {
        Ok(())
    } else {
        Err(DomainError::LeaseLost(lease.run_id))
    }
}

/// Runs `change` in a new unit of work under `stamp` and commits it. A unit
/// of work the database chose as a deadlock's victim runs again (everything
/// it did rolled back), up to [`ATTEMPTS`] times in all; then, like a lock
/// wait past its timeout, it answers `CONFLICT` (retryable).
pub async fn write<T>(
    db: &DatabaseConnection,
    stamp: Stamp,
    change: impl AsyncFnOnce(&mut Tx) -> DomainResult<T> + Clone,
) -> DomainResult<T> {
    write_leased(db, stamp, None, change).await
}

/// [`write`] for a job run: commits only while `lease` is held.
pub async fn write_leased<T>(
    db: &DatabaseConnection,
    stamp: Stamp,
    lease: Option<&Lease>,
    change: impl AsyncFnOnce(&mut Tx) -> DomainResult<T> + Clone,
) -> DomainResult<T> {
    let mut attempt = 1;
    loop {
        let outcome: DomainResult<T> = async {
            let mut tx = Tx::begin(db, stamp.clone())
                .await?
                .under_lease(lease.cloned());
            // each run gets its own copy of what the change captured
            let value = change.clone()(&mut tx).await?;
            tx.commit().await?;
            Ok(value)
        }
        .await;
        match outcome {
            Err(err) if err.reruns() && attempt < ATTEMPTS => attempt += 1,
            outcome => return outcome,
        }
    }
}
