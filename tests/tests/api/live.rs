//! Live updates through real WebSocket clients (`tests/clients/live.mjs`:
//! graphql-ws, and the older subscriptions-transport-ws protocol by hand)
//! against one server, on both databases. The replica-crossing cases are in
//! `live_replicas.rs`.

use crate::clients::node;
use entities::entity::Role;
use releasedesk_tests::{on_both_databases, test_settings, TestApp};
use serde_json::json;

pub(crate) fn live_settings() -> releasedesk::Settings {
    let mut settings = test_settings();
    // the missing-connection_init case waits this long, bounded
    settings.live.init_timeout_seconds = 1;
    // a client that stops reading stalls a send this long before it is dropped
    settings.live.keepalive_seconds = 1;
    settings.live.buffer_events = 16;
    settings
}

async fn subscribers_receive_what_they_may_see_in_commit_order(app: &TestApp) {
    let (_, manager) = app.user("Lina Live", &[Role::ReleaseManager]).await;
    let (stakeholder_id, stakeholder) = app.user("Stan Live", &[]).await;
    let (_, board) = app.user("Bert Board", &[Role::ReviewBoard]).await;
    let users = json!({
        "manager": manager,
        "stakeholder": { "token": stakeholder, "id": stakeholder_id.to_string() },
        "board": board,
        "admin": app.admin_token,
    });
    let file = std::env::temp_dir().join(format!(
        "releasedesk-live-{}-{:?}.json",
        std::process::id(),
        app.backend
    ));
    std::fs::write(&file, users.to_string()).unwrap();
    // the script's last step is a client that stops reading; it waits, with
    // that client still connected, until this side has seen the server drop
    // it (it falls more than `live.buffer_events` behind and is closed with
    // 4008, or its sends stall past `live.keepalive_seconds`), then finishes
    let done = file.with_extension("dropped");
    let script = node(
        "live.mjs",
        vec![
            app.base_url.clone(),
            file.display().to_string(),
            done.display().to_string(),
        ],
    );
    let watch = async {
        let waited = std::time::Instant::now();
        loop {
            let logs = releasedesk_tests::captured_logs();
            let port = std::fs::read_to_string(file.with_extension("port")).ok();
            let dropped = port.as_ref().is_some_and(|port| {
                logs.lines().any(|line| {
                    let ours = line.contains(&format!("127.0.0.1:{}", port.trim()));
                    let too_slow = line.contains("live connection closed by a subscription")
                        && line.contains("code=4008");
                    ours && (too_slow
                        || line.contains("live connection dropped: the client stopped reading"))
                })
            });
            if dropped {
                std::fs::write(&done, "dropped").unwrap();
                return;
            }
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(120),
                "the server never dropped the client that stopped reading"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::join!(script, watch);
    for extension in ["json", "port", "dropped"] {
        std::fs::remove_file(file.with_extension(extension)).ok();
    }
}

/// One unit of work touching more releases than one announcement holds
/// (a job's batch, say) commits, and announces every one of them.
async fn a_unit_of_work_touching_many_releases_announces_each(app: &TestApp) {
    use entities::entity::{ReleaseScope, ReleaseType};
    use entities::releases::{self, NewRelease, TemplateChoice};
    const RELEASES: usize = 1_100;
    let (owner, _) = app.user("Olga Owner", &[Role::ReleaseManager]).await;
    let mut events = app.context().live.subscribe();
    let created = entities::write(
        app.database(),
        entities::Stamp::system(entities::Clock::now(app.clock.as_ref())),
        async |tx| {
            let mut ids = Vec::new();
            for n in 0..RELEASES {
                let release = releases::create(
                    tx,
                    NewRelease {
                        title: format!("Batch {n}"),
                        description: String::new(),
                        release_type: ReleaseType::Minor,
                        scope: ReleaseScope::Standalone,
                        master_id: None,
                        owner_id: Some(owner),
                        planned_start: None,
                        planned_end: None,
                        template: TemplateChoice::None,
                    },
                )
                .await?;
                ids.push(release.id);
            }
            Ok(ids)
        },
    )
    .await
    .expect("the batch commits");
    let mut announced = std::collections::BTreeSet::new();
    while announced.len() < RELEASES {
        let event = tokio::time::timeout(std::time::Duration::from_secs(30), events.recv())
            .await
            .expect("every release is announced")
            .expect("the bus keeps up");
        if let entities::live::LiveEvent::Release { id, .. } = event {
            announced.insert(id);
        }
    }
    assert_eq!(
        announced.into_iter().collect::<Vec<_>>(),
        created,
        "one event per release, none missing"
    );
}

mod in_order {
    use super::*;
    on_both_databases!(with super::super::live_settings(); subscribers_receive_what_they_may_see_in_commit_order);
}

mod in_bulk {
    use super::*;
    on_both_databases!(a_unit_of_work_touching_many_releases_announces_each);
}
