//! Rendering: the documents a public host needs beside the pages: `sitemap.xml`,
//! `robots.txt`, the Atom feed, the 404 page, the figures as data (`figures.json`,
//! `figures.csv`), and each page's schema.org JSON-LD.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json, json};
use tera::{Context, Value};

use crate::load::content::FIGURES_URL;
use crate::load::content::Page;
use crate::load::site::Site;
use crate::render::Output;
use crate::util::error::Problems;
use crate::util::urls::SiteUrl;

/// Whether the build writes `atom.xml`: it needs a `base_url` for its links and a dated page.
pub fn has_feed(site: &Site) -> bool {
    !site.config.base_url.is_empty() && newest_date(site).is_some()
}

/// One section as the render step has it, for the feed.
pub struct Section<'a> {
    pub page: &'a Page,
    /// The rendered summary (HTML).
    pub summary: &'a str,
}

/// The files a public host expects besides the pages: 404.html (rendered with the
/// `404.html` template, links root-relative because it is served at any URL),
/// sitemap.xml, atom.xml and robots.txt. A file of the same path in `static/` wins.
pub fn documents(
    site: &Site,
    shared: &Context,
    sections: &[Section],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<Output>, Problems> {
    let url = SiteUrl::new(&site.config.base_url);
    let mut outputs = Vec::new();
    if !taken("404.html") && site.templates.has("404.html") {
        let mut context = shared.clone();
        let mut page = tera::Map::new();
        page.insert("title".into(), "Page not found".into());
        page.insert(
            "description".into(),
            "There is no page at this address.".into(),
        );
        page.insert("date".into(), Value::none());
        page.insert("date_display".into(), Value::none());
        page.insert("url".into(), "404.html".into());
        page.insert("permalink".into(), "".into());
        page.insert("slug".into(), "404".into());
        page.insert("is_home".into(), false.into());
        page.insert("template".into(), "404.html".into());
        page.insert("summary".into(), Value::safe_string(""));
        page.insert("content".into(), Value::safe_string(""));
        page.insert("toc".into(), Value::from(Vec::<Value>::new()));
        page.insert("extra".into(), Value::from(tera::Map::new()));
        page.insert("json_ld".into(), Value::safe_string(""));
        context.insert_value("page", Value::from(page));
        let root = url.root_relative("");
        context.insert("root", &root);
        let html = site
            .templates
            .render("404.html", &context)
            .map_err(Problems::one)?;
        outputs.push(Output {
            path: "404.html".to_string(),
            bytes: crate::util::html::fill_root(html, &root).into_bytes(),
        });
    }
    for (path, text) in [
        (
            crate::render::data::JSON_FILE,
            crate::render::data::json as fn(&_) -> String,
        ),
        (crate::render::data::CSV_FILE, crate::render::data::csv),
    ] {
        if !taken(path) {
            outputs.push(Output {
                path: path.to_string(),
                bytes: text(&site.figures).into_bytes(),
            });
        }
    }
    if url.base_url.is_empty() {
        return Ok(outputs);
    }
    let listed: Vec<&Page> = site.pages.iter().filter(|p| !p.front.draft).collect();
    if !taken("sitemap.xml") {
        outputs.push(Output {
            path: "sitemap.xml".to_string(),
            bytes: sitemap(&url, &listed).into_bytes(),
        });
    }
    if !taken("robots.txt") {
        outputs.push(Output {
            path: "robots.txt".to_string(),
            bytes: format!(
                "User-agent: *\nAllow: /\n\nSitemap: {}\n",
                url.absolute("sitemap.xml")
            )
            .into_bytes(),
        });
    }
    if !taken("atom.xml")
        && let Some(feed) = atom(site, &url, sections)
    {
        outputs.push(Output {
            path: "atom.xml".to_string(),
            bytes: feed.into_bytes(),
        });
    }
    Ok(outputs)
}

fn sitemap(url: &SiteUrl, pages: &[&Page]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut entry = |path: &str, date: Option<&str>| {
        let _ = write!(
            xml,
            "  <url>\n    <loc>{}</loc>\n",
            xml_escape(&url.absolute(&crate::util::urls::encode_path(path)))
        );
        if let Some(date) = date {
            let _ = writeln!(xml, "    <lastmod>{}</lastmod>", xml_escape(&rfc3339(date)));
        }
        xml.push_str("  </url>\n");
    };
    for page in pages {
        entry(&page.url, page.front.date.as_deref());
    }
    entry(FIGURES_URL, None);
    xml.push_str("</urlset>\n");
    xml
}

/// The Atom feed of the sections (every page but home), newest date first; None
/// when no page has a date, since an Atom entry must have one.
fn atom(site: &Site, url: &SiteUrl, sections: &[Section]) -> Option<String> {
    let newest = newest_date(site)?;
    let config = &site.config;
    let author = if config.author.is_empty() {
        &config.title
    } else {
        &config.author
    };
    let mut entries: Vec<&Section> = sections
        .iter()
        .filter(|s| !s.page.is_home && !s.page.front.draft)
        .collect();
    entries.sort_by_key(|s| {
        let when = s
            .page
            .front
            .date
            .as_deref()
            .and_then(|d| crate::util::dates::parse(d).ok());
        std::cmp::Reverse(when.map(|when| when.timestamp()))
    });
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        xml,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
        xml_escape(&config.language)
    );
    let _ = writeln!(xml, "  <title>{}</title>", xml_escape(&config.title));
    if !config.description.is_empty() {
        let _ = writeln!(
            xml,
            "  <subtitle>{}</subtitle>",
            xml_escape(config.description.trim())
        );
    }
    let home = url.absolute("");
    let _ = writeln!(
        xml,
        "  <link href=\"{}\" rel=\"self\" type=\"application/atom+xml\"/>",
        xml_escape(&url.absolute("atom.xml"))
    );
    let _ = writeln!(
        xml,
        "  <link href=\"{}\" rel=\"alternate\" type=\"text/html\"/>",
        xml_escape(&home)
    );
    let _ = writeln!(xml, "  <id>{}</id>", xml_escape(&home));
    let _ = writeln!(xml, "  <updated>{}</updated>", rfc3339(&newest));
    let _ = writeln!(
        xml,
        "  <author><name>{}</name></author>",
        xml_escape(author)
    );
    let _ = writeln!(
        xml,
        "  <generator version=\"{}\">briefing</generator>",
        env!("CARGO_PKG_VERSION")
    );
    for section in entries {
        let page = section.page;
        let link = url.absolute(&crate::util::urls::encode_path(&page.url));
        let date = rfc3339(page.front.date.as_deref().unwrap_or(&newest));
        let summary = match page.front.description.as_deref() {
            Some(description) if !description.trim().is_empty() => description.trim().to_string(),
            _ => plain_text(section.summary),
        };
        xml.push_str("  <entry>\n");
        let _ = writeln!(xml, "    <title>{}</title>", xml_escape(&page.title));
        let _ = writeln!(
            xml,
            "    <link href=\"{}\" rel=\"alternate\" type=\"text/html\"/>",
            xml_escape(&link)
        );
        let _ = writeln!(xml, "    <id>{}</id>", xml_escape(&link));
        let _ = writeln!(xml, "    <published>{date}</published>");
        let _ = writeln!(xml, "    <updated>{date}</updated>");
        if !summary.is_empty() {
            let _ = writeln!(xml, "    <summary>{}</summary>", xml_escape(&summary));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    Some(xml)
}

pub(crate) fn newest_date(site: &Site) -> Option<String> {
    site.pages
        .iter()
        .filter(|p| !p.front.draft)
        .filter_map(|p| p.front.date.as_deref())
        .max_by_key(|d| {
            crate::util::dates::parse(d)
                .ok()
                .map(|when| when.timestamp())
        })
        .map(str::to_string)
}

/// A front-matter date as RFC 3339, which Atom requires and sitemaps and JSON-LD
/// accept: midnight UTC when no time is given, UTC when no offset is. Page dates are
/// checked when the site is loaded, so for a loaded site this never falls back.
pub fn rfc3339(date: &str) -> String {
    crate::util::dates::parse(date)
        .map(|when| when.rfc3339())
        .unwrap_or_else(|_| date.to_string())
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids cannot be escaped either; leave them out.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The text of an HTML fragment, tags removed and whitespace collapsed.
fn plain_text(html: &str) -> String {
    let text = crate::util::text::strip_tags(html, " ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut joined = words.join(" ");
    for punctuation in [" .", " ,", " ;", " :", " )"] {
        joined = joined.replace(punctuation, &punctuation[1..]);
    }
    joined
}

/// schema.org type of a page's JSON-LD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// The briefing as a whole (its home page) and the figures page.
    Report,
    /// A section of the briefing.
    NewsArticle,
}

/// A page's schema.org JSON-LD, safe to put between `<script>` tags as it is: every
/// `<` is written as `\u003c`, so no value can close the script element.
pub fn json_ld(
    site: &Site,
    schema: Schema,
    title: &str,
    description: &str,
    date: Option<&str>,
    url: &str,
) -> String {
    let config = &site.config;
    let site_url = SiteUrl::new(&config.base_url);
    let mut data = Map::new();
    data.insert("@context".into(), json!("https://schema.org"));
    let kind = match schema {
        Schema::Report => "Report",
        Schema::NewsArticle => "NewsArticle",
    };
    data.insert("@type".into(), json!(kind));
    data.insert("headline".into(), json!(title));
    let description = if description.trim().is_empty() {
        config.description.trim()
    } else {
        description.trim()
    };
    if !description.is_empty() {
        data.insert("description".into(), json!(description));
    }
    data.insert("inLanguage".into(), json!(config.language));
    if let Some(date) = date {
        data.insert("datePublished".into(), json!(rfc3339(date)));
        data.insert("dateModified".into(), json!(rfc3339(date)));
    }
    let organisation = |name: &str| json!({ "@type": "Organization", "name": name });
    if !config.author.is_empty() {
        data.insert("author".into(), organisation(&config.author));
    }
    let publisher = if config.author.is_empty() {
        &config.title
    } else {
        &config.author
    };
    data.insert("publisher".into(), organisation(publisher));
    if !site_url.base_url.is_empty() {
        let permalink = site_url.absolute(&crate::util::urls::encode_path(url));
        data.insert("url".into(), json!(permalink));
        data.insert(
            "mainEntityOfPage".into(),
            json!({ "@type": "WebPage", "@id": permalink }),
        );
    }
    if !url.is_empty() {
        // A section, or the figures page, is part of the briefing as a whole.
        let mut whole = Map::new();
        whole.insert("@type".into(), json!("Report"));
        whole.insert("name".into(), json!(config.title));
        if !site_url.base_url.is_empty() {
            whole.insert("url".into(), json!(site_url.absolute("")));
        }
        data.insert("isPartOf".into(), Json::Object(whole));
    }
    script_safe_json(&Json::Object(data))
}

/// JSON that cannot end the `<script>` element it sits in.
pub fn script_safe_json(value: &Json) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "{}".to_string())
        .replace('<', "\\u003c")
}

/// The JSON-LD of a Markdown page.
pub fn page_json_ld(site: &Site, page: &Page) -> String {
    let schema = if page.is_home {
        Schema::Report
    } else {
        Schema::NewsArticle
    };
    json_ld(
        site,
        schema,
        &page.title,
        page.front.description.as_deref().unwrap_or(""),
        page.front.date.as_deref(),
        &page.url,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_rfc3339() {
        assert_eq!(rfc3339("2026-11-27"), "2026-11-27T00:00:00Z");
        assert_eq!(rfc3339("2026-11-27T09:30"), "2026-11-27T09:30:00Z");
        assert_eq!(
            rfc3339("2026-11-27 09:30:15+0200"),
            "2026-11-27T09:30:15+02:00"
        );
        assert_eq!(
            rfc3339("2026-11-27T09:30:00-05:00"),
            "2026-11-27T09:30:00-05:00"
        );
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let value = json!({ "headline": "</script><script>alert(1)</script>" });
        let text = script_safe_json(&value);
        assert!(!text.contains('<'), "{text}");
        let back: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn plain_text_of_a_summary() {
        assert_eq!(
            plain_text("<p>Pays <a href=\"x\">$1 &amp; more</a>.</p>\n"),
            "Pays $1 & more."
        );
    }
}
