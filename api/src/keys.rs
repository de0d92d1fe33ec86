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
fn write_new(path: &Path, replace: bool) -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| anyhow::anyhow!("no randomness: {err}"))?;
    let key = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let temporary = path.with_extension("new");
    let target = if replace { temporary.as_path() } else { path };
    let mut file = options
        .open(target)
        .with_context(|| format!("writing the link key {}", target.display()))?;
    file.write_all(key.as_bytes())?;
    file.sync_all()?;
    if replace {
        std::fs::rename(&temporary, path)
            .with_context(|| format!("replacing the link key {}", path.display()))?;
    }
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
