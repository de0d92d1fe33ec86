//! Compiles the PostgreSQL tests as ignored when no PostgreSQL is configured
//! and none is required, so `cargo test` counts them as ignored instead of
//! passing tests that ran nothing. Where they are required (CI, or
//! `RELEASEDESK_TEST_REQUIRE_POSTGRES`), they run, and fail without a server.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    for var in [
        "RELEASEDESK_TEST_POSTGRES_URL",
        "RELEASEDESK_TEST_REQUIRE_POSTGRES",
        "CI",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let configured =
        std::env::var("RELEASEDESK_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty());
    let required = std::env::var_os("RELEASEDESK_TEST_REQUIRE_POSTGRES").is_some()
        || std::env::var_os("CI").is_some();
    if configured || required {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
