//! TLS to PostgreSQL through the service's own connect (`releasedesk::db`),
//! against the local server, which has SSL on with Debian's snakeoil
//! certificate (`CN=localhost`): `sslmode=require` encrypts, `verify-full`
//! with `sslrootcert` checks the chain and the host name, and a name or a
//! root that does not match is refused.

use releasedesk::db;
use releasedesk_tests::POSTGRES_URL_VAR;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// The certificate the local PostgreSQL serves (Debian's default).
const SERVER_CERTIFICATE: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

fn url_with(host: &str, query: &str) -> String {
    let base = std::env::var(POSTGRES_URL_VAR).expect("the PostgreSQL URL");
    let (scheme_and_auth, rest) = base.split_once('@').expect("postgres://user@host:port/db");
    let path = rest.split_once('/').map(|(_, p)| p).unwrap_or("test");
    let port = rest
        .split_once('/')
        .map(|(hp, _)| hp)
        .unwrap_or(rest)
        .rsplit_once(':')
        .map(|(_, p)| p)
        .unwrap_or("5432");
    let database = path.split('?').next().unwrap_or("test");
    format!("{scheme_and_auth}@{host}:{port}/{database}?{query}")
}

async fn encrypted(url: &str) -> Result<bool, String> {
    let db = db::connect_with(url, 1, db::SessionTimeouts::default())
        .await
        .map_err(|e| e.to_string())?;
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    let ssl: bool = row.try_get("", "ssl").map_err(|e| e.to_string())?;
    db.close().await.ok();
    Ok(ssl)
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn connections_to_postgresql_use_and_verify_tls() {
    assert!(
        std::path::Path::new(SERVER_CERTIFICATE).exists(),
        "the local PostgreSQL's certificate at {SERVER_CERTIFICATE}"
    );
    assert_eq!(
        encrypted(&url_with("127.0.0.1", "sslmode=require")).await,
        Ok(true),
        "sslmode=require encrypts"
    );
    let verified = format!("sslmode=verify-full&sslrootcert={SERVER_CERTIFICATE}");
    assert_eq!(
        encrypted(&url_with("localhost", &verified)).await,
        Ok(true),
        "verify-full accepts the certificate of the name connected to"
    );
    let wrong_name = encrypted(&url_with("127.0.0.1", &verified)).await;
    assert!(
        wrong_name.is_err(),
        "verify-full refuses a certificate for another name: {wrong_name:?}"
    );
    // a root that did not sign the server's certificate
    let other_root = std::fs::read_dir("/etc/ssl/certs")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "pem")
                && !p.ends_with("ssl-cert-snakeoil.pem")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("BEGIN CERTIFICATE"))
        })
        .expect("another certificate in /etc/ssl/certs");
    let wrong_root = encrypted(&url_with(
        "localhost",
        &format!("sslmode=verify-ca&sslrootcert={}", other_root.display()),
    ))
    .await;
    assert!(
        wrong_root.is_err(),
        "verify-ca refuses a chain its root did not sign: {wrong_root:?}"
    );
}
