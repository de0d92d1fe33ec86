//! The key that signs approve and reject links in e-mails. It lives outside
//! the database (in `mail.link_key`, or the file `mail.link_key_file`, made on
//! first start), so read access to the database is not enough to forge a link.

use crate::config::Settings;
use anyhow::{bail, Context};
use entities::entity::{approval_request, approval_vote, ApprovalStatus, VoteDecision};
use sea_orm::{prelude::*, sea_query::Expr, DatabaseConnection, QuerySelect, QueryTrait};
use std::io::Write;
use std::path::Path;

/// Shortest key accepted from the settings, in bytes.
const MIN_KEY: usize = 32;

/// The link key of these settings: `mail.link_key`, else the key file's,
/// which is created (32 random bytes, hex, readable by its owner only) when
/// missing. Replicas share the key by sharing the setting or the file.
pub fn link_key(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(key) = &settings.mail.link_key {
        if key.expose().len() < MIN_KEY {
            bail!("mail.link_key must be at least {MIN_KEY} characters");
        }
        return Ok(key.expose().as_bytes().to_vec());
    }
    let path = &settings.mail.link_key_file;
    match std::fs::read_to_string(path) {
        Ok(key) => checked(path, key),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            match write_new(path, false) {
                Ok(key) => Ok(key),
                // another replica starting in the same folder wrote it first
                Err(_) if path.exists() => checked(path, std::fs::read_to_string(path)?),
                Err(err) => Err(err),
            }
        }
        Err(err) => Err(err).with_context(|| format!("reading the link key {}", path.display())),
    }
}

fn checked(path: &Path, key: String) -> anyhow::Result<Vec<u8>> {
    let key = key.trim();
    if key.len() < MIN_KEY {
        bail!(
            "the link key in {} is shorter than {MIN_KEY} characters",
            path.display()
        );
    }
    Ok(key.as_bytes().to_vec())
}

/// Writes a fresh key to `path` (replacing it when `replace`), owner-only.
/// The key is written whole to a file of its own first and then linked (or,
/// when replacing, renamed) into place, so a replica starting at the same
/// moment reads either no key file or a complete one, never a partial one.
fn write_new(path: &Path, replace: bool) -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| anyhow::anyhow!("no randomness: {err}"))?;
    let key = hex::encode(bytes);
    let temporary = path.with_extension(format!("new-{}", &key[..16]));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("writing the link key {}", temporary.display()))?;
    file.write_all(key.as_bytes())?;
    file.sync_all()?;
    drop(file);
    let placed = if replace {
        std::fs::rename(&temporary, path)
    } else {
        // a hard link fails when the name exists, and never shows a partial file
        std::fs::hard_link(&temporary, path)
    };
    if !replace {
        let _ = std::fs::remove_file(&temporary);
    }
    placed.with_context(|| format!("placing the link key {}", path.display()))?;
    Ok(key.into_bytes())
}

/// What [`rotate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Pending votes whose approvers get a new e-mail with new links.
    pub votes_to_mail: u64,
}

/// Replaces the key file's key, so every link mailed so far stops working,
/// and marks every pending vote of an open request as owed an e-mail: the
/// next `approval-requests` run mails new links. Replicas read the key at
/// start: restart them after rotating. A key set in `mail.link_key` is the
/// operator's to change; then this refuses.
pub async fn rotate(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Rotated> {
    if settings.mail.link_key.is_some() {
        bail!("the link key comes from mail.link_key: set a new value there, restart the replicas, then run `releasedesk keys rotate` again without it to re-mail the links");
    }
    write_new(&settings.mail.link_key_file, true)?;
    let open = approval_request::Entity::find()
        .select_only()
        .column(approval_request::Column::Id)
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Open))
        .into_query();
    let votes_to_mail = approval_vote::Entity::update_many()
        .col_expr(
            approval_vote::Column::LastEmailedAt,
            Expr::value(Option::<DateTimeUtc>::None),
        )
        .filter(approval_vote::Column::Decision.eq(VoteDecision::Pending))
        .filter(approval_vote::Column::RequestId.in_subquery(open))
        .exec(db)
        .await?
        .rows_affected;
    Ok(Rotated { votes_to_mail })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    #[test]
    fn replicas_starting_together_in_one_folder_read_one_whole_key() {
        let folder = std::env::temp_dir().join(format!("releasedesk-key-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&folder).unwrap();
        let mut settings = Settings::default();
        settings.mail.link_key_file = folder.join("releasedesk.key");
        let start = Arc::new(Barrier::new(8));
        let replicas: Vec<_> = (0..8)
            .map(|_| {
                let (settings, start) = (settings.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    link_key(&settings).map_err(|err| err.to_string())
                })
            })
            .collect();
        let keys: Vec<_> = replicas
            .into_iter()
            .map(|replica| replica.join().unwrap().unwrap())
            .collect();
        assert_eq!(keys[0].len(), 64);
        assert!(keys.iter().all(|key| key == &keys[0]), "one key for all");
        let left: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(left.len(), 1, "only the key file stays");
        let rotated = write_new(&settings.mail.link_key_file, true).unwrap();
        assert_ne!(rotated, keys[0]);
        assert_eq!(link_key(&settings).unwrap(), rotated);
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
