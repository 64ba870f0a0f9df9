//! The repository's own briefing builds, with every section, its figures and code highlighted.

use crate::support::SiteTest;

#[test]
fn shipped_briefing_builds_every_section() {
    let built = SiteTest::shipped().build();
    for page in [
        "index.html",
        "deal/index.html",
        "xai/index.html",
        "competition/index.html",
        "outlook/index.html",
        "method/index.html",
        "figures/index.html",
    ] {
        assert!(built.has(page), "missing {page}");
    }
    let deal = built.file("deal/index.html");
    assert!(deal.contains("class=\"fig fig-"), "figures are rendered");
    assert!(!deal.contains("{{"), "no unresolved reference");
}

#[test]
fn shipped_method_page_lists_every_figure_from_the_data() {
    let site = SiteTest::shipped();
    let out = site.cli_ok(&["figures", "--format", "json"]);
    let table: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let method = site.build().file("method/index.html");
    let section = |id: &str| {
        let start = method
            .find(&format!("<h3 id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id} list: {method}"));
        let rest = &method[start..];
        rest[..rest.find("</section>").unwrap()].to_string()
    };
    let estimates = section("inventory-estimates");
    let reported = section("inventory-reported");
    let mut counted = 0;
    for figure in table["figures"].as_array().unwrap() {
        let name = figure["name"].as_str().unwrap();
        let link = format!("href=\"../figures/#fig-{name}\"");
        // Each list holds its kind and nothing else, generated from the data.
        let in_list = match figure["kind"].as_str().unwrap() {
            "estimate" => {
                counted += 1;
                &estimates
            }
            "reported" => &reported,
            _ => continue,
        };
        assert!(in_list.contains(&link), "{name} is missing: {in_list}");
        let other = if std::ptr::eq(in_list, &estimates) {
            &reported
        } else {
            &estimates
        };
        assert!(!other.contains(&link), "{name} is listed twice");
    }
    assert!(counted > 10, "{counted} estimates");
    assert!(
        estimates.contains(&format!("Estimates ({counted})")),
        "{estimates}"
    );
}

#[test]
fn shipped_prose_has_no_hand_typed_numbers() {
    // Every number in the prose must come from data/: outside code, figure
    // references and footnote labels, no digit may appear in the Markdown.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let body = text.splitn(3, "---\n").nth(2).unwrap_or(&text);
        let mut in_fence = false;
        for (number, line) in body.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence {
                continue;
            }
            let prose = PROPER_NAMES
                .iter()
                .fold(strip(line), |text, name| text.replace(name, ""));
            assert!(
                !prose.chars().any(|c| c.is_ascii_digit()),
                "{}:{}: a number typed by hand: {line}",
                entry.path().display(),
                number + 1
            );
        }
    }
}

/// Names that contain digits but state no quantity.
const PROPER_NAMES: &[&str] = &["Colossus 1", "S-1"];

/// The line without figure references, code spans and footnote labels.
fn strip(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        let next = [rest.find("{{"), rest.find('`'), rest.find("[^")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..start]);
        let (close, skip) = if rest[start..].starts_with("{{") {
            ("}}", 2)
        } else if rest[start..].starts_with('`') {
            ("`", 1)
        } else {
            ("]", 2)
        };
        match rest[start + skip..].find(close) {
            Some(end) => rest = &rest[start + skip + end + close.len()..],
            None => return out,
        }
    }
}

#[test]
fn shipped_home_page_renders_in_chromium() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let site = SiteTest::shipped();
    site.cli_ok(&["build"]);
    let tab = crate::support::open_page(&browser, &site.path("public/deal/index.html"));
    let title = tab.get_title().unwrap();
    assert!(title.starts_with("The deal in detail"), "{title}");
    // The stylesheet loads from disk through the relative root, so the layout applies.
    let styled = tab
        .evaluate("getComputedStyle(document.body).fontFamily", false)
        .unwrap()
        .value
        .unwrap();
    // Positive evidence, not "not the default": the font stack comes only from style.css.
    assert!(
        styled.as_str().is_some_and(|f| f.starts_with("system-ui")),
        "style.css did not load: font-family {styled:?}"
    );
    let figures = tab.find_elements(".fig > a.fig-link").unwrap();
    assert!(figures.len() > 10, "{} figure links", figures.len());
}

#[test]
fn shipped_briefing_passes_check_without_warnings() {
    let site = SiteTest::shipped();
    let out = site.cli(&["check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "", "no warnings");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("No problems found in 6 pages"),
        "{stdout}"
    );
}
