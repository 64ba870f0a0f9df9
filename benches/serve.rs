//! Benchmark: time from saving a Markdown file to the reloaded page in a real browser, under `briefing serve`.
//!
//! `cargo bench --bench serve` (env: BRIEFING_BENCH_PAGES=1000, BRIEFING_BENCH_SAVES=9).
//! Measures the shipped briefing and a generated site; needs Chromium (see tests/it/browser.rs).
//! Each save appends a marker paragraph to one page; the time runs from the write until
//! that page, open in headless Chromium, shows the marker after its automatic reload.

#[path = "../tests/it/browser.rs"]
mod browser;
mod corpus;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use briefing::cli::serve::{ServeOptions, serve};
use corpus::generate;

// The allocator of the `briefing` binary, so the preview is timed as users run it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    briefing::cli::tune_allocator();
    let pages: usize = env_or("BRIEFING_BENCH_PAGES", 1000);
    let saves: usize = env_or("BRIEFING_BENCH_SAVES", 9);
    let Some(browser) = browser::launch() else {
        eprintln!("no Chromium: nothing measured");
        return;
    };

    let shipped = tempfile::tempdir().expect("temp dir");
    copy_shipped(shipped.path());
    let generated = tempfile::tempdir().expect("temp dir");
    generate(generated.path(), pages);

    let mut lines = Vec::new();
    for (name, root, page, url) in [
        (
            "shipped briefing".to_string(),
            shipped.path(),
            "content/deal.md",
            "deal/",
        ),
        (
            format!("generated site, {pages} pages"),
            generated.path(),
            "content/part4/s450.md",
            "part4/s450/",
        ),
    ] {
        let times = measure(&browser, root, page, url, saves);
        let mut sorted = times.clone();
        sorted.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        lines.push(format!(
            "save to reloaded page, {name}: median {:.0} ms over {saves} saves (min {:.0} ms, max {:.0} ms)",
            ms(sorted[sorted.len() / 2]),
            ms(sorted[0]),
            ms(sorted[sorted.len() - 1])
        ));
    }
    for line in lines {
        println!("{line}");
    }
}

fn measure(
    browser: &headless_chrome::Browser,
    root: &Path,
    page: &str,
    url: &str,
    saves: usize,
) -> Vec<Duration> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let handle = runtime
        .block_on(serve(ServeOptions {
            root: root.to_path_buf(),
            port: 0,
            ..ServeOptions::default()
        }))
        .expect("serve");
    let tab = browser.new_tab().expect("tab");
    tab.navigate_to(&format!("{}{url}", handle.url()))
        .expect("navigate")
        .wait_until_navigated()
        .expect("page loads");

    let path = root.join(page);
    let original = std::fs::read_to_string(&path).expect("page source");
    let mut times = Vec::new();
    for save in 0..saves {
        let marker = format!("livemarker{}", letters(save));
        // Gone after a full reload, kept when the new body is swapped in place; the
        // observer notes the moment the marker is in the page, so the polling below
        // (each poll a round trip to the browser) does not add to the time measured.
        let _ = tab.evaluate(
            &format!(
                "window.__briefingKept = true; window.__briefingSeen = 0; \
                 new MutationObserver(function () {{ \
                   if (!window.__briefingSeen && document.body && document.body.textContent.includes('{marker}')) \
                     window.__briefingSeen = Date.now(); \
                 }}).observe(document.documentElement, {{ childList: true, subtree: true }});"
            ),
            false,
        );
        let saved_at = std::time::SystemTime::now();
        std::fs::write(&path, format!("{original}\n\nThe {marker} paragraph.\n")).expect("save");
        let saved = Instant::now();
        let check =
            // textContent, not innerText: innerText lays the page out on every poll, which
            // on a long page costs more than the reload being measured.
            format!("document.body !== null && document.body.textContent.includes('{marker}')");
        loop {
            let shown = tab
                .evaluate(&check, false)
                .ok()
                .and_then(|r| r.value)
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if shown {
                break;
            }
            assert!(saved.elapsed() < Duration::from_secs(60), "no reload");
            std::thread::sleep(Duration::from_millis(2));
        }
        let polled = saved.elapsed();
        let seen_ms = tab
            .evaluate("window.__briefingSeen || 0", false)
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let saved_ms = saved_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
        // A full reload loses the observer: then the polled time is all there is.
        times.push(if seen_ms > saved_ms {
            Duration::from_secs_f64((seen_ms - saved_ms) / 1000.0)
        } else {
            polled
        });
        let kept = tab
            .evaluate("window.__briefingKept === true", false)
            .ok()
            .and_then(|r| r.value)
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if !kept {
            eprintln!("  save {save}: the page was reloaded, not updated in place");
        }
        // Let the server settle so the saves do not run into each other.
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = tab.close(true);
    runtime.block_on(handle.shutdown()).expect("shutdown");
    times
}

/// A number spelled in letters, so the marker is one word the page search cannot confuse.
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn copy_shipped(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"));
    for part in ["briefing.yaml", "content", "data", "templates", "static"] {
        let source = from.join(part);
        if source.is_file() {
            std::fs::copy(&source, to.join(part)).expect("copy");
            continue;
        }
        for entry in walkdir::WalkDir::new(&source) {
            let entry = entry.expect("walk");
            let target: PathBuf = to
                .join(part)
                .join(entry.path().strip_prefix(&source).unwrap());
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
        }
    }
}
