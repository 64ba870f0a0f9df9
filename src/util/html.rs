//! Shared: reading HTML and CSS for the URLs they refer to and the ids they define, in
//! one pass with lol_html (and a small CSS scanner that skips comments and strings).

use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;

use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use serde::{Deserialize, Serialize};

use crate::util::urls::{decode_entities, join, scheme};

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

/// The ids and the references of one HTML file. One handler looks at every element but
/// the spans of highlighted code (most elements of a page with code, and none of them a
/// link), which is faster than a selector per kind of reference on pages with many links.
/// A span can only hold an id or a style's URLs: those spans are looked at.
pub fn scan_html(html: &str) -> Scan {
    let scan = RefCell::new(Scan::default());
    let style = RefCell::new((usize::MAX, String::new()));
    let handlers = vec![
        element!(":not(span), span[id], span[style]", |el| {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Html,
    Css,
    Other,
}

pub fn kind_of(path: &str) -> FileKind {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    if ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm") {
        FileKind::Html
    } else if ext.eq_ignore_ascii_case("css") {
        FileKind::Css
    } else {
        FileKind::Other
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
    use super::*;

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
        assert_eq!(crate::util::error::line_col(html, refs[0].offset).0, 2);
        let s = &refs[5];
        assert_eq!(&html[s.offset..s.offset + 5], "s.png");
    }

    #[test]
    fn spans_are_read_only_for_their_ids_and_styles() {
        let html = "<span id=\"a\">x</span><span style=\"background: url(b.png)\">y</span>\
            <span id=\"c\" style=\"background: url(d.png)\">z</span><span class=\"hl-a\">q</span>\
            <SPAN ID=\"e\">upper</SPAN><span><a href=\"f/\">inside</a></span>";
        let Scan { ids, refs } = scan_html(html);
        assert_eq!(
            ids.iter()
                .map(String::as_str)
                .collect::<std::collections::BTreeSet<_>>(),
            ["a", "c", "e"].into_iter().collect()
        );
        let hrefs: Vec<&str> = refs.iter().map(|r| r.href.as_str()).collect();
        assert_eq!(hrefs, ["b.png", "d.png", "f/"], "each reference once");
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
