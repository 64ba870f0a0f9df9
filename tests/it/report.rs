//! The report: one self-contained HTML file with every section, unique ids and internal links; its PDF.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use headless_chrome::browser::tab::RequestPausedDecision;
use headless_chrome::browser::transport::{SessionId, Transport};
use headless_chrome::protocol::cdp::Fetch::events::RequestPausedEvent;
use headless_chrome::protocol::cdp::Fetch::{FailRequest, RequestPattern, RequestStage};
use headless_chrome::protocol::cdp::Network::ErrorReason;

use crate::support::SiteTest;

fn report(site: &SiteTest) -> String {
    site.cli_ok(&["report", "-o", "report.html"]);
    std::fs::read_to_string(site.path("report.html")).unwrap()
}

/// Every value of `attribute` in the document, in order.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

fn assert_self_contained(html: &str) {
    for src in attribute_values(html, "src") {
        assert!(src.starts_with("data:"), "external src {src}");
    }
    assert!(
        !html.contains("<link"),
        "no stylesheet or other link element"
    );
    assert!(!html.contains("<script"), "no script");
    for (i, _) in html.match_indices("url(") {
        let target = html[i + 4..].trim_start_matches(['"', '\'']);
        assert!(
            target.starts_with("data:") || target.starts_with('#'),
            "CSS url() to {}",
            &target[..target.len().min(40)]
        );
    }
    for href in attribute_values(html, "href") {
        assert!(
            href.starts_with('#')
                || href.starts_with("https://")
                || href.starts_with("http://")
                || href.starts_with("mailto:"),
            "relative link {href} would break outside the site"
        );
    }
}

fn assert_unique_ids(html: &str) {
    let ids = attribute_values(html, "id");
    let mut seen = HashSet::new();
    for id in &ids {
        assert!(seen.insert(id), "duplicate id {id}");
    }
    for href in attribute_values(html, "href") {
        if let Some(target) = href.strip_prefix('#') {
            assert!(
                seen.contains(&target.to_string()),
                "link to missing #{target}"
            );
        }
    }
}

#[test]
fn fixture_report_has_every_section_and_internal_links() {
    let html = report(&SiteTest::from_dir("basic"));
    for title in ["Alpha", "Beta heading", "Gamma", "Figures and sources"] {
        assert!(
            html.contains(&format!("<h1>{title}</h1>")),
            "missing section {title}"
        );
    }
    assert!(!html.contains("Draft section"));
    assert!(
        html.contains("href=\"#beta-beta-details\""),
        "link to another section's heading"
    );
    assert!(html.contains("href=\"#alpha-costs\""));
    assert!(
        html.contains("href=\"https://example.com/report\""),
        "web links stay absolute"
    );
    assert!(
        html.contains("src=\"data:image/png;base64,"),
        "images travel inside the file"
    );
    assert!(
        html.contains("href=\"#figures-and-sources-fig-capacity\""),
        "figure links lead to the appendix"
    );
    assert_self_contained(&html);
    assert_unique_ids(&html);
}

#[test]
fn shipped_report_is_self_contained_and_deterministic() {
    let site = SiteTest::shipped();
    let html = report(&site);
    for section in [
        "deal",
        "xai",
        "competition",
        "outlook",
        "method",
        "figures-and-sources",
    ] {
        let tag = format!("<section class=\"report-section\" id=\"{section}\">");
        let appendix =
            format!("<section class=\"report-section report-appendix\" id=\"{section}\">");
        assert!(
            html.contains(&tag) || html.contains(&appendix),
            "missing {section}"
        );
    }
    assert_self_contained(&html);
    assert_unique_ids(&html);
    assert_eq!(report(&site), html, "the same input gives the same bytes");
}

#[test]
fn image_on_the_web_is_refused() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\n---\n![x](https://example.com/x.png)\n",
    );
    let out = site.cli(&["report"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is on the web"));
}

#[test]
fn report_opens_offline_in_chromium_without_a_failed_request() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let site = SiteTest::shipped();
    report(&site);
    let page = format!("file://{}", site.path("report.html").display());
    let tab = browser.new_tab().unwrap();
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = requests.clone();
    let main = page.clone();
    let patterns = [RequestPattern {
        url_pattern: None,
        resource_Type: None,
        request_stage: Some(RequestStage::Request),
    }];
    tab.enable_fetch(Some(&patterns), None).unwrap();
    tab.enable_request_interception(Arc::new(
        move |_: Arc<Transport>, _: SessionId, event: RequestPausedEvent| {
            let url = event.params.request.url;
            if url == main {
                return RequestPausedDecision::Continue(None);
            }
            // Everything else is blocked, as with the network off, and remembered.
            seen.lock().unwrap().push(url);
            RequestPausedDecision::Fail(FailRequest {
                request_id: event.params.request_id,
                error_reason: ErrorReason::BlockedByClient,
            })
        },
    ))
    .unwrap();
    tab.navigate_to(&page)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let images_ok = tab
        .evaluate(
            "[...document.images].every(i => i.complete && i.naturalWidth > 0)",
            false,
        )
        .unwrap()
        .value
        .unwrap();
    assert_eq!(images_ok.as_bool(), Some(true));
    assert!(tab.get_title().unwrap().contains("Colossus"));
    assert_eq!(
        *requests.lock().unwrap(),
        Vec::<String>::new(),
        "requests the report made"
    );
}

#[test]
fn pdf_has_the_pages_and_the_title() {
    if crate::browser::launch().is_none() {
        return;
    }
    let has_poppler = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    assert!(
        has_poppler || std::env::var_os("CI").is_none(),
        "CI must have poppler-utils"
    );
    if !has_poppler {
        return;
    }
    let site = SiteTest::shipped();
    site.cli_ok(&["report", "--pdf", "report.pdf"]);
    let info = std::process::Command::new("pdfinfo")
        .arg(site.path("report.pdf"))
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 8, "{pages} pages");
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(site.path("report.pdf"))
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Compute for Rent"), "title in the PDF");
    let contents = text.split('\u{c}').nth(1).unwrap();
    let numbered = contents
        .lines()
        .filter(|l| l.trim_end().ends_with(|c: char| c.is_ascii_digit()) && !l.contains('/'))
        .count();
    assert!(numbered >= 6, "the contents give page numbers:\n{contents}");
}

#[test]
fn pdf_without_a_browser_says_how_to_get_one() {
    let site = SiteTest::from_dir("basic");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .env("BRIEFING_CACHE_DIR", "off")
        .args(["report", "--pdf", "x.pdf"])
        .current_dir(site.root())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("apt-get install chromium"), "{stderr}");
    assert!(!site.path("x.pdf").exists());
}

/// `program args… -` on the PDF, its standard output as text.
fn poppler(program: &str, args: &[&str], pdf: &std::path::Path) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .arg(pdf)
        .args(if program == "pdfinfo" {
            &[][..]
        } else {
            &["-"][..]
        })
        .output()
        .unwrap();
    assert!(out.status.success(), "{program}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every `<tag …>text</tag>` of pdftohtml's XML, as (the tag's attributes, its text).
fn xml_elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag} ");
    let close = format!("</{tag}>");
    xml.match_indices(&open)
        .filter_map(|(i, _)| {
            let rest = &xml[i + open.len()..];
            let head_end = rest.find('>')?;
            let body = &rest[head_end + 1..];
            Some((&rest[..head_end], &body[..body.find(&close)?]))
        })
        .collect()
}

fn attribute<'a>(attributes: &'a str, name: &str) -> &'a str {
    let needle = format!("{name}=\"");
    let start = attributes.find(&needle).unwrap() + needle.len();
    &attributes[start..start + attributes[start..].find('"').unwrap()]
}

#[test]
fn pdf_reads_as_a_publication() {
    if crate::browser::launch().is_none()
        || std::process::Command::new("pdftohtml")
            .arg("-v")
            .output()
            .is_err()
    {
        return;
    }
    let site = SiteTest::shipped();
    site.cli_ok(&["report", "--pdf", "report.pdf"]);
    let pdf = site.path("report.pdf");

    // Its document information: the briefing's title and author.
    let info = poppler("pdfinfo", &[], &pdf);
    assert!(info.contains("Title:           Compute for Rent"), "{info}");
    assert!(info.contains("Author:          Briefing desk"), "{info}");

    // A bookmark outline of the parts, each title once.
    let xml = poppler("pdftohtml", &["-xml", "-i", "-stdout"], &pdf);
    let outline: Vec<&str> = xml_elements(&xml, "item").iter().map(|(_, t)| *t).collect();
    for part in [
        "Contents",
        "Summary",
        "The deal in detail",
        "What it means for xAI",
        "Outlook",
        "How the numbers are made",
        "Figures and sources",
    ] {
        let found = outline.iter().filter(|t| **t == part).count();
        assert_eq!(found, 1, "{part} in the outline {outline:?}");
    }
    assert!(
        outline.contains(&"Two readings of the monthly payment"),
        "sections nest"
    );

    // Body text at a readable size: the size most of the text is set in, 10 to 11.5 pt
    // (pdftohtml measures at 1.5 pixels a point).
    let sizes: std::collections::HashMap<&str, f64> = xml
        .match_indices("<fontspec ")
        .map(|(i, _)| {
            let spec = &xml[i..i + xml[i..].find("/>").unwrap()];
            (
                attribute(spec, "id"),
                attribute(spec, "size").parse().unwrap(),
            )
        })
        .collect();
    let mut by_size: std::collections::HashMap<u64, usize> = Default::default();
    for (attributes, text) in xml_elements(&xml, "text") {
        let size = sizes[attribute(attributes, "font")];
        *by_size.entry((size * 10.0) as u64).or_default() += text.len();
    }
    let body = by_size
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(s, _)| *s as f64 / 15.0);
    let body = body.unwrap();
    assert!((10.0..=11.5).contains(&body), "body text at {body} pt");

    // Lines a reader can follow: hardly any beyond 90 characters.
    let text = poppler("pdftotext", &[], &pdf);
    let lines: Vec<&str> = text.lines().filter(|l| l.len() > 40).collect();
    let long = lines.iter().filter(|l| l.chars().count() > 92).count();
    assert!(
        long * 50 <= lines.len(),
        "{long} of {} lines are long",
        lines.len()
    );

    // Disclosures print open: the numbers behind a chart follow their summary.
    let disclosure = text.find("The numbers behind this chart").unwrap();
    let after = text[disclosure..disclosure + 400].to_lowercase();
    // The table's header, then its first row: half of the full rate, in the first month.
    assert!(
        after.contains("cumulative") && after.contains("$625 million"),
        "{after}"
    );

    // The cover's six key figures in two full rows of three, no orphan.
    let cover = &xml[..xml.find("<page number=\"2\"").unwrap()];
    let top_of = |label: &str| {
        let (attributes, _) = xml_elements(cover, "text")
            .into_iter()
            .find(|(_, t)| t.contains(label))
            .unwrap_or_else(|| panic!("{label} is not on the cover"));
        attribute(attributes, "top").parse::<i64>().unwrap()
    };
    let first_row = top_of("$1.25 billion");
    assert_eq!(top_of("300 MW"), first_row);
    let second_row = top_of("May 2029");
    assert!(second_row > first_row);
    assert_eq!(top_of("$15 billion"), second_row);
    assert_eq!(top_of("$4,170"), second_row);
}

/// A stand-in for Chromium: a shell script given `body`, run with Chromium's arguments
/// (the PDF's path is in `$out`).
fn fake_chromium(site: &SiteTest, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let script = format!(
        "#!/bin/sh\nfor arg in \"$@\"; do case \"$arg\" in --print-to-pdf=*) out=\"${{arg#--print-to-pdf=}}\";; esac; done\n{body}\n"
    );
    let path = site.path(name);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_string_lossy().into_owned()
}

/// The names in the folder of the PDF, to see that no temporary file is left behind.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_failed_printing_keeps_the_old_pdf() {
    let site = SiteTest::from_dir("basic");
    site.write("out/report.pdf", "%PDF-1.4 the old report");
    let failing = [
        (
            "exits-non-zero.sh",
            "echo 'cannot open display' >&2; exit 3",
            "cannot open display",
        ),
        // Succeeds but prints nothing, or only half a file.
        ("prints-nothing.sh", "exit 0", "could not print"),
        (
            "prints-half.sh",
            "printf '%%PDF-1.4 half' > \"$out\"; exit 9",
            "could not print",
        ),
    ];
    for (name, body, said) in failing {
        let chromium = fake_chromium(&site, name, body);
        let before = names_in(&site.path("out"));
        let out = site.cli(&["report", "--pdf", "out/report.pdf", "--chromium", &chromium]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(said), "{name}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(site.path("out/report.pdf")).unwrap(),
            "%PDF-1.4 the old report",
            "{name}: the old PDF stays until a new one exists"
        );
        assert_eq!(
            names_in(&site.path("out")),
            before,
            "{name}: nothing left behind"
        );
    }
}

#[test]
fn chromium_that_talks_a_lot_does_not_hang_the_printing() {
    let site = SiteTest::from_dir("basic");
    site.write("report.pdf", "%PDF-1.4 the old report");
    // Far more than a pipe holds (64 KiB), on both streams, before the PDF is written.
    let chromium = fake_chromium(
        &site,
        "talkative.sh",
        "head -c 2000000 /dev/zero | tr '\\0' e >&2\nhead -c 2000000 /dev/zero | tr '\\0' o\nprintf '%%PDF-1.4 the new report' > \"$out\"",
    );
    let started = std::time::Instant::now();
    let out = site.cli(&["report", "--pdf", "report.pdf", "--chromium", &chromium]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(
        std::fs::read_to_string(site.path("report.pdf")).unwrap(),
        "%PDF-1.4 the new report"
    );
}
