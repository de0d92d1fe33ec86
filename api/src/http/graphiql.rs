//! GraphiQL served from the binary: the page for `GET /graphql` and its pinned
//! assets under `/graphiql/` (see `api/assets/graphiql/README.md`), so it works
//! offline and behind strict proxies, without a CDN.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};

/// The page's own script.
const START: &str = include_str!("../../assets/graphiql/start.js");

/// The assets by path below `/graphiql/`: versioned names, so they are cached for good.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql-3.9.0.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql-3.9.0.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "start-1.js",
        "text/javascript; charset=utf-8",
        START.as_bytes(),
    ),
];

/// The GraphiQL page.
pub fn page() -> Response {
    let html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Releasedesk GraphiQL</title><link rel=\"icon\" href=\"data:,\">\
<link rel=\"stylesheet\" href=\"/graphiql/graphiql-3.9.0.min.css\">\
<style>body{margin:0;height:100vh}#graphiql{height:100vh}</style></head>\
<body><div id=\"graphiql\">Loading GraphiQL…</div>\
<script src=\"/graphiql/react-18.3.1.production.min.js\"></script>\
<script src=\"/graphiql/react-dom-18.3.1.production.min.js\"></script>\
<script src=\"/graphiql/graphiql-3.9.0.min.js\"></script>\
<script src=\"/graphiql/start-1.js\"></script></body></html>\n";
    poem::web::Html(html)
        .with_header("cache-control", "no-cache")
        .with_header("x-content-type-options", "nosniff")
        .with_header("referrer-policy", "no-referrer")
        .with_header(
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )
        .into_response()
}

/// `GET /graphiql/<name>`: one asset, or 404.
pub fn asset(name: &str) -> Response {
    match ASSETS.iter().find(|(path, _, _)| *path == name) {
        Some((_, content_type, bytes)) => bytes
            .to_vec()
            .with_content_type(*content_type)
            .with_header("cache-control", "public, max-age=31536000, immutable")
            .with_header("x-content-type-options", "nosniff")
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
