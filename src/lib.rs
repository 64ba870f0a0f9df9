//! briefing: a static-site generator for data-driven industry briefings.
//!
//! The pipeline runs in one direction: [`Site::load`] reads `briefing.yaml`, `data/`,
//! `content/`, `templates/` and `static/` into one value (reporting every problem at once);
//! [`engine::run`] renders every output, gives assets content-hashed names and checks
//! every link, handing each file to a sink as soon as it is made (re-rendering only
//! pages whose inputs changed since the build cache's last build); a
//! [`output::DiskSink`] moves them into the output folder all at once, a
//! [`build::MemorySink`] keeps them for the preview server and the tests.

pub mod build;
pub mod cache;
pub mod charts;
pub mod cli;
pub mod config;
pub mod content;
pub mod dates;
pub mod engine;
pub mod error;
pub mod figure_table;
pub mod figures;
pub mod files;
pub mod highlight;
pub mod init;
pub mod links;
pub mod markdown;
pub mod output;
pub mod provenance;
pub mod publish;
pub mod report;
pub mod serve;
pub mod site;
pub mod templates;
pub mod yaml;

use std::path::Path;
use std::time::{Duration, Instant};

pub use error::{Problem, Problems};
pub use site::{LoadOptions, Site};

/// What a build did, for the one line `build` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSummary {
    pub pages: usize,
    /// Pages rendered this build; the others were unchanged and kept from the last.
    pub rendered: usize,
    pub files: usize,
    pub bytes: usize,
    pub elapsed: Duration,
    /// Problems that did not stop the build (broken links with `--allow-broken-links`).
    pub warnings: Vec<Problem>,
    /// Links to other sites, listed, never fetched.
    pub external_links: usize,
}

/// Load the site in `root`, render it, check its links and write it to `output`. On
/// any problem (a broken internal link included) the output folder is left exactly as it was.
pub fn build(root: &Path, output: &Path, options: &LoadOptions) -> anyhow::Result<BuildSummary> {
    let publish = publish::Options {
        output_dir: files::display_path(root, output),
        ..publish::Options::default()
    };
    build_with(
        root,
        output,
        options,
        &publish,
        output::WriteOptions::default(),
    )
}

/// [`build`], with a choice of how to treat broken links and a filled output folder.
pub fn build_with(
    root: &Path,
    output: &Path,
    options: &LoadOptions,
    publish: &publish::Options,
    write: output::WriteOptions,
) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    // Before anything is read: a build must never be able to empty the site itself.
    output::check_output_dir(root, output)?;
    let mut timings = engine::Timings::default();
    let site = Site::load(root, options)?;
    timings.step("load");
    let cache_dir = root.join(cache::DIR_NAME);
    let previous = if options.no_cache {
        cache::PageRecords::default()
    } else {
        cache::PageRecords::load(&cache_dir)
    };
    let sink = output::DiskSink::new(output, write)?;
    // On any problem the sink is dropped unused: the output folder stays as it was.
    let outcome = engine::run(&site, publish, &sink, previous)?;
    timings.step("engine");
    sink.commit()?;
    timings.step("commit");
    if !options.no_cache {
        // The site is built: a cache that cannot be written costs the next build time only.
        let _ = site.highlights.save();
        if outcome.records_changed {
            let _ = outcome.records.save(&cache_dir);
        }
        timings.step("save cache");
    }
    let mut warnings = publish::warnings(&site);
    let summary = BuildSummary {
        pages: site.pages.len(),
        rendered: outcome.rendered,
        files: outcome.files,
        bytes: outcome.bytes as usize,
        elapsed: started.elapsed(),
        warnings: Vec::new(),
        external_links: outcome.links.external.len(),
    };
    warnings.extend(outcome.broken);
    // Freeing a large site takes a tenth of a second that nobody needs to wait for: a
    // process that ends right after a build does not.
    let records = outcome.records;
    std::thread::spawn(move || drop((site, records)));
    Ok(BuildSummary {
        warnings,
        ..summary
    })
}
