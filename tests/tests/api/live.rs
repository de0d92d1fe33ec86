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
    node(
        "live.mjs",
        vec![app.base_url.clone(), file.display().to_string()],
    )
    .await;
    std::fs::remove_file(&file).ok();
}

on_both_databases!(with super::live_settings(); subscribers_receive_what_they_may_see_in_commit_order);
