//! The web console's files under `/console/`: embedded in the binary at build time, served with a strict
//! Content-Security-Policy. The console holds no privilege of its own: every action it offers is a SigV4-signed call to
//! `POST /`, signed in the browser with the signed-in person's access key, so a person sees and may do exactly what
//! their policies allow (docs/console.md).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Scripts, styles and calls from this origin only; no inline script or style, no frames, no forms posted anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset { name: $name, content_type: $content_type, body: include_bytes!(concat!("../console/", $name)) }
    };
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Every file the console has; anything else under `/console/` is 404.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JAVASCRIPT),
    asset!("api.js", JAVASCRIPT),
    asset!("ui.js", JAVASCRIPT),
    asset!("keys.js", JAVASCRIPT),
    asset!("key.js", JAVASCRIPT),
    asset!("deletion.js", JAVASCRIPT),
];

/// Adds the console's routes to `router`.
pub fn routes<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(|| async { serve("index.html") }))
        .route("/console/{name}", get(|Path(name): Path<String>| async move { serve(&name) }))
}

fn serve(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return (StatusCode::NOT_FOUND, "no such console file\n").into_response();
    };
    let mut response = asset.body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    // The files change with the binary: always ask again (they are small).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_and_script_names_only_files_the_console_serves() {
        let names: Vec<&str> = ASSETS.iter().map(|asset| asset.name).collect();
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.body).unwrap_or_default();
            for quoted in text.split(['"', '\'']).filter(|part| part.starts_with("./") || part.starts_with("/console/"))
            {
                let name = quoted.trim_start_matches("./").trim_start_matches("/console/");
                assert!(names.contains(&name), "{} names {quoted}, which is not served", asset.name);
            }
        }
    }

    #[test]
    fn the_console_counts_as_use_exactly_the_calls_the_usage_evidence_tracks() {
        let ui = ASSETS.iter().find(|asset| asset.name == "ui.js").map(|asset| asset.body).unwrap_or_default();
        let ui = std::str::from_utf8(ui).unwrap_or_default();
        let list = ui.split("export const CRYPTOGRAPHIC = new Set([").nth(1).and_then(|rest| rest.split("]);").next());
        let mut console: Vec<&str> =
            list.unwrap_or_default().split(['\'', ',', ' ', '\n']).filter(|word| !word.is_empty()).collect();
        let mut tracked: Vec<&str> = trent_audit::usage::TRACKED_OPERATIONS.to_vec();
        tracked.extend(trent_audit::usage::ALIBABA_USES.iter().map(|(alibaba, _)| *alibaba));
        console.sort_unstable();
        tracked.sort_unstable();
        assert_eq!(console, tracked);
    }

    #[test]
    fn no_page_carries_inline_script_or_style() {
        let page = ASSETS.iter().find(|asset| asset.name == "index.html").map(|asset| asset.body).unwrap_or_default();
        let page = std::str::from_utf8(page).unwrap_or_default();
        let handler = page.split_whitespace().find(|word| word.starts_with("on") && word.contains('='));
        assert!(!page.contains("<script>") && !page.contains("style=") && handler.is_none(), "inline code in the page");
    }
}
