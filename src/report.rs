//! The report: every section of a loaded `Site` in one self-contained HTML file
//! (CSS inlined, images as data URIs, ids unique, links internal), and its PDF by headless Chromium.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use lol_html::{RewriteStrSettings, element, rewrite_str};
use serde::Serialize;
use tera::Value;

use crate::build::{RenderedPage, render_all_markdown, shared_context};
use crate::error::{Problem, Problems};
use crate::highlight;
use crate::markdown::TocEntry;
use crate::site::{FIGURES_URL, Site};

/// Anchor of the figures appendix inside the report.
const APPENDIX: &str = "figures-and-sources";

/// A rendered report, with what the PDF step needs to number its table of contents.
pub struct Report {
    pub html: String,
    /// Each section's anchor and title, in order, for finding its page in the PDF.
    pub sections: Vec<(String, String)>,
    /// Things left out to keep the file self-contained (e.g. a web font in the CSS).
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
struct Section {
    anchor: String,
    title: String,
    description: String,
    content: Value,
    toc: Vec<TocEntry>,
    page_number: Option<usize>,
}

/// Render the report. `page_numbers` (section anchor -> printed page) is known only
/// after a first PDF pass; without it the table of contents has no numbers.
pub fn render(
    site: &Site,
    page_numbers: Option<&HashMap<String, usize>>,
) -> Result<Report, Problems> {
    let rendered = render_all_markdown(site)?;
    let anchors: HashMap<&str, String> = rendered
        .iter()
        .map(|p| (p.page.url.as_str(), section_anchor(p)))
        .collect();
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let static_files: HashMap<&str, &[u8]> = site
        .static_files
        .iter()
        .map(|f| (f.rel.as_str(), f.bytes.as_slice()))
        .collect();
    let links = LinkMap {
        anchors: &anchors,
        base_url: &site.config.base_url,
        static_files: &static_files,
    };

    let mut sections = Vec::new();
    let mut summary = Value::safe_string("");
    for page in &rendered {
        let anchor = section_anchor(page);
        let html = match links.rewrite(&page.html, &page.page.url, &anchor, &page.page.path) {
            Ok(html) => html,
            Err(found) => {
                problems.extend(found.0);
                continue;
            }
        };
        if page.page.is_home {
            summary = Value::safe_string(&html);
            continue;
        }
        sections.push(Section {
            title: page.page.title.clone(),
            description: page.page.front.description.clone().unwrap_or_default(),
            content: Value::safe_string(&html),
            toc: page
                .toc
                .iter()
                .map(|t| TocEntry {
                    level: t.level,
                    id: format!("{anchor}-{}", t.id),
                    title: t.title.clone(),
                })
                .collect(),
            page_number: page_numbers.and_then(|n| n.get(&anchor).copied()),
            anchor,
        });
    }

    let listings: Vec<_> = rendered.iter().map(RenderedPage::listing).collect();
    let (mut context, _) = shared_context(site, &listings);
    context.insert("root", "");
    let appendix = site
        .templates
        .render_block("figures.html", "content", &{
            let mut appendix_context = context.clone();
            appendix_context.insert_value("page", figures_page_value(site));
            appendix_context
        })
        .map_err(|problem| {
            Problems::one(problem.help(
                "the report's appendix is the `content` block of figures.html: keep the figures table inside `{% block content %}`",
            ))
        })
        .and_then(|html| {
            links.rewrite(
                &html,
                FIGURES_URL,
                APPENDIX,
                Path::new("templates/figures.html"),
            )
        });
    let appendix = match appendix {
        Ok(html) => html,
        Err(Problems(found)) => {
            problems.extend(found);
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(Problems(problems));
    }

    let styles = inline_css(&stylesheets(site), &static_files, &mut warnings);
    context.insert("sections", &sections);
    context.insert_value("summary", summary);
    context.insert_value("appendix", Value::safe_string(&appendix));
    context.insert("appendix_anchor", APPENDIX);
    context.insert(
        "appendix_page",
        &page_numbers.and_then(|n| n.get(APPENDIX).copied()),
    );
    context.insert_value("styles", Value::safe_string(&styles));
    context.insert_value(
        "css_title",
        Value::safe_string(&css_string(&site.config.title)),
    );
    let date = report_date(site);
    context.insert(
        "date_display",
        &date.as_deref().and_then(crate::figures::long_date),
    );
    context.insert("date", &date);
    let html = site
        .templates
        .render("report.html", &context)
        .map_err(Problems::one)?;

    let mut section_list: Vec<(String, String)> = sections
        .iter()
        .map(|s| (s.anchor.clone(), s.title.clone()))
        .collect();
    section_list.push((APPENDIX.to_string(), "Figures and sources".to_string()));
    Ok(Report {
        html,
        sections: section_list,
        warnings,
    })
}

fn section_anchor(page: &RenderedPage) -> String {
    if page.page.is_home {
        "summary".to_string()
    } else {
        page.page.url.trim_end_matches('/').replace('/', "-")
    }
}

fn figures_page_value(site: &Site) -> Value {
    let mut page = tera::Map::new();
    page.insert("title".into(), "Figures and sources".into());
    page.insert("description".into(), "".into());
    page.insert("url".into(), FIGURES_URL.into());
    page.insert(
        "permalink".into(),
        format!("{}/{FIGURES_URL}", site.config.base_url).into(),
    );
    page.insert("is_home".into(), false.into());
    page.insert("toc".into(), Value::from(Vec::<Value>::new()));
    Value::from(page)
}

/// The cover date: `date` of briefing.yaml, else the newest page date.
fn report_date(site: &Site) -> Option<String> {
    site.config.date.clone().or_else(|| {
        site.pages
            .iter()
            .filter_map(|p| crate::dates::parse(p.front.date.as_deref()?).ok())
            .max_by_key(|when| when.timestamp())
            .map(|when| when.day())
    })
}

/// Where every link of the site points inside the report.
struct LinkMap<'a> {
    /// Page URL -> the anchor of its section.
    anchors: &'a HashMap<&'a str, String>,
    base_url: &'a str,
    static_files: &'a HashMap<&'a str, &'a [u8]>,
}

impl LinkMap<'_> {
    /// Make one page's HTML fit in the report: ids get the section's prefix (so they are
    /// unique across sections, as mdBook's print page does), links to pages of the site
    /// become links inside the report, images become data URIs.
    fn rewrite(
        &self,
        html: &str,
        page_url: &str,
        prefix: &str,
        source: &Path,
    ) -> Result<String, Problems> {
        let problems = RefCell::new(Vec::new());
        let prefixed = |id: &str| format!("{prefix}-{id}");
        let result = rewrite_str(
            html,
            RewriteStrSettings::new()
                    .append_element_content_handler(element!("[id]", |el| {
                        if let Some(id) = el.get_attribute("id") {
                            el.set_attribute("id", &prefixed(&id))?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("[aria-labelledby], [aria-describedby], label[for]", |el| {
                        for name in ["aria-labelledby", "aria-describedby", "for"] {
                            if let Some(ids) = el.get_attribute(name) {
                                let ids: Vec<String> = ids.split_whitespace().map(&prefixed).collect();
                                el.set_attribute(name, &ids.join(" "))?;
                            }
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("a[href], area[href], use[href]", |el| {
                        if let Some(href) = el.get_attribute("href") {
                            el.set_attribute("href", &self.link(&href, page_url, prefix))?;
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("[fill^='url(#'], [clip-path^='url(#'], [mask^='url(#'], [marker-end^='url(#'], [filter^='url(#']", |el| {
                        for name in ["fill", "clip-path", "mask", "marker-end", "filter"] {
                            if let Some(value) = el.get_attribute(name) {
                                el.set_attribute(name, &value.replace("url(#", &format!("url(#{prefix}-")))?;
                            }
                        }
                        Ok(())
                    }))
                    .append_element_content_handler(element!("img[src], source[src], image[href]", |el| {
                        let attribute = if el.has_attribute("src") { "src" } else { "href" };
                        let Some(src) = el.get_attribute(attribute) else { return Ok(()) };
                        match self.embed(&src, page_url) {
                            Ok(data) => el.set_attribute(attribute, &data)?,
                            Err(message) => problems.borrow_mut().push(
                                Problem::new(source, message).help(
                                    "put the image in static/ and refer to it by a relative path, so the report can carry it",
                                ),
                            ),
                        }
                        Ok(())
                    }))

        );
        let problems = problems.into_inner();
        match result {
            Ok(html) if problems.is_empty() => Ok(html),
            Ok(_) => Err(Problems(problems)),
            Err(err) => Err(Problem::new(
                source,
                format!("cannot rewrite the page for the report: {err}"),
            )
            .into()),
        }
    }

    /// Where `href`, found on the page at `page_url`, points in the report.
    fn link(&self, href: &str, page_url: &str, prefix: &str) -> String {
        if let Some(fragment) = href.strip_prefix('#') {
            return format!("#{prefix}-{fragment}");
        }
        if is_external(href) {
            return href.to_string();
        }
        let (path, fragment) = match href.split_once('#') {
            Some((path, fragment)) => (path, Some(fragment)),
            None => (href, None),
        };
        let target = resolve(page_url, path);
        let page = target.trim_end_matches("index.html");
        if page == FIGURES_URL {
            return format!("#{APPENDIX}-{}", fragment.unwrap_or("").trim())
                .trim_end_matches('-')
                .to_string();
        }
        if let Some(anchor) = self.anchors.get(page) {
            return match fragment {
                Some(fragment) if !fragment.is_empty() => format!("#{anchor}-{fragment}"),
                _ => format!("#{anchor}"),
            };
        }
        // Anything else of the site (a PDF in static/, say) lives on the published site.
        if self.base_url.is_empty() {
            href.to_string()
        } else {
            format!("{}/{}", self.base_url, target)
        }
    }

    /// A `data:` URI for an image of the site, or why there is none.
    fn embed(&self, src: &str, page_url: &str) -> Result<String, String> {
        if src.starts_with("data:") {
            return Ok(src.to_string());
        }
        if is_external(src) {
            return Err(format!(
                "image `{src}` is on the web; a report must carry its images"
            ));
        }
        let path = resolve(page_url, src.split(['?', '#']).next().unwrap_or(src));
        match self.static_files.get(path.as_str()) {
            Some(bytes) => Ok(data_uri(&path, bytes)),
            None => Err(format!(
                "image `{src}` is not a file of the site (looked for static/{path})"
            )),
        }
    }
}

fn is_external(href: &str) -> bool {
    href.contains("://")
        || href.starts_with("//")
        || href.starts_with("mailto:")
        || href.starts_with("tel:")
}

/// `../figures/#x` seen from `deal/` -> `figures/`: a path relative to the site root
/// (a link climbing above the root is kept as written, and will match nothing).
fn resolve(page_url: &str, path: &str) -> String {
    crate::links::resolve_path(page_url, path).unwrap_or_else(|| path.to_string())
}

fn mime_type(path: &str) -> &'static str {
    match path
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

fn data_uri(path: &str, bytes: &[u8]) -> String {
    format!("data:{};base64,{}", mime_type(path), base64(bytes))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The site's stylesheet and the code colours, in that order, as (file, css).
fn stylesheets(site: &Site) -> Vec<(String, String)> {
    let mut sheets: Vec<(String, String)> = site
        .static_files
        .iter()
        .filter(|f| f.rel == "style.css")
        .map(|f| {
            (
                f.rel.clone(),
                String::from_utf8_lossy(&f.bytes).into_owned(),
            )
        })
        .collect();
    sheets.push(("highlight.css".to_string(), highlight::stylesheet()));
    sheets
}

/// Join the stylesheets with every `url()` made a data URI. A `url()` on the web, or an
/// `@import`, cannot travel with the file: it is left out, with a warning.
fn inline_css(
    sheets: &[(String, String)],
    files: &HashMap<&str, &[u8]>,
    warnings: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for (name, css) in sheets {
        let mut kept = String::with_capacity(css.len());
        for line in css.lines() {
            if line.trim_start().starts_with("@import") {
                warnings.push(format!(
                    "{name}: left out `{}`: the report cannot load other files",
                    line.trim()
                ));
                continue;
            }
            kept.push_str(line);
            kept.push('\n');
        }
        let mut rest = kept.as_str();
        while let Some(start) = rest.find("url(") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 4..];
            let Some(end) = after.find(')') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let target = after[..end].trim().trim_matches(['"', '\'']);
            if target.starts_with('#') || target.starts_with("data:") {
                out.push_str(&rest[start..start + 4 + end + 1]);
            } else if let Some(bytes) =
                files.get(resolve("", target.split(['?', '#']).next().unwrap_or(target)).as_str())
            {
                out.push_str(&format!("url(\"{}\")", data_uri(target, bytes)));
            } else {
                warnings.push(format!(
                    "{name}: left out `url({target})`, which the report cannot carry"
                ));
                out.push_str("none");
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    // A stylesheet must not be able to end the <style> element it is inlined in.
    out.replace("</", "<\\/")
}

/// `text` as a CSS string literal, for the running header.
fn css_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("\\3c "),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The headless Chromium to print with: the one given, or the first found on PATH.
pub fn find_chromium(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        if path.is_file() {
            return Ok(path.to_path_buf());
        }
        bail!("--chromium {}: no such file", path.display());
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
        "chrome",
    ];
    let paths = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&paths) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "--pdf needs a Chromium or Chrome browser, and none was found on PATH\n  help: install one (Debian/Ubuntu: `apt-get install chromium`; macOS: install Google Chrome) or name it with --chromium PATH; briefing never downloads a browser"
    )
}

/// Print `html` with headless Chromium, offline (every host is unresolvable), into a
/// temporary file in `pdf`'s folder; `pdf` itself is untouched until [`persist_pdf`]
/// renames the printed file over it, so a failed printing keeps the old PDF.
pub fn print_pdf(
    html: &str,
    pdf: &Path,
    chromium: &Path,
) -> anyhow::Result<tempfile::NamedTempFile> {
    let work = tempfile::tempdir().context("cannot create a temporary folder")?;
    let page = work.path().join("report.html");
    std::fs::write(&page, html).with_context(|| format!("cannot write {}", page.display()))?;
    let pdf_abs =
        std::path::absolute(pdf).with_context(|| format!("bad path {}", pdf.display()))?;
    let folder = pdf_abs.parent().unwrap_or(Path::new("/"));
    let name = pdf_abs
        .file_name()
        .map_or_else(|| "report.pdf".into(), |n| n.to_string_lossy());
    let printed = {
        use std::os::unix::fs::PermissionsExt as _;
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            // As a new file would get (the umask applies), not the 0600 of a temporary file.
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(folder)
            .with_context(|| format!("cannot write a file in {}", folder.display()))?
    };
    let mut command = Command::new(chromium);
    command
        .arg("--headless")
        .arg("--disable-gpu")
        .arg("--no-first-run")
        .arg("--disable-background-networking")
        .arg("--disable-component-update")
        .arg("--disable-sync")
        .arg("--disable-extensions")
        .arg("--host-resolver-rules=MAP * ~NOTFOUND")
        .arg("--no-pdf-header-footer")
        .arg("--generate-pdf-document-outline")
        .arg(format!(
            "--user-data-dir={}",
            work.path().join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", printed.path().display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if running_as_root() {
        // Chromium refuses to run as root with its sandbox; the page is our own, offline.
        command.arg("--no-sandbox");
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", chromium.display()))?;
    // Both pipes are read while Chromium runs: one it fills (64 KiB of log) would stop it.
    let stderr = Drained::start(child.stderr.take());
    let _stdout = Drained::start(child.stdout.take());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{} did not finish printing within two minutes",
                chromium.display()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let is_pdf = std::fs::read(printed.path())
        .map(|bytes| bytes.starts_with(b"%PDF-"))
        .unwrap_or(false);
    if !status.success() || !is_pdf {
        bail!(
            "{} could not print the report ({status}):\n{}",
            chromium.display(),
            String::from_utf8_lossy(&stderr.finish()).trim()
        );
    }
    add_document_info(printed.path(), html)?;
    Ok(printed)
}

/// Move a printed PDF over `pdf`, replacing the old one in one step.
pub fn persist_pdf(printed: tempfile::NamedTempFile, pdf: &Path) -> anyhow::Result<()> {
    printed
        .persist(pdf)
        .map(drop)
        .map_err(|err| anyhow::Error::new(err.error))
        .with_context(|| format!("cannot write {}", pdf.display()))
}

/// What a child writes to one pipe, read on a thread of its own; the last 64 KiB are kept.
struct Drained {
    kept: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Drained {
    const KEEP: usize = 64 * 1024;

    fn start(pipe: Option<impl std::io::Read + Send + 'static>) -> Drained {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (done_tx, done) = std::sync::mpsc::channel();
        let sink = std::sync::Arc::clone(&kept);
        std::thread::spawn(move || {
            let Some(mut pipe) = pipe else { return };
            let mut buffer = [0u8; 8192];
            loop {
                let n = match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let Ok(mut kept) = sink.lock() else { return };
                kept.extend_from_slice(&buffer[..n]);
                if kept.len() > 2 * Drained::KEEP {
                    let cut = kept.len() - Drained::KEEP;
                    kept.drain(..cut);
                }
            }
            let _ = done_tx.send(());
        });
        Drained { kept, done }
    }

    /// What was read once the pipe closed; a helper process of Chromium's that keeps it
    /// open is given a moment, not forever.
    fn finish(self) -> Vec<u8> {
        let _ = self.done.recv_timeout(Duration::from_secs(2));
        let mut kept = self.kept.lock().map(|k| k.clone()).unwrap_or_default();
        if kept.len() > Drained::KEEP {
            kept.drain(..kept.len() - Drained::KEEP);
        }
        kept
    }
}

/// Give the PDF the report's title and author from its `<title>` and `<meta name="author">`.
/// Chromium writes the title but never an author, so the document information is written
/// again in an incremental update appended to the file: Chromium's bytes stay as they are.
fn add_document_info(pdf: &Path, html: &str) -> anyhow::Result<()> {
    let title = head_title(html);
    let author = meta_content(html, "author");
    if title.is_none() && author.is_none() {
        return Ok(());
    }
    let mut bytes = std::fs::read(pdf).with_context(|| format!("cannot read {}", pdf.display()))?;
    match info_update(&bytes, title.as_deref(), author.as_deref()) {
        Some(update) => {
            bytes.extend_from_slice(&update);
            std::fs::write(pdf, &bytes)
                .with_context(|| format!("cannot write {}", pdf.display()))?;
        }
        // A layout this does not know (a cross-reference stream, say) keeps Chromium's
        // title: the PDF is whole, only its author is missing.
        None => eprintln!(
            "note: {} has no author in its document information (its layout was not the expected one)",
            pdf.display()
        ),
    }
    Ok(())
}

/// The text of the document's `<title>`, entities decoded.
fn head_title(html: &str) -> Option<String> {
    let start = html.find("<title>")? + "<title>".len();
    let end = start + html.get(start..)?.find("</title>")?;
    let title = unescape(html.get(start..end)?.trim());
    (!title.is_empty()).then_some(title)
}

/// `content` of `<meta name="NAME" content="…">`, as the report template writes it.
fn meta_content(html: &str, name: &str) -> Option<String> {
    let tag = format!("<meta name=\"{name}\" content=\"");
    let start = html.find(&tag)? + tag.len();
    let end = start + html.get(start..)?.find('"')?;
    let content = unescape(html.get(start..end)?.trim());
    (!content.is_empty()).then_some(content)
}

/// The entities an autoescaping template writes, decoded.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest.find(';').map(|end| (&rest[1..end], end));
        let decoded = entity.and_then(|(name, end)| {
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
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

/// The bytes to append to `pdf` so that its document information dictionary has `title`
/// and `author` (other entries, such as the creation date, are kept): the dictionary
/// written again as a new revision of its object, a cross-reference section for it, and a
/// trailer pointing back to the previous one. None unless the file ends in a classic
/// cross-reference table and trailer, as Chromium's (Skia's) PDFs do.
fn info_update(pdf: &[u8], title: Option<&str>, author: Option<&str>) -> Option<Vec<u8>> {
    let trailer_at = rfind(pdf, b"trailer")?;
    let startxref_at = trailer_at + rfind(pdf.get(trailer_at..)?, b"startxref")?;
    let trailer = std::str::from_utf8(pdf.get(trailer_at..startxref_at)?).ok()?;
    let previous: usize = std::str::from_utf8(pdf.get(startxref_at + "startxref".len()..)?)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    if !pdf.get(previous..)?.starts_with(b"xref") {
        return None;
    }
    let size: usize = value_after(trailer, "/Size")?.parse().ok()?;
    let root = reference_after(trailer, "/Root")?;
    let info = reference_after(trailer, "/Info");
    // The old dictionary's other entries, one per line as Skia writes them.
    let mut entries: Vec<String> = info
        .as_deref()
        .and_then(|r| old_dictionary(pdf, r))
        .map(|body| {
            body.lines()
                .map(str::trim)
                .filter(|l| {
                    l.starts_with('/') && !l.starts_with("/Title") && !l.starts_with("/Author")
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(author) = author {
        entries.insert(0, format!("/Author {}", pdf_text(author)));
    }
    if let Some(title) = title {
        entries.insert(0, format!("/Title {}", pdf_text(title)));
    }
    // Redefine the information object when there is one, else add one.
    let (number, new_size) = match info.as_deref().and_then(|r| r.split_whitespace().next()) {
        Some(n) => (n.parse::<usize>().ok()?, size),
        None => (size, size + 1),
    };
    let mut update = Vec::new();
    if !pdf.ends_with(b"\n") {
        update.push(b'\n');
    }
    let object_at = pdf.len() + update.len();
    update.extend_from_slice(
        format!("{number} 0 obj\n<<{}>>\nendobj\n", entries.join("\n")).as_bytes(),
    );
    let xref_at = pdf.len() + update.len();
    update.extend_from_slice(
        format!(
            "xref\n{number} 1\n{object_at:010} 00000 n \ntrailer\n<</Size {new_size}\n/Root {root}\n/Info {number} 0 R\n/Prev {previous}>>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        .as_bytes(),
    );
    Some(update)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The token after `key` in a dictionary: `/Size 1906` gives "1906".
fn value_after<'a>(dictionary: &'a str, key: &str) -> Option<&'a str> {
    let at = dictionary.find(key)? + key.len();
    dictionary
        .get(at..)?
        .split(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .find(|t| !t.is_empty())
}

/// An indirect reference after `key`: `/Root 1877 0 R` gives "1877 0 R".
fn reference_after(dictionary: &str, key: &str) -> Option<String> {
    let at = dictionary.find(key)? + key.len();
    let parts: Vec<&str> = dictionary.get(at..)?.split_whitespace().take(3).collect();
    match parts.as_slice() {
        [n, g, r]
            if r.starts_with('R') && n.parse::<usize>().is_ok() && g.parse::<usize>().is_ok() =>
        {
            Some(format!("{n} {g} R"))
        }
        _ => None,
    }
}

/// The body of the dictionary of object `reference` ("1 0 R"), between `<<` and `>>`.
fn old_dictionary(pdf: &[u8], reference: &str) -> Option<String> {
    let mut parts = reference.split_whitespace();
    let header = format!("\n{} {} obj", parts.next()?, parts.next()?);
    let at = rfind(pdf, header.as_bytes())? + header.len();
    let rest = pdf.get(at..)?;
    let end = rest.windows(6).position(|w| w == b"endobj")?;
    let object = std::str::from_utf8(rest.get(..end)?).ok()?;
    let open = object.find("<<")? + 2;
    let close = object.rfind(">>")?;
    object.get(open..close).map(str::to_string)
}

/// A PDF text string that holds any Unicode: UTF-16BE with a byte-order mark, in hex.
fn pdf_text(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        out.push_str(&format!("{unit:04X}"));
    }
    out.push('>');
    out
}

fn running_as_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The printed page each section starts on, read from a first printing with
/// `pdftotext` (poppler); None when it is not installed or a title was not found.
pub fn page_numbers(pdf: &Path, sections: &[(String, String)]) -> Option<HashMap<String, usize>> {
    let output = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    // Each section starts a page with its title, under the running header: look for
    // the title in the first lines of each page, after the pages before it.
    let tops: Vec<String> = text
        .split('\u{c}')
        .map(|page| {
            normalise(
                &page
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
        .collect();
    let mut numbers = HashMap::new();
    let mut from = 0;
    for (anchor, title) in sections {
        let title = normalise(title);
        let found = (from..tops.len()).find(|&i| tops[i].contains(&title))?;
        numbers.insert(anchor.clone(), found + 1);
        from = found + 1;
    }
    Some(numbers)
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths_against_the_page() {
        assert_eq!(resolve("deal/", "../figures/"), "figures/");
        assert_eq!(resolve("deal/", "../"), "");
        assert_eq!(resolve("a/b/", "../../img/x.png"), "img/x.png");
        assert_eq!(resolve("a/", "/img/x.png"), "img/x.png");
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn css_urls_are_inlined_or_dropped() {
        let files = HashMap::from([("img/dot.png", b"x".as_slice())]);
        let mut warnings = Vec::new();
        let css = inline_css(
            &[("s.css".into(), "@import url(x.css);\na{background:url('img/dot.png')} b{background:url(https://cdn/x.png)}".into())],
            &files,
            &mut warnings,
        );
        assert!(css.contains("url(\"data:image/png;base64,eA==\")"), "{css}");
        assert!(!css.contains("https://"));
        assert!(!css.contains("@import"));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    /// A minimal PDF as Skia lays it out: objects, a classic cross-reference table, a trailer.
    fn tiny_pdf() -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for object in [
            "1 0 obj\n<</Title (Old)\n/Producer (Skia/PDF m156)\n/CreationDate (D:20261202)>>\nendobj\n",
            "2 0 obj\n<</Type /Catalog\n/Pages 3 0 R>>\nendobj\n",
            "3 0 obj\n<</Type /Pages\n/Kids []\n/Count 0>>\nendobj\n",
        ] {
            offsets.push(pdf.len());
            pdf.extend_from_slice(object.as_bytes());
        }
        let xref = pdf.len();
        let mut table = String::from("xref\n0 4\n0000000000 65535 f \n");
        for offset in offsets {
            table.push_str(&format!("{offset:010} 00000 n \n"));
        }
        pdf.extend_from_slice(table.as_bytes());
        pdf.extend_from_slice(
            format!("trailer\n<</Size 4\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n{xref}\n%%EOF")
                .as_bytes(),
        );
        pdf
    }

    #[test]
    fn document_info_is_rewritten_by_an_incremental_update() {
        let pdf = tiny_pdf();
        let update =
            info_update(&pdf, Some("Compute for Rent: xAI's"), Some("Briefing desk")).unwrap();
        let whole = [pdf.clone(), update].concat();
        let text = String::from_utf8_lossy(&whole);
        // The file as Chromium wrote it is untouched; the update follows it.
        assert!(whole.starts_with(&pdf));
        // The last startxref leads to a cross-reference section for object 1 alone, whose
        // offset is the new dictionary's.
        let last = text.rfind("startxref\n").unwrap();
        let xref_at: usize = text[last + 10..].lines().next().unwrap().parse().unwrap();
        assert!(
            text[xref_at..].starts_with("xref\n1 1\n"),
            "{}",
            &text[xref_at..]
        );
        let object_at: usize = text[xref_at + 9..xref_at + 19].parse().unwrap();
        let object = &text[object_at..xref_at];
        assert!(object.starts_with("1 0 obj\n<<"), "{object}");
        assert!(object.contains(&format!("/Author {}", pdf_text("Briefing desk"))));
        assert!(object.contains(&format!("/Title {}", pdf_text("Compute for Rent: xAI's"))));
        assert!(!object.contains("(Old)"), "the old title is replaced");
        assert!(
            object.contains("/CreationDate (D:20261202)"),
            "other entries are kept"
        );
        let trailer = &text[text.rfind("trailer").unwrap()..];
        let previous = String::from_utf8_lossy(&pdf).rfind("\nxref\n").unwrap() + 1;
        assert!(trailer.contains(&format!("/Prev {previous}")), "{trailer}");
        assert!(trailer.contains("/Root 2 0 R") && trailer.contains("/Info 1 0 R"));
        assert!(text.ends_with("%%EOF\n"));
    }

    #[test]
    fn a_pdf_laid_out_otherwise_is_left_alone() {
        assert_eq!(
            info_update(b"%PDF-1.5\nno trailer here", Some("T"), None),
            None
        );
        let mut pdf = tiny_pdf();
        // startxref pointing somewhere that is not a cross-reference table.
        let at = String::from_utf8_lossy(&pdf).rfind("startxref\n").unwrap() + 10;
        pdf.truncate(at);
        pdf.extend_from_slice(b"9\n%%EOF");
        assert_eq!(info_update(&pdf, Some("T"), None), None);
    }

    #[test]
    fn title_and_author_come_from_the_head() {
        let html = "<html><head><title>Compute for Rent: xAI&#39;s &amp; more</title>\n<meta name=\"author\" content=\"Briefing &quot;desk&quot;\"></head>";
        assert_eq!(
            head_title(html).as_deref(),
            Some("Compute for Rent: xAI's & more")
        );
        assert_eq!(
            meta_content(html, "author").as_deref(),
            Some("Briefing \"desk\"")
        );
        assert_eq!(meta_content(html, "description"), None);
        assert_eq!(unescape("a &unknown; b &#x41;&#66;"), "a &unknown; b AB");
        assert_eq!(pdf_text("Aé"), "<FEFF004100E9>");
    }

    #[test]
    fn css_strings_are_escaped() {
        assert_eq!(
            css_string("A \"B\" \\ </style>"),
            "\"A \\\"B\\\" \\\\ \\3c /style>\""
        );
    }
}
