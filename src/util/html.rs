//! Shared: reading HTML and CSS for the URLs they refer to and the ids they define, in
//! one pass: plain HTML by [`tags`], any other page by lol_html, and CSS by a small
//! scanner that skips comments and strings.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;

use lol_html::html_content::Element;
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use serde::{Deserialize, Serialize};

use crate::util::tags::{self, Event, Unhandled};
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
    scan_skipping(path, text, &[])
}

/// [`scan`], not reading the byte ranges `skip` of an HTML file (see
/// [`scan_html_skipping`]).
pub fn scan_skipping(path: &str, text: &str, skip: &[Range<usize>]) -> Scan {
    match kind_of(path) {
        FileKind::Html => scan_html_skipping(text, skip),
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

/// The ids and the references of one HTML file: by [`tags::read`] if the page is plain
/// HTML (most pages), else by lol_html.
pub fn scan_html(html: &str) -> Scan {
    scan_html_skipping(html, &[])
}

/// [`scan_html`] without reading the bytes in `skip`: the insides of `<code>` elements
/// that the caller knows hold nothing but text and spans without an id or a style, whole
/// (highlighted code, half the bytes of a page with code). A range is skipped only where
/// the scan has just read a `<code>` start tag ending where the range starts, so the
/// reading goes on as it would have after the range: what is found is what [`scan_html`]
/// finds, at the same offsets. Ranges out of order or past the end are all read.
pub fn scan_html_skipping(html: &str, skip: &[Range<usize>]) -> Scan {
    let in_order = skip
        .iter()
        .try_fold(0, |from, hole| {
            (from <= hole.start && hole.start <= hole.end && hole.end <= html.len())
                .then_some(hole.end)
        })
        .is_some();
    let skip = if in_order { skip } else { &[] };
    scan_plain_html(html, skip).unwrap_or_else(|Unhandled| scan_html_by_lol_html(html, skip))
}

/// [`scan_html_skipping`] by [`tags::read`], for a page of plain HTML: a quarter of
/// lol_html's time on the bench pages (lol_html builds an element, its attribute list and
/// a selector match for every tag), a twentieth of a cold build.
fn scan_plain_html(html: &str, skip: &[Range<usize>]) -> Result<Scan, Unhandled> {
    let mut scan = Scan::default();
    tags::read(html, skip, |event| match event {
        Event::Start {
            tag,
            name,
            attributes,
        } => {
            let attributes = attributes.iter().filter_map(|attribute| {
                let value = attribute.value.as_ref()?;
                let name = lowercase(&html[attribute.name.clone()]);
                Some((name, value.clone(), || Cow::Borrowed(&html[value.clone()])))
            });
            record_element(&lowercase(name), tag.start, attributes, &mut scan);
        }
        Event::StyleText(text) => record_style(&html[text.clone()], text.start, &mut scan),
    })?;
    Ok(scan)
}

/// [`scan_html_skipping`] by lol_html, for any page; public (hidden) for the properties
/// that hold the plain reader to it. One handler looks at every element but the spans of
/// highlighted code (none of them a link): faster than a selector per kind of reference
/// on pages with many links. A span can only hold an id or a style's URLs: those spans
/// are looked at.
#[doc(hidden)]
pub fn scan_html_by_lol_html(html: &str, skip: &[Range<usize>]) -> Scan {
    let scan = RefCell::new(Scan::default());
    let style = RefCell::new((usize::MAX, String::new()));
    // Where the last `<code>` start tag read ends, in the bytes read.
    let code_opened = std::cell::Cell::new(usize::MAX);
    let source = Source {
        html,
        skipped: std::cell::Cell::new(0),
    };
    let handlers = vec![
        element!(":not(span), span[id], span[style]", |el| {
            let tag = source.tag_name(el);
            if tag == "code" {
                code_opened.set(el.source_location().bytes().end);
            }
            let attributes = el.attributes().iter().filter_map(|attr| {
                let range = attr.value_source_location()?.bytes();
                Some((source.name(attr), range, || source.value(attr)))
            });
            let offset = el.source_location().bytes().start;
            record_element(&tag, offset, attributes, &mut scan.borrow_mut());
            Ok(())
        }),
        text!("style", |chunk| {
            let mut style = style.borrow_mut();
            if style.0 == usize::MAX {
                style.0 = chunk.source_location().bytes().start;
            }
            style.1.push_str(chunk.as_str());
            if chunk.last_in_text_node() {
                record_style(&style.1, style.0, &mut scan.borrow_mut());
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
    let bytes = html.as_bytes();
    let mut skipped = Vec::new();
    let mut from = 0;
    let mut written = Ok(());
    for hole in skip {
        written = rewriter.write(&bytes[from..hole.start]);
        if written.is_err() {
            break;
        }
        from = hole.start;
        // Offsets lol_html gives are in the bytes it was fed.
        if code_opened.get() == hole.start - source.skipped.get() {
            skipped.push(hole.clone());
            source.skipped.set(source.skipped.get() + hole.len());
            from = hole.end;
            // One `<code>` start tag opens one range: a range that starts where this one
            // ended is read.
            code_opened.set(usize::MAX);
        }
    }
    if written.is_ok() {
        written = rewriter.write(&bytes[from..]);
    }
    match written {
        Ok(()) => drop(rewriter.end()),
        Err(_) => drop(rewriter),
    }
    let mut scan = scan.into_inner();
    if !skipped.is_empty() {
        let skipped = Skipped::new(&skipped);
        for reference in &mut scan.refs {
            reference.offset = skipped.start(reference.offset);
            reference.value =
                skipped.start(reference.value.start)..skipped.end(reference.value.end);
        }
    }
    scan
}

/// The URLs of a `<style>` element's `text`, which starts at `start`.
fn record_style(text: &str, start: usize, scan: &mut Scan) {
    let whole = start..start + text.len();
    for (range, href) in css_urls(text) {
        scan.refs.push(Reference {
            href,
            kind: Kind::File,
            offset: start + range.start,
            value: whole.clone(),
            form: Form::StyleText,
        });
    }
}

/// Turns offsets in the bytes a scan read back into offsets in the whole text.
struct Skipped {
    /// For each skipped range: where it was in the bytes read, and the bytes skipped up
    /// to and with it.
    holes: Vec<(usize, usize)>,
}

impl Skipped {
    fn new(skip: &[Range<usize>]) -> Self {
        let mut skipped = 0;
        let holes = skip
            .iter()
            .map(|hole| {
                let read_at = hole.start - skipped;
                skipped += hole.len();
                (read_at, skipped)
            })
            .collect();
        Skipped { holes }
    }

    /// Where something that starts at `read` was: after every range skipped at or
    /// before it.
    fn start(&self, read: usize) -> usize {
        read + self.skipped_before(self.holes.partition_point(|&(at, _)| at <= read))
    }

    /// Where something that ends at `read` was: after every range skipped before it.
    fn end(&self, read: usize) -> usize {
        read + self.skipped_before(self.holes.partition_point(|&(at, _)| at < read))
    }

    fn skipped_before(&self, holes: usize) -> usize {
        holes.checked_sub(1).map_or(0, |last| self.holes[last].1)
    }
}

/// The page being scanned, to read tag and attribute names and values where lol_html
/// found them instead of as copies of its own (a copy, a UTF-8 check and a lowercasing
/// per attribute: about a tenth of the scan's time).
struct Source<'h> {
    html: &'h str,
    /// The bytes of the page left out so far: what lol_html reads at `n` is at
    /// `n + skipped` in the page (a handler runs on an element past every range skipped
    /// so far, and before any range after it).
    skipped: std::cell::Cell<usize>,
}

impl<'h> Source<'h> {
    fn text(&self, location: lol_html::html_content::SourceLocation) -> Option<&'h str> {
        let range = location.bytes();
        let skipped = self.skipped.get();
        self.html.get(range.start + skipped..range.end + skipped)
    }

    /// The element's tag name, ASCII-lowercased, as lol_html gives it.
    fn tag_name(&self, el: &Element) -> Cow<'h, str> {
        let name = self.text(el.source_location()).and_then(|tag| {
            let name = tag.strip_prefix('<')?;
            let end = name
                .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
                .unwrap_or(name.len());
            Some(&name[..end])
        });
        match name {
            Some(name) if !name.is_empty() => lowercase(name),
            _ => Cow::Owned(el.tag_name()),
        }
    }

    /// An attribute's name, ASCII-lowercased, as lol_html gives it.
    fn name(&self, attr: &lol_html::html_content::Attribute) -> Cow<'h, str> {
        match attr.name_source_location().and_then(|l| self.text(l)) {
            Some(name) => lowercase(name),
            None => Cow::Owned(attr.name()),
        }
    }

    /// An attribute's raw value (character references not decoded).
    fn value(&self, attr: &lol_html::html_content::Attribute) -> Cow<'h, str> {
        match attr.value_source_location().and_then(|l| self.text(l)) {
            Some(value) => Cow::Borrowed(value),
            None => Cow::Owned(attr.value()),
        }
    }
}

fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Records the ids and references of the start tag `tag` at `offset`, given its
/// attributes that have a value: name (ASCII-lowercased), the value's range, and a way to
/// read the raw value (most attributes, classes, titles, ARIA, are never read).
fn record_element<'h, R: Fn() -> Cow<'h, str>>(
    tag: &str,
    offset: usize,
    attributes: impl Iterator<Item = (Cow<'h, str>, Range<usize>, R)>,
    scan: &mut Scan,
) {
    let mut meta_name = String::new();
    let mut meta_content = None;
    let mut input_type = String::new();
    let mut input_src = None;
    for (name, range, raw) in attributes {
        let mut push = |kind: Kind, form: Form, href: String| {
            scan.refs.push(Reference {
                href,
                kind,
                offset,
                value: range.clone(),
                form,
            });
        };
        match (&*name, tag) {
            ("id", _) | ("name", "a") => {
                scan.ids.insert(decode_entities(&raw()));
            }
            ("href", "a" | "area" | "link") => {
                push(Kind::Link, Form::Attribute, decode_entities(&raw()))
            }
            ("src", "img" | "source") => {
                push(Kind::Image, Form::Attribute, decode_entities(&raw()))
            }
            ("src", "input") => input_src = Some((range, decode_entities(&raw()))),
            ("src", "script" | "iframe" | "embed" | "track" | "audio" | "video") => {
                push(Kind::File, Form::Attribute, decode_entities(&raw()));
            }
            ("srcset", "img" | "source") => {
                let value = decode_entities(&raw());
                for candidate in srcset_urls(&value) {
                    push(Kind::Image, Form::Srcset, candidate.to_string());
                }
            }
            ("poster", "video") => push(Kind::Image, Form::Attribute, decode_entities(&raw())),
            ("data", "object") => push(Kind::File, Form::Attribute, decode_entities(&raw())),
            ("style", _) => {
                for (_, url) in css_urls(&decode_entities(&raw())) {
                    push(Kind::File, Form::StyleAttribute, url);
                }
            }
            ("property" | "name", "meta") => meta_name = raw().to_ascii_lowercase(),
            ("content", "meta") => meta_content = Some((range, decode_entities(&raw()))),
            ("type", "input") => input_type = raw().to_ascii_lowercase(),
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

    /// Each element's tag name and each attribute's name and value as [`Source`] reads
    /// them from the page, and as lol_html's own copies give them.
    fn readings(html: &str) -> (Vec<String>, Vec<String>) {
        let source = Source {
            html,
            skipped: std::cell::Cell::new(0),
        };
        let read = RefCell::new((Vec::new(), Vec::new()));
        let settings = with_handlers(vec![element!("*", |el| {
            let mut read = read.borrow_mut();
            read.0.push(source.tag_name(el).into_owned());
            read.1.push(el.tag_name());
            for attr in el.attributes() {
                read.0
                    .push(format!("{}={}", source.name(attr), source.value(attr)));
                read.1.push(format!("{}={}", attr.name(), attr.value()));
            }
            Ok(())
        })]);
        let _ = rewrite_str(html, settings);
        read.into_inner()
    }

    #[test]
    fn names_and_values_are_read_from_the_page_as_lol_html_reads_them() {
        let html = "<A HREF='x.html' Title=\"É&amp;\">a</A><IMG\nSRC=pic.png/><a/href=\"y\">\
            <svg viewBox=\"0 0 1 1\"><foreignObject></foreignObject></svg><p hidden id=é>\
            <input type=IMAGE src=\"b.png\"><br/><x-Tag data-X=1>";
        let (ours, theirs) = readings(html);
        assert!(ours.contains(&"href=x.html".to_string()), "{ours:?}");
        assert!(ours.contains(&"foreignobject".to_string()), "{ours:?}");
        assert_eq!(ours, theirs);
    }

    proptest::proptest! {
        #[test]
        fn names_and_values_of_any_markup_are_read_as_lol_html_reads_them(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "<", ">", "/", "=", "\"", "'", " ", "\n", "a", "A", "href", "SRC", "id", "é",
                "<!--", "-->", "<script>", "</script>", "<textarea>", "<style>", "&amp;", "x=y",
                "<a ", "<IMG ", "<svg>", "<math>", "<![CDATA[", "]]>", "<!DOCTYPE html>",
            ]), 0..60)
        ) {
            let html = parts.concat();
            let (ours, theirs) = readings(&html);
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    /// The plain-HTML reader's scan of `html`, if it takes the page, checked against
    /// lol_html's.
    fn plain_agrees_with_lol_html(
        html: &str,
        skip: &[Range<usize>],
    ) -> Result<bool, proptest::test_runner::TestCaseError> {
        let Ok(plain) = scan_plain_html(html, skip) else {
            return Ok(false);
        };
        let full = scan_html_by_lol_html(html, skip);
        proptest::prop_assert_eq!(&plain.refs, &full.refs, "{:?}", html);
        proptest::prop_assert_eq!(&plain.ids, &full.ids, "{:?}", html);
        Ok(true)
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(20_000))]
        #[test]
        fn plain_html_is_read_as_lol_html_reads_it(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "<", ">", "/", "=", "\"", "'", " ", "\n", "\r", "\t", "\x0C", "a", "A", "-", "!",
                "href", "SRC", "id", "é", "x.png", "url(u.png)", "&amp;", "x=y", "=",
                "<!--", "-->", "--!>", "<!-", "<!", "<?", "</", "</>", "<!DOCTYPE html>",
                "<![CDATA[", "]]>", "<script>", "</script>", "</SCRIPT ", "<textarea>",
                "</textarea>", "<style>", "</style>", "</STYLE/", "<title>", "</title>",
                "<xmp>", "<iframe>", "<noembed>", "<noframes>", "<code>", "<a ", "<IMG ",
                "<img src=", "<link href=", "<meta property=og:image content=", "<a name=",
                "<span id=", "style=", "<input type=image src=", "<svg>", "<noscript>",
                "</noscript>",
                "<p ", "<div id=", "<source srcset=", "id=a ID=b", "<code>", "</code>",
                "<template>", "<table>", "<select>", "<option>", "<image ", "<frameset>",
                "<html>", "<head>", "<body>", "</body>", "<pre>", "<listing>", "<font color=x>",
                "<style a=>", "<title a= >", "<script x=>",
            ]), 0..40),
            hole in 0..40usize,
        ) {
            let html = parts.concat();
            plain_agrees_with_lol_html(&html, &[])?;
            // A range right after a `<code>` start tag (if the page reads one there), or
            // after something else, is left out by both readers alike.
            if let Some(code) = html.find("<code>") {
                let start = code + "<code>".len();
                let mut end = (start + hole).min(html.len());
                while !html.is_char_boundary(end) {
                    end -= 1;
                }
                plain_agrees_with_lol_html(&html, std::slice::from_ref(&(start..end)))?;
                plain_agrees_with_lol_html(&html, std::slice::from_ref(&(start - 1..end)))?;
                // A range right after a skipped one is read.
                plain_agrees_with_lol_html(&html, &[start..end, end..html.len()])?;
                // A range read (not after `<code>`) and then one that is not.
                if let Some(second) = html[end..].find("<code>") {
                    let second = end + second + "<code>".len();
                    let skip = [start - 1..end, second..html.len()];
                    plain_agrees_with_lol_html(&html, &skip)?;
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(4096))]
        #[test]
        fn any_text_is_read_as_lol_html_reads_it(
            html in proptest::prop_oneof![
                "\\PC{0,80}",
                "[<>/=\"' \n!?a-zA-Z0-9-]{0,80}",
                "(<[a-z]{1,3}( [a-z]{1,4}(=(\"[^\"]{0,5}\"|'[^']{0,5}'|[^ >]{0,5}))?){0,3} ?/?>|[a-z <>]){0,12}",
            ]
        ) {
            plain_agrees_with_lol_html(&html, &[])?;
        }
    }

    #[test]
    fn plain_html_is_read_by_the_plain_reader_as_lol_html_reads_it() {
        let plain = [
            "<!DOCTYPE html><html><head><meta charset=utf-8><title>a <a href=t/> b</title>\r\n\
             <link rel=stylesheet href=\"s.css\"><style>p { background: url(b.png) }</style>\
             <script src=app.js></script><script>if (a<b) x = '<a href=\"no/\">'</script></head>",
            "<A HREF='x.html' Title=\"É&amp;\">a</A><IMG\nSRC=pic.png/><a/href=\"y\"><br/>",
            "<p id=a id=b ID=c>dup</p><a href=x href=y>first</a><a name=n id=m>",
            "<a href=\"q\"<img src=r>glued</a><a href = \"spaced\" >s</a><a href=>none</a>",
            "<!-- <a href=c1/> --><!----><!--><a href=after1/><!---><a href=after2/>\
             <!-- a --!><a href=after3/><!-- b ---><a href=after4/>",
            "<? <a href=pi/> ><!x <a href=bang/>><![CDATA[<a href=cd/>]]><a href=z/>",
            "</a href=\">\" id=endattr><a href=after-end/></ ><a href=after-bogus/></>",
            "<textarea><a href=ta/></textarea ><a href=after-ta/><xmp><a id=xm></XMP>\
             <iframe><a id=if></iframe/><style/>p{background:url(sc.png)}</style>\
             <noscript><a href=ns/></noscript><a href=after-ns/>",
            "<input type=IMAGE src=\"in.png\"><meta property=og:image content=\"og.png\">\
             <source srcset=\"a.png 1x, b.png 2x\"><span style=\"background: url(sp.png)\">",
            "<a href=\"open",
            "<div id=x",
        ];
        for html in plain {
            assert!(scan_plain_html(html, &[]).is_ok(), "{html}");
            assert!(plain_agrees_with_lol_html(html, &[]).unwrap(), "{html}");
        }
        let found = scan_plain_html(plain[4], &[]).unwrap();
        let hrefs: Vec<&str> = found.refs.iter().map(|r| r.href.as_str()).collect();
        assert_eq!(hrefs, ["after1/", "after2/", "after3/", "after4/"]);
        let found = scan_plain_html(plain[2], &[]).unwrap();
        assert_eq!(
            found.refs.len(),
            2,
            "a repeated attribute is read, as lol_html reads it"
        );
        assert!(found.ids.contains("c"));
        // Left to lol_html: foreign content, text a tree builder decides on, NUL, comments
        // that nest, escaped script text, raw text never closed.
        let unhandled = [
            "<svg><style>a{}</style><a href=x/></svg>",
            "<math><mi>x</mi></math>",
            "<select><style></style><a href=sel/>",
            "<frameset><style></style><a href=fr/>",
            "<plaintext><a href=p/>",
            "<a href=x>\0</a>",
            "<!-- <!-- --> <a href=c/>",
            "<script><!-- <script> </script> <a href=s/> </script>",
            "<title>never closed <a href=t/>",
            // lol_html reads on in the data state after `=>`, the standard in raw text.
            "<style a=>p{background:url(x.png)}<a href=y></style>",
            "<style a\n=\n>url(a)<a href=y></style>",
            "<title a=>x</title><a href=t/><textarea a= >x</textarea><a href=ta/>",
        ];
        for html in unhandled {
            assert!(scan_plain_html(html, &[]).is_err(), "{html}");
            assert_eq!(scan_html(html).refs, scan_html_by_lol_html(html, &[]).refs);
        }
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
    fn code_skipped_is_not_read_and_what_follows_keeps_its_offsets() {
        let code =
            "<span class=\"hl-a\">x &lt;a id=\"no\"&gt;</span><a id=\"hidden\" href=\"h/\"></a>";
        let html = format!(
            "<a href=\"before/\">b</a><pre><code class=\"language-rust\">{code}</code></pre>\n\
             <img src=\"after.png\"><style>p {{ background: url(s.png) }}</style>"
        );
        let start = html.find(code).unwrap();
        let hole = start..start + code.len();
        let whole = scan_html(&html);
        assert!(
            whole.ids.contains("hidden"),
            "read whole, the range's id is found"
        );
        let skipping = scan_html_skipping(&html, std::slice::from_ref(&hole));
        assert!(
            skipping.ids.is_empty(),
            "the range is not read: {:?}",
            skipping.ids
        );
        let hrefs: Vec<&str> = skipping.refs.iter().map(|r| r.href.as_str()).collect();
        assert_eq!(hrefs, ["before/", "after.png", "s.png"]);
        // Offsets and value ranges are in the whole text, for line numbers and renaming.
        let after = &skipping.refs[1];
        assert!(html[after.offset..].starts_with("<img"));
        assert_eq!(&html[after.value.clone()], "after.png");
        let style = &skipping.refs[2];
        assert_eq!(&html[style.offset..style.offset + 5], "s.png");
        assert_eq!(&html[style.value.clone()], "p { background: url(s.png) }");
        let read_whole = |skip: &[Range<usize>]| scan_html_skipping(&html, skip).ids;
        // Two blocks: both left unread, offsets after each right.
        let twice = format!("{html}<pre><code>{code}</code></pre><a href=\"last/\">l</a>");
        let second = twice.rfind(code).unwrap();
        let skipping = scan_html_skipping(&twice, &[hole.clone(), second..second + code.len()]);
        assert!(skipping.ids.is_empty(), "{:?}", skipping.ids);
        let last = skipping.refs.last().unwrap();
        assert_eq!(&twice[last.value.clone()], "last/");
        // A range not right after a `<code>` start tag, or ranges out of order or past
        // the end, are read.
        let later = hole.start + 1..hole.end;
        let past_end = hole.start..html.len() + 1;
        assert!(read_whole(std::slice::from_ref(&later)).contains("hidden"));
        assert!(read_whole(&[hole.clone(), 0..1]).contains("hidden"));
        assert!(read_whole(std::slice::from_ref(&past_end)).contains("hidden"));
    }

    #[test]
    fn a_range_that_starts_where_a_skipped_one_ends_is_read() {
        // One `<code>` start tag opens one range, whichever reader reads the page.
        let cases: [(&str, [Range<usize>; 2], &str); 2] = [
            ("<code><a id=x><a id=y>", [6..14, 14..22], "y"),
            ("<code><a id=x></a>", [6..6, 6..18], "x"),
        ];
        for (html, skip, id) in cases {
            let plain = scan_plain_html(html, &skip).unwrap();
            let full = scan_html_by_lol_html(html, &skip);
            let expected: HashSet<String> = [id.to_string()].into();
            assert_eq!(plain.ids, expected, "{html}");
            assert_eq!(full.ids, expected, "{html}");
        }
    }

    #[test]
    fn code_is_not_skipped_where_the_page_reads_it_as_something_else() {
        // Raw HTML left an attribute open: what looks like code is the attribute's value,
        // and a scan that skipped it would see another URL.
        let code = "<span class=\"hl-a\">x</span>";
        let html = format!("<a href='x<pre><code>{code}</code></pre>'>l</a>");
        let start = html.find(code).unwrap();
        let whole = scan_html(&html);
        let skipping =
            scan_html_skipping(&html, std::slice::from_ref(&(start..start + code.len())));
        assert_eq!(skipping.refs, whole.refs);
        assert!(whole.refs[0].href.contains("hl-a"));
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
