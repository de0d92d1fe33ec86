//! Compiles the PostgreSQL tests as ignored when no PostgreSQL is configured
//! and none is required, and the browser tests as ignored when there is no
//! Chromium and none is required, so `cargo test` counts them as ignored
//! instead of passing tests that ran nothing. Where they are required (CI, or
//! `RELEASEDESK_TEST_REQUIRE_POSTGRES` / `RELEASEDESK_TEST_REQUIRE_BROWSER`),
//! they run, and fail without a server or a browser.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    for var in [
        "RELEASEDESK_TEST_POSTGRES_URL",
        "RELEASEDESK_TEST_REQUIRE_POSTGRES",
        "RELEASEDESK_TEST_CHROMIUM",
        "RELEASEDESK_TEST_REQUIRE_BROWSER",
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
    let chromium =
        std::env::var("RELEASEDESK_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    println!("cargo::rerun-if-changed={chromium}");
    let browser_required = std::env::var_os("RELEASEDESK_TEST_REQUIRE_BROWSER").is_some()
        || std::env::var_os("CI").is_some();
    if browser_required || std::path::Path::new(&chromium).exists() {
        println!("cargo::rustc-cfg=browser_tests");
    }
}
