//! Checking: every link, anchor and image of the rendered site resolves, found in the
//! outputs in memory before anything is written; external links are listed, never fetched.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use rayon::prelude::*;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::content::Page;
use crate::error::{LineIndex, Problem, did_you_mean};
use crate::markdown::{self, LinkSite};
use crate::site::{FIGURES_URL, Site};

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

fn internal(path: &str, fragment: Option<String>) -> Target {
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
fn scheme(href: &str) -> Option<&str> {
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
fn page_path_of(output: &str) -> String {
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
fn join(dir: &str, path: &str) -> Option<String> {
    if dir.is_empty() {
        normalize(path)
    } else {
        normalize(&format!("{dir}/{path}"))
    }
}

/// Remove `.` and `..` segments, keeping a trailing `/`.
fn normalize(path: &str) -> Option<String> {
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

/// lol_html settings running `handlers`, in order, on one document.
pub(crate) fn with_handlers<'h>(
    handlers: Vec<(
        std::borrow::Cow<'static, lol_html::Selector>,
        lol_html::ElementContentHandlers<'h>,
    )>,
) -> RewriteStrSettings<'h, 'static> {
    handlers
        .into_iter()
        .fold(RewriteStrSettings::new(), |settings, handler| {
            settings.append_element_content_handler(handler)
        })
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

/// What a reference in a page is for, which decides how a missing target is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Link,
    Image,
    File,
}

/// What the raw text holding a reference is, which decides how it is rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// An attribute whose whole value is one URL.
    Attribute,
    /// A `srcset` attribute: URLs with descriptors.
    Srcset,
    /// A `style` attribute: CSS.
    StyleAttribute,
    /// The text of a `<style>` element: CSS.
    StyleText,
    /// A URL inside a stylesheet file.
    Css,
}

/// One URL found in an output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The URL as a browser reads it (character references decoded).
    pub href: String,
    pub kind: Kind,
    /// Byte offset of the element (or of the URL in CSS), for line and column.
    pub offset: usize,
    /// Byte range of the raw text the URL sits in (an attribute's value, a `<style>`'s
    /// text, or the URL itself in a stylesheet), to rewrite it in place.
    pub value: Range<usize>,
    pub form: Form,
}

/// The ids and references of one output file.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub ids: HashSet<String>,
    pub refs: Vec<Reference>,
}

/// What the link check needs of one output file, kept (and cached) after the file is
/// written: its ids, sorted, and its references without their places in the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLinks {
    pub ids: Vec<String>,
    pub refs: Vec<Link>,
}

/// A reference as the link check needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL as a browser reads it.
    pub href: String,
    pub kind: Kind,
    /// Byte offset of the element (or of the URL in CSS) in the file, before assets
    /// are renamed, for line and column.
    pub offset: usize,
}

impl FileLinks {
    pub fn of(scan: &Scan) -> FileLinks {
        let mut ids: Vec<String> = scan.ids.iter().cloned().collect();
        ids.sort_unstable();
        FileLinks {
            ids,
            refs: scan
                .refs
                .iter()
                .map(|r| Link {
                    href: r.href.clone(),
                    kind: r.kind,
                    offset: r.offset,
                })
                .collect(),
        }
    }

    fn has_id(&self, id: &str) -> bool {
        self.ids
            .binary_search_by(|probe| probe.as_str().cmp(id))
            .is_ok()
    }
}

/// One output file for the link check: its path in the output folder and its links.
#[derive(Debug, Clone)]
pub struct CheckFile<'a> {
    pub path: String,
    pub links: &'a FileLinks,
}

/// Meta tags whose `content` is a URL to check.
const URL_META: &[&str] = &[
    "og:url",
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "og:audio",
    "og:video",
    "twitter:image",
];

/// The ids and references of one output file: HTML, a stylesheet, or nothing to scan.
pub fn scan(path: &str, text: &str) -> Scan {
    match kind_of(path) {
        FileKind::Html => scan_html(text),
        FileKind::Css => Scan {
            ids: HashSet::new(),
            refs: css_urls(text)
                .into_iter()
                .map(|(range, href)| Reference {
                    href,
                    kind: Kind::File,
                    offset: range.start,
                    value: range,
                    form: Form::Css,
                })
                .collect(),
        },
        FileKind::Other => Scan::default(),
    }
}

/// The ids and the references of one HTML file. One handler looks at every element,
/// which is faster than a selector per kind of reference on pages with many links.
pub fn scan_html(html: &str) -> Scan {
    let scan = RefCell::new(Scan::default());
    let style = RefCell::new((usize::MAX, String::new()));
    let handlers = vec![
        element!("*", |el| {
            record_element(el, &mut scan.borrow_mut());
            Ok(())
        }),
        text!("style", |chunk| {
            let mut style = style.borrow_mut();
            if style.0 == usize::MAX {
                style.0 = chunk.source_location().bytes().start;
            }
            style.1.push_str(chunk.as_str());
            if chunk.last_in_text_node() {
                let start = style.0;
                let whole = start..start + style.1.len();
                for (range, href) in css_urls(&style.1) {
                    scan.borrow_mut().refs.push(Reference {
                        href,
                        kind: Kind::File,
                        offset: start + range.start,
                        value: whole.clone(),
                        form: Form::StyleText,
                    });
                }
                style.0 = usize::MAX;
                style.1.clear();
            }
            Ok(())
        }),
    ];
    let settings = with_handlers(handlers);
    let mut rewriter = lol_html::HtmlRewriter::new(settings.into(), |_: &[u8]| {});
    // lol_html reads any input a browser would; an error means a limit was hit, and
    // what was found up to there is still worth checking.
    match rewriter.write(html.as_bytes()) {
        Ok(()) => drop(rewriter.end()),
        Err(_) => drop(rewriter),
    }
    scan.into_inner()
}

fn record_element(el: &Element, scan: &mut Scan) {
    let offset = el.source_location().bytes().start;
    let tag = el.tag_name();
    let mut meta_name = String::new();
    let mut meta_content = None;
    let mut input_type = String::new();
    let mut input_src = None;
    for attr in el.attributes() {
        let name = attr.name();
        let Some(range) = attr.value_source_location().map(|l| l.bytes()) else {
            continue;
        };
        let raw = attr.value();
        let mut push = |kind: Kind, form: Form, href: String| {
            scan.refs.push(Reference {
                href,
                kind,
                offset,
                value: range.clone(),
                form,
            });
        };
        match (name.as_str(), tag.as_str()) {
            ("id", _) | ("name", "a") => {
                scan.ids.insert(decode_entities(&raw));
            }
            ("href", "a" | "area" | "link") => {
                push(Kind::Link, Form::Attribute, decode_entities(&raw))
            }
            ("src", "img" | "source") => push(Kind::Image, Form::Attribute, decode_entities(&raw)),
            ("src", "input") => input_src = Some((range, decode_entities(&raw))),
            ("src", "script" | "iframe" | "embed" | "track" | "audio" | "video") => {
                push(Kind::File, Form::Attribute, decode_entities(&raw));
            }
            ("srcset", "img" | "source") => {
                let value = decode_entities(&raw);
                for candidate in srcset_urls(&value) {
                    push(Kind::Image, Form::Srcset, candidate.to_string());
                }
            }
            ("poster", "video") => push(Kind::Image, Form::Attribute, decode_entities(&raw)),
            ("data", "object") => push(Kind::File, Form::Attribute, decode_entities(&raw)),
            ("style", _) => {
                for (_, url) in css_urls(&decode_entities(&raw)) {
                    push(Kind::File, Form::StyleAttribute, url);
                }
            }
            ("property" | "name", "meta") => meta_name = raw.to_ascii_lowercase(),
            ("content", "meta") => meta_content = Some((range, decode_entities(&raw))),
            ("type", "input") => input_type = raw.to_ascii_lowercase(),
            _ => {}
        }
    }
    if let Some((range, href)) = meta_content.filter(|_| URL_META.contains(&meta_name.as_str())) {
        let kind = if meta_name.contains("image") {
            Kind::Image
        } else {
            Kind::Link
        };
        scan.refs.push(Reference {
            href,
            kind,
            offset,
            value: range,
            form: Form::Attribute,
        });
    }
    if let Some((range, href)) = input_src.filter(|_| input_type == "image") {
        scan.refs.push(Reference {
            href,
            kind: Kind::Image,
            offset,
            value: range,
            form: Form::Attribute,
        });
    }
}

/// The URLs of a `srcset`: `a.png 1x, b.png 2x` -> `a.png`, `b.png`.
pub fn srcset_urls(srcset: &str) -> Vec<&str> {
    srcset
        .split(',')
        .filter_map(|candidate| candidate.split_whitespace().next())
        .collect()
}

/// Every `url(…)` and `@import "…"` of a stylesheet: the byte range of the URL text
/// (inside any quotes) and the URL. Comments are skipped.
pub fn css_urls(css: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let bytes = css.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = css[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            b'"' | b'\'' => {
                i = string_end(css, i).1;
            }
            // Bytes, not `str` slices: the next bytes may be inside a character (`微软雅黑`).
            b'u' | b'U' if starts_with_ignore_case(&bytes[i..], b"url(") => {
                let word_start = i == 0 || !is_ident_byte(bytes[i - 1]);
                let mut j = i + 4;
                if !word_start {
                    i += 1;
                    continue;
                }
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                let (start, end, next) = match bytes.get(j) {
                    Some(b'"' | b'\'') => {
                        let (end, close) = string_end(css, j);
                        (j + 1, end, close)
                    }
                    _ => {
                        let close = css[j..].find(')').map_or(bytes.len(), |e| j + e);
                        let mut end = close;
                        while end > j && bytes[end - 1].is_ascii_whitespace() {
                            end -= 1;
                        }
                        (j, end, close)
                    }
                };
                if start <= end {
                    found.push((start..end, css[start..end].to_string()));
                }
                i = next.max(i + 4);
            }
            b'@' if starts_with_ignore_case(&bytes[i..], b"@import") => {
                let mut j = i + 7;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if matches!(bytes.get(j), Some(b'"' | b'\'')) {
                    let (end, close) = string_end(css, j);
                    found.push((j + 1..end, css[j + 1..end].to_string()));
                    i = close;
                } else {
                    i = j;
                }
            }
            _ => i += 1,
        }
    }
    found
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Where the text of the string that starts with the quote at `start` ends, and the
/// index just past the string. An unclosed string ends at the end of its line.
fn string_end(css: &str, start: usize) -> (usize, usize) {
    let bytes = css.as_bytes();
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return (i, i + 1),
            b'\n' => return (i, i),
            _ => i += 1,
        }
    }
    (bytes.len(), bytes.len())
}

/// A link to another site, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalLink {
    pub url: String,
    /// `content/deal.md:12:3`, or the output file and line when no source is known;
    /// only the output file unless the check was asked to locate external links.
    pub location: String,
}

/// What a check of the rendered site found.
#[derive(Debug, Default)]
pub struct Report {
    /// Broken links, anchors and images, each at its source line where it can be traced.
    pub broken: Vec<Problem>,
    pub external: Vec<ExternalLink>,
    /// Links and images inside the site that were checked.
    pub internal: usize,
    /// What the next check may reuse of this one.
    pub memo: CheckMemo,
}

/// The results of a check for the files that had no broken link, so the next check
/// resolves only the links of files that changed. Valid only while every file of the
/// site and every id in them stays the same (`targets`); a file is reused when its links
/// are the same.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckMemo {
    targets: u128,
    files: HashMap<String, FileMemo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileMemo {
    links: u128,
    internal: usize,
    external: Vec<usize>,
}

/// Hash of every file's path and ids: what the links of any file may point at.
fn targets_key(files: &[CheckFile]) -> u128 {
    let mut key = crate::cache::Key::new();
    for file in files {
        key.add(&file.path).add(&file.links.ids);
    }
    key.finish()
}

fn links_key(links: &FileLinks) -> u128 {
    let mut key = crate::cache::Key::new();
    for link in &links.refs {
        key.add(&link.href).add(&link.kind).add(&link.offset);
    }
    key.finish()
}

/// Where the files of the output come from, to report problems in the user's files.
enum Origin<'a> {
    Page(&'a Page),
    Template(&'static str),
    Static(String),
    Generated,
}

/// Check every internal link, `#anchor` and image of the rendered `files`, and list the
/// external ones. Their links were scanned before assets got hashed names, so problems
/// point at the files as the user wrote them. `text_of` gives a file's text (before
/// renaming), asked only to place a problem or an external link that cannot be traced
/// to Markdown; `output_dir` is only for messages.
pub fn check(
    site: &Site,
    files: &[CheckFile],
    text_of: &(dyn Fn(usize) -> String + Sync),
    output_dir: &Path,
    locate_external: bool,
    memo: &CheckMemo,
) -> Report {
    let url = SiteUrl::new(&site.config.base_url);
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, o)| (o.path.as_str(), i))
        .collect();
    let pages_by_output: HashMap<String, &Page> =
        site.pages.iter().map(|p| (p.output_path(), p)).collect();
    let statics: HashSet<&str> = site.static_files.iter().map(|f| f.rel.as_str()).collect();
    let origin = |path: &str| -> Origin {
        if statics.contains(path) {
            Origin::Static(path.to_string())
        } else if let Some(page) = pages_by_output.get(path) {
            Origin::Page(page)
        } else if path == format!("{FIGURES_URL}index.html") {
            Origin::Template("figures.html")
        } else if path == "404.html" {
            Origin::Template("404.html")
        } else {
            Origin::Generated
        }
    };

    let mut report = Report::default();
    // Template links repeat on every page: one report per target, naming how many pages.
    let mut from_templates: BTreeMap<(String, Kind, String), (Problem, usize)> = BTreeMap::new();
    // Targets already reported at a Markdown line: the same link shown elsewhere (a
    // summary in a listing) is not reported again.
    let mut located: HashSet<String> = HashSet::new();
    let mut locator = Locator::new(site);
    let mut md_suggestions: HashMap<String, Option<String>> = HashMap::new();

    // Resolving is independent per file: in parallel. Tracing problems to their source
    // lines (which may render a page's Markdown again) is done in order after.
    let targets = targets_key(files);
    let found: Vec<(Found, u128)> = files
        .par_iter()
        .map(|file| {
            let links = links_key(file.links);
            let known = memo
                .files
                .get(&file.path)
                .filter(|known| memo.targets == targets && known.links == links);
            let found = match known {
                Some(known) => Found {
                    internal: known.internal,
                    external: known.external.clone(),
                    broken: Vec::new(),
                },
                None => find_problems(&url, &index, files, file),
            };
            (found, links)
        })
        .collect();
    report.memo.targets = targets;
    let found: Vec<Found> = files
        .iter()
        .zip(found)
        .map(|(file, (found, links))| {
            if found.broken.is_empty() {
                report.memo.files.insert(
                    file.path.clone(),
                    FileMemo {
                        links,
                        internal: found.internal,
                        external: found.external.clone(),
                    },
                );
            }
            found
        })
        .collect();

    for (number, (output, found)) in files.iter().zip(found).enumerate() {
        report.internal += found.internal;
        if found.external.is_empty() && found.broken.is_empty() {
            continue;
        }
        let refs = &output.links.refs;
        let text_cell = std::cell::OnceCell::new();
        let text = || text_cell.get_or_init(|| text_of(number)).as_str();
        let lines_cell = std::cell::OnceCell::new();
        let lines = || lines_cell.get_or_init(|| LineIndex::new(text()));
        let origin = origin(&output.path);
        // Where each link of a page is written in its Markdown, found once per page.
        let places_cell = std::cell::OnceCell::new();
        let mut places = || {
            places_cell.get_or_init(|| match &origin {
                Origin::Page(page) => Places::new(page, locator.sites(page)),
                _ => Places::default(),
            })
        };
        for i in found.external {
            let reference = &refs[i];
            let location = if locate_external {
                match &origin {
                    Origin::Page(page) => places().first(page, &reference.href),
                    _ => None,
                }
                .unwrap_or_else(|| {
                    let (line, column) = lines().line_col(reference.offset);
                    match &origin {
                        Origin::Static(rel) => format!("static/{rel}:{line}:{column}"),
                        _ => format!(
                            "{}:{line}:{column}",
                            output_dir.join(&output.path).display()
                        ),
                    }
                })
            } else {
                output.path.clone()
            };
            report.external.push(ExternalLink {
                url: reference.href.clone(),
                location,
            });
        }
        // One problem per place: a link written three times is three problems, found
        // once each (not three times three).
        let mut seen_hrefs: HashSet<&str> = HashSet::new();
        for broken in found.broken {
            let Broken {
                reference,
                title,
                message,
                help,
                target,
            } = broken;
            let at_offset = || lines().line_col(reference.offset);
            let (message, help) = match &origin {
                Origin::Page(page) => {
                    md_link_problem(site, page, &reference.href, &mut md_suggestions)
                        .unwrap_or((format!("{title} {message}"), help))
                }
                _ => (format!("{title} {message}"), help),
            };
            let with_help = |problem: Problem| match &help {
                Some(help) => problem.help(help.clone()),
                None => problem,
            };
            match &origin {
                Origin::Page(page) => {
                    let written = places().all(&reference.href);
                    if !written.is_empty() {
                        located.extend(target);
                        if seen_hrefs.insert(&reference.href) {
                            for &(line, column) in written {
                                report.broken.push(with_help(
                                    Problem::new(&page.path, message.clone()).at(line, column),
                                ));
                            }
                        }
                        continue;
                    }
                    if let Some((line, column)) = places().in_raw_html(page, &reference.href) {
                        located.extend(target);
                        report.broken.push(with_help(
                            Problem::new(&page.path, message).at(line, column),
                        ));
                        continue;
                    }
                    let (line, column) = at_offset();
                    let template = page.template().to_string();
                    let written_by = format!(
                        "the link is written by the template {template} (or one it extends), not by {}",
                        page.path.display()
                    );
                    let problem = Problem::new(output_dir.join(&output.path), message.clone())
                        .at(line, column)
                        .help(match &help {
                            Some(help) => format!("{help}; {written_by}"),
                            None => written_by,
                        });
                    let key = (template, reference.kind, target.unwrap_or(message));
                    from_templates.entry(key).or_insert((problem, 0)).1 += 1;
                }
                Origin::Static(rel) => {
                    let (line, column) = at_offset();
                    report.broken.push(with_help(
                        Problem::new(Path::new("static").join(rel), message).at(line, column),
                    ));
                }
                Origin::Template(name) => {
                    let (line, column) = at_offset();
                    report.broken.push(with_help(
                        Problem::new(output_dir.join(&output.path), message)
                            .at(line, column)
                            .help(format!(
                                "{}the link is written by the template {name} (or one it extends)",
                                help.as_deref().map_or(String::new(), |h| format!("{h}; "))
                            )),
                    ));
                }
                Origin::Generated => {
                    let (line, column) = at_offset();
                    report.broken.push(with_help(
                        Problem::new(output_dir.join(&output.path), message).at(line, column),
                    ));
                }
            }
        }
    }
    for ((_, _, target), (mut problem, pages)) in from_templates {
        if located.contains(&target) {
            continue;
        }
        if pages > 1 {
            problem.message.push_str(&format!(
                " (and on {} other page{})",
                pages - 1,
                if pages == 2 { "" } else { "s" }
            ));
        }
        report.broken.push(problem);
    }
    // The same place can be reached twice (a summary shown in a listing repeats its
    // page's links): each problem is reported once.
    let mut reported: HashSet<(std::path::PathBuf, usize, usize, String)> = HashSet::new();
    report
        .broken
        .retain(|p| reported.insert((p.path.clone(), p.line, p.column, p.message.clone())));
    report
        .external
        .sort_by(|a, b| a.url.cmp(&b.url).then(a.location.cmp(&b.location)));
    report
}

/// Where the links of one page are written in its Markdown: by destination, every
/// place (line, column) in the order written.
#[derive(Default)]
struct Places {
    by_href: HashMap<String, Vec<(usize, usize)>>,
    /// `href="…"`/`src="…"` values in the page's raw HTML, found on first need.
    raw: std::cell::OnceCell<HashMap<String, (usize, usize)>>,
}

impl Places {
    fn new(_page: &Page, sites: Vec<LinkSite>) -> Places {
        let mut by_href: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for site in sites {
            by_href
                .entry(percent_decode(&site.href))
                .or_default()
                .push((site.line, site.column));
        }
        Places {
            by_href,
            raw: std::cell::OnceCell::new(),
        }
    }

    fn all(&self, href: &str) -> &[(usize, usize)] {
        self.by_href
            .get(&percent_decode(href))
            .map_or(&[], Vec::as_slice)
    }

    fn first(&self, page: &Page, href: &str) -> Option<String> {
        let (line, column) = self
            .all(href)
            .first()
            .copied()
            .or_else(|| self.in_raw_html(page, href))?;
        Some(format!("{}:{line}:{column}", page.path.display()))
    }

    /// The place of `href` as an attribute value in raw HTML of the page's Markdown
    /// (which the Markdown renderer does not see as a link). One scan of the page finds
    /// every such value, so many links cost one pass, not one search each.
    fn in_raw_html(&self, page: &Page, href: &str) -> Option<(usize, usize)> {
        let raw = self.raw.get_or_init(|| {
            let lines = LineIndex::new(&page.body);
            let mut raw = HashMap::new();
            let body = page.body.as_str();
            for attribute in ["href=", "src="] {
                for (at, _) in body.match_indices(attribute) {
                    let rest = &body[at + attribute.len()..];
                    let value = match rest.chars().next() {
                        Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next(),
                        _ => rest.split(|c: char| c.is_whitespace() || c == '>').next(),
                    };
                    if let Some(value) = value {
                        let (line, column) = lines.line_col(at);
                        raw.entry(percent_decode(&decode_entities(value)))
                            .or_insert((line + page.body_line - 1, column));
                    }
                }
            }
            raw
        });
        raw.get(&percent_decode(href)).copied()
    }
}

/// For a broken link to a `.md` file written in a page: the message and hint of a link
/// to Markdown that is not a page of the site, with the likely page meant. Suggestions
/// are looked for once per target, and for at most [`SUGGESTIONS`] targets a build.
fn md_link_problem(
    site: &Site,
    page: &Page,
    href: &str,
    suggestions: &mut HashMap<String, Option<String>>,
) -> Option<(String, Option<String>)> {
    let path = href.split(['#', '?']).next().unwrap_or(href);
    if !path.ends_with(".md") || scheme(path).is_some() || path.starts_with("//") {
        return None;
    }
    let path = percent_decode(path);
    let dir = page.rel.rsplit_once('/').map_or("", |(dir, _)| dir);
    let target = resolve_path(dir, &path).unwrap_or_else(|| path.clone());
    let known = suggestions.len() < SUGGESTIONS || suggestions.contains_key(&target);
    let suggestion = if known {
        suggestions
            .entry(target.clone())
            .or_insert_with(|| {
                did_you_mean(&target, site.pages.iter().map(|p| p.rel.as_str())).map(str::to_string)
            })
            .clone()
    } else {
        None
    };
    let help = match suggestion {
        Some(near) => format!("did you mean `{near}`? (paths are relative to this file)"),
        None => "link to a .md file inside content/, relative to this file".to_string(),
    };
    Some((
        format!("broken link: `{path}` is not a page of this site"),
        Some(help),
    ))
}

/// How many distinct broken targets get a "did you mean" (each costs a comparison with
/// every page of the site; a page with thousands of broken links must not cost millions).
const SUGGESTIONS: usize = 64;

/// What resolving the references of one file found.
struct Found<'r> {
    internal: usize,
    /// Indexes of external references.
    external: Vec<usize>,
    broken: Vec<Broken<'r>>,
}

fn find_problems<'r>(
    url: &SiteUrl,
    index: &HashMap<&str, usize>,
    files: &[CheckFile],
    output: &'r CheckFile,
) -> Found<'r> {
    let mut found = Found {
        internal: 0,
        external: Vec::new(),
        broken: Vec::new(),
    };
    for (i, reference) in output.links.refs.iter().enumerate() {
        match resolve(url, &output.path, &reference.href) {
            Target::Ignored => {}
            Target::External => found.external.push(i),
            Target::Outside => found.broken.push(Broken {
                reference,
                title: "broken link",
                message: format!(
                    "`{}` leads outside the site, which is published under `{}/`",
                    reference.href, url.path
                ),
                help: Some(format!(
                    "write the link relative to this page, or root-relative as `{}/…`; set base_url in briefing.yaml to where the site is published",
                    url.path
                )),
                target: None,
            }),
            Target::Internal { path, fragment } => {
                found.internal += 1;
                if output.path == "404.html"
                    && !reference.href.starts_with('#')
                    && !reference.href.starts_with('/')
                    && scheme(&reference.href).is_none()
                {
                    found.broken.push(Broken {
                        reference,
                        title: "broken link",
                        message: format!(
                            "relative link `{}` in 404.html: that page is served at any missing URL, where a relative link points elsewhere",
                            reference.href
                        ),
                        help: Some(format!(
                            "use a root-relative link (`{}/…`); the built-in 404 template's `root` is root-relative",
                            url.path
                        )),
                        target: None,
                    });
                    continue;
                }
                if let Some((title, message, help)) = missing(
                    index,
                    files,
                    &path,
                    fragment.as_deref(),
                    reference,
                    url,
                ) {
                    let target = format!("{path}#{}", fragment.as_deref().unwrap_or(""));
                    found.broken.push(Broken {
                        reference,
                        title,
                        message,
                        help,
                        target: Some(target),
                    });
                }
            }
        }
    }
    found
}

/// A reference that does not resolve, before it is traced to a source line.
struct Broken<'r> {
    reference: &'r Link,
    title: &'static str,
    message: String,
    help: Option<String>,
    /// `path#fragment` it points at, to report a link shown on many pages once.
    target: Option<String>,
}

/// Why an internal target is missing, with a hint; None when it exists.
fn missing(
    index: &HashMap<&str, usize>,
    files: &[CheckFile],
    path: &str,
    fragment: Option<&str>,
    reference: &Link,
    url: &SiteUrl,
) -> Option<(&'static str, String, Option<String>)> {
    let found = if path.is_empty() || path.ends_with('/') {
        index.get(format!("{path}index.html").as_str())
    } else {
        index
            .get(path)
            .or_else(|| index.get(format!("{path}/index.html").as_str()))
    };
    let Some(&target) = found else {
        let shown = url.root_relative(path);
        let help = match reference.kind {
            Kind::Image | Kind::File => format!(
                "put the file at static/{path}, or correct the path: a relative path starts from the URL of the page it is on, and static/x.png is published as {}",
                url.root_relative("x.png")
            ),
            Kind::Link => {
                let candidates = files.iter().map(|o| page_path_of(&o.path));
                let candidates: Vec<String> = candidates.collect();
                match did_you_mean(path, candidates.iter().map(String::as_str)) {
                    Some(near) => format!("did you mean `{}`?", url.root_relative(near)),
                    None => "link to a page of the site (a relative link starts from the URL of the page it is on); to link to a Markdown file, write its .md path".to_string(),
                }
            }
        };
        let title = match reference.kind {
            Kind::Link => "broken link",
            Kind::Image => "missing image",
            Kind::File => "missing file",
        };
        return Some((
            title,
            format!("`{}`: there is nothing at `{shown}`", reference.href),
            Some(help),
        ));
    };
    let fragment = fragment.filter(|f| !f.is_empty() && !f.starts_with(":~:"))?;
    let is_html = matches!(kind_of(&files[target].path), FileKind::Html);
    let links = &files[target].links;
    if !is_html || links.has_id(fragment) || fragment == "top" {
        return None;
    }
    let page = url.root_relative(&page_path_of(&files[target].path));
    let help = match did_you_mean(fragment, links.ids.iter().map(String::as_str)) {
        Some(near) => format!("did you mean `#{near}`?"),
        None => "a heading's id is its text in lower case with words joined by `-` (`## The cost` -> `#the-cost`); set one with `## Title {#id}`".to_string(),
    };
    Some((
        "broken anchor",
        format!(
            "`{}`: {page} has no element with id `{fragment}`",
            reference.href
        ),
        Some(help),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Html,
    Css,
    Other,
}

fn kind_of(path: &str) -> FileKind {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    if ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm") {
        FileKind::Html
    } else if ext.eq_ignore_ascii_case("css") {
        FileKind::Css
    } else {
        FileKind::Other
    }
}

/// Renders a page's Markdown again, only for pages with a broken link, to learn the
/// source line of every link in it (rendering is pure, so it gives the same links).
struct Locator<'a> {
    site: &'a Site,
    page_urls: Option<HashMap<String, String>>,
}

impl<'a> Locator<'a> {
    fn new(site: &'a Site) -> Self {
        Locator {
            site,
            page_urls: None,
        }
    }

    fn sites(&mut self, page: &Page) -> Vec<LinkSite> {
        let site = self.site;
        let page_urls = self.page_urls.get_or_insert_with(|| {
            site.pages
                .iter()
                .map(|p| (p.rel.clone(), p.url.clone()))
                .collect()
        });
        // A broken page gives no sites: its problems are reported by the build itself.
        let (body, summary) = markdown::render_page(page, &site.figures, page_urls, None);
        body.into_iter()
            .chain(summary.and_then(Result::ok))
            .flat_map(|r| r.links)
            .collect()
    }
}

/// Marks where the path back to the site root goes in HTML shown on many pages (a
/// page's summary in listings); each page replaces it with its own `root`.
pub const ROOT_MARK: &str = "\u{E000}briefing-root\u{E000}";

/// Make the relative links of `html`, written for the page at `page_url`, work on any
/// page: each becomes [`ROOT_MARK`] followed by its path from the site root.
pub fn rebase_to_root(html: &str, page_url: &str) -> String {
    if !html.contains("href") && !html.contains("src") {
        return html.to_string();
    }
    let from = format!("{page_url}index.html");
    let rebase = |value: &str| -> Option<String> {
        let href = decode_entities(value);
        if href.starts_with('/') || href.starts_with("//") || scheme(&href).is_some() {
            return None;
        }
        let (rest, fragment) = match href.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (href.as_str(), None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
        let joined = if path.is_empty() {
            page_url.to_string()
        } else {
            join(dir, path)?
        };
        let mut out = format!("{ROOT_MARK}{joined}");
        if let Some(query) = query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
        Some(out.replace('&', "&amp;"))
    };
    let rewritten = rewrite_str(
        html,
        with_handlers(vec![element!("[href], [src]", |el| {
            for attr in ["href", "src"] {
                if let Some(new) = el.get_attribute(attr).and_then(|v| rebase(&v)) {
                    el.set_attribute(attr, &new)?;
                }
            }
            Ok(())
        })]),
    );
    rewritten.unwrap_or_else(|_| html.to_string())
}

/// Put the page's own way back to the root where [`rebase_to_root`] marked it.
pub fn fill_root(html: String, root: &str) -> String {
    if html.contains(ROOT_MARK) {
        html.replace(ROOT_MARK, root)
    } else {
        html
    }
}

#[cfg(test)]
mod tests {

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

    use super::*;

    fn internal(path: &str, fragment: Option<&str>) -> Target {
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
            internal("figures/", Some("fig-x"))
        );
        assert_eq!(
            resolve(&url, from, "#terms"),
            internal("deal/", Some("terms"))
        );
        assert_eq!(
            resolve(&url, from, "../style.css?v=1"),
            internal("style.css", None)
        );
        assert_eq!(resolve(&url, from, "../"), internal("", None));
        assert_eq!(resolve(&url, from, ".."), internal("", None));
        assert_eq!(resolve(&url, from, "/brief/deal/"), internal("deal/", None));
        assert_eq!(resolve(&url, from, "/brief"), internal("", None));
        assert_eq!(resolve(&url, from, "/other/"), Target::Outside);
        assert_eq!(resolve(&url, from, "../../x"), Target::Outside);
        assert_eq!(
            resolve(&url, from, "https://example.com/brief/deal/#a"),
            internal("deal/", Some("a"))
        );
        assert_eq!(
            resolve(&url, from, "https://example.com/briefing2/"),
            Target::External
        );
        assert_eq!(
            resolve(&url, from, "//example.com/brief/x.png"),
            internal("x.png", None)
        );
        assert_eq!(resolve(&url, from, "mailto:a@b.c"), Target::Ignored);
        assert_eq!(resolve(&url, from, "https://other.org/"), Target::External);
        assert_eq!(
            resolve(&url, from, "a%20b.png"),
            internal("deal/a b.png", None)
        );
        assert_eq!(
            resolve(&url, "index.html", "#%C3%A9t%C3%A9"),
            internal("", Some("été"))
        );
        let bare = SiteUrl::new("");
        assert_eq!(resolve(&bare, from, "/deal/"), internal("deal/", None));
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            decode_entities("a&amp;b&#x2F;c&#47;&quot;&bogus;"),
            "a&b/c/\"&bogus;"
        );
    }

    #[test]
    fn html_scan_finds_ids_links_images_and_css_urls() {
        let html = "<h2 id=\"a\">A</h2><a name=\"old\"></a>\n<a href=\"x/#a\">x</a><img src=\"i.png\" srcset=\"i.png 1x, i2.png 2x\">\
            <div style=\"background: url('bg.png')\"></div><style>p { background: url(s.png) }</style>\
            <meta property=\"og:url\" content=\"https://e.org/\"><meta name=\"description\" content=\"not a url\">";
        let Scan { ids, refs } = scan_html(html);
        assert!(ids.contains("a") && ids.contains("old"));
        let hrefs: Vec<(&str, Kind)> = refs.iter().map(|r| (r.href.as_str(), r.kind)).collect();
        assert_eq!(
            hrefs,
            [
                ("x/#a", Kind::Link),
                ("i.png", Kind::Image),
                ("i.png", Kind::Image),
                ("i2.png", Kind::Image),
                ("bg.png", Kind::File),
                ("s.png", Kind::File),
                ("https://e.org/", Kind::Link),
            ]
        );
        assert_eq!(crate::error::line_col(html, refs[0].offset).0, 2);
        let s = &refs[5];
        assert_eq!(&html[s.offset..s.offset + 5], "s.png");
    }

    #[test]
    fn css_urls_skip_comments_and_keep_ranges() {
        let css = "/* url(no.png) */ a { b: url( \"f.woff2\" ) } @import 'x.css'; c { d: url(e.svg#i) } .curl(x) {}";
        let urls: Vec<String> = css_urls(css).into_iter().map(|(_, u)| u).collect();
        assert_eq!(urls, ["f.woff2", "x.css", "e.svg#i"]);
        for (range, url) in css_urls(css) {
            assert_eq!(&css[range], url);
        }
    }

    #[test]
    fn css_urls_read_text_that_is_not_ascii() {
        let css = "a { font: Ubuntu, 微软雅黑; b: url(\"微.png\") } @import '宋体\nc { d: url('字";
        let urls: Vec<String> = css_urls(css).into_iter().map(|(_, u)| u).collect();
        assert_eq!(
            urls,
            ["微.png", "宋体", "字"],
            "an unclosed string ends at its line's end"
        );
    }

    #[test]
    fn summaries_are_rebased_to_the_root() {
        let html = "<p><a href=\"../figures/#fig-x\">x</a> <a href=\"#part\">p</a> <a href=\"https://e.org/\">e</a></p>";
        let rebased = rebase_to_root(html, "deal/");
        assert_eq!(
            fill_root(rebased.clone(), ""),
            "<p><a href=\"figures/#fig-x\">x</a> <a href=\"deal/#part\">p</a> <a href=\"https://e.org/\">e</a></p>"
        );
        assert!(fill_root(rebased, "../").contains("href=\"../deal/#part\""));
    }
}
