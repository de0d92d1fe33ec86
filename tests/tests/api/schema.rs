//! `schema.graphql` at the repository root is the served schema.

#[test]
fn committed_schema_matches_the_served_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let served = releasedesk::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is out of date; regenerate it with `cargo run -- schema > schema.graphql`"
    );
}

/// Every GraphQL example of the README validates against the schema on its
/// own, as GraphiQL checks a pasted block.
#[tokio::test]
async fn the_readme_examples_paste_into_graphiql() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    crate::clients::node(
        "readme-examples.mjs",
        vec![
            root.join("schema.graphql").display().to_string(),
            root.join("README.md").display().to_string(),
        ],
    )
    .await;
}

/// What introspection answers agrees with the committed SDL where the library's
/// SDL export and its introspection can differ.
async fn introspection_agrees_with_the_committed_schema(app: &releasedesk_tests::TestApp) {
    let committed = releasedesk::graphql::sdl();
    let answer = app
        .ok(
            "{ __schema { description queryType { name } mutationType { name } } \
             __type(name: \"DateTime\") { specifiedByURL } }",
            serde_json::json!({}),
        )
        .await;
    let description = answer["__schema"]["description"].as_str().unwrap();
    assert!(committed.contains(&format!("\"\"\"\n{description}\n\"\"\"\nschema {{")));
    let url = answer["__type"]["specifiedByURL"].as_str().unwrap();
    assert!(committed.contains(&format!("scalar DateTime @specifiedBy(url: \"{url}\")")));
    for root in [
        &answer["__schema"]["queryType"]["name"],
        &answer["__schema"]["mutationType"]["name"],
    ] {
        assert!(committed.contains(&format!("type {} {{", root.as_str().unwrap())));
    }
}

releasedesk_tests::on_both_databases!(introspection_agrees_with_the_committed_schema);
