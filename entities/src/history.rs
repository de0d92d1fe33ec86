//! Reading the event rows that make up `Release.history` and `Change.history`;
//! they are written by the unit of work ([`crate::Tx::record`]). An entry that
//! names another release (a change linked from it, a schedule that followed
//! it, a master's cancel) shows that release only to those who may see it.

use crate::entity::{history_event, release, EventKind, SubjectType};
use crate::kit::group_by;
use crate::releases::list::Visibility;
use crate::DomainResult;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};
use std::collections::{BTreeSet, HashMap};

/// What a redacted mention of a release reads as.
const HIDDEN_RELEASE: &str = "another release";

/// The history of each release in `release_ids`, oldest first, as a viewer
/// limited to `visibility` may read it: one query, and one more to check the
/// other releases the entries name, when they name any.
pub async fn for_releases<C: ConnectionTrait>(
    db: &C,
    release_ids: &[i32],
    visibility: Option<Visibility>,
) -> DomainResult<HashMap<i32, Vec<history_event::Model>>> {
    let mut rows = history_event::Entity::find()
        .filter(history_event::Column::ReleaseId.is_in(release_ids.iter().copied()))
        .order_by_asc(history_event::Column::Id)
        .all(db)
        .await?;
    if let Some(visibility) = visibility {
        redact(db, visibility, Seen::OwnRelease, &mut rows).await?;
    }
    Ok(group_by(rows, |row| row.release_id))
}

/// The history of each change request in `change_ids`, oldest first, with
/// the same redaction as [`for_releases`]: here even the release a row was
/// recorded under is checked, since seeing a change does not show its
/// release. One query, and one more when the entries name releases.
pub async fn for_changes<C: ConnectionTrait>(
    db: &C,
    change_ids: &[i32],
    visibility: Option<Visibility>,
) -> DomainResult<HashMap<i32, Vec<history_event::Model>>> {
    let mut rows = history_event::Entity::find()
        .filter(history_event::Column::SubjectType.eq(SubjectType::Change))
        .filter(history_event::Column::SubjectId.is_in(change_ids.iter().copied()))
        .order_by_asc(history_event::Column::Id)
        .all(db)
        .await?;
    if let Some(visibility) = visibility {
        redact(db, visibility, Seen::Nothing, &mut rows).await?;
    }
    Ok(group_by(rows, |row| row.subject_id))
}

/// Which releases the reader is known to see already.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// The release each row belongs to (reading that release's history).
    OwnRelease,
    /// None: every release named is checked.
    Nothing,
}

/// Blanks every mention of a release the viewer may not see.
async fn redact<C: ConnectionTrait>(
    db: &C,
    visibility: Visibility,
    seen: Seen,
    rows: &mut [history_event::Model],
) -> DomainResult<()> {
    let named: BTreeSet<i32> = rows
        .iter()
        .flat_map(|row| {
            mentions(row)
                .into_iter()
                .filter(move |id| seen == Seen::Nothing || Some(*id) != row.release_id)
        })
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let visible: BTreeSet<i32> = release::Entity::find()
        .select_only()
        .column(release::Column::Id)
        .filter(release::Column::Id.is_in(named.iter().copied()))
        .filter(visibility.condition())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let hidden = |id: &i32| named.contains(id) && !visible.contains(id);
    for row in rows.iter_mut() {
        let hidden_here: Vec<i32> = mentions(row).into_iter().filter(hidden).collect();
        if hidden_here.is_empty() {
            continue;
        }
        if row.field.as_deref() == Some("releaseId") {
            for value in [&mut row.from_value, &mut row.to_value] {
                if value
                    .as_deref()
                    .and_then(|v| v.parse().ok())
                    .is_some_and(|id| hidden(&id))
                {
                    *value = None;
                }
            }
        }
        if row.kind == EventKind::ChangeRescheduled {
            // the schedule it had came from the hidden release
            row.from_value = None;
        }
        if let Some(note) = &row.note {
            row.note = Some(without_releases(note, &hidden_here));
        }
    }
    Ok(())
}

/// The release ids an entry names: a `releaseId` field's values, and every
/// "release N" in its note.
fn mentions(row: &history_event::Model) -> Vec<i32> {
    let mut ids = Vec::new();
    if row.field.as_deref() == Some("releaseId") {
        ids.extend(
            [&row.from_value, &row.to_value]
                .into_iter()
                .flatten()
                .filter_map(|v| v.parse::<i32>().ok()),
        );
    }
    if let Some(note) = &row.note {
        ids.extend(named_in(note).into_iter().map(|(_, id)| id));
    }
    ids
}

/// Each "release N" in `text`: where it starts and ends, and N.
fn named_in(text: &str) -> Vec<((usize, usize), i32)> {
    const WORD: &str = "release ";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(WORD) {
        let start = from + at;
        let digits_start = start + WORD.len();
        let digits = text[digits_start..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(text.len(), |n| digits_start + n);
        if let Ok(id) = text[digits_start..digits].parse::<i32>() {
            found.push(((start, digits), id));
        }
        from = digits_start;
    }
    found
}

/// `text` with each "release N" of `hidden` replaced by [`HIDDEN_RELEASE`].
fn without_releases(text: &str, hidden: &[i32]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for ((start, end), id) in named_in(text) {
        if hidden.contains(&id) {
            out.push_str(&text[last..start]);
            out.push_str(HIDDEN_RELEASE);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_of_hidden_releases_are_replaced_and_others_kept() {
        let note = "follows release 5 (moved from release 3); master release 33 was cancelled";
        assert_eq!(
            named_in(note).iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            [5, 3, 33]
        );
        assert_eq!(
            without_releases(note, &[3, 33]),
            "follows release 5 (moved from another release); master another release was cancelled"
        );
        assert_eq!(
            without_releases("release x and release", &[1]),
            "release x and release"
        );
    }
}
