//! The Release workspace: served from the binary at `/`, its GraphQL documents
//! valid against the schema, and the whole app driven in headless Chromium
//! (`tests/clients/workspace.mjs`) against the real server with the demo
//! loaded, on both databases. Screenshots land in `target/test-artifacts`.

use crate::clients::{artefacts, chromium, node};
use releasedesk_tests::{Backend, TestApp};
use std::path::PathBuf;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workspace_is_served_from_the_binary() {
    releasedesk_tests::run_on(Backend::Sqlite, |app| {
        Box::pin(async move {
            let page = app.get("/").await;
            assert_eq!(page.status(), 200);
            let csp = page.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert_eq!(page.headers()["cache-control"], "no-cache");
            let html = page.text().await.unwrap();
            assert!(html.contains("<title>Releasedesk</title>"), "{html}");
            // every file the page names is served, cached for good
            let names: Vec<&str> = html
                .split(['"', '\''])
                .filter(|part| part.starts_with("/workspace/"))
                .collect();
            assert!(names.iter().any(|n| n.ends_with(".js")), "{html}");
            assert!(names.iter().any(|n| n.ends_with(".css")), "{html}");
            for name in names {
                let asset = app.get(name).await;
                assert_eq!(asset.status(), 200, "{name}");
                assert_eq!(
                    asset.headers()["cache-control"],
                    "public, max-age=31536000, immutable"
                );
                let expected = if name.ends_with(".js") {
                    "text/javascript; charset=utf-8"
                } else {
                    "text/css; charset=utf-8"
                };
                assert_eq!(asset.headers()["content-type"], expected, "{name}");
                let on_disk =
                    std::fs::read(repository().join("api/assets/workspace").join(&name[1..]))
                        .unwrap();
                assert_eq!(asset.bytes().await.unwrap().as_ref(), on_disk, "{name}");
            }
            let licences = app.get("/workspace/licenses.txt").await;
            assert_eq!(licences.status(), 200);
            let licences = licences.text().await.unwrap();
            for package in ["react ", "react-dom ", "urql ", "@urql/core "] {
                assert!(licences.contains(package), "the licence of {package}");
            }
            assert_eq!(app.get("/workspace/missing.js").await.status(), 404);
            assert_eq!(app.get("/workspace/../Cargo.toml").await.status(), 404);
        })
    })
    .await;
}

#[tokio::test]
async fn the_workspace_documents_are_valid_against_the_schema() {
    let root = repository();
    node(
        "workspace-documents.mjs",
        vec![
            root.join("schema.graphql").display().to_string(),
            root.join("api/web/src/graphql").display().to_string(),
        ],
    )
    .await;
}

async fn the_workspace_runs_releases_in_chromium(app: &TestApp) {
    let releasedesk::demo::SeedOutcome::Loaded { users, .. } = releasedesk::demo::seed(
        app.database(),
        app.clock.as_ref(),
        &app.context().settings.costs.currency,
    )
    .await
    .expect("the demo loads") else {
        panic!("a fresh database has no demo");
    };
    let tokens: serde_json::Map<String, serde_json::Value> = users
        .into_iter()
        .map(|user| (user.role, serde_json::Value::String(user.token)))
        .collect();
    let folder = artefacts(&format!("workspace-{:?}", app.backend).to_lowercase());
    let tokens_file = folder.join("tokens.json");
    std::fs::write(&tokens_file, serde_json::to_vec(&tokens).unwrap()).unwrap();
    node(
        "workspace.mjs",
        vec![
            app.base_url.clone(),
            tokens_file.display().to_string(),
            chromium(),
            folder.display().to_string(),
        ],
    )
    .await;
    std::fs::remove_file(&tokens_file).ok();
    for shot in ["workspace-list.png", "workspace-release.png"] {
        assert!(folder.join(shot).exists(), "{shot} in {}", folder.display());
    }
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(browser_tests),
        ignore = "needs Chromium: apt-get install chromium"
    )]
    async fn the_workspace_runs_releases_in_chromium() {
        releasedesk_tests::run_on(super::Backend::Sqlite, |app| {
            Box::pin(super::the_workspace_runs_releases_in_chromium(app))
        })
        .await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(all(browser_tests, postgres_tests)),
        ignore = "needs Chromium and PostgreSQL: apt-get install chromium, set RELEASEDESK_TEST_POSTGRES_URL"
    )]
    async fn the_workspace_runs_releases_in_chromium() {
        releasedesk_tests::run_on(super::Backend::Postgres, |app| {
            Box::pin(super::the_workspace_runs_releases_in_chromium(app))
        })
        .await;
    }
}
