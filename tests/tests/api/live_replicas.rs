//! Live updates across replicas: two processes of the real binary on one
//! PostgreSQL database, a graphql-ws client on A (`tests/clients/live_replicas.mjs`)
//! receiving what B, a job run on B and the command line changed; tokens
//! revoked on B and from the command line refused on A; SIGTERM closing A's
//! connections with 1001.

use crate::clients::node;
use crate::replicas::{address_of, replica, Replicas};
use entities::entity::Role;
use entities::{access, people, tokens, Stamp};
use releasedesk::db;
use releasedesk_tests::{binary, fresh_database, Backend};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set RELEASEDESK_TEST_POSTGRES_URL"
)]
async fn a_subscriber_on_one_replica_hears_every_writer() {
    let Some((url, cleanup)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let db = releasedesk_tests::patient_connection(&url, 2).await;
    db::migrate(&db).await.expect("migrate");
    let users = entities::write(&db, Stamp::system(chrono::Utc::now()), async |tx| {
        let mut users = serde_json::Map::new();
        for (name, email, role) in [
            ("Admin", "admin@example.com", Some(Role::Administrator)),
            ("Manager", "manager@example.com", Some(Role::ReleaseManager)),
            ("Stakeholder", "stakeholder@example.com", None),
        ] {
            let person = people::create(tx, name, email).await?;
            if let Some(role) = role {
                access::set_roles(tx, person.id, &[role]).await?;
            }
            let api = tokens::issue(tx, person.id, "live", None).await?;
            let cli = tokens::issue(tx, person.id, "revoked from the command line", None).await?;
            users.insert(
                name.to_lowercase(),
                json!({
                    "id": person.id.to_string(),
                    "token": api.secret,
                    "cliToken": cli.secret,
                    "cliTokenId": cli.token.id,
                }),
            );
        }
        Ok(serde_json::Value::Object(users))
    })
    .await
    .unwrap();
    db.close().await.ok();

    let folder = std::env::temp_dir().join(format!("releasedesk-live-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let binary = binary();
    let settings = [
        ("RELEASEDESK_JOBS__ENABLED", "off"),
        ("RELEASEDESK_DATABASE__MIGRATE_ON_START", "false"),
        // identities stay cached for minutes: only the live event drops them
        ("RELEASEDESK_AUTH__CACHE_SECONDS", "300"),
        ("RELEASEDESK_LOG__FILTER", "info"),
    ];
    let replicas = Replicas(vec![
        replica(&binary, &folder, &url, "a", &settings),
        replica(&binary, &folder, &url, "b", &settings),
    ]);
    let a = address_of(&replicas, 0).await;
    let b = address_of(&replicas, 1).await;
    let users_file = folder.join("users.json");
    std::fs::write(&users_file, users.to_string()).unwrap();
    node(
        "live_replicas.mjs",
        vec![
            a,
            b,
            replicas.0[0].0.id().to_string(),
            url.clone(),
            binary.display().to_string(),
            users_file.display().to_string(),
        ],
    )
    .await;
    drop(replicas);
    cleanup.run().await;
    std::fs::remove_dir_all(&folder).ok();
}
