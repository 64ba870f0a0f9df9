//! Benchmark: generate a large realistic site and time whole-process `briefing build` runs.
//!
//! `cargo bench --bench build` (env: BRIEFING_BENCH_PAGES=10000, BRIEFING_BENCH_RUNS=3,
//! BRIEFING_BENCH_DIR=path to keep the generated site).
//! Reports wall time, pages per second and peak resident memory of the build process.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments so the libtest protocol does not matter.
    let pages: usize = env_or("BRIEFING_BENCH_PAGES", 10_000);
    let runs: usize = env_or("BRIEFING_BENCH_RUNS", 3);
    let dir = tempfile::tempdir().expect("temp dir");
    // BRIEFING_BENCH_DIR keeps the generated site there, for profiling by hand.
    let kept = std::env::var_os("BRIEFING_BENCH_DIR").map(std::path::PathBuf::from);
    let root = kept.as_deref().unwrap_or(dir.path());
    let started = Instant::now();
    generate(root, pages);
    eprintln!(
        "generated {pages} pages in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for run in 0..runs {
        let _ = std::fs::remove_dir_all(root.join("public"));
        let (elapsed, peak_kib) = time_build(root);
        eprintln!(
            "run {}: {:.2} s, peak {} MiB",
            run + 1,
            elapsed.as_secs_f64(),
            peak_kib / 1024
        );
        times.push(elapsed);
        peaks.push(peak_kib);
    }
    times.sort();
    peaks.sort();
    let median = times[times.len() / 2];
    println!(
        "cold build, {pages} pages: median {:.2} s over {runs} runs (min {:.2} s), {:.0} pages/s, peak memory {} MiB",
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        pages as f64 / median.as_secs_f64(),
        peaks[peaks.len() / 2] / 1024
    );
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
fn time_build(root: &Path) -> (Duration, i64) {
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .arg("build")
        .arg("--root")
        .arg(root)
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
    (elapsed, usage.ru_maxrss)
}

/// A deterministic pseudo-random sequence, so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "capacity",
    "lease",
    "compute",
    "megawatt",
    "contract",
    "ramp",
    "tenant",
    "operator",
    "revenue",
    "discount",
    "cluster",
    "facility",
    "grid",
    "demand",
    "supply",
    "margin",
    "schedule",
    "term",
    "buyer",
    "market",
    "model",
    "training",
    "inference",
    "cost",
    "power",
    "cooling",
    "site",
    "expansion",
    "filing",
    "forecast",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "as",
    "is",
    "that",
    "from",
    "its",
    "over",
    "under",
    "while",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let word = rng.pick(WORDS);
        if i == 0 {
            let mut c = word.chars();
            s.extend(c.next().map(|c| c.to_ascii_uppercase()));
            s.push_str(c.as_str());
        } else {
            s.push_str(word);
        }
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Rng) -> String {
    (0..5)
        .map(|_| sentence(rng, 14))
        .collect::<Vec<_>>()
        .join(" ")
}

const RUST: &str = "pub fn monthly_cost(rate: f64, megawatts: f64) -> f64 {\n    let base = rate * megawatts;\n    if base > 1.0e9 {\n        base * 0.98\n    } else {\n        base\n    }\n}\n";
const PYTHON: &str = "def monthly_cost(rate: float, megawatts: float) -> float:\n    \"\"\"Cost of a lease for one month.\"\"\"\n    base = rate * megawatts\n    if base > 1e9:\n        return base * 0.98\n    return base\n\n";
const YAML: &str = "lease:\n  tenant: example\n  capacity_mw: 300\n  term:\n    start: 2026-06\n    end: 2029-05\n  payments:\n    - month: 1\n      amount: 1.0e9\n";

fn code(rng: &mut Rng) -> (String, &'static str) {
    let (lang, unit) = match rng.next() % 3 {
        0 => ("rust", RUST),
        1 => ("python", PYTHON),
        _ => ("yaml", YAML),
    };
    let mut text = String::new();
    while text.lines().count() < 30 {
        text.push_str(unit);
    }
    let text: String = text.lines().take(30).map(|l| format!("{l}\n")).collect();
    (text, lang)
}

fn page(rng: &mut Rng, index: usize, pages: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "---\ntitle: \"Section {index}: {}\"\ndescription: \"{}\"\ndate: 2026-11-27\nweight: {index}\n---\n",
        sentence(rng, 4).trim_end_matches('.'),
        sentence(rng, 10)
    );
    let _ = writeln!(
        md,
        "{} The lease costs {{{{ monthly_payment }}}}, or {{{{ annual_run_rate }}}}.\n",
        paragraph(rng)
    );
    for h in 0..4 {
        let _ = writeln!(md, "## {} {h}\n", sentence(rng, 3).trim_end_matches('.'));
        let _ = writeln!(md, "{}[^{h}]\n", paragraph(rng));
        let _ = writeln!(md, "{}\n", paragraph(rng));
        if h == 1 {
            for _ in 0..4 {
                let _ = writeln!(
                    md,
                    "- {} with **{}** and a [link](https://example.org/{})",
                    sentence(rng, 6),
                    rng.pick(WORDS),
                    rng.next() % 1000
                );
            }
            md.push('\n');
        }
        if h == 2 {
            md.push_str("| Item | Value | Note |\n|---|---:|---|\n");
            for _ in 0..4 {
                let _ = writeln!(
                    md,
                    "| {} | {{{{ capacity }}}} | {} |",
                    rng.pick(WORDS),
                    sentence(rng, 3)
                );
            }
            md.push('\n');
        }
        if h == 3 {
            let (code, lang) = code(rng);
            let _ = writeln!(md, "```{lang}\n{code}```\n");
            let other = (index + 1) % pages;
            let _ = writeln!(md, "See [the next section](s{other}.md) for more.\n");
        }
    }
    for h in 0..4 {
        let _ = writeln!(md, "[^{h}]: {}", sentence(rng, 8));
    }
    md
}

fn generate(root: &Path, pages: usize) {
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(
        root.join("briefing.yaml"),
        "title: Benchmark briefing\ndescription: A generated site\nbase_url: https://example.com\nkey_figures: [monthly_payment]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("data/figures.yaml"),
        "sources:\n  article:\n    title: Report\nfigures:\n  monthly_payment:\n    value: 1.25 billion\n    unit: USD/month\n    source: article\n  capacity:\n    value: 300\n    unit: MW\n    source: article\n  annual_run_rate:\n    formula: monthly_payment\n    unit: USD/year\n",
    )
    .unwrap();
    std::fs::write(
        root.join("content/_index.md"),
        "---\ntitle: Home\n---\nA generated briefing.\n",
    )
    .unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for index in 0..pages {
        // Folders of 100 pages, like a real archive, not one flat folder.
        let dir = root.join("content").join(format!("part{}", index / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = page(&mut rng, index, pages);
        // Links are relative to the file: sibling pages share the folder.
        let other = (index + 1) % pages;
        text = text.replace(
            &format!("(s{other}.md)"),
            &format!("(../part{}/s{other}.md)", other / 100),
        );
        std::fs::write(dir.join(format!("s{index}.md")), text).unwrap();
    }
}
