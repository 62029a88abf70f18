//! The browser client's files, embedded at build time (see `build.rs`) and
//! served pre-compressed when the browser accepts gzip.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One embedded file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub raw: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub etag: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// Serves an embedded file; unknown paths get the single-page app's index.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let path = match uri.path() {
        "/" | "" => "/index.html",
        other => other,
    };
    let asset = ASSETS.iter().find(|asset| asset.path == path).or_else(|| {
        (!path.contains('.'))
            .then(|| ASSETS.iter().find(|asset| asset.path == "/index.html"))
            .flatten()
    });
    let Some(asset) = asset else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|value| value.as_bytes() == asset.etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|encoding| encoding.trim().starts_with("gzip"))
        });
    let mut response_headers = HeaderMap::new();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    response_headers.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response_headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    match (asset.gzip, accepts_gzip) {
        (Some(gzip), true) => {
            response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (response_headers, gzip).into_response()
        }
        _ => (response_headers, asset.raw).into_response(),
    }
}
