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
