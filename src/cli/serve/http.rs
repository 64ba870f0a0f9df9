//! Preview, HTTP: requests answered from the site in memory, and the live-reload event stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Shared;
use super::live::{self, Signal};

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(live::SCRIPT_PATH, get(script))
        .route(live::EVENTS_PATH, get(events))
        .fallback(site_file)
        .with_state(shared)
}

async fn script() -> Response {
    respond(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        live::SCRIPT.as_bytes().to_vec(),
    )
}

/// The event stream of one open page. The page says which version of the site it shows;
/// the first event tells it at once whether that is still current, so a rebuild that
/// finished while the page loaded is not missed.
async fn events(State(shared): State<Arc<Shared>>, request: Request) -> impl IntoResponse {
    let page_version = request
        .uri()
        .query()
        .and_then(|query| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("version="))
        })
        .map(|v| {
            percent_decode(v)
                .and_then(|b| String::from_utf8(b).ok())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let receiver = shared.status.subscribe();
    let keep_alive = shared.keep_alive;
    let stream = futures_util::stream::unfold(
        (shared, receiver, page_version, true),
        |(shared, mut receiver, mut page_version, first)| async move {
            if !first && receiver.changed().await.is_err() {
                return None;
            }
            let status = receiver.borrow_and_update().clone();
            if status.closing {
                return None;
            }
            let current = shared.token(status.version);
            let signal = Signal::for_page(&page_version, &current, status.problems.as_deref());
            if let Signal::Reload { version } = &signal {
                page_version = version.clone();
            }
            let mut event = Event::default().event(signal.name()).data(signal.data());
            if first {
                // Reconnect soon after the server restarts; the default is three seconds.
                event = event.retry(Duration::from_millis(500));
            }
            Some((
                Ok::<Event, Infallible>(event),
                (shared, receiver, page_version, false),
            ))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default().interval(keep_alive))
        .into_response();
    no_store(&mut response);
    response
}

/// A file of the site: the exact path, a folder's `index.html`, a redirect from a folder's
/// path without its slash, or the not-found page.
async fn site_file(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            b"The preview only answers GET and HEAD.\n".to_vec(),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let raw_path = request.uri().path();
    let status = shared.status.borrow().clone();
    let Some(site) = shared.snapshot() else {
        // No good build yet: every page shows why.
        let token = shared.token(status.version);
        return match &status.problems {
            Some(problems) if looks_like_page(raw_path) => respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                HTML,
                live::no_site_page(problems, &token),
            ),
            _ => respond(
                StatusCode::NOT_FOUND,
                HTML,
                live::not_found_page(raw_path, &token),
            ),
        };
    };
    let token = shared.token(site.version);
    match resolve(raw_path, |path| site.files.contains_key(path)) {
        Target::File(path) => {
            let bytes = site.files[&path].bytes();
            let content_type = content_type(&path);
            let body = if content_type == HTML {
                live::inject(&bytes, &token)
            } else {
                bytes.into_owned()
            };
            let mut response = respond(StatusCode::OK, content_type, body);
            if is_content_hashed(&path) {
                // A new version has a new name: the browser may keep this one, which
                // saves a reload after each save the stylesheet fetch.
                response.headers_mut().insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("max-age=31536000, immutable"),
                );
            }
            response
        }
        Target::Redirect(location) => {
            let location = match request.uri().query() {
                Some(query) => format!("{location}?{query}"),
                None => location,
            };
            let mut response = respond(
                StatusCode::TEMPORARY_REDIRECT,
                "text/plain; charset=utf-8",
                Vec::new(),
            );
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Target::NotFound => {
            let body = match site.files.get(NOT_FOUND_PAGE) {
                Some(page) => live::inject(&page.bytes(), &token),
                None => live::not_found_page(raw_path, &token),
            };
            respond(StatusCode::NOT_FOUND, HTML, body)
        }
    }
}

const HTML: &str = "text/html; charset=utf-8";
/// The site's own page for unknown paths, where it has one (as static hosts use it).
const NOT_FOUND_PAGE: &str = "404.html";

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    no_store(&mut response);
    response
}

/// Whether the file's name holds a content hash (`style.6eaaff60.css`), as the build
/// gives every asset a page refers to.
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplit('.');
    let (Some(_ext), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A preview must never show a cached page: every answer is fresh.
fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// Where a request path leads in the site.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target {
    /// The output at this path.
    File(String),
    /// A folder asked for without its trailing slash: go to this path.
    Redirect(String),
    NotFound,
}

/// Map the raw (still percent-encoded) request path to an output path. Each segment is
/// decoded on its own, and a segment that is empty, `.` or `..`, or decodes to a slash, a
/// backslash or a NUL, makes the path not found: the site's own paths never have them, so
/// no spelling of a path can name anything but a file of the site.
pub(super) fn resolve(raw_path: &str, exists: impl Fn(&str) -> bool) -> Target {
    let Some(rest) = raw_path.strip_prefix('/') else {
        return Target::NotFound;
    };
    let (rest, folder) = match rest.strip_suffix('/') {
        Some(rest) => (rest, true),
        None => (rest, rest.is_empty()),
    };
    let mut segments = Vec::new();
    if !rest.is_empty() {
        for segment in rest.split('/') {
            let Some(decoded) = percent_decode(segment).and_then(|b| String::from_utf8(b).ok())
            else {
                return Target::NotFound;
            };
            if decoded.is_empty()
                || decoded == "."
                || decoded == ".."
                || decoded.contains(['/', '\\', '\0'])
            {
                return Target::NotFound;
            }
            segments.push(decoded);
        }
    }
    let path = segments.join("/");
    let index = if path.is_empty() {
        "index.html".to_string()
    } else {
        format!("{path}/index.html")
    };
    if folder {
        return if exists(&index) {
            Target::File(index)
        } else {
            Target::NotFound
        };
    }
    if exists(&path) {
        Target::File(path)
    } else if exists(&index) {
        Target::Redirect(format!("{raw_path}/"))
    } else {
        Target::NotFound
    }
}

/// `%XX` escapes decoded; `None` for a malformed escape.
fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Whether a path asks for a page rather than an asset: a folder, an `.html` file, or a
/// name without an extension.
fn looks_like_page(raw_path: &str) -> bool {
    let last = raw_path.rsplit('/').next().unwrap_or("");
    last.is_empty() || last.ends_with(".html") || !last.contains('.')
}

/// The media type of an output, by its extension.
pub(super) fn content_type(path: &str) -> &'static str {
    let extension = path
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("html" | "htm") => HTML,
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("xml") => "application/xml",
        Some("rss") => "application/rss+xml",
        Some("atom") => "application/atom+xml",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("yaml" | "yml") => "application/yaml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("pdf") => "application/pdf",
        Some("wasm") => "application/wasm",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(path: &str) -> bool {
        ["index.html", "deal/index.html", "style.css", "a b/x.png"].contains(&path)
    }

    #[test]
    fn only_content_hashed_names_may_be_cached() {
        assert!(is_content_hashed("style.6eaaff60.css"));
        assert!(is_content_hashed("img/logo.0123abcd.png"));
        assert!(!is_content_hashed("style.css"));
        assert!(!is_content_hashed("deal/index.html"));
        assert!(!is_content_hashed(".6eaaff60.css"));
        assert!(!is_content_hashed("style.6EAAFF60.css"));
    }

    #[test]
    fn paths_resolve_to_files_folders_and_redirects() {
        assert_eq!(resolve("/", site), Target::File("index.html".into()));
        assert_eq!(
            resolve("/index.html", site),
            Target::File("index.html".into())
        );
        assert_eq!(
            resolve("/deal/", site),
            Target::File("deal/index.html".into())
        );
        assert_eq!(resolve("/deal", site), Target::Redirect("/deal/".into()));
        assert_eq!(
            resolve("/style.css", site),
            Target::File("style.css".into())
        );
        assert_eq!(
            resolve("/a%20b/x.png", site),
            Target::File("a b/x.png".into())
        );
        assert_eq!(resolve("/style.css/", site), Target::NotFound);
        assert_eq!(resolve("/nope", site), Target::NotFound);
    }

    #[test]
    fn no_spelling_escapes_the_site() {
        for path in [
            "/../index.html",
            "/deal/../index.html",
            "/%2e%2e/index.html",
            "/%2E%2E/deal/index.html",
            "/deal/%2e%2e/index.html",
            "/./index.html",
            "/deal%2findex.html",
            "/deal%2Findex.html",
            "/deal%5cindex.html",
            "/deal\\index.html",
            "//deal/index.html",
            "/deal//index.html",
            "//example.org",
            "/deal%00",
            "/%",
            "/%zz",
            "/%ff",
            "deal/index.html",
            "",
        ] {
            assert_eq!(resolve(path, site), Target::NotFound, "{path}");
        }
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("deal/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("img/Photo.JPG"), "image/jpeg");
        assert_eq!(content_type("data.v2/README"), "application/octet-stream");
    }

    #[test]
    fn pages_are_told_from_assets() {
        assert!(looks_like_page("/"));
        assert!(looks_like_page("/deal"));
        assert!(looks_like_page("/deal/index.html"));
        assert!(!looks_like_page("/style.css"));
    }
}
