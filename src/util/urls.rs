//! Shared: URLs and paths inside the site: where the site is published, how a link
//! written in one file resolves (as a browser resolves it), percent-encoding and
//! character references.

/// Where the site is published: `https://example.com/briefing` has the path `/briefing`,
/// which every root-relative link must start with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl {
    /// `https://example.com/briefing`, no trailing slash; empty when not configured.
    pub base_url: String,
    /// `/briefing`, or empty for a site at the root of its host.
    pub path: String,
}

impl SiteUrl {
    pub fn new(base_url: &str) -> SiteUrl {
        let base_url = base_url.trim_end_matches('/').to_string();
        let after_scheme = base_url.split_once("://").map_or("", |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or(String::new(), |i| after_scheme[i..].to_string());
        SiteUrl { base_url, path }
    }

    /// The absolute URL of a path inside the site (`deal/` -> `https://…/briefing/deal/`).
    pub fn absolute(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url)
    }

    /// The root-relative URL of a path inside the site (`deal/` -> `/briefing/deal/`).
    pub fn root_relative(&self, path: &str) -> String {
        format!("{}/{path}", self.path)
    }
}

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file of this site: its path inside the output folder (`deal/` or `style.css`,
    /// percent-decoded, `""` for the home page) and the fragment after `#`, if any.
    Internal {
        path: String,
        fragment: Option<String>,
    },
    /// Another site, over http(s).
    External,
    /// `mailto:`, `tel:`, `data:`, `javascript:` and the like: nothing to check.
    Ignored,
    /// A root-relative or `..` path that leaves the folder the site is published in.
    Outside,
}

/// Resolve `href`, found in the output file `from`, the way a browser would once the
/// site is published at `url`.
pub fn resolve(url: &SiteUrl, from: &str, href: &str) -> Target {
    let href = href.trim();
    if href.is_empty() {
        return Target::Ignored;
    }
    let (rest, fragment) = match href.split_once('#') {
        Some((rest, fragment)) => (rest, Some(percent_decode(fragment))),
        None => (href, None),
    };
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    if let Some(scheme) = scheme(href) {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return match scheme.to_ascii_lowercase().as_str() {
                "mailto" | "tel" | "sms" | "data" | "javascript" | "about" | "blob" => {
                    Target::Ignored
                }
                _ => Target::External,
            };
        }
        return match inside_base(url, path) {
            Some(inside) => internal(inside, fragment),
            None => Target::External,
        };
    }
    if let Some(host_path) = path.strip_prefix("//") {
        let scheme = url.base_url.split("://").next().unwrap_or("https");
        return match inside_base(url, &format!("{scheme}://{host_path}")) {
            Some(inside) => internal(inside, fragment),
            None => Target::External,
        };
    }
    if let Some(root_relative) = path.strip_prefix('/') {
        let root_relative = format!("/{root_relative}");
        let inside = if url.path.is_empty() {
            Some(&root_relative[1..])
        } else if root_relative == url.path {
            Some("")
        } else {
            root_relative
                .strip_prefix(&url.path)
                .and_then(|p| p.strip_prefix('/'))
        };
        return match inside {
            Some(inside) => internal(inside, fragment),
            None => Target::Outside,
        };
    }
    if path.is_empty() {
        // `#id` or `?query` alone: this very file.
        return Target::Internal {
            path: page_path_of(from),
            fragment,
        };
    }
    let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    match join(dir, path) {
        Some(joined) => internal(&joined, fragment),
        None => Target::Outside,
    }
}

pub fn internal(path: &str, fragment: Option<String>) -> Target {
    match normalize(&percent_decode(path)) {
        Some(path) => Target::Internal { path, fragment },
        None => Target::Outside,
    }
}

/// The part of an absolute URL after the site's base URL, when it is inside the site.
fn inside_base<'a>(url: &SiteUrl, absolute: &'a str) -> Option<&'a str> {
    if url.base_url.is_empty() {
        return None;
    }
    let base = &url.base_url;
    let rest = match absolute.get(..base.len()) {
        Some(start) if start.eq_ignore_ascii_case(base) => &absolute[base.len()..],
        _ => return None,
    };
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// `https:` of `https://x`; None for a relative reference.
pub fn scheme(href: &str) -> Option<&str> {
    let colon = href.find(':')?;
    let candidate = &href[..colon];
    let first_ok = candidate
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = candidate
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some(candidate)
}

/// The URL path of an output file as a link to it would name it: `deal/index.html` -> `deal/`.
pub fn page_path_of(output: &str) -> String {
    match output.strip_suffix("index.html") {
        Some(dir) if dir.is_empty() || dir.ends_with('/') => dir.to_string(),
        _ => output.to_string(),
    }
}

/// `path` as written in a file of folder `dir` (both inside the site: `deal/` or
/// `markets`), as a path from the site root: `../figures/` from `deal/` -> `figures/`;
/// a leading `/` starts from the root. None when `..` climbs above the root.
/// The one resolver of relative paths: Markdown links, report links and the link check.
pub fn resolve_path(dir: &str, path: &str) -> Option<String> {
    match path.strip_prefix('/') {
        Some(from_root) => normalize(from_root),
        None => join(dir.trim_end_matches('/'), path),
    }
}

/// `deal` + `../figures/` -> `figures/`; None when `..` climbs above the root.
pub fn join(dir: &str, path: &str) -> Option<String> {
    if dir.is_empty() {
        normalize(path)
    } else {
        normalize(&format!("{dir}/{path}"))
    }
}

/// Remove `.` and `..` segments, keeping a trailing `/`.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/') || path.ends_with("/.") || path == "." || path.is_empty();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut ends_in_dir = trailing;
    for (i, part) in segments.iter().enumerate() {
        match *part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
                if i == last {
                    ends_in_dir = true;
                }
            }
            part => parts.push(part),
        }
    }
    let mut joined = parts.join("/");
    if ends_in_dir && !joined.is_empty() {
        joined.push('/');
    }
    Some(joined)
}

/// `%C3%A9t%C3%A9` -> `été`; invalid escapes are kept as written.
pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An attribute value as the browser reads it: character references decoded.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 12).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Percent-encode what a URL path may not hold as is (`été/` -> `%C3%A9t%C3%A9/`).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_from_their_folder_or_the_root() {
        assert_eq!(
            resolve_path("deal/", "../figures/").as_deref(),
            Some("figures/")
        );
        assert_eq!(
            resolve_path("markets", "asia.md").as_deref(),
            Some("markets/asia.md")
        );
        assert_eq!(resolve_path("", "a/./b/../c.md").as_deref(), Some("a/c.md"));
        assert_eq!(
            resolve_path("deep/er/", "/img/x.png").as_deref(),
            Some("img/x.png")
        );
        assert_eq!(resolve_path("deal/", "../../etc/passwd"), None);
    }

    fn target(path: &str, fragment: Option<&str>) -> Target {
        Target::Internal {
            path: path.to_string(),
            fragment: fragment.map(str::to_string),
        }
    }

    #[test]
    fn resolves_like_a_browser() {
        let url = SiteUrl::new("https://example.com/brief/");
        assert_eq!(url.path, "/brief");
        let from = "deal/index.html";
        assert_eq!(
            resolve(&url, from, "../figures/#fig-x"),
            target("figures/", Some("fig-x"))
        );
        assert_eq!(
            resolve(&url, from, "#terms"),
            target("deal/", Some("terms"))
        );
        assert_eq!(
            resolve(&url, from, "../style.css?v=1"),
            target("style.css", None)
        );
        assert_eq!(resolve(&url, from, "../"), target("", None));
        assert_eq!(resolve(&url, from, ".."), target("", None));
        assert_eq!(resolve(&url, from, "/brief/deal/"), target("deal/", None));
        assert_eq!(resolve(&url, from, "/brief"), target("", None));
        assert_eq!(resolve(&url, from, "/other/"), Target::Outside);
        assert_eq!(resolve(&url, from, "../../x"), Target::Outside);
        assert_eq!(
            resolve(&url, from, "https://example.com/brief/deal/#a"),
            target("deal/", Some("a"))
        );
        assert_eq!(
            resolve(&url, from, "https://example.com/briefing2/"),
            Target::External
        );
        assert_eq!(
            resolve(&url, from, "//example.com/brief/x.png"),
            target("x.png", None)
        );
        assert_eq!(resolve(&url, from, "mailto:a@b.c"), Target::Ignored);
        assert_eq!(resolve(&url, from, "https://other.org/"), Target::External);
        assert_eq!(
            resolve(&url, from, "a%20b.png"),
            target("deal/a b.png", None)
        );
        assert_eq!(
            resolve(&url, "index.html", "#%C3%A9t%C3%A9"),
            target("", Some("été"))
        );
        let bare = SiteUrl::new("");
        assert_eq!(resolve(&bare, from, "/deal/"), target("deal/", None));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            decode_entities("a&amp;b&#x2F;c&#47;&quot;&bogus;"),
            "a&b/c/\"&bogus;"
        );
    }
}
