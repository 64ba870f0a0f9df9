//! Benchmark: generate a large realistic site and time whole-process `briefing build` runs.
//!
//! `cargo bench --bench build` reports, each as the median of several runs of its own
//! process with its peak resident memory (from wait4):
//! - cold: no `public/` and no `.briefing-cache/`;
//! - warm: a second build with nothing changed;
//! - one page changed: one page's text edited between builds;
//! - a 1-page site and the shipped briefing, cold;
//! - with BRIEFING_BENCH_SCALE=1000,10000,20000: cold builds at each size, to show growth;
//! - large inputs (one page with 100,000 links, a 10 MB page, 5,000 figures, 10,000
//!   headings), each against a tiny site: the time they add must stay well under a second.
//!
//! Env: BRIEFING_BENCH_PAGES=10000 (0: only the small sites and the large inputs), BRIEFING_BENCH_RUNS=3, BRIEFING_BENCH_DIR=path to keep
//! the generated site, BRIEFING_BENCH_BIN=path to time another `briefing` binary (a before/after).

mod corpus;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use corpus::generate;

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments so the libtest protocol does not matter.
    let pages: usize = env_or("BRIEFING_BENCH_PAGES", 10_000);
    let runs: usize = env_or("BRIEFING_BENCH_RUNS", 3).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    // BRIEFING_BENCH_DIR keeps the generated site there, for profiling by hand.
    let kept = std::env::var_os("BRIEFING_BENCH_DIR").map(PathBuf::from);
    let root = kept.as_deref().unwrap_or(dir.path());
    let mut lines = Vec::new();

    let small = tempfile::tempdir().expect("temp dir");
    generate(small.path(), 1);
    lines.push(report(
        "cold build, 1-page site",
        &measure(small.path(), 21, Kind::Cold),
    ));
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped_out = tempfile::tempdir().expect("temp dir");
    let shipped_runs: Vec<Run> = (0..21)
        .map(|_| {
            let _ = std::fs::remove_dir_all(shipped_out.path().join("public"));
            time_build(
                shipped,
                &["--no-cache"],
                Some(&shipped_out.path().join("public")),
            )
        })
        .collect();
    lines.push(report("cold build, shipped briefing", &shipped_runs));

    if pages == 0 {
        // BRIEFING_BENCH_PAGES=0: the small sites and the large inputs only.
        return large_inputs(runs, lines);
    }
    let started = Instant::now();
    generate(root, pages);
    eprintln!(
        "generated {pages} pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    lines.push(report(
        &format!("cold build, {pages} pages"),
        &measure(root, runs, Kind::Cold),
    ));
    lines.push(report(
        &format!("fresh clone, {pages} pages, shared highlight cache warm"),
        &measure(root, runs, Kind::FreshClone),
    ));
    lines.push(report(
        &format!("warm build, {pages} pages, nothing changed"),
        &measure(root, runs, Kind::Warm),
    ));
    lines.push(report(
        &format!("warm build, {pages} pages, one page changed"),
        &measure(root, runs, Kind::OneChanged),
    ));

    if let Ok(sizes) = std::env::var("BRIEFING_BENCH_SCALE") {
        for size in sizes
            .split(',')
            .filter_map(|s| s.trim().parse::<usize>().ok())
        {
            let scaled = tempfile::tempdir().expect("temp dir");
            generate(scaled.path(), size);
            let result = measure(scaled.path(), runs, Kind::Cold);
            let mut times: Vec<Duration> = result.iter().map(|r| r.elapsed).collect();
            times.sort();
            let median = times[times.len() / 2].as_secs_f64();
            lines.push(format!(
                "{}, {:.0} µs per page",
                report(&format!("scaling: cold build, {size} pages"), &result),
                median * 1e6 / size as f64
            ));
        }
    }
    large_inputs(runs, lines);
}

fn large_inputs(runs: usize, mut lines: Vec<String>) {
    // Inputs that are large in one way: each must cost time in proportion to its size
    // (well under a second more than the tiny site on this machine).
    let mut baseline = None;
    for shape in corpus::Large::ALL {
        let site = tempfile::tempdir().expect("temp dir");
        corpus::generate_large(site.path(), shape);
        let result = measure(site.path(), runs.max(5), Kind::Cold);
        let mut times: Vec<Duration> = result.iter().map(|r| r.elapsed).collect();
        times.sort();
        let median = times[times.len() / 2];
        let base = *baseline.get_or_insert(median);
        lines.push(format!(
            "{}, {} more than the tiny site",
            report(&format!("large input: {}", shape.name()), &result),
            seconds(median.saturating_sub(base).as_secs_f64())
        ));
    }
    for line in lines {
        println!("{line}");
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// No `public/`, no `.briefing-cache/` and an empty shared highlight cache.
    Cold,
    /// No `public/` and no `.briefing-cache/` (a fresh clone of the site), with the shared
    /// highlight cache that an earlier build of it filled.
    FreshClone,
    Warm,
    OneChanged,
}

/// The shared highlight cache of every build the benchmark runs, so that none reads or
/// fills the user's own.
fn shared_cache() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

fn clear(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

struct Run {
    elapsed: Duration,
    peak_kib: i64,
}

/// `runs` builds of the site in `root`.
fn measure(root: &Path, runs: usize, kind: Kind) -> Vec<Run> {
    let mut result = Vec::new();
    if !matches!(kind, Kind::Cold) {
        // The warm runs start from a finished build and its caches.
        time_build(root, &[], None);
    }
    for run in 0..runs {
        match kind {
            Kind::Cold => {
                clear(&root.join("public"));
                clear(&root.join(".briefing-cache"));
                clear(shared_cache());
            }
            Kind::FreshClone => {
                clear(&root.join("public"));
                clear(&root.join(".briefing-cache"));
            }
            Kind::Warm => {}
            Kind::OneChanged => {
                let page = root.join("content/part0/s0.md");
                if page.exists() {
                    let mut text = std::fs::read_to_string(&page).expect("read page");
                    let _ = writeln!(text, "\nAn edit, number {run}.");
                    std::fs::write(&page, text).expect("edit page");
                }
            }
        }
        let measured = time_build(root, &[], None);
        eprintln!(
            "  run {}: {:.3} s, peak {} MiB",
            run + 1,
            measured.elapsed.as_secs_f64(),
            measured.peak_kib / 1024
        );
        result.push(measured);
    }
    result
}

fn report(name: &str, runs: &[Run]) -> String {
    let mut peaks: Vec<i64> = runs.iter().map(|r| r.peak_kib).collect();
    peaks.sort();
    let mut times: Vec<Duration> = runs.iter().map(|r| r.elapsed).collect();
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    let line = format!(
        "{name}: median {} over {} runs (min {}), peak memory {} MiB",
        seconds(median),
        runs.len(),
        seconds(times[0].as_secs_f64()),
        peaks[peaks.len() / 2] / 1024
    );
    eprintln!("{line}");
    line
}

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Run one build as its own process; its wall time and peak RSS (KiB) from wait4.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by libc::wait4, which also gives its rusage"
)]
fn time_build(root: &Path, args: &[&str], output: Option<&Path>) -> Run {
    let binary = std::env::var_os("BRIEFING_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_briefing")),
        PathBuf::from,
    );
    let mut command = Command::new(binary);
    command.env("BRIEFING_CACHE_DIR", shared_cache());
    command.arg("build").arg("--root").arg(root);
    if let Some(output) = output {
        command.arg("--output").arg(output);
    }
    // A binary from before `--no-cache` existed has no cache to skip.
    if std::env::var_os("BRIEFING_BENCH_BIN").is_none() {
        command.args(args);
    }
    let started = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start briefing");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child's pid with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "build failed"
    );
    Run {
        elapsed,
        peak_kib: usage.ru_maxrss,
    }
}
