//! briefing: a static-site generator for data-driven industry briefings.
//!
//! The pipeline runs in one direction: [`Site::load`] reads `briefing.yaml`, `data/`,
//! `content/`, `templates/` and `static/` into one value (reporting every problem at once);
//! [`build::render`] turns that value into output files in memory; [`build::write`] swaps
//! them into the output folder all at once.

pub mod build;
pub mod cli;
pub mod config;
pub mod content;
pub mod error;
pub mod figures;
pub mod highlight;
pub mod markdown;
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
}

/// Load the site in `root`, render it and write it to `output`. On any problem the
/// output folder is left exactly as it was.
pub fn build(root: &Path, output: &Path, options: &LoadOptions) -> anyhow::Result<BuildSummary> {
    let started = Instant::now();
    let site = Site::load(root, options)?;
    let outputs = build::render(&site)?;
    build::write(&outputs, output)?;
    Ok(BuildSummary {
        pages: site.pages.len(),
        files: outputs.len(),
        bytes: outputs.iter().map(|o| o.bytes.len()).sum(),
        elapsed: started.elapsed(),
    })
}
