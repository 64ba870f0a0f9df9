//! The build cache (`.briefing-cache/`) and the writing of unchanged files: after every
//! kind of change, a warm build's `public/` is byte for byte a cold build's.

use std::os::unix::fs::MetadataExt as _;

use crate::support::{SiteTest, snapshot_tree};

/// Build warm (cache and previous `public/` in place), then cold with `--no-cache` into
/// another folder, and require the two trees to be identical.
fn assert_warm_equals_cold(site: &SiteTest, after: &str) {
    let warm = site.cli(&["build"]);
    assert!(warm.status.success(), "{after}: {warm:?}");
    let cold_dir = tempfile::tempdir().unwrap();
    let cold_out = cold_dir.path().join("public");
    let cold = site.cli(&[
        "build",
        "--no-cache",
        "--output",
        cold_out.to_str().unwrap(),
    ]);
    assert!(cold.status.success(), "{after}: {cold:?}");
    let warm_tree = snapshot_tree(&site.path("public"));
    let cold_tree = snapshot_tree(&cold_out);
    assert_eq!(
        warm_tree.keys().collect::<Vec<_>>(),
        cold_tree.keys().collect::<Vec<_>>(),
        "{after}: the same files"
    );
    for (path, bytes) in &warm_tree {
        assert!(
            cold_tree[path] == *bytes,
            "{after}: {} differs between a warm and a cold build",
            path.display()
        );
    }
}

fn code_page(n: u32) -> String {
    format!(
        "---\ntitle: Code\ndate: 2026-11-20\n---\nSee [alpha](alpha.md).\n\n```rust\nfn cost() -> u32 {{ {n} }}\n```\n\n```python\nx = {n}\n```\n"
    )
}

#[test]
fn warm_builds_match_cold_builds_after_every_kind_of_change() {
    let site = SiteTest::from_dir("basic");
    site.write("content/code.md", &code_page(1));
    assert_warm_equals_cold(&site, "first build");
    assert!(
        site.path(".briefing-cache").is_dir(),
        "a build keeps its cache in the site's folder"
    );
    assert_warm_equals_cold(&site, "nothing changed");

    site.write("content/code.md", &code_page(2));
    assert_warm_equals_cold(&site, "code block changed");

    let alpha = std::fs::read_to_string(site.path("content/alpha.md")).unwrap();
    site.write(
        "content/alpha.md",
        &alpha.replace("new terms", "revised terms"),
    );
    assert_warm_equals_cold(&site, "content changed");

    // A dated page's summary is in the feed; a nested page is in no navigation, so a
    // change to its summary alone is what makes the documents again.
    site.write(
        "content/notes/dated.md",
        "---\ntitle: Dated\ndate: 2026-11-28\n---\nA first paragraph for the feed.\n",
    );
    assert_warm_equals_cold(&site, "dated page added");
    site.write(
        "content/notes/dated.md",
        "---\ntitle: Dated\ndate: 2026-11-28\n---\nAnother first paragraph for the feed.\n",
    );
    assert_warm_equals_cold(&site, "summary in the feed changed");

    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    site.write(
        "data/figures.yaml",
        &figures.replace("value: 300", "value: 450"),
    );
    assert_warm_equals_cold(&site, "figure changed");

    let template = std::fs::read_to_string(site.path("templates/page.html")).unwrap();
    site.write(
        "templates/page.html",
        &template.replace("<h1>", "<h1 class=\"changed\">"),
    );
    assert_warm_equals_cold(&site, "template changed");

    let style = std::fs::read_to_string(site.path("static/style.css")).unwrap();
    site.write(
        "static/style.css",
        &format!("{style}\nh1 {{ color: red }}\n"),
    );
    assert_warm_equals_cold(&site, "static file changed");

    // A static file of a document's name replaces the document.
    site.write("static/robots.txt", "User-agent: *\nDisallow: /\n");
    assert_warm_equals_cold(&site, "static file replaces a document");
    site.remove("static/robots.txt");
    assert_warm_equals_cold(&site, "the document is made again");

    let config = std::fs::read_to_string(site.path("briefing.yaml")).unwrap();
    site.write(
        "briefing.yaml",
        &config.replace("Fixture briefing", "Renamed briefing"),
    );
    assert_warm_equals_cold(&site, "config changed");

    let beta = std::fs::read_to_string(site.path("content/beta.md")).unwrap();
    site.write(
        "content/beta.md",
        &beta.replacen("title:", "title: Renamed", 1),
    );
    assert_warm_equals_cold(&site, "a title in every page's navigation changed");

    site.write(
        "content/delta.md",
        "---\ntitle: Delta\nweight: 1\n---\nA new page between others.\n",
    );
    assert_warm_equals_cold(&site, "page added");

    site.remove("content/code.md");
    assert_warm_equals_cold(&site, "page deleted");
}

#[test]
fn a_figure_change_renders_only_the_pages_that_show_it() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["build"]);
    let inode = |rel: &str| std::fs::metadata(site.path(rel)).unwrap().ino();
    let before = |rel: &str| (rel.to_string(), inode(rel));
    let pages = [
        before("public/alpha/index.html"),
        before("public/beta/index.html"),
        before("public/gamma/index.html"),
        before("public/figures/index.html"),
    ];
    let figures = std::fs::read_to_string(site.path("data/figures.yaml")).unwrap();
    // `capacity` is shown on alpha only (and on the figures page).
    site.write(
        "data/figures.yaml",
        &figures.replace("value: 300", "value: 450"),
    );
    let out = site.cli_ok(&["build"]);
    let changed: Vec<&str> = pages
        .iter()
        .filter(|(rel, ino)| inode(rel) != *ino)
        .map(|(rel, _)| rel.as_str())
        .collect();
    assert_eq!(
        changed,
        ["public/alpha/index.html", "public/figures/index.html"],
        "{out:?}"
    );
    // Alpha and home (its key-figure cards list every figure); not beta or gamma.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(2 rendered, the rest unchanged;"),
        "{stdout}"
    );
    let out = site.cli_ok(&["build"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(0 rendered, the rest unchanged;"),
        "{stdout}"
    );
    assert!(
        std::fs::read_to_string(site.path("public/alpha/index.html"))
            .unwrap()
            .contains("450")
    );
}

#[test]
fn a_warm_build_rewrites_only_changed_files() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["build"]);
    let inode = |rel: &str| std::fs::metadata(site.path(rel)).unwrap().ino();
    let (beta, figures) = (
        inode("public/beta/index.html"),
        inode("public/figures/index.html"),
    );
    let gamma = std::fs::read_to_string(site.path("content/gamma.md")).unwrap();
    site.write("content/gamma.md", &format!("{gamma}\nOne more line.\n"));
    site.cli_ok(&["build"]);
    assert_eq!(inode("public/beta/index.html"), beta, "beta did not change");
    assert_eq!(inode("public/figures/index.html"), figures);
    let text = std::fs::read_to_string(site.path("public/gamma/index.html")).unwrap();
    assert!(text.contains("One more line."));
}

#[test]
fn no_cache_neither_reads_nor_writes_the_cache() {
    let site = SiteTest::from_dir("basic");
    let out = site.cli(&["build", "--no-cache"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!site.path(".briefing-cache").exists());
}

/// Every file of the cache as the last build left it.
fn cache_files(site: &SiteTest) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(site.path(".briefing-cache"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Put the cache back exactly as `files` holds it, nothing more.
fn restore_cache(site: &SiteTest, files: &[(String, Vec<u8>)]) {
    let dir = site.path(".briefing-cache");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::create_dir(&dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// A site whose cache holds highlighted code, page records and an index, built once,
/// and the bytes of a cold `--no-cache` build of it.
fn site_with_cache() -> (
    SiteTest,
    std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) {
    let site = SiteTest::from_dir("basic");
    site.write("content/code.md", &code_page(1));
    site.cli_ok(&["build"]);
    let cold_dir = tempfile::tempdir().unwrap();
    let cold_out = cold_dir.path().join("public");
    site.cli_ok(&[
        "build",
        "--no-cache",
        "--output",
        cold_out.to_str().unwrap(),
    ]);
    (site, snapshot_tree(&cold_out))
}

/// Build with the cache as it is, with no earlier output (so every page is rendered and
/// every cached block read), and require the cold build's bytes and a warning naming `file`.
fn assert_damage_is_survived(
    site: &SiteTest,
    cold: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
    file: &str,
    damage: &str,
) {
    std::fs::remove_dir_all(site.path("public")).unwrap();
    let out = site.cli(&["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{file} {damage}: the build failed:\n{stderr}"
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains(file)),
        "{file} {damage}: no warning names the damaged file:\n{stderr}"
    );
    assert!(
        warnings.len() <= 3,
        "{file} {damage}: one line per damaged file:\n{stderr}"
    );
    let warm = snapshot_tree(&site.path("public"));
    assert_eq!(
        warm.keys().collect::<Vec<_>>(),
        cold.keys().collect::<Vec<_>>(),
        "{file} {damage}: the same files"
    );
    for (path, bytes) in &warm {
        assert!(
            cold[path] == *bytes,
            "{file} {damage}: {} differs from a --no-cache build",
            path.display()
        );
    }
}

#[test]
fn a_damaged_cache_is_ignored_with_a_warning() {
    let (site, cold) = site_with_cache();
    let pristine = cache_files(&site);
    assert!(
        pristine.len() >= 3,
        "index, code blocks and page records: {pristine:?}"
    );
    for (name, _) in &pristine {
        restore_cache(&site, &pristine);
        site.write(&format!(".briefing-cache/{name}"), "not a cache");
        assert_damage_is_survived(&site, &cold, name, "overwritten");
    }
}

#[test]
fn each_cache_file_cut_short_or_with_a_flipped_byte_gives_the_cold_output() {
    let (site, cold) = site_with_cache();
    let pristine = cache_files(&site);
    assert!(
        pristine.len() >= 3,
        "index, code blocks and page records: {pristine:?}"
    );
    for (name, bytes) in &pristine {
        let len = bytes.len();
        // In the header, just after it, in the middle and at the very end.
        let mut offsets = vec![0, 5, 9, 13, 17, 21, 30, 41, len / 3, len / 2, len - 1];
        offsets.retain(|&o| o < len);
        offsets.sort_unstable();
        offsets.dedup();
        for &offset in &offsets {
            restore_cache(&site, &pristine);
            let mut damaged = bytes.clone();
            damaged[offset] ^= 0x5a;
            std::fs::write(site.path(&format!(".briefing-cache/{name}")), &damaged).unwrap();
            assert_damage_is_survived(
                &site,
                &cold,
                name,
                &format!("byte {offset} of {len} flipped"),
            );
        }
        for cut in [0, 1, 8, len / 2, len - 1] {
            restore_cache(&site, &pristine);
            std::fs::write(site.path(&format!(".briefing-cache/{name}")), &bytes[..cut]).unwrap();
            assert_damage_is_survived(&site, &cold, name, &format!("cut to {cut} of {len} bytes"));
        }
    }
}

#[test]
fn a_warm_build_finds_a_link_broken_by_a_change_to_another_page() {
    let site = SiteTest::from_dir("basic");
    site.cli_ok(&["build"]);
    site.cli_ok(&["build"]);
    // Gamma links to `alpha.md#costs`; gamma itself does not change.
    let alpha = std::fs::read_to_string(site.path("content/alpha.md")).unwrap();
    site.write("content/alpha.md", &alpha.replace("## Costs", "## Prices"));
    for args in [&["build"][..], &["build", "--no-cache"][..]] {
        let out = site.cli(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("content/gamma.md") && stderr.contains("broken anchor"),
            "{args:?}: {stderr}"
        );
    }
    site.write("content/alpha.md", &alpha);
    site.cli_ok(&["build"]);
}

/// A cold build of more pages than its first pass renders whole finishes each page whose
/// template reads no Markdown of other pages in that pass, from listings of front matter
/// alone (one Markdown pass per page). Its bytes must be those of the same pages rendered
/// after every page's Markdown is read, as a build does when only the settings changed.
#[test]
fn pages_finished_in_the_first_pass_equal_pages_rendered_after_it() {
    let site = SiteTest::from_dir("basic");
    // Waits for every page's Markdown: it lists summaries and reading times.
    site.write(
        "templates/list.html",
        "<h1>{{ page.title }}</h1>{% for p in pages %}<li>{{ p.title }}: {{ p.summary }} ({{ p.reading_minutes }} min, {{ p.word_count }} words)</li>{% endfor %}",
    );
    // Finished in the first pass: it reads its own reading time, and only titles and
    // URLs of the listed pages (in base.html's navigation).
    site.write(
        "templates/page.html",
        "{% extends \"base.html\" %}{% block content %}<main>{{ page.reading_minutes }} min {{ page.summary }}{{ page.content }}{% if page.next %}<a href=\"{{ root }}{{ page.next.url }}\">{{ page.next.title }}</a>{% endif %}</main>{% endblock content %}",
    );
    // More than the 256 pages a first pass renders whole and keeps.
    for i in 0..300 {
        let template = if i % 100 == 0 {
            "template: list.html\n"
        } else {
            ""
        };
        site.write(
            &format!("content/many/p{i:03}.md"),
            &format!(
                "---\ntitle: Part {i}\n{template}---\nPart {i} runs for {} words and links to [the next](p{:03}.md).\n\n```rust\nfn part() -> u32 {{ {i} }}\n```\n",
                "many ".repeat(i % 7),
                (i + 1) % 300
            ),
        );
    }
    site.cli_ok(&["build"]);
    let first = snapshot_tree(&site.path("public"));
    assert!(
        String::from_utf8_lossy(&first[std::path::Path::new("many/p100/index.html")])
            .contains("Part 6: <p>Part 6 runs for many many many many many many  words"),
        "a listing page shows every page's summary"
    );
    // A change to the settings renders every page again after all are read (their
    // Markdown is kept); undoing it renders them again, the same way.
    let settings = std::fs::read_to_string(site.path("briefing.yaml")).unwrap();
    site.write(
        "briefing.yaml",
        &settings.replace("Fixture briefing", "Another title"),
    );
    site.cli_ok(&["build"]);
    site.write("briefing.yaml", &settings);
    let again = site.cli_ok(&["build"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("304 rendered"),
        "every page was rendered again: {}",
        String::from_utf8_lossy(&again.stdout)
    );
    let second = snapshot_tree(&site.path("public"));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{} differs between the first pass and the second",
            path.display()
        );
    }
}
