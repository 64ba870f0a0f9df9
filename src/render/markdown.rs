//! Rendering: one page's Markdown into HTML, with figure references resolved, headings
//! anchored, code highlighted, links to other pages rewritten and a table of contents.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use pulldown_cmark::{
    CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd, html,
};
use serde::Serialize;

use crate::figures::Figures;
use crate::figures::text::Shown;
use crate::render::highlight::HighlightCache;
use crate::render::provenance;
use crate::util::error::{LineIndex, Problem, Problems};
use crate::util::text::escape_html;
use crate::util::text::{slugify, strip_tags};

/// What the Markdown of a page needs to know about the rest of the site.
pub struct RenderContext<'a> {
    /// The page's file, for messages.
    pub path: &'a Path,
    /// The page's path inside `content/`, to resolve links to other `.md` files.
    pub rel: &'a str,
    /// Line of the file where the Markdown starts (after the front matter).
    pub first_line: usize,
    /// From this page to the site root: `""` or `../` repeated.
    pub root: &'a str,
    pub figures: &'a Figures,
    /// Path inside `content/` -> URL relative to the site root, for every page.
    pub page_urls: &'a HashMap<String, String>,
    /// Where code blocks are highlighted; None renders a page without its code blocks,
    /// for what other pages need of it (summary, word count, table of contents).
    pub highlights: Option<&'a dyn HighlightCache>,
    /// Show figures as plain text, without their link and tooltip (a summary from the
    /// front matter, which listings show on other pages).
    pub plain_figures: bool,
}

/// One entry of a page's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// HTML of the first paragraph, for listings.
    pub summary: String,
    pub word_count: usize,
    /// Names of the figures the page refers to, in first-use order.
    pub figures_used: Vec<String>,
    /// Whether any code block was highlighted, so the page needs `highlight.css`.
    pub has_code: bool,
    /// Cache keys of the highlighted code blocks.
    pub blocks: Vec<u128>,
    /// Names of the charts placed on the page.
    pub charts_used: Vec<String>,
    /// Paths inside `content/` of the `.md` files its links name.
    pub md_links: Vec<String>,
    /// Every link and image destination as written into the HTML, with where it is in
    /// the Markdown, so a broken link found in the output can be traced to its line.
    pub links: Vec<LinkSite>,
    /// Where in `html` the highlighted code is, in order: text and spans with classes
    /// only, which the link scan need not read (see
    /// [`crate::util::html::scan_html_skipping`]).
    pub code: Vec<Range<usize>>,
}

/// A link or image destination in the rendered HTML and its position in the source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSite {
    pub href: String,
    pub image: bool,
    pub line: usize,
    pub column: usize,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_SMART_PUNCTUATION
}

/// Render a whole page body: its events read in one pass (headings, code, footnotes,
/// charts, figures and links handled on the way), then the HTML, the notes at the end, and
/// the first paragraph as the summary.
pub fn render(markdown: &str, cx: &RenderContext) -> Result<Rendered, Problems> {
    let mut renderer = Renderer::new(markdown, cx);
    let events = merge_text(Parser::new_ext(markdown, options()).into_offset_iter());
    let body = renderer.body(events);
    if !renderer.problems.is_empty() {
        return Err(Problems(renderer.problems));
    }
    let summary = renderer.summary(&body);
    let (html, code) = body.html(markdown.len(), &renderer.code);
    Ok(Rendered {
        html,
        toc: renderer.toc,
        summary,
        word_count: renderer.words,
        figures_used: renderer.figures_used,
        has_code: renderer.has_code,
        blocks: renderer.blocks,
        charts_used: renderer.charts_placed.into_iter().collect(),
        md_links: renderer.md_links,
        links: renderer.links,
        code,
    })
}

/// A page's events after one pass: the body, the footnote definitions (gathered apart,
/// to go at the end in the order they are first referred to, as GitHub does), and where
/// the first paragraph is among the body's events.
#[derive(Default)]
struct Body<'a> {
    out: Vec<Event<'a>>,
    footnotes: Vec<(usize, Vec<Event<'a>>)>,
    first_paragraph: Option<Range<usize>>,
}

impl Body<'_> {
    /// The page's HTML, and where the code of each block of `code` went in it.
    fn html(mut self, size: usize, code: &[CodeBlock]) -> (String, Vec<Range<usize>>) {
        let mut html_out = String::with_capacity(size * 3 / 2);
        let mut found = Vec::with_capacity(code.len());
        // By address: a page may hold thousands of blocks and of other HTML events.
        let code: HashMap<usize, Range<usize>> = code
            .iter()
            .map(|block| (block.address, block.code.clone()))
            .collect();
        push_html_finding_code(&mut html_out, self.out.iter(), &code, &mut found);
        if !self.footnotes.is_empty() {
            self.footnotes.sort_by_key(|(number, _)| *number);
            html_out.push_str("<section class=\"footnotes\" aria-label=\"Notes\">\n");
            push_html_finding_code(
                &mut html_out,
                self.footnotes.iter().flat_map(|(_, events)| events),
                &code,
                &mut found,
            );
            html_out.push_str("</section>\n");
        }
        (html_out, found)
    }
}

/// A highlighted block's event, known by the address of its HTML (which stays put while
/// the event moves), and where in that HTML the code is.
struct CodeBlock {
    address: usize,
    code: Range<usize>,
}

/// Appends pulldown-cmark's HTML for `events` to `out`, and to `found` where the code of
/// each block of `code` went. The writer writes one event before it asks for the next:
/// a block's place is how much was written when it was handed over, and it counts only
/// if exactly its HTML was written then.
fn push_html_finding_code<'e, 'a: 'e>(
    out: &mut String,
    events: impl Iterator<Item = &'e Event<'a>>,
    code: &HashMap<usize, Range<usize>>,
    found: &mut Vec<Range<usize>>,
) {
    struct Counting<'o> {
        out: &'o mut String,
        written: &'o std::cell::Cell<usize>,
    }
    impl std::fmt::Write for Counting<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.out.push_str(s);
            self.written.set(self.out.len());
            Ok(())
        }
    }
    let written = std::cell::Cell::new(out.len());
    // The block handed over last: where its HTML began, how long it is, where its code is.
    let mut handed: Option<(usize, usize, Range<usize>)> = None;
    let mut settle = |handed: &mut Option<(usize, usize, Range<usize>)>| {
        if let Some((start, len, code)) = handed.take()
            && written.get() == start + len
        {
            found.push(start + code.start..start + code.end);
        }
    };
    let events = events.map(|event| {
        settle(&mut handed);
        if let Event::Html(CowStr::Boxed(html)) = event
            && let Some(code) = code.get(&(html.as_ptr() as usize))
        {
            handed = Some((written.get(), html.len(), code.clone()));
        }
        event.clone()
    });
    let counting = Counting {
        out,
        written: &written,
    };
    // Writing to a String cannot fail.
    let _ = html::write_html_fmt(counting, events);
    settle(&mut handed);
}

type Events<'a> = std::vec::IntoIter<(Event<'a>, Range<usize>)>;

/// A paragraph of its own that places a block: `{{ chart: name }}` or `{{ table: name }}`.
enum Block {
    Chart(String),
    Table(String),
}

impl<'c> Renderer<'c> {
    /// Every event of the page, read once.
    fn body<'a>(&mut self, events: Vec<(Event<'a>, Range<usize>)>) -> Body<'a> {
        let mut body = Body {
            out: Vec::with_capacity(events.len()),
            ..Body::default()
        };
        let mut iter = events.into_iter();
        let mut in_footnote = false;
        let mut depth = 0usize;
        while let Some((event, range)) = iter.next() {
            let target = match body.footnotes.last_mut() {
                Some((_, events)) if in_footnote => events,
                _ => &mut body.out,
            };
            match event {
                Event::Start(Tag::Heading {
                    level,
                    id,
                    classes,
                    attrs,
                }) => {
                    let heading = self.heading_of(&mut iter, level, id, &classes, &attrs);
                    target.push(heading);
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    if let Some(block) = self.code_block_of(&mut iter, &kind) {
                        target.push(block);
                    }
                }
                Event::Start(Tag::FootnoteDefinition(label)) => {
                    in_footnote = true;
                    let number = self.footnote_number(&label);
                    let id = footnote_id(&label);
                    let open = format!(
                        "<div class=\"footnote-definition\" id=\"fn-{id}\"><sup class=\"footnote-definition-label\">{number}</sup>\n"
                    );
                    body.footnotes
                        .push((number, vec![Event::Html(open.into())]));
                }
                Event::End(TagEnd::FootnoteDefinition) => {
                    in_footnote = false;
                    target.push(Event::Html("</div>\n".into()));
                }
                Event::Start(Tag::Paragraph) => {
                    if let Some((block, offset)) = self.block_paragraph(iter.as_slice()) {
                        let html = match block {
                            Block::Chart(name) => self.chart(&name, offset),
                            Block::Table(name) => self.table(&name, offset),
                        };
                        match html {
                            Ok(html) => target.push(Event::Html(html.into())),
                            Err(problem) => self.problems.push(problem),
                        }
                        iter.nth(1);
                        continue;
                    }
                    if depth == 0 && !in_footnote && body.first_paragraph.is_none() {
                        body.first_paragraph = Some(target.len()..target.len());
                    }
                    depth += 1;
                    target.push(Event::Start(Tag::Paragraph));
                }
                Event::End(TagEnd::Paragraph) => {
                    depth -= 1;
                    target.push(Event::End(TagEnd::Paragraph));
                    if depth == 0
                        && !in_footnote
                        && let Some(range) = &mut body.first_paragraph
                        && range.start == range.end
                    {
                        range.end = target.len();
                    }
                }
                Event::Start(tag) => {
                    depth += 1;
                    self.inline(Event::Start(tag), range, target);
                }
                Event::End(tag) => {
                    depth = depth.saturating_sub(1);
                    target.push(Event::End(tag));
                }
                other => self.inline(other, range, target),
            }
        }
        body
    }

    /// A heading, its inside read from `iter`. Its id is made from the text as written, a
    /// figure by its name: a link to the heading must not break when the figure's value
    /// changes.
    fn heading_of<'a>(
        &mut self,
        iter: &mut Events<'a>,
        level: HeadingLevel,
        id: Option<CowStr<'a>>,
        classes: &[CowStr<'a>],
        attrs: &[(CowStr<'a>, Option<CowStr<'a>>)],
    ) -> Event<'a> {
        let mut inner = Vec::new();
        let mut written = String::new();
        for (event, range) in iter.by_ref() {
            match &event {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(text) => written.push_str(&reference_names(text)),
                Event::Code(code) => written.push_str(code),
                _ => {}
            }
            self.inline(event, range, &mut inner);
        }
        self.heading(level, id, classes, attrs, inner, &written)
    }

    /// A fenced or indented code block, its code read from `iter`, highlighted; None
    /// when code blocks are left out (see [`RenderContext::highlights`]).
    fn code_block_of<'a>(
        &mut self,
        iter: &mut Events<'a>,
        kind: &CodeBlockKind,
    ) -> Option<Event<'a>> {
        let mut code = String::new();
        for (event, _) in iter.by_ref() {
            match event {
                Event::Text(text) => code.push_str(&text),
                Event::End(TagEnd::CodeBlock) => break,
                _ => {}
            }
        }
        let language = match kind {
            CodeBlockKind::Fenced(info) => info.to_string(),
            CodeBlockKind::Indented => String::new(),
        };
        self.has_code = true;
        let highlights = self.cx.highlights?;
        let (html, code, key) = code_block(&code, &language, highlights);
        self.blocks.push(key);
        let html = html.into_boxed_str();
        self.code.push(CodeBlock {
            address: html.as_ptr() as usize,
            code,
        });
        Some(Event::Html(CowStr::Boxed(html)))
    }

    /// The first paragraph as listings show it on other pages: figures as plain text.
    fn summary(&self, body: &Body) -> String {
        let Some(range) = body.first_paragraph.clone().filter(|r| r.start < r.end) else {
            return String::new();
        };
        let mut summary = String::new();
        html::push_html(
            &mut summary,
            body.out[range].iter().map(|event| match event {
                Event::InlineHtml(html) => match self.plain.get(html.as_ref()) {
                    Some(plain) => Event::InlineHtml(plain.clone().into()),
                    None => event.clone(),
                },
                other => other.clone(),
            }),
        );
        summary
    }
}

/// Rendered HTML of a single paragraph (a front-matter summary) without the `<p>` around it.
pub fn inline_html(html: &str) -> String {
    let html = html.trim();
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .filter(|h| !h.contains("<p>"))
        .unwrap_or(html)
        .to_string()
}

/// A page's body and, when its front matter has one, its summary, each rendered with
/// the page's context and its own first line: the one place that knows how a page's
/// Markdown is rendered, for the build and for locating links.
pub fn render_page(
    page: &crate::load::content::Page,
    figures: &Figures,
    page_urls: &HashMap<String, String>,
    highlights: Option<&dyn HighlightCache>,
) -> (
    Result<Rendered, Problems>,
    Option<Result<Rendered, Problems>>,
) {
    let root = page.root();
    let cx = &RenderContext {
        path: &page.path,
        rel: &page.rel,
        first_line: page.body_line,
        root: &root,
        figures,
        page_urls,
        highlights,
        plain_figures: false,
    };
    let body = render(&page.body, cx);
    let summary = page.front.summary.as_ref().map(|summary| {
        let cx = RenderContext {
            first_line: page.summary_line,
            plain_figures: true,
            ..*cx
        };
        render(summary, &cx)
    });
    (body, summary)
}

/// pulldown-cmark splits text at characters that might start markup (`_`, quotes, ...):
/// join neighbouring text events so a `{{ figure_name }}` arrives in one piece.
fn merge_text<'a>(
    events: impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    let mut merged: Vec<(Event<'a>, Range<usize>)> = Vec::new();
    // Text of a run of text events so far: appended to, never copied again, so a long
    // paragraph split into many pieces is joined in linear time.
    let mut run: Option<(String, Range<usize>)> = None;
    for (event, range) in events {
        if let Event::Text(text) = &event {
            if let Some((joined, run_range)) = &mut run {
                joined.push_str(text);
                run_range.end = range.end;
                continue;
            }
            if matches!(merged.last(), Some((Event::Text(_), _))) {
                if let Some((Event::Text(previous), previous_range)) = merged.pop() {
                    let mut joined = previous.into_string();
                    joined.push_str(text);
                    run = Some((joined, previous_range.start..range.end));
                }
                continue;
            }
            merged.push((event, range));
            continue;
        }
        if let Some((joined, run_range)) = run.take() {
            merged.push((Event::Text(joined.into()), run_range));
        }
        merged.push((event, range));
    }
    if let Some((joined, run_range)) = run {
        merged.push((Event::Text(joined.into()), run_range));
    }
    merged
}

struct Renderer<'c> {
    markdown: &'c str,
    /// Lines of `markdown`, found when a link or a problem first needs a position.
    lines: std::cell::OnceCell<LineIndex<'c>>,
    /// The next suffix to try for each heading id taken, so a thousand headings of the
    /// same title are numbered in one step each.
    id_suffixes: HashMap<String, usize>,
    /// Whether the raw HTML seen so far ended inside a `<!-- comment -->`.
    in_comment: bool,
    /// Each figure's markup, with the plain text it stands for in a summary.
    plain: HashMap<String, String>,
    cx: &'c RenderContext<'c>,
    problems: Vec<Problem>,
    toc: Vec<TocEntry>,
    ids: HashSet<String>,
    words: usize,
    figures_used: Vec<String>,
    has_code: bool,
    footnotes: HashMap<String, usize>,
    /// Figure tooltips so far, to give each an id of its own.
    tips: usize,
    charts_placed: BTreeSet<String>,
    links: Vec<LinkSite>,
    blocks: Vec<u128>,
    /// The highlighted blocks' events, to find their code in the HTML.
    code: Vec<CodeBlock>,
    md_links: Vec<String>,
}

impl<'c> Renderer<'c> {
    /// Notes are numbered in the order they are first met, reference or definition.
    fn footnote_number(&mut self, label: &str) -> usize {
        let next = self.footnotes.len() + 1;
        *self.footnotes.entry(label.to_string()).or_insert(next)
    }

    fn new(markdown: &'c str, cx: &'c RenderContext<'c>) -> Self {
        Renderer {
            markdown,
            lines: std::cell::OnceCell::new(),
            id_suffixes: HashMap::new(),
            in_comment: false,
            plain: HashMap::new(),
            cx,
            problems: Vec::new(),
            toc: Vec::new(),
            ids: HashSet::new(),
            words: 0,
            figures_used: Vec::new(),
            has_code: false,
            footnotes: HashMap::new(),
            tips: 0,
            charts_placed: BTreeSet::new(),
            blocks: Vec::new(),
            code: Vec::new(),
            md_links: Vec::new(),
            links: Vec::new(),
        }
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| LineIndex::new(self.markdown))
            .line_col(offset)
    }

    fn problem_at(&self, offset: usize, message: String) -> Problem {
        let (line, column) = self.line_col(offset);
        Problem::new(self.cx.path, message).at(line + self.cx.first_line - 1, column)
    }

    /// Handle one inline-level event, pushing what it becomes onto `out`.
    fn inline<'a>(&mut self, event: Event<'a>, range: Range<usize>, out: &mut Vec<Event<'a>>) {
        match event {
            Event::Text(text) => {
                self.words += text.split_whitespace().count();
                self.resolve_figures(text, range, out);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = self.rewrite_link(link_type, dest_url);
                self.record_link(&dest_url, false, range.start);
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                self.record_link(&dest_url, true, range.start);
                out.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
            }
            Event::Code(code) => {
                self.words += code.split_whitespace().count();
                out.push(Event::Code(code));
            }
            Event::FootnoteReference(label) => {
                let number = self.footnote_number(&label);
                let id = footnote_id(&label);
                out.push(Event::InlineHtml(
                    format!(
                        "<sup class=\"footnote-reference\"><a href=\"#fn-{id}\">{number}</a></sup>"
                    )
                    .into(),
                ));
            }
            Event::Html(html)
                if html.contains("{{") || html.contains("<!--") || self.in_comment =>
            {
                self.check_raw_html(&html, range);
                out.push(Event::Html(html));
            }
            Event::InlineHtml(html)
                if html.contains("{{") || html.contains("<!--") || self.in_comment =>
            {
                self.check_raw_html(&html, range);
                out.push(Event::InlineHtml(html));
            }
            other => out.push(other),
        }
    }

    /// Raw HTML is passed through as written: a figure reference in it (outside an HTML
    /// comment) would be published as `{{ name }}`, so it is an error at its place.
    fn check_raw_html(&mut self, html: &str, range: Range<usize>) {
        let source = self
            .markdown
            .get(range.clone())
            .filter(|source| source.contains(html.trim()))
            .unwrap_or(html);
        let mut at = 0;
        while at < source.len() {
            if self.in_comment {
                match source[at..].find("-->") {
                    Some(end) => {
                        self.in_comment = false;
                        at += end + 3;
                    }
                    None => return,
                }
                continue;
            }
            let rest = &source[at..];
            let comment = rest.find("<!--");
            match rest.find("{{") {
                Some(reference) if comment.is_none_or(|c| reference < c) => {
                    let inner = rest[reference + 2..]
                        .split("}}")
                        .next()
                        .unwrap_or("")
                        .trim();
                    let shown: String = inner.chars().take(40).collect();
                    let problem = self
                        .problem_at(
                            range.start + at + reference,
                            format!("figure reference `{{{{ {shown} }}}}` inside raw HTML, which is published as written"),
                        )
                        .help("write the reference in Markdown text: leave a blank line after the HTML tag that opens a block (and before the one that closes it), so what is between is Markdown");
                    self.problems.push(problem);
                    at += reference + 2;
                }
                _ => match comment {
                    Some(c) => {
                        self.in_comment = true;
                        at += c + 4;
                    }
                    None => return,
                },
            }
        }
    }

    fn record_link(&mut self, href: &str, image: bool, offset: usize) {
        let (line, column) = self.line_col(offset);
        self.links.push(LinkSite {
            href: href.to_string(),
            image,
            line: line + self.cx.first_line - 1,
            column,
        });
    }

    /// Split `text` at `{{ name }}` references, replacing each with the figure's markup.
    fn resolve_figures<'a>(
        &mut self,
        text: CowStr<'a>,
        range: Range<usize>,
        out: &mut Vec<Event<'a>>,
    ) {
        if !text.contains("{{") {
            out.push(Event::Text(text));
            return;
        }
        let source = self.markdown.get(range.clone()).unwrap_or("");
        let source_starts: Vec<usize> = source
            .match_indices("{{")
            .map(|(i, _)| range.start + i)
            .collect();
        let mut rest: &str = &text;
        let mut occurrence = 0;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                out.push(Event::Text(rest[..start].to_string().into()));
            }
            let offset = source_starts
                .get(occurrence)
                .copied()
                .unwrap_or(range.start);
            occurrence += 1;
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                self.problems.push(
                    self.problem_at(offset, "unclosed figure reference `{{`".to_string())
                        .help("close it as `{{ figure_name }}` (inside a table, write a filter's bar as `\\|`); to show braces literally, put them in a `code span`"),
                );
                rest = "";
                break;
            };
            match self.reference(after[..end].trim(), offset) {
                Ok(html) => out.push(Event::InlineHtml(html.into())),
                Err(problem) => self.problems.push(problem),
            }
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            out.push(Event::Text(rest.to_string().into()));
        }
    }

    /// The HTML for the reference `name | filter` found at `offset`.
    fn reference(&mut self, inner: &str, offset: usize) -> Result<String, Problem> {
        let (figure, shown, text) = crate::figures::text::lookup(self.cx.figures, inner)
            .map_err(|e| self.problem_at(offset, e.message).help(e.help))?;
        if !self.figures_used.contains(&figure.name) {
            self.figures_used.push(figure.name.clone());
        }
        if shown == Shown::Plain || self.cx.plain_figures {
            return Ok(escape_html(text));
        }
        self.tips += 1;
        let show = match shown {
            Shown::Number => "number",
            Shown::Range => "range",
            Shown::Scenario => "scenario",
            Shown::Display | Shown::Plain => "display",
        };
        let html = provenance::figure_html(
            self.cx.figures,
            figure,
            (text, show),
            self.cx.root,
            &format!("fig-tip-{}", self.tips),
        );
        // What the figure reads as where no link belongs (a summary in a listing).
        self.plain.insert(html.clone(), escape_html(text));
        Ok(html)
    }

    /// The chart or table named by a paragraph that holds only `{{ chart: name }}` or
    /// `{{ table: name }}`, and where it is.
    fn block_paragraph(&self, rest: &[(Event, Range<usize>)]) -> Option<(Block, usize)> {
        let [
            (Event::Text(text), range),
            (Event::End(TagEnd::Paragraph), _),
            ..,
        ] = rest
        else {
            return None;
        };
        let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
        let block = match inner.strip_prefix("chart:") {
            Some(name) => Block::Chart(name.trim().to_string()),
            None => Block::Table(inner.strip_prefix("table:")?.trim().to_string()),
        };
        let offset = self
            .markdown
            .get(range.clone())
            .and_then(|source| source.find("{{"))
            .map_or(range.start, |i| range.start + i);
        Some((block, offset))
    }

    /// A chart's `<figure>`, once per page.
    fn chart(&mut self, name: &str, offset: usize) -> Result<String, Problem> {
        let inline = name
            .strip_prefix("tornado(")
            .and_then(|rest| rest.strip_suffix(')'))
            .map(str::trim);
        let made;
        let chart = match inline {
            Some(figure) => match self.cx.figures.tornado(figure) {
                Ok(chart) => {
                    made = chart;
                    &made
                }
                Err(e) => {
                    return Err(self
                        .problem_at(offset, format!("chart `{name}`: {}", e.message))
                        .help(e.help));
                }
            },
            None => match self.cx.figures.chart(name) {
                Some(chart) => chart,
                None => return Err(self.unknown_chart(name, offset)),
            },
        };
        self.place_once(name, offset)?;
        Ok(crate::render::charts::chart_html(
            self.cx.figures,
            chart,
            self.cx.root,
        ))
    }

    /// A sensitivity table's `<figure>`, once per page.
    fn table(&mut self, name: &str, offset: usize) -> Result<String, Problem> {
        let Some(table) = self.cx.figures.table(name) else {
            let help = match self.cx.figures.suggest_table(name) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => "declare it under `tables:` in data/figures.yaml, or correct the name"
                    .to_string(),
            };
            return Err(self
                .problem_at(offset, format!("unknown table `{name}`"))
                .help(help));
        };
        self.place_once(&format!("table:{name}"), offset)?;
        Ok(crate::render::tables::table_html(
            self.cx.figures,
            table,
            self.cx.root,
        ))
    }

    /// Records a chart or table as placed; a second placement on one page is a problem.
    fn place_once(&mut self, name: &str, offset: usize) -> Result<(), Problem> {
        if !self.charts_placed.insert(name.to_string()) {
            let what = if name.starts_with("table:") {
                "table"
            } else {
                "chart"
            };
            let shown = name.strip_prefix("table:").unwrap_or(name);
            return Err(self
                .problem_at(
                    offset,
                    format!("{what} `{shown}` is placed twice on this page"),
                )
                .help(format!("place each {what} once per page")));
        }
        Ok(())
    }

    fn unknown_chart(&self, name: &str, offset: usize) -> Problem {
        let help = match self.cx.figures.suggest_chart(name) {
            Some(suggestion) => format!("did you mean `{suggestion}`?"),
            None => "declare it under `charts:` in data/figures.yaml, write \
                     `{{ chart: tornado(figure_name) }}` for what moves an estimate, or correct the name"
                .to_string(),
        };
        self.problem_at(offset, format!("unknown chart `{name}`"))
            .help(help)
    }

    /// A link to another page's Markdown file becomes a link to that page.
    fn rewrite_link<'a>(&mut self, link_type: LinkType, dest: CowStr<'a>) -> CowStr<'a> {
        if !matches!(
            link_type,
            LinkType::Inline | LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut
        ) {
            return dest;
        }
        let (path, fragment) = match dest.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (&*dest, None),
        };
        if !path.ends_with(".md") || path.contains("://") || path.starts_with("//") {
            return dest;
        }
        let target = resolve_relative(self.cx.rel, path);
        if !self.md_links.contains(&target) {
            self.md_links.push(target.clone());
        }
        match self.cx.page_urls.get(&target) {
            Some(url) => {
                let mut href = format!("{}{}", self.cx.root, url);
                if href.is_empty() {
                    href.push_str("./");
                }
                if let Some(fragment) = fragment {
                    href.push('#');
                    href.push_str(fragment);
                }
                href.into()
            }
            // Not a page: the link stays as written, and the link check reports it
            // (an error, or a warning with --allow-broken-links) like any broken link.
            None => dest,
        }
    }

    fn heading<'a>(
        &mut self,
        level: HeadingLevel,
        id: Option<CowStr<'a>>,
        classes: &[CowStr<'a>],
        attrs: &[(CowStr<'a>, Option<CowStr<'a>>)],
        inner: Vec<Event<'a>>,
        written: &str,
    ) -> Event<'a> {
        let title = plain_text(&inner);
        let base = match id {
            Some(id) => id.to_string(),
            None => slugify(written),
        };
        let id = self.unique_id(base);
        let mut inner_html = String::new();
        html::push_html(&mut inner_html, inner.into_iter());
        let level_number = level as u8;
        let mut open = format!("<h{level_number} id=\"{}\"", escape_html(&id));
        if !classes.is_empty() {
            let classes: Vec<&str> = classes.iter().map(|c| c.as_ref()).collect();
            open.push_str(&format!(" class=\"{}\"", escape_html(&classes.join(" "))));
        }
        for (name, value) in attrs {
            open.push_str(&format!(
                " {}=\"{}\"",
                escape_html(name),
                escape_html(value.as_deref().unwrap_or(""))
            ));
        }
        self.toc.push(TocEntry {
            level: level_number,
            id: id.clone(),
            title,
        });
        Event::Html(
            format!(
                "{open}>{inner_html} <a class=\"anchor\" href=\"#{id}\" aria-label=\"Link to this section\">#</a></h{level_number}>\n",
                id = escape_html(&id)
            )
            .into(),
        )
    }

    fn unique_id(&mut self, base: String) -> String {
        if self.ids.insert(base.clone()) {
            return base;
        }
        let next = self.id_suffixes.entry(base.clone()).or_insert(1);
        loop {
            let id = format!("{base}-{next}");
            *next += 1;
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// `text` with each `{{ name | filter }}` replaced by `name`.
fn reference_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let inner = after[..end].split('|').next().unwrap_or("").trim();
        out.push(' ');
        out.push_str(inner.strip_prefix("chart:").unwrap_or(inner).trim());
        out.push(' ');
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Footnote ids get a prefix so a note labelled `1` cannot collide with a heading's id.
fn footnote_id(label: &str) -> String {
    escape_html(&slugify(label))
}

/// A code block's HTML, where its code is in it, and its highlight cache key.
fn code_block(
    code: &str,
    language: &str,
    highlights: &dyn HighlightCache,
) -> (String, Range<usize>, u128) {
    let token = language.split([',', ' ', '{']).next().unwrap_or("").trim();
    let block = crate::render::highlight::highlight_cached(highlights, code, token);
    let lang_attr = if token.is_empty() {
        String::new()
    } else {
        format!(" data-lang=\"{}\"", escape_html(token))
    };
    let class = if block.known {
        format!(" class=\"language-{}\"", escape_html(token))
    } else {
        String::new()
    };
    let open = format!("<pre class=\"code\"{lang_attr}><code{class}>");
    let code = open.len()..open.len() + block.html.len();
    let html = format!("{open}{}</code></pre>\n", block.html);
    (html, code, block.key)
}

fn plain_text(events: &[Event]) -> String {
    let mut text = String::new();
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::InlineHtml(html) => {
                text.push_str(&strip_tags(&provenance::numbers_only(html), ""))
            }
            _ => {}
        }
    }
    text.trim().to_string()
}

/// `markets/asia.md` + `../deal.md` -> `deal.md`: a link inside `content/`, from the root.
fn resolve_relative(from: &str, link: &str) -> String {
    let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    crate::util::urls::resolve_path(dir, link).unwrap_or_else(|| link.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    static NO_CACHE: crate::render::highlight::NoCache = crate::render::highlight::NoCache;

    fn cx<'a>(figures: &'a Figures, urls: &'a HashMap<String, String>) -> RenderContext<'a> {
        RenderContext {
            path: Path::new("content/a.md"),
            rel: "a.md",
            first_line: 1,
            root: "../",
            figures,
            page_urls: urls,
            highlights: Some(&NO_CACHE),
            plain_figures: false,
        }
    }

    #[test]
    fn relative_paths() {
        assert_eq!(resolve_relative("a.md", "b.md"), "b.md");
        assert_eq!(resolve_relative("m/a.md", "../b.md"), "b.md");
        assert_eq!(resolve_relative("m/a.md", "c/b.md"), "m/c/b.md");
        assert_eq!(resolve_relative("m/a.md", "/b.md"), "b.md");
    }

    #[test]
    fn the_code_of_each_block_is_marked_where_it_went() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let markdown = "Text.[^n]\n\n[^n]: A note:\n\n    ```yaml\n    a: 1\n    ```\n\n\
            ```rust\nfn main() {}\n```\n\n- item\n\n  ```\n  <a id=\"x\">\n  ```\n\n\
            <pre><code>```rust\n</code></pre>\n";
        let r = render(markdown, &cx(&figures, &urls)).unwrap();
        let code: Vec<&str> = r.code.iter().map(|range| &r.html[range.clone()]).collect();
        // In the order written out: the body's blocks, then the notes'.
        assert_eq!(code.len(), 3, "{}", r.html);
        assert!(
            code[0].starts_with("<span class=\"hl-source hl-rust\">"),
            "{}",
            code[0]
        );
        assert_eq!(code[1], "&lt;a id=&quot;x&quot;&gt;\n");
        assert!(code[2].contains("hl-yaml"), "{}", code[2]);
        for range in &r.code {
            assert!(r.html[..range.start].ends_with('>'));
            assert!(r.html[range.end..].starts_with("</code></pre>"));
        }
    }

    #[test]
    fn headings_get_unique_ids_and_toc() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let r = render(
            "## Intro\n\n## Intro\n\n### Deep {#custom}\n",
            &cx(&figures, &urls),
        )
        .unwrap();
        let ids: Vec<&str> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["intro", "intro-1", "custom"]);
        assert!(
            r.html
                .contains("<h2 id=\"intro-1\">Intro <a class=\"anchor\" href=\"#intro-1\"")
        );
    }

    #[test]
    fn braces_in_code_are_left_alone() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let r = render("`{{ x }}`\n\n```\n{{ y }}\n```\n", &cx(&figures, &urls)).unwrap();
        assert!(r.html.contains("<code>{{ x }}</code>"));
        assert!(r.html.contains("{{ y }}"));
    }

    #[test]
    fn unknown_figure_points_at_line_and_column() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let mut c = cx(&figures, &urls);
        c.first_line = 4;
        let err = render("Text\n\nPaid {{ nope }} monthly.\n", &c).unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (6, 6));
    }

    #[test]
    fn md_links_become_page_links() {
        let figures = Figures::empty();
        let urls = HashMap::from([
            ("b.md".to_string(), "b/".to_string()),
            ("_index.md".to_string(), String::new()),
        ]);
        let r = render("[b](b.md#x) [home](_index.md)", &cx(&figures, &urls)).unwrap();
        assert!(r.html.contains("href=\"../b/#x\""), "{}", r.html);
        assert!(r.html.contains("href=\"../\""), "{}", r.html);
        // A link to Markdown that is no page stays as written, for the link check to
        // report (or, with --allow-broken-links, to warn about).
        let r = render("\n[c](c.md)", &cx(&figures, &urls)).unwrap();
        assert!(r.html.contains("href=\"c.md\""), "{}", r.html);
        assert_eq!(r.links[0].line, 2);
    }

    #[test]
    fn a_heading_id_names_its_figures_not_their_values() {
        let figures = crate::figures::load(
            Path::new("data/figures.yaml"),
            "sources:\n  s: { title: T, publisher: P, date: \"2026\" }\nfigures:\n  capacity_mw: { value: 300, unit: MW, source: s }\n",
        )
        .unwrap();
        let urls = HashMap::new();
        let r = render(
            "## Heading with {{ capacity_mw }}\n\n## `code` and {{ capacity_mw | number }}\n",
            &cx(&figures, &urls),
        )
        .unwrap();
        let ids: Vec<&str> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["heading-with-capacity-mw", "code-and-capacity-mw"]);
        assert_eq!(r.toc[0].title, "Heading with 300 MW");
    }

    #[test]
    fn many_headings_of_one_title_are_numbered_in_order() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let text = "## Same\n\n## Same-1\n\n".to_string() + &"## Same\n\n".repeat(3);
        let r = render(&text, &cx(&figures, &urls)).unwrap();
        let ids: Vec<&str> = r.toc.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["same", "same-1", "same-2", "same-3", "same-4"]);
    }

    #[test]
    fn a_figure_reference_in_raw_html_is_an_error_but_not_in_a_comment() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let err = render("Text.\n\n<div class=\"box\">{{ capacity }}</div>\n\nAnd <abbr title=\"{{ x }}\">x</abbr>.\n", &cx(&figures, &urls)).unwrap_err();
        let places: Vec<(usize, usize)> = err.0.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(places, [(3, 18), (5, 18)], "{err}");
        assert!(err.0[0].message.contains("inside raw HTML"), "{err}");
        let fine = "<!--\n{{ old_figure }}\n-->\n\nText <!-- {{ x }} --> here.\n\n<div>\n\nMarkdown inside.\n\n</div>\n";
        assert!(render(fine, &cx(&figures, &urls)).is_ok());
    }

    #[test]
    fn text_split_in_many_pieces_is_joined_whole() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let text = "a_b 'c' \"d\" ".repeat(2000);
        let r = render(&text, &cx(&figures, &urls)).unwrap();
        assert_eq!(r.word_count, 6000);
        assert!(
            r.html
                .contains(&"a_b ‘c’ “d” ".repeat(2000).trim_end().to_string())
        );
    }

    #[test]
    fn footnotes_move_to_the_end() {
        let figures = Figures::empty();
        let urls = HashMap::new();
        let r = render("A[^1] b.\n\n[^1]: Note.\n\nLast.\n", &cx(&figures, &urls)).unwrap();
        let note = r.html.find("Note.").unwrap();
        assert!(r.html.find("Last.").unwrap() < note);
        assert!(r.html.contains("class=\"footnotes\""));
        assert!(
            r.html
                .contains("<div class=\"footnote-definition\" id=\"fn-1\">")
        );
        assert_eq!(
            r.summary,
            "<p>A<sup class=\"footnote-reference\"><a href=\"#fn-1\">1</a></sup> b.</p>\n"
        );
    }
}
