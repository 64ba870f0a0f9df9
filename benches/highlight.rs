//! Benchmark: syntect alone on the build benchmark's code blocks, to show how much of a
//! cold build no other part of briefing can win back.
//!
//! `cargo bench --bench highlight` (env: BRIEFING_BENCH_PAGES=10000) generates the same
//! corpus as `--bench build`, takes out its code blocks (one 30-line block per page, in
//! Rust, Python or YAML) and highlights each with `briefing::render::highlight::highlight`, the
//! function a build uses: first on one core per language, then on every core.

mod corpus;

use std::time::Instant;

use rayon::prelude::*;

fn main() {
    let pages: usize = std::env::var("BRIEFING_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    corpus::generate(dir.path(), pages);
    let blocks = code_blocks(&dir.path().join("content"));
    let lines: usize = blocks.iter().map(|(code, _)| code.lines().count()).sum();
    // Loading the syntax set is part of the first call; keep it out of the figures.
    for language in ["rust", "python", "yaml"] {
        briefing::render::highlight::highlight("x\n", language);
    }
    let mut total = 0.0;
    for language in ["rust", "python", "yaml"] {
        let started = Instant::now();
        let mut count = 0;
        for (code, _) in blocks.iter().filter(|(_, l)| l == language) {
            std::hint::black_box(briefing::render::highlight::highlight(code, language));
            count += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        total += seconds;
        println!("{language}: {count} blocks on one core in {seconds:.2} s");
    }
    println!(
        "all {} blocks ({lines} lines) on one core: {total:.2} s, {:.0} µs per line",
        blocks.len(),
        total * 1e6 / lines as f64
    );
    let started = Instant::now();
    blocks.par_iter().for_each(|(code, language)| {
        std::hint::black_box(briefing::render::highlight::highlight(code, language));
    });
    println!(
        "all blocks on {} cores: {:.2} s",
        rayon::current_num_threads(),
        started.elapsed().as_secs_f64()
    );
}

/// Every fenced block of every page below `dir`, with its language.
fn code_blocks(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("read page");
        let mut rest = text.as_str();
        while let Some(start) = rest.find("```") {
            let after = &rest[start + 3..];
            let Some(newline) = after.find('\n') else {
                break;
            };
            let language = after[..newline].trim().to_string();
            let body = &after[newline + 1..];
            let Some(end) = body.find("```") else { break };
            if !language.is_empty() {
                blocks.push((body[..end].to_string(), language));
            }
            rest = &body[end + 3..];
        }
    }
    blocks
}
