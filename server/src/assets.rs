//! The browser client's files, embedded at build time (see `build.rs`) and
//! served pre-compressed: brotli when the browser accepts it, else gzip, else
//! the raw bytes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// One embedded file and its pre-compressed copies.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub identity: Representation,
    pub gzip: Option<Representation>,
    pub brotli: Option<Representation>,
}

/// The bytes of one encoding of a file, with their own ETag.
pub struct Representation {
    pub bytes: &'static [u8],
    pub etag: &'static str,
}

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` value, or `None` for the raw bytes.
    fn header_value(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Brotli => Some("br"),
        }
    }

    /// The names a browser may give this coding in `Accept-Encoding`.
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::Identity => &["identity"],
            Self::Gzip => &["gzip", "x-gzip"],
            Self::Brotli => &["br"],
        }
    }
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
    match asset {
        Some(asset) => respond(asset, &headers),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// The response for `asset` given the request's headers: the preferred
/// encoding the browser accepts, or 304 when it already has that copy.
fn respond(asset: &'static Asset, request: &HeaderMap) -> Response {
    let accept_encoding = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok());
    let (encoding, representation) = choose(asset, accept_encoding);
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, HeaderValue::from_static(representation.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let cached = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| matches_etag(tags, representation.etag));
    if cached {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    if let Some(coding) = encoding.header_value() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    (headers, representation.bytes).into_response()
}

/// Picks the copy of `asset` to send: among the encoded copies the browser
/// accepts, the one it weights highest, brotli on a tie (smaller than gzip
/// for the same file); the raw bytes when it accepts neither.
pub fn choose<'asset>(
    asset: &'asset Asset,
    accept_encoding: Option<&str>,
) -> (Encoding, &'asset Representation) {
    let accept_encoding = accept_encoding.unwrap_or("");
    let mut best: Option<(f32, Encoding, &Representation)> = None;
    for (encoding, representation) in [(Encoding::Brotli, &asset.brotli), (Encoding::Gzip, &asset.gzip)] {
        let Some(representation) = representation else {
            continue;
        };
        let weight = quality(accept_encoding, encoding);
        if weight > 0.0
            && best
                .as_ref()
                .is_none_or(|(best_weight, ..)| weight > *best_weight)
        {
            best = Some((weight, encoding, representation));
        }
    }
    best.map_or(
        (Encoding::Identity, &asset.identity),
        |(_, encoding, representation)| (encoding, representation),
    )
}

/// The weight (`q`) that an `Accept-Encoding` value gives `encoding`: its
/// own entry's, else the `*` entry's, else 0 (not acceptable).
fn quality(accept_encoding: &str, encoding: Encoding) -> f32 {
    let mut wildcard = None;
    for entry in accept_encoding.split(',') {
        let mut parameters = entry.split(';');
        let name = parameters.next().unwrap_or_default().trim();
        let weight = parameters
            .filter_map(|parameter| {
                let (key, value) = parameter.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("q")
                    .then(|| value.trim().parse::<f32>().unwrap_or(0.0))
            })
            .next()
            .unwrap_or(1.0);
        if encoding
            .names()
            .iter()
            .any(|known| name.eq_ignore_ascii_case(known))
        {
            return weight;
        }
        if name == "*" {
            wildcard = Some(weight);
        }
    }
    wildcard.unwrap_or(0.0)
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as
/// RFC 9110 asks for `If-None-Match`), or is `*`.
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    static WASM: Asset = Asset {
        path: "/enlace_bg.wasm",
        content_type: "application/wasm",
        identity: Representation {
            bytes: b"raw bytes",
            etag: "\"00ff\"",
        },
        gzip: Some(Representation {
            bytes: b"gzip bytes",
            etag: "\"00ff-gz\"",
        }),
        brotli: Some(Representation {
            bytes: b"brotli bytes",
            etag: "\"00ff-br\"",
        }),
    };

    static GZIP_ONLY: Asset = Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        identity: Representation {
            bytes: b"body {}",
            etag: "\"0a\"",
        },
        gzip: Some(Representation {
            bytes: b"gzip body {}",
            etag: "\"0a-gz\"",
        }),
        brotli: None,
    };

    fn request(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
            .collect()
    }

    async fn body(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .map(|bytes| bytes.to_vec())
            .unwrap_or_default()
    }

    fn chosen(asset: &Asset, accept_encoding: Option<&str>) -> Encoding {
        choose(asset, accept_encoding).0
    }

    #[test]
    fn brotli_wins_when_the_browser_accepts_it() {
        assert_eq!(chosen(&WASM, Some("gzip, deflate, br, zstd")), Encoding::Brotli);
        assert_eq!(chosen(&WASM, Some("br")), Encoding::Brotli);
        assert_eq!(chosen(&WASM, Some("BR;q=1.0, gzip")), Encoding::Brotli);
        assert_eq!(chosen(&WASM, Some("*")), Encoding::Brotli);
    }

    #[test]
    fn gzip_when_brotli_is_not_accepted_or_missing() {
        assert_eq!(chosen(&WASM, Some("gzip, deflate")), Encoding::Gzip);
        assert_eq!(chosen(&WASM, Some("gzip, br;q=0")), Encoding::Gzip);
        assert_eq!(chosen(&WASM, Some("gzip;q=1, br;q=0.5")), Encoding::Gzip);
        assert_eq!(chosen(&WASM, Some("x-gzip")), Encoding::Gzip);
        assert_eq!(chosen(&GZIP_ONLY, Some("gzip, deflate, br")), Encoding::Gzip);
    }

    #[test]
    fn raw_bytes_without_an_accepted_encoding() {
        assert_eq!(chosen(&WASM, None), Encoding::Identity);
        assert_eq!(chosen(&WASM, Some("")), Encoding::Identity);
        assert_eq!(chosen(&WASM, Some("identity")), Encoding::Identity);
        assert_eq!(chosen(&WASM, Some("deflate, zstd")), Encoding::Identity);
        assert_eq!(chosen(&WASM, Some("*;q=0, identity")), Encoding::Identity);
        assert_eq!(chosen(&WASM, Some("br;q=0, gzip;q=0")), Encoding::Identity);
    }

    #[tokio::test]
    async fn responses_carry_the_encoding_and_vary() {
        let response = respond(&WASM, &request(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")]));
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(headers[header::VARY], "accept-encoding");
        assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(headers[header::ETAG], "\"00ff-br\"");
        assert_eq!(body(response).await, b"brotli bytes");

        let response = respond(&WASM, &request(&[(header::ACCEPT_ENCODING, "gzip")]));
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[header::ETAG], "\"00ff-gz\"");
        assert_eq!(body(response).await, b"gzip bytes");

        let response = respond(&WASM, &HeaderMap::new());
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(response.headers()[header::VARY], "accept-encoding");
        assert_eq!(response.headers()[header::ETAG], "\"00ff\"");
        assert_eq!(body(response).await, b"raw bytes");
    }

    #[tokio::test]
    async fn not_modified_only_for_the_copy_the_browser_holds() {
        let response = respond(
            &WASM,
            &request(&[
                (header::ACCEPT_ENCODING, "gzip, br"),
                (header::IF_NONE_MATCH, "\"00ff-br\""),
            ]),
        );
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::ETAG], "\"00ff-br\"");
        assert!(body(response).await.is_empty());

        let response = respond(
            &WASM,
            &request(&[
                (header::ACCEPT_ENCODING, "gzip"),
                (header::IF_NONE_MATCH, "W/\"00ff-br\""),
            ]),
        );
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");

        let response = respond(
            &WASM,
            &request(&[(header::IF_NONE_MATCH, "\"other\", W/\"00ff\"")]),
        );
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    }

    #[tokio::test]
    async fn unknown_paths_fall_back_to_the_index_and_files_404() {
        let response = serve(Uri::from_static("/some/route"), HeaderMap::new()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let response = serve(Uri::from_static("/missing.js"), HeaderMap::new()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
