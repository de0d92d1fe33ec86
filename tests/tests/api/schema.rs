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
