//! briefing: a static-site generator for data-driven industry briefings.
//!
//! The pipeline runs in one direction: [`Site::load`] reads `briefing.yaml`, `data/`,
//! `content/`, `templates/` and `static/` into one value (reporting every problem at once);
//! [`build::render`] turns that value into output files in memory; [`publish::prepare`]
//! gives assets content-hashed names and checks every link; [`build::write`] swaps
//! them into the output folder all at once.

pub mod build;
pub mod cache;
pub mod charts;
pub mod cli;
pub mod config;
pub mod content;
pub mod error;
pub mod figure_table;
pub mod figures;
pub mod files;
pub mod highlight;
pub mod init;
pub mod links;
pub mod markdown;
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
    build_with(root, output, options, &publish)
}

/// [`build`], with a choice of how to treat broken links.
pub fn build_with(
    root: &Path,
    output: &Path,
    options: &LoadOptions,
    publish: &publish::Options,
) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    let site = Site::load(root, options)?;
    let published = publish::prepare(&site, publish)?;
    build::write(&published.outputs, output)?;
    if !options.no_cache {
        // The site is built: a cache that cannot be written costs the next build time only.
        let _ = site.highlights.save(&root.join(cache::DIR_NAME));
    }
    Ok(BuildSummary {
        pages: site.pages.len(),
        files: published.outputs.len(),
        bytes: published.outputs.iter().map(|o| o.bytes.len()).sum(),
        elapsed: started.elapsed(),
        warnings: published.warnings,
        external_links: published.links.external.len(),
    })
}
