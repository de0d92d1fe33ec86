//! Sending one outbox row: over SMTP (lettre's pooled async transport, STARTTLS,
//! TLS or plain), or, with no SMTP server configured, as an `.eml` file in a folder.

use entities::entity::outbox_message;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption (a local relay or a test server).
    None,
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum Destination {
    Smtp {
        host: String,
        port: u16,
        security: Security,
        credentials: Option<(String, String)>,
    },
    /// `.eml` files in this folder (created when missing).
    Folder(PathBuf),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

/// Sends outbox rows; cheap to share.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    timeout: Duration,
    installation: Vec<u8>,
}

impl Mailer {
    /// A mailer sending from `from` (`Name <address>`), each send bounded by
    /// `timeout`; `installation` is a secret of this installation, mixed into
    /// every Message-ID.
    pub fn new(
        destination: &Destination,
        from: &str,
        timeout: Duration,
        installation: &[u8],
    ) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|err| format!("mail.from {from:?} is not an address: {err}"))?;
        let transport = match destination {
            Destination::Smtp {
                host,
                port,
                security,
                credentials,
            } => {
                let mut builder = match security {
                    Security::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                    }
                    Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
                    Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                        host,
                    )),
                }
                .map_err(|err| format!("mail.smtp_host {host:?}: {err}"))?
                .port(*port)
                .timeout(Some(timeout));
                if let Some((user, password)) = credentials {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Transport::Smtp(builder.build())
            }
            Destination::Folder(path) => Transport::Folder(
                AsyncFileTransport::<Tokio1Executor>::new(path),
                path.clone(),
            ),
        };
        Ok(Self {
            transport,
            from,
            timeout,
            installation: installation.to_vec(),
        })
    }

    /// The bound on one send.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Where mail goes, for the start-up log.
    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Folder(_, path) => format!(".eml files in {}", path.display()),
        }
    }

    /// Sends one row; the error says why it did not go.
    pub async fn send(&self, row: &outbox_message::Model) -> Result<(), String> {
        let message = self.message(row)?;
        let sending = async {
            match &self.transport {
                Transport::Smtp(smtp) => smtp
                    .send(message)
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string()),
                Transport::Folder(folder, path) => {
                    tokio::fs::create_dir_all(path)
                        .await
                        .map_err(|e| format!("creating {}: {e}", path.display()))?;
                    folder
                        .send(message)
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            }
        };
        tokio::time::timeout(self.timeout, sending)
            .await
            .map_err(|_| format!("no answer from the mail server within {:?}", self.timeout))?
    }

    fn message(&self, row: &outbox_message::Model) -> Result<Message, String> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|err| format!("recipient {:?} is not an address: {err}", row.recipient))?;
        let alternative = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(row.text_body.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(row.html_body.clone()),
            );
        let attachments = entities::outbox::Attachment::of(row);
        let body = if attachments.is_empty() {
            alternative
        } else {
            // mixed( related( alternative(text, html), inline images… ), files… )
            let mut related = MultiPart::related().multipart(alternative);
            let mut files = Vec::new();
            for attachment in attachments {
                let bytes = base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    &attachment.data,
                )
                .map_err(|err| format!("attachment {}: {err}", attachment.filename))?;
                let content_type = ContentType::parse(&attachment.content_type)
                    .map_err(|err| format!("attachment {}: {err}", attachment.filename))?;
                match &attachment.content_id {
                    Some(id) => {
                        related = related.singlepart(
                            lettre::message::Attachment::new_inline(id.clone())
                                .body(bytes, content_type),
                        )
                    }
                    None => files.push(
                        lettre::message::Attachment::new(attachment.filename.clone())
                            .body(bytes, content_type),
                    ),
                }
            }
            files
                .into_iter()
                .fold(MultiPart::mixed().multipart(related), |mixed, file| {
                    mixed.singlepart(file)
                })
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(entities::outbox::one_line(&row.subject))
            .message_id(Some(message_id(
                &self.installation,
                &row.idempotency_key,
                &self.from,
            )))
            .multipart(body)
            .map_err(|err| format!("building the message: {err}"))
    }
}

/// `<hash@sender-domain>` of this installation's secret and the row's
/// idempotency key: the same e-mail always carries the same id, so a receiver
/// can drop a copy sent again after a crash, and another installation (a
/// staging copy, a restored backup) never reuses it for different mail.
pub fn message_id(installation: &[u8], idempotency_key: &str, from: &Mailbox) -> String {
    let mut hash = Sha256::new();
    hash.update(installation);
    hash.update([0]);
    hash.update(idempotency_key.as_bytes());
    let digest = hash.finalize();
    format!("<{}@{}>", hex::encode(&digest[..16]), from.email.domain())
}

#[cfg(test)]
mod message_id_tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_installation_and_differ_between_installations() {
        let from: Mailbox = "Releasedesk <rd@example.com>".parse().unwrap();
        let key = "approval-request:1:2:0";
        let here = message_id(b"installation one", key, &from);
        assert_eq!(here, message_id(b"installation one", key, &from));
        assert_ne!(here, message_id(b"installation two", key, &from));
        assert_ne!(
            here,
            message_id(b"installation one", "approval-request:1:2:1", &from)
        );
        assert!(here.ends_with("@example.com>"), "{here}");
    }
}
