//! The service as single-page apps use it, with the real client libraries:
//! Apollo Client 3.14 and 4.3 on Node (partial errors as null in place, the
//! normalized cache updated by mutations, pages read back from the cache,
//! automatic persisted queries falling back), and GraphiQL in headless
//! Chromium (served from the binary, a same-origin POST with the token from
//! its Headers tab). The scripts and their pinned packages are in
//! `tests/clients`; `npm ci` runs there when `node_modules` is missing.

use releasedesk_tests::{on_both_databases, TestApp};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;

/// Chromium for the browser tests: `RELEASEDESK_TEST_CHROMIUM`, or Debian's.
/// Without it (and without `RELEASEDESK_TEST_REQUIRE_BROWSER`, which `.ci/run`
/// sets) `tests/build.rs` compiles the browser tests as ignored.
pub(crate) fn chromium() -> String {
    std::env::var("RELEASEDESK_TEST_CHROMIUM").unwrap_or("/usr/bin/chromium".into())
}

/// `target/test-artifacts/<name>`, created: what a browser test saw, kept.
pub(crate) fn artefacts(name: &str) -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/test-artifacts")
        .join(name);
    std::fs::create_dir_all(&folder).expect("create the artefact folder");
    folder
}

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Installs the pinned client packages once per test run.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let dir = clients_dir();
        if dir.join("node_modules/apollo4").exists()
            && dir.join("node_modules/playwright-core").exists()
        {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) is needed for the client tests");
        assert!(status.success(), "npm ci in tests/clients failed");
    });
}

/// Runs `node script args…` in `tests/clients` off the test's runtime
/// threads, and answers what it printed.
pub(crate) async fn node(script: &'static str, args: Vec<String>) -> String {
    install();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .args(&args)
            .current_dir(clients_dir())
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    // shown with --nocapture, and by libtest when the test fails later
    print!("{}", String::from_utf8_lossy(&output.stdout));
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn apollo_clients_3_and_4_work_against_the_service(app: &TestApp) {
    node(
        "apollo.mjs",
        vec![app.base_url.clone(), app.admin_token.clone()],
    )
    .await;
}

on_both_databases!(apollo_clients_3_and_4_work_against_the_service);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(browser_tests),
    ignore = "needs Chromium: apt-get install chromium"
)]
async fn graphiql_runs_a_query_in_headless_chromium() {
    let chromium = chromium();
    assert!(
        std::path::Path::new(&chromium).exists(),
        "no Chromium at {chromium} (apt-get install chromium)"
    );
    let screenshot = artefacts("graphiql").join("graphiql.png");
    let _ = std::fs::remove_file(&screenshot);
    let shot = screenshot.display().to_string();
    releasedesk_tests::run_on(releasedesk_tests::Backend::Sqlite, move |app| {
        Box::pin(async move {
            node(
                "graphiql.mjs",
                vec![
                    app.base_url.clone(),
                    app.admin_token.clone(),
                    chromium.clone(),
                    shot.clone(),
                ],
            )
            .await;
        })
    })
    .await;
    assert!(
        screenshot.exists(),
        "a screenshot at {}",
        screenshot.display()
    );
}
