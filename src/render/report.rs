//! The report: every section of a loaded `Site` in one self-contained HTML file
//! (CSS inlined, images as data URIs, ids unique, links internal), and its PDF by headless Chromium.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use lol_html::{RewriteStrSettings, element, rewrite_str};
use serde::Serialize;
use tera::Value;

use crate::load::content::FIGURES_URL;
use crate::load::site::Site;
use crate::render::highlight;
use crate::render::markdown::TocEntry;
use crate::render::page::{RenderedPage, render_all_markdown, shared_context};
use crate::util::error::{Problem, Problems};

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
    highlights: &dyn crate::render::highlight::HighlightCache,
) -> Result<Report, Problems> {
    let rendered = render_all_markdown(site, highlights)?;
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
            // Its links are resolved from the figures page's URL, as on the site.
            appendix_context.insert("root", "../");
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
            .filter_map(|p| crate::util::dates::parse(p.front.date.as_deref()?).ok())
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
    crate::util::urls::resolve_path(page_url, path).unwrap_or_else(|| path.to_string())
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
        // The one reader of `url(…)`, which skips comments and strings.
        let mut done = 0;
        for (range, target) in crate::util::html::css_urls(&kept) {
            let lower = kept[..range.start].to_ascii_lowercase();
            let Some(start) = lower.rfind("url(").filter(|&at| at >= done) else {
                continue;
            };
            let Some(end) = kept[range.end..].find(')').map(|e| range.end + e + 1) else {
                continue;
            };
            out.push_str(&kept[done..start]);
            if target.starts_with('#') || target.starts_with("data:") {
                out.push_str(&kept[start..end]);
            } else if let Some(bytes) =
                files.get(resolve("", target.split(['?', '#']).next().unwrap_or(&target)).as_str())
            {
                out.push_str(&format!("url(\"{}\")", data_uri(&target, bytes)));
            } else {
                warnings.push(format!(
                    "{name}: left out `url({target})`, which the report cannot carry"
                ));
                out.push_str("none");
            }
            done = end;
        }
        let rest = &kept[done..];
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
    #[test]
    fn css_strings_are_escaped() {
        assert_eq!(
            css_string("A \"B\" \\ </style>"),
            "\"A \\\"B\\\" \\\\ \\3c /style>\""
        );
    }
}
