//! Rendering: every output of a loaded `Site`, in memory, and the sinks that receive them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

use crate::figures::Figure;
use crate::load::content::FIGURES_URL;
use crate::load::content::Page;
use crate::load::site::Site;
use crate::render::Output;
use crate::render::highlight::HighlightCache;
use crate::render::markdown::{self, TocEntry};
use crate::util::error::{Problem, Problems};

/// What templates see as `page` (and, without `content` and `toc`, as each entry of `pages`).
#[derive(Serialize)]
struct PageView<'a> {
    title: &'a str,
    description: &'a str,
    date: Option<&'a str>,
    /// `27 November 2026`.
    date_display: Option<String>,
    url: &'a str,
    permalink: String,
    slug: &'a str,
    weight: i64,
    word_count: usize,
    reading_minutes: usize,
    is_home: bool,
    template: &'a str,
    source: &'a str,
    figures_used: &'a [String],
    extra: &'a BTreeMap<String, crate::util::yaml::Value>,
}

/// A page after its Markdown is rendered, before its template is.
pub(crate) struct RenderedPage<'a> {
    pub(crate) page: &'a Page,
    pub(crate) html: String,
    pub(crate) summary: String,
    /// The summary as listings on other pages show it (links from the site root).
    pub(crate) listed_summary: String,
    pub(crate) toc: Vec<TocEntry>,
    pub(crate) word_count: usize,
    pub(crate) figures_used: Vec<String>,
    pub(crate) charts_used: Vec<String>,
    pub(crate) md_links: Vec<String>,
    pub(crate) blocks: Vec<u128>,
    /// Where in `html` the highlighted code is (see [`markdown::Rendered::code`]).
    pub(crate) code: Vec<std::ops::Range<usize>>,
}

impl<'a> RenderedPage<'a> {
    pub(crate) fn listing(&self) -> Listing<'_> {
        Listing {
            page: self.page,
            summary: &self.summary,
            listed_summary: &self.listed_summary,
            word_count: self.word_count,
            figures_used: &self.figures_used,
        }
    }
}

/// What listings of pages (`pages`, `nav`, `page.previous`) and the feed show of a page.
#[derive(Clone, Copy)]
pub(crate) struct Listing<'a> {
    pub(crate) page: &'a Page,
    pub(crate) summary: &'a str,
    pub(crate) listed_summary: &'a str,
    pub(crate) word_count: usize,
    pub(crate) figures_used: &'a [String],
}

const WORDS_PER_MINUTE: usize = 220;

/// The Markdown of every page, rendered in parallel; every problem of every page.
pub(crate) fn render_all_markdown<'a>(
    site: &'a Site,
    highlights: &dyn HighlightCache,
) -> Result<Vec<RenderedPage<'a>>, Problems> {
    let page_urls = site.page_urls();
    Problems::gather(
        site.pages
            .par_iter()
            .map(|page| render_markdown(site, page, &page_urls, Some(highlights)))
            .collect::<Vec<_>>(),
    )
}

/// One page's Markdown; without `highlights`, its code blocks are left out (see
/// [`crate::render::markdown::RenderContext::highlights`]).
pub(crate) fn render_markdown<'a>(
    site: &'a Site,
    page: &'a Page,
    page_urls: &HashMap<String, String>,
    highlights: Option<&dyn HighlightCache>,
) -> Result<RenderedPage<'a>, Problems> {
    let (body, summary) = markdown::render_page(page, &site.figures, page_urls, highlights);
    let summary = summary
        .map(|summary| summary.map(|r| markdown::inline_html(&r.html)))
        .transpose();
    match (body, summary) {
        (Ok(body), Ok(summary)) => {
            let summary = summary.unwrap_or(body.summary);
            Ok(RenderedPage {
                page,
                listed_summary: crate::util::html::rebase_to_root(&summary, &page.url),
                summary,
                html: body.html,
                toc: body.toc,
                word_count: body.word_count,
                figures_used: body.figures_used,
                charts_used: body.charts_used,
                md_links: body.md_links,
                blocks: body.blocks,
                code: body.code,
            })
        }
        (Err(Problems(mut a)), Err(Problems(b))) => {
            a.extend(b);
            Err(Problems(a))
        }
        (Err(problems), _) | (_, Err(problems)) => Err(problems),
    }
}

fn listing_value(site: &Site, listing: &Listing) -> Value {
    let page = listing.page;
    let view = PageView {
        title: &page.title,
        description: page.front.description.as_deref().unwrap_or(""),
        date: page.front.date.as_deref(),
        date_display: page
            .front
            .date
            .as_deref()
            .and_then(crate::figures::long_date),
        url: &page.url,
        permalink: permalink(&site.config.base_url, &page.url),
        slug: page.slug(),
        weight: page.weight(),
        word_count: listing.word_count,
        reading_minutes: listing.word_count.div_ceil(WORDS_PER_MINUTE).max(1),
        is_home: page.is_home,
        template: page.template(),
        source: &page.rel,
        figures_used: listing.figures_used,
        extra: &page.front.extra,
    };
    Value::from_serializable(&view)
}

/// `page` of a page's own template: its listing, its content, table of contents and JSON-LD.
fn page_value(site: &Site, rendered: &RenderedPage) -> Value {
    let mut map = listing_value(site, &rendered.listing())
        .into_map()
        .unwrap_or_default();
    // Rendered Markdown is HTML already: mark it safe so autoescape leaves it alone.
    map.insert("summary".into(), Value::safe_string(&rendered.summary));
    map.insert("content".into(), Value::safe_string(&rendered.html));
    map.insert("toc".into(), Value::from_serializable(&rendered.toc));
    let json_ld = crate::render::documents::page_json_ld(site, rendered.page);
    map.insert("json_ld".into(), Value::safe_string(&json_ld));
    map.insert(
        "whatif".into(),
        shows_estimate(site, &rendered.figures_used).into(),
    );
    Value::from(map)
}

/// Whether a page shows an estimate, and so gets the what-if panel (`whatif.js`).
pub(crate) fn shows_estimate(site: &Site, figures_used: &[String]) -> bool {
    figures_used
        .iter()
        .filter_map(|name| site.figures.get(name))
        .any(|f| f.estimate)
}

/// A page as listings on other pages show it: its summary's links start from the site root.
/// `fields` (of [`LISTING_FIELDS`]) are the ones to include: on a large site every
/// listed page is held in memory, and a field no template names need not be.
fn listed_value(site: &Site, listing: &Listing, fields: Option<&[&str]>) -> Value {
    let wanted = |field: &str| fields.is_none_or(|fields| fields.contains(&field));
    let mut map = listing_value(site, listing).into_map().unwrap_or_default();
    map.retain(|field, _| wanted(field.as_str().unwrap_or_default()));
    if wanted("summary") {
        map.insert("summary".into(), Value::safe_string(listing.listed_summary));
    }
    Value::from(map)
}

/// Every field of a page in `pages` and `nav`.
pub(crate) const LISTING_FIELDS: &[&str] = &[
    "title",
    "description",
    "date",
    "date_display",
    "url",
    "permalink",
    "slug",
    "weight",
    "word_count",
    "reading_minutes",
    "is_home",
    "template",
    "source",
    "figures_used",
    "extra",
    "summary",
];

/// One page's HTML, and where in it the highlighted code is (text and spans only: the
/// link scan skips it). No code is marked when the template changed the Markdown's HTML.
pub(crate) struct PageHtml {
    pub(crate) html: String,
    pub(crate) code: Vec<std::ops::Range<usize>>,
}

/// The HTML of one page (before assets are renamed): its Markdown rendered with code,
/// then its template. `listings` are every page's in reading order, `index` this one's.
pub(crate) fn render_page_html(
    site: &Site,
    rendered: &RenderedPage,
    shared: &Context,
    charts: &crate::render::charts::ByRoot,
    listings: &[Listing],
    index: usize,
) -> Result<PageHtml, Problem> {
    let mut context = shared.clone();
    let mut value = page_value(site, rendered);
    link_neighbours(&mut value, listings, index);
    context.insert_value("page", value);
    let root = rendered.page.root();
    context.insert("root", &root);
    context.insert_value("charts", crate::render::charts::for_root(charts, &root));
    let html = site.templates.render(rendered.page.template(), &context)?;
    let html = crate::util::html::fill_root(html, &root);
    // Only a page with code looks for its body.
    let body_at = (!rendered.code.is_empty())
        .then(|| find_body(&html, &rendered.html))
        .flatten();
    let code = match body_at {
        Some(at) => {
            let at_page = |range: &std::ops::Range<usize>| at + range.start..at + range.end;
            rendered.code.iter().map(at_page).collect()
        }
        None => Vec::new(),
    };
    Ok(PageHtml { html, code })
}

/// Where the template wrote the Markdown's HTML `body` as it is (the first time), if it
/// did: a template that filtered it leaves no code marked, and the link scan reads all.
/// Found by its first bytes, then compared whole: searching for all of it at once costs
/// more than the page's scan saves.
fn find_body(page: &str, body: &str) -> Option<usize> {
    let (page, body) = (page.as_bytes(), body.as_bytes());
    let start = &body[..body.len().min(64)];
    memchr::memmem::find_iter(page, start).find(|&at| page[at..].starts_with(body))
}

/// `page.previous` and `page.next` in reading order (home, then every page), so a
/// template needs no loop over all pages to find them: that loop on every page
/// would make a build quadratic in the number of pages.
fn link_neighbours(value: &mut Value, listings: &[Listing], index: usize) {
    let link = |page: Option<&Listing>| match page {
        Some(page) => {
            let mut map = tera::Map::new();
            map.insert("title".into(), page.page.title.as_str().into());
            map.insert("url".into(), page.page.url.as_str().into());
            map.insert("is_home".into(), page.page.is_home.into());
            Value::from(map)
        }
        None => Value::none(),
    };
    let previous = index.checked_sub(1).and_then(|i| listings.get(i));
    let next = listings.get(index + 1);
    if let Some(mut map) = std::mem::replace(value, Value::none()).into_map() {
        map.insert("previous".into(), link(previous));
        map.insert("next".into(), link(next));
        *value = Value::from(map);
    }
}

/// The context every page template shares, and hashes of its listings (`pages`, `nav`)
/// for the page cache.
pub(crate) fn shared_context(site: &Site, listings: &[Listing]) -> (Context, ListingKeys) {
    shared_context_with(site, listings, None, &[], None)
}

/// A page as listings show it, and a hash of each of its fields.
pub struct Listed {
    value: Value,
    hashes: FieldHashes,
}

/// Listed pages of an earlier build, by a key of everything they are made from, so a
/// process that builds again and again (the preview) makes only those that changed.
#[derive(Default)]
pub struct ListedMemo(Mutex<HashMap<u128, Arc<Listed>>>);

/// [`shared_context`], taking each listed page from `memo` when `keys` (one per
/// listing) has it there, and leaving in `memo` exactly this build's listed pages.
pub(crate) fn shared_context_with(
    site: &Site,
    listings: &[Listing],
    memo: Option<&ListedMemo>,
    keys: &[u128],
    fields: Option<&[&str]>,
) -> (Context, ListingKeys) {
    let known = |index: usize| -> Option<Arc<Listed>> {
        let key = keys.get(index)?;
        memo?.0.lock().ok()?.get(key).cloned()
    };
    let mut context = Context::new();
    context.insert("site", &site.config);
    let mut listed: Vec<Value> = Vec::with_capacity(listings.len());
    // The navigation lists top-level pages only, so its size does not grow with
    // an archive of nested pages.
    let mut nav: Vec<Value> = Vec::new();
    let mut pages_keys: BTreeMap<String, crate::util::hash::Key> = BTreeMap::new();
    let mut nav_keys: BTreeMap<String, crate::util::hash::Key> = BTreeMap::new();
    // Values and the hash of each of their fields, in parallel: on a large site this
    // is a loop over every page.
    let values: Vec<(usize, &Listing, Arc<Listed>)> = listings
        .par_iter()
        .enumerate()
        .filter(|(_, p)| !p.page.is_home)
        .map(|(index, listing)| {
            if let Some(listed) = known(index) {
                return (index, listing, listed);
            }
            let value = listed_value(site, listing, fields);
            let hashes = value
                .as_map()
                .into_iter()
                .flatten()
                .map(|(field, v)| {
                    let mut key = crate::util::hash::Key::new();
                    let _ = serde_json::to_writer(&mut key, v);
                    (field.as_str().unwrap_or_default().to_string(), key.finish())
                })
                .collect();
            (index, listing, Arc::new(Listed { value, hashes }))
        })
        .collect();
    if let Some(Ok(mut memo)) = memo.map(|m| m.0.lock()) {
        memo.clear();
        for (index, _, listed) in &values {
            if let Some(key) = keys.get(*index) {
                memo.insert(*key, Arc::clone(listed));
            }
        }
    }
    let add = |keys: &mut BTreeMap<String, crate::util::hash::Key>, hashes: &[(String, u128)]| {
        for (field, hash) in hashes {
            match keys.get_mut(field) {
                Some(key) => {
                    key.add(hash);
                }
                None => {
                    let mut key = crate::util::hash::Key::new();
                    key.add(hash);
                    keys.insert(field.clone(), key);
                }
            }
        }
    };
    for (_, listing, entry) in values {
        add(&mut pages_keys, &entry.hashes);
        if listing.page.url.matches('/').count() == 1 {
            add(&mut nav_keys, &entry.hashes);
            nav.push(entry.value.clone());
        }
        listed.push(entry.value.clone());
    }
    let finish = |keys: BTreeMap<String, crate::util::hash::Key>, count: usize| ListingKey {
        count,
        fields: keys.into_iter().map(|(f, k)| (f, k.finish())).collect(),
    };
    let keys = ListingKeys {
        pages: finish(pages_keys, listed.len()),
        nav: finish(nav_keys, nav.len()),
    };
    context.insert_value("pages", Value::from(listed));
    // Templates link the feed only when there is one.
    context.insert("feed", &crate::render::documents::has_feed(site));
    context.insert_value("nav", Value::from(nav));
    let figures: BTreeMap<&str, &Figure> =
        site.figures.iter().map(|f| (f.name.as_str(), f)).collect();
    context.insert("figures", &figures);
    context.insert("figure_list", &site.figures.iter().collect::<Vec<_>>());
    context.insert("sources", &site.figures.sources().collect::<Vec<_>>());
    context.insert("checks", &site.figures.checks().collect::<Vec<_>>());
    context.insert("scenarios", &site.figures.scenarios().collect::<Vec<_>>());
    // Once per build, and only when some page can show an estimate: every page with
    // `page.whatif` embeds the same model.
    let model = if site.figures.iter().any(|f| f.estimate) {
        crate::render::data::page_model(&site.figures).unwrap_or_default()
    } else {
        String::new()
    };
    context.insert_value("whatif_model", Value::safe_string(&model));
    context.insert(
        "generator",
        &format!("briefing {}", env!("CARGO_PKG_VERSION")),
    );

    (context, keys)
}

/// Each field of a listed page with a hash of its value.
type FieldHashes = Vec<(String, u128)>;

/// Hashes of what `pages` and `nav` show, so a page that lists them is rendered again
/// exactly when a listing changes.
#[derive(Debug, Clone)]
pub(crate) struct ListingKeys {
    pub(crate) pages: ListingKey,
    pub(crate) nav: ListingKey,
}

/// One listing's length and, per field of its entries, a hash of that field of every entry.
#[derive(Debug, Clone)]
pub(crate) struct ListingKey {
    pub(crate) count: usize,
    pub(crate) fields: BTreeMap<String, u128>,
}

impl ListingKey {
    /// Its hash as a template sees it that names only the fields `uses` says it does:
    /// a template that shows titles does not change when a summary does.
    pub(crate) fn add_to(&self, key: &mut crate::util::hash::Key, uses: &dyn Fn(&str) -> bool) {
        key.add(&self.count);
        for (field, hash) in &self.fields {
            if field == "url" || uses(field) {
                key.add(field).add(hash);
            }
        }
    }
}

pub(crate) fn render_figures_page(
    site: &Site,
    shared: &Context,
    charts: &crate::render::charts::ByRoot,
) -> Result<Output, Problem> {
    let mut context = shared.clone();
    let title = "Figures and sources";
    let description =
        "Every number in this briefing: its value, how it was derived and where it comes from.";
    let mut page = tera::Map::new();
    page.insert("title".into(), title.into());
    page.insert("description".into(), description.into());
    page.insert("date".into(), Value::none());
    page.insert("date_display".into(), Value::none());
    page.insert("url".into(), FIGURES_URL.into());
    page.insert(
        "permalink".into(),
        permalink(&site.config.base_url, FIGURES_URL).into(),
    );
    page.insert("slug".into(), "figures".into());
    page.insert("is_home".into(), false.into());
    page.insert("template".into(), "figures.html".into());
    page.insert("summary".into(), Value::safe_string(""));
    page.insert("content".into(), Value::safe_string(""));
    page.insert("toc".into(), Value::from(Vec::<Value>::new()));
    page.insert("extra".into(), Value::from(tera::Map::new()));
    page.insert("previous".into(), Value::none());
    page.insert("next".into(), Value::none());
    let json_ld = crate::render::documents::json_ld(
        site,
        crate::render::documents::Schema::Report,
        title,
        description,
        None,
        FIGURES_URL,
    );
    page.insert("json_ld".into(), Value::safe_string(&json_ld));
    context.insert_value("page", Value::from(page));
    context.insert("root", "../");
    context.insert_value("charts", crate::render::charts::for_root(charts, "../"));
    let html = site.templates.render("figures.html", &context)?;
    Ok(Output {
        path: format!("{FIGURES_URL}index.html"),
        bytes: crate::util::html::fill_root(html, "../").into_bytes(),
    })
}

fn permalink(base_url: &str, url: &str) -> String {
    format!("{base_url}/{url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_fields_are_every_field_of_a_listed_page() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("content")).unwrap();
        std::fs::write(dir.path().join("briefing.yaml"), "title: T\n").unwrap();
        std::fs::write(
            dir.path().join("content/a.md"),
            "---\ntitle: A\n---\nText.\n",
        )
        .unwrap();
        let site = Site::load(dir.path(), &crate::LoadOptions::default()).unwrap();
        let listing = Listing {
            page: &site.pages[0],
            summary: "",
            listed_summary: "",
            word_count: 1,
            figures_used: &[],
        };
        let value = listed_value(&site, &listing, None);
        let mut keys: Vec<&str> = value
            .as_map()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        keys.sort_unstable();
        let mut fields = LISTING_FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(keys, fields);
        let only = listed_value(&site, &listing, Some(&["url", "title"]));
        assert_eq!(only.as_map().unwrap().len(), 2);
    }
}
