//! Shared: the start tags of an HTML page and the text of its `<style>` elements, read
//! the way the HTML standard's tokenizer reads plain HTML (with scripting on, as lol_html
//! reads it: `<noscript>` holds text). Whatever would need a tree builder's help (SVG
//! and MathML, `<select>`, `<frameset>`, `<plaintext>`, escaped script text, NUL bytes,
//! comments that nest, raw text never closed) is not read: the caller reads such a page
//! with lol_html. On a page this reader takes, it finds what lol_html finds (the properties in
//! `util::html` compare the two on random markup) in a fraction of the time, since it
//! builds nothing per tag.

use std::ops::Range;

use memchr::{memchr, memchr2, memmem};

/// One attribute of a start tag: where its name and its raw value are in the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: Range<usize>,
    /// `None` for an attribute written without `=`.
    pub value: Option<Range<usize>>,
}

/// What the reader meets, in the page's order.
#[derive(Debug)]
pub enum Event<'a> {
    /// A start tag: where it is (from `<` to past `>`), its name as written, and its
    /// attributes.
    Start {
        tag: Range<usize>,
        name: &'a str,
        attributes: &'a [Attribute],
    },
    /// The text of a `<style>` element.
    StyleText(Range<usize>),
}

/// The page holds something this reader leaves to a full HTML tokenizer.
#[derive(Debug, PartialEq, Eq)]
pub struct Unhandled;

/// Reads `html`, calling `on` for each start tag and each `<style>`'s text. The ranges in
/// `skip` (in order) are not read where one starts right where a `<code>` start tag ends:
/// the reader is then in the state it would be in after the code's text and spans.
pub fn read(html: &str, skip: &[Range<usize>], mut on: impl FnMut(Event)) -> Result<(), Unhandled> {
    let b = html.as_bytes();
    if memchr(0, b).is_some() {
        return Err(Unhandled);
    }
    let mut holes = skip.iter().peekable();
    let mut attributes = Vec::new();
    let mut pos = 0;
    while let Some(found) = memchr(b'<', &b[pos..]) {
        let at = pos + found;
        pos = match b.get(at + 1) {
            Some(c) if c.is_ascii_alphabetic() => {
                attributes.clear();
                let Some((name_end, end)) = tag(b, at + 1, Some(&mut attributes)) else {
                    return Ok(());
                };
                let name = &html[at + 1..name_end];
                on(Event::Start {
                    tag: at..end,
                    name,
                    attributes: &attributes,
                });
                match text_kind(name) {
                    Text::Data if name.eq_ignore_ascii_case("code") => {
                        while holes.next_if(|hole| hole.start < end).is_some() {}
                        match holes.next_if(|hole| hole.start == end) {
                            Some(hole) => hole.end,
                            None => end,
                        }
                    }
                    Text::Data => end,
                    Text::Unhandled => return Err(Unhandled),
                    // lol_html goes on in the data state after a tag ending in `a=>` (an
                    // attribute without its value), where the standard reads raw text: a
                    // raw-text element whose tag ends in `=` (then `>`, after spaces) is
                    // left to lol_html.
                    _ if b[..end - 1].trim_ascii_end().ends_with(b"=") => return Err(Unhandled),
                    kind => {
                        let close = end_tag(b, end, name).ok_or(Unhandled)?;
                        if kind == Text::Script && memmem::find(&b[end..close], b"<!--").is_some() {
                            return Err(Unhandled);
                        }
                        if name.eq_ignore_ascii_case("style") {
                            on(Event::StyleText(end..close));
                        }
                        close
                    }
                }
            }
            Some(b'/') => match b.get(at + 2) {
                Some(c) if c.is_ascii_alphabetic() => match tag(b, at + 2, None) {
                    Some((_, end)) => end,
                    None => return Ok(()),
                },
                Some(b'>') => at + 3,
                Some(_) => past_gt(b, at + 2),
                None => return Ok(()),
            },
            Some(b'!') if b[at + 2..].starts_with(b"--") => comment_end(b, at + 4)?,
            Some(b'!') => past_gt(b, at + 2),
            Some(b'?') => past_gt(b, at + 1),
            _ => at + 1,
        };
    }
    Ok(())
}

/// How the text after a start tag is read (in the HTML namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Data,
    /// RCDATA or RAWTEXT: everything up to the element's end tag is text.
    Raw,
    /// Script data: as `Raw` unless it holds `<!--` (escaped script text).
    Script,
    Unhandled,
}

fn text_kind(name: &str) -> Text {
    const RAW: &[&str] = &[
        "title", "textarea", "style", "xmp", "iframe", "noembed", "noframes", "noscript",
    ];
    // SVG and MathML need a namespace stack; in `<select>` and after `<frameset>` a
    // browser may ignore the tags above, which lol_html answers by stopping.
    const UNHANDLED: &[&str] = &["svg", "math", "plaintext", "frameset", "select"];
    let is = |names: &[&str]| names.iter().any(|n| name.eq_ignore_ascii_case(n));
    if name.len() > "plaintext".len() {
        Text::Data
    } else if is(RAW) {
        Text::Raw
    } else if name.eq_ignore_ascii_case("script") {
        Text::Script
    } else if is(UNHANDLED) {
        Text::Unhandled
    } else {
        Text::Data
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

/// Reads a tag from its name at `from` to its `>`: where the name ends and where the tag
/// ends, or `None` if the page ends inside it (the tag is then dropped).
fn tag(
    b: &[u8],
    from: usize,
    mut attributes: Option<&mut Vec<Attribute>>,
) -> Option<(usize, usize)> {
    let n = b.len();
    let mut i = from;
    while i < n && !is_space(b[i]) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name_end = i;
    let mut push = |name: Range<usize>, value: Option<Range<usize>>| {
        if let Some(attributes) = attributes.as_deref_mut() {
            attributes.push(Attribute { name, value });
        }
    };
    loop {
        while i < n && is_space(b[i]) {
            i += 1;
        }
        match *b.get(i)? {
            b'>' => return Some((name_end, i + 1)),
            b'/' => {
                i += 1;
                if *b.get(i)? == b'>' {
                    return Some((name_end, i + 1));
                }
            }
            _ => {
                // A name may start with `=`; it ends at a space, `/`, `>` or `=`.
                let start = i;
                i += 1;
                while i < n && !is_space(b[i]) && !matches!(b[i], b'/' | b'>' | b'=') {
                    i += 1;
                }
                let name = start..i;
                while i < n && is_space(b[i]) {
                    i += 1;
                }
                if *b.get(i)? != b'=' {
                    push(name, None);
                    continue;
                }
                i += 1;
                while i < n && is_space(b[i]) {
                    i += 1;
                }
                match *b.get(i)? {
                    quote @ (b'"' | b'\'') => {
                        let from = i + 1;
                        let to = from + memchr(quote, &b[from..])?;
                        push(name, Some(from..to));
                        i = to + 1;
                    }
                    b'>' => {
                        // lol_html gives no value here (the standard an empty one).
                        push(name, None);
                        return Some((name_end, i + 1));
                    }
                    _ => {
                        let from = i;
                        while i < n && !is_space(b[i]) && b[i] != b'>' {
                            i += 1;
                        }
                        push(name, Some(from..i));
                    }
                }
            }
        }
    }
}

/// Where the end tag closing raw text opened at `from` by a `name` element starts.
fn end_tag(b: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut at = from;
    loop {
        at += memmem::find(&b[at..], b"</")?;
        let after = at + 2 + name.len();
        if b.get(at + 2..after)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            && b.get(after)
                .is_some_and(|&c| is_space(c) || matches!(c, b'/' | b'>'))
        {
            return Some(at);
        }
        at += 2;
    }
}

/// Past the `>` that ends a bogus comment or a doctype (any `>` does, even in a
/// doctype's quoted identifier), or the page's end.
fn past_gt(b: &[u8], from: usize) -> usize {
    memchr(b'>', &b[from..]).map_or(b.len(), |gt| from + gt + 1)
}

/// Past the end of a comment whose text starts at `from` (after `<!--`). A comment holding
/// `<!` (a nested one) is left to the full tokenizer.
fn comment_end(b: &[u8], from: usize) -> Result<usize, Unhandled> {
    let rest = &b[from..];
    if rest.starts_with(b">") {
        return Ok(from + 1);
    }
    if rest.starts_with(b"->") {
        return Ok(from + 2);
    }
    let mut at = 0;
    while let Some(found) = memchr2(b'-', b'<', &rest[at..]) {
        at += found;
        if rest[at] == b'<' {
            if rest[at + 1..].starts_with(b"!") {
                return Err(Unhandled);
            }
        } else if rest[at + 1..].starts_with(b"->") {
            return Ok(from + at + 3);
        } else if rest[at + 1..].starts_with(b"-!>") {
            return Ok(from + at + 4);
        }
        at += 1;
    }
    Ok(b.len())
}
