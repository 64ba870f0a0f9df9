//! Publishing: assets under content-hashed names (`style.3f2a9c1b.css`), decided before
//! any page is rendered, and every reference to them in HTML and CSS rewritten.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use crate::load::site::Site;
use crate::render::Output;
use crate::util::error::{Problem, Problems};
use crate::util::html::{Form, Scan, css_urls};
use crate::util::urls::{SiteUrl, Target, decode_entities, resolve};

/// File types that get a content hash in their name. Pages, feeds and documents keep
/// their names: people link to them.
const FINGERPRINTED: &[&str] = &[
    "css", "js", "mjs", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "woff", "woff2",
    "ttf", "otf", "eot",
];

fn is_fingerprinted(path: &str) -> bool {
    if path == "favicon.ico" || path.starts_with(".well-known/") {
        // Browsers and crawlers ask for these by name.
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            FINGERPRINTED.contains(&ext.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

/// `css/style.css` + bytes -> `css/style.3f2a9c1b.css`.
fn hashed_name(path: &str, bytes: &[u8]) -> String {
    let (stem, ext) = path.rsplit_once('.').unwrap_or((path, ""));
    format!("{stem}.{}.{ext}", content_hash(bytes))
}

/// FNV-1a, folded to 32 bits: stable across builds and Rust versions, which is all a
/// cache-busting name needs (it guards against staleness, not against an attacker).
pub fn content_hash(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (hash ^ (hash >> 32)) as u32)
}

/// The hashed name of every asset `referenced` says the site refers to (old path -> new
/// path), with the references inside stylesheets rewritten in `outputs`.
fn plan_renames(
    outputs: &mut [Output],
    referenced: &(dyn Fn(&str) -> bool + Sync),
    url: &SiteUrl,
) -> HashMap<String, String> {
    let mut renames: HashMap<String, String> = HashMap::new();
    let is_css = |path: &str| path.to_ascii_lowercase().ends_with(".css");
    let is_fingerprinted = |path: &str| is_fingerprinted(path) && referenced(path);
    for output in outputs.iter() {
        if is_fingerprinted(&output.path) && !is_css(&output.path) {
            renames.insert(
                output.path.clone(),
                hashed_name(&output.path, &output.bytes),
            );
        }
    }
    // A stylesheet's name hashes its content after its own references are rewritten,
    // so one that imports another is renamed after it.
    let stylesheets: Vec<usize> = (0..outputs.len())
        .filter(|&i| is_fingerprinted(&outputs[i].path) && is_css(&outputs[i].path))
        .collect();
    let imports: HashMap<usize, Vec<String>> = stylesheets
        .iter()
        .map(|&i| {
            let css = String::from_utf8_lossy(&outputs[i].bytes);
            let targets = css_urls(&css)
                .into_iter()
                .filter_map(|(_, href)| match resolve(url, &outputs[i].path, &href) {
                    Target::Internal { path, .. } if is_css(&path) && path != outputs[i].path => {
                        Some(path)
                    }
                    _ => None,
                })
                .collect();
            (i, targets)
        })
        .collect();
    let mut pending: Vec<usize> = stylesheets;
    while !pending.is_empty() {
        let ready: Vec<usize> = pending
            .iter()
            .copied()
            .filter(|i| {
                imports[i].iter().all(|target| {
                    renames.contains_key(target)
                        || !pending.iter().any(|&p| outputs[p].path == *target)
                })
            })
            .collect();
        // A cycle of imports: rename what is left with what is known.
        let batch = if ready.is_empty() {
            pending.clone()
        } else {
            ready
        };
        for i in &batch {
            let path = outputs[*i].path.clone();
            let css = String::from_utf8_lossy(&outputs[*i].bytes).into_owned();
            let rewritten = rewrite_css(&css, |href| rewrite_href(url, &path, href, &renames));
            outputs[*i].bytes = rewritten.into_bytes();
            renames.insert(path.clone(), hashed_name(&path, &outputs[*i].bytes));
        }
        pending.retain(|i| !batch.contains(i));
    }
    renames
}

/// The site's assets (its static files and the code stylesheet) as they are published:
/// under content-hashed names when the site refers to them, references between
/// stylesheets rewritten. Decided before any page is rendered, so each page can be
/// written as soon as it is made.
pub struct Assets {
    /// Each asset's path as the user wrote it, and its output (final path and bytes).
    pub outputs: Vec<(String, Output)>,
    /// Old path -> hashed path.
    pub renames: HashMap<String, String>,
    /// File names of the renamed assets, to skip references that name none of them.
    names: HashSet<String>,
    originals: HashMap<String, Vec<u8>>,
}

impl Assets {
    /// An asset's bytes as the user wrote them (before references were rewritten).
    pub fn original(&self, path: &str) -> Vec<u8> {
        self.originals.get(path).cloned().unwrap_or_default()
    }

    /// The output at `path` (with its `scan`), references to renamed assets rewritten.
    pub fn rewrite(&self, path: &str, text: String, scan: &Scan, url: &SiteUrl) -> String {
        let lower = path.to_ascii_lowercase();
        if self.renames.is_empty() || !(lower.ends_with(".html") || lower.ends_with(".htm")) {
            return text;
        }
        rewrite_html(&text, path, scan, url, &self.renames, &self.names).unwrap_or(text)
    }

    /// `outputs` (the static files and generated stylesheets) under hashed names where
    /// `mentioned` says the site refers to them, references between stylesheets rewritten.
    pub fn new(
        mut outputs: Vec<Output>,
        mentioned: &(dyn Fn(&str) -> bool + Sync),
        url: &SiteUrl,
    ) -> Assets {
        let originals: HashMap<String, Vec<u8>> = outputs
            .iter()
            .map(|o| (o.path.clone(), o.bytes.clone()))
            .collect();
        let renames = plan_renames(&mut outputs, mentioned, url);
        let names = renames
            .keys()
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .collect();
        let outputs = outputs
            .into_iter()
            .map(|mut output| {
                let original = output.path.clone();
                if let Some(new) = renames.get(&original) {
                    output.path = new.clone();
                }
                (original, output)
            })
            .collect();
        Assets {
            outputs,
            renames,
            names,
            originals,
        }
    }
}

/// The [`Assets`] of `site`. Which files the site refers to is read from what the
/// pages are made of (templates, Markdown, front matter, configuration and the static
/// files themselves): an asset whose name appears in none of them is not linked from
/// any page, and keeps its name so others can link to it.
pub fn assets(site: &Site, fingerprint: bool, url: &SiteUrl) -> Result<Assets, Problems> {
    let mut outputs: Vec<Output> = vec![Output {
        path: "highlight.css".to_string(),
        bytes: crate::render::highlight::stylesheet().into_bytes(),
    }];
    let mut problems = Vec::new();
    for file in &site.static_files {
        if outputs.iter().any(|o| o.path == file.rel) {
            problems.push(clash(&file.rel));
            continue;
        }
        outputs.push(Output {
            path: file.rel.clone(),
            bytes: file.bytes.clone(),
        });
    }
    if !problems.is_empty() {
        return Err(Problems(problems));
    }
    let mentioned: HashSet<String> = outputs
        .iter()
        .filter(|o| fingerprint && is_fingerprinted(&o.path))
        .filter(|o| is_mentioned(site, &o.path))
        .map(|o| o.path.clone())
        .collect();
    Ok(Assets::new(outputs, &|path| mentioned.contains(path), url))
}

/// A file of `static/` at `rel` that would overwrite a generated file.
pub(crate) fn clash(rel: &str) -> Problem {
    Problem::new(
        format!("static/{rel}"),
        "this file has the same path as a generated file",
    )
    .help("rename or move it inside static/")
}

/// Whether the file name of `path` (as written or percent-encoded) appears in anything
/// a page is made of.
fn is_mentioned(site: &Site, path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let encoded = crate::util::urls::encode_path(name);
    let found = |text: &str| text.contains(name) || text.contains(encoded.as_str());
    site.templates.any_source(&found)
        || found(&serde_json::to_string(&site.config).unwrap_or_default())
        || site
            .static_files
            .iter()
            .any(|f| f.rel != path && std::str::from_utf8(&f.bytes).is_ok_and(found))
        || site
            .pages
            .par_iter()
            .any(|p| found(&p.body) || found(&format!("{:?}", p.front)))
}

/// `href` (decoded) from the file `from`, pointing at a renamed file: the same
/// reference to the new name, in the same form (relative, root-relative or absolute).
fn rewrite_href(
    url: &SiteUrl,
    from: &str,
    href: &str,
    renames: &HashMap<String, String>,
) -> Option<String> {
    let Target::Internal { path, .. } = resolve(url, from, href) else {
        return None;
    };
    let new = renames.get(&path)?;
    let end = href.find(['?', '#']).unwrap_or(href.len());
    let (path_part, tail) = href.split_at(end);
    let old_name = path.rsplit('/').next().unwrap_or(&path);
    let new_name = new.rsplit('/').next().unwrap_or(new);
    // Keep the reference as written up to the file name; the new name only adds
    // `.hash` before the extension.
    let dot = path_part.rfind('.')?;
    let (before_ext, ext) = path_part.split_at(dot);
    let hash = new_name
        .strip_prefix(old_name.rsplit_once('.').map_or(old_name, |(stem, _)| stem))
        .and_then(|rest| rest.strip_suffix(old_name.rsplit_once('.').map_or("", |(_, e)| e)))
        .map(|middle| middle.trim_matches('.'))?;
    Some(format!("{before_ext}.{hash}{ext}{tail}"))
}

fn rewrite_css(css: &str, mut rewrite: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = css.to_string();
    for (range, href) in css_urls(css).into_iter().rev() {
        if let Some(new) = rewrite(&href) {
            out.replace_range(range, &new);
        }
    }
    out
}

/// Text for inside a quoted attribute value, whichever the quotes.
fn attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The HTML with every reference to a renamed file rewritten in place, at the byte
/// ranges the scan recorded; None when nothing changes.
fn rewrite_html(
    html: &str,
    from: &str,
    scan: &Scan,
    url: &SiteUrl,
    renames: &HashMap<String, String>,
    names: &HashSet<String>,
) -> Option<String> {
    let rewrite = |href: &str| rewrite_href(url, from, href, renames);
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut done: Option<std::ops::Range<usize>> = None;
    for reference in &scan.refs {
        // References of one srcset or one style share the range: rewrite it once.
        if done.as_ref() == Some(&reference.value) {
            continue;
        }
        let Some(raw) = html.get(reference.value.clone()) else {
            continue;
        };
        // Most references (page links) name no asset; `%` may hide a name.
        if !raw.contains('%') && !names.iter().any(|name| raw.contains(name)) {
            continue;
        }
        done = Some(reference.value.clone());
        let new = match reference.form {
            Form::Attribute => rewrite(&decode_entities(raw)).map(|new| attribute(&new)),
            Form::Srcset => {
                let srcset = decode_entities(raw);
                let new = rewrite_srcset(&srcset, rewrite);
                (new != srcset).then(|| attribute(&new))
            }
            Form::StyleAttribute => {
                let css = decode_entities(raw);
                let new = rewrite_css(&css, rewrite);
                (new != css).then(|| attribute(&new))
            }
            Form::StyleText | Form::Css => {
                let new = rewrite_css(raw, rewrite);
                (new != raw).then_some(new)
            }
        };
        if let Some(new) = new {
            edits.push((reference.value.clone(), new));
        }
    }
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(html.len() + edits.len() * 10);
    let mut at = 0;
    for (range, new) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&html[at..range.start]);
        out.push_str(&new);
        at = range.end;
    }
    out.push_str(&html[at..]);
    Some(out)
}

fn rewrite_srcset(srcset: &str, rewrite: impl Fn(&str) -> Option<String>) -> String {
    srcset
        .split(',')
        .map(|candidate| {
            let trimmed = candidate.trim();
            let (href, descriptor) = trimmed
                .split_once(char::is_whitespace)
                .unwrap_or((trimmed, ""));
            let href = rewrite(href).unwrap_or_else(|| href.to_string());
            if descriptor.trim().is_empty() {
                href
            } else {
                format!("{href} {}", descriptor.trim())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(outputs: &[Output]) -> Vec<&str> {
        outputs.iter().map(|o| o.path.as_str()).collect()
    }

    fn out(path: &str, text: &str) -> Output {
        Output {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn assets_get_hashed_names_and_references_follow() {
        let url = SiteUrl::new("https://e.org/b");
        let outputs = [
            out(
                "index.html",
                "<link rel=stylesheet href=\"style.css\"><img src=\"img/a.png\" srcset=\"img/a.png 1x, img/a.png 2x\"><a href=\"https://e.org/b/img/a.png\">a</a><div style=\"background:url(img/a.png)\"></div><style>p{background:url('img/a.png')}</style>",
            ),
            out(
                "deal/index.html",
                "<link href=\"/b/style.css?v=1\"><a href=\"../style.css#x\">s</a>",
            ),
            out(
                "style.css",
                "@import \"more.css\"; body { background: url(img/a.png) }",
            ),
            out("more.css", "p { color: red }"),
            out("img/a.png", "PNG"),
            out("favicon.ico", "ICO"),
            out("press/logo.png", "nothing on the site links to this"),
        ];
        // As a build decides: an asset is referenced when its name is in another file.
        let mentioned = |path: &str| {
            let name = path.rsplit('/').next().unwrap_or(path);
            outputs
                .iter()
                .any(|o| o.path != path && String::from_utf8_lossy(&o.bytes).contains(name))
        };
        let (pages, assets): (Vec<Output>, Vec<Output>) = outputs
            .iter()
            .cloned()
            .partition(|o| o.path.ends_with(".html"));
        let assets = Assets::new(assets, &mentioned, &url);
        let back: HashMap<String, String> = assets
            .renames
            .iter()
            .map(|(old, new)| (new.clone(), old.clone()))
            .collect();
        let outputs: Vec<Output> = pages
            .into_iter()
            .map(|page| {
                let text = String::from_utf8(page.bytes).unwrap();
                let scan = crate::util::html::scan(&page.path, &text);
                let bytes = assets.rewrite(&page.path, text, &scan, &url).into_bytes();
                Output { bytes, ..page }
            })
            .collect::<Vec<_>>()
            .into_iter()
            .chain(assets.outputs.iter().map(|(_, output)| output.clone()))
            .collect();
        let file = |p: &str| {
            let o = outputs
                .iter()
                .find(|o| o.path == p)
                .unwrap_or_else(|| panic!("{p}: {:?}", paths(&outputs)));
            String::from_utf8(o.bytes.clone()).unwrap()
        };
        let png = format!("img/a.{}.png", content_hash(b"PNG"));
        let more = format!("more.{}.css", content_hash(b"p { color: red }"));
        let style_text = format!("@import \"{more}\"; body {{ background: url({png}) }}");
        let style = format!("style.{}.css", content_hash(style_text.as_bytes()));
        assert_eq!(file(&style), style_text);
        assert_eq!(back[&style], "style.css");
        assert!(outputs.iter().any(|o| o.path == "favicon.ico"));
        assert!(
            outputs.iter().any(|o| o.path == "press/logo.png"),
            "a file nothing refers to keeps its name"
        );
        let home = file("index.html");
        assert!(home.contains(&format!("href=\"{style}\"")), "{home}");
        assert!(
            home.contains(&format!("src=\"{png}\" srcset=\"{png} 1x, {png} 2x\"")),
            "{home}"
        );
        assert!(
            home.contains(&format!("href=\"https://e.org/b/{png}\"")),
            "{home}"
        );
        assert!(home.contains(&format!("url({png})")), "{home}");
        assert!(home.contains(&format!("url('{png}')")), "{home}");
        let deal = file("deal/index.html");
        assert!(deal.contains(&format!("href=\"/b/{style}?v=1\"")), "{deal}");
        assert!(deal.contains(&format!("href=\"../{style}#x\"")), "{deal}");
    }
}
