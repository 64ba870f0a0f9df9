//! briefing: a static-site generator for data-driven industry briefings.
//!
//! The pipeline runs in one direction, and the code is laid out the same way, one folder
//! per stage, each importing only from the stages before it:
//!
//! - [`util`]: what every stage shares: problems with their places, YAML, files, dates,
//!   text, URLs, hashing, HTML and CSS scanning;
//! - [`figures`]: the computation module, pure: `data/figures.yaml` in, evaluated and
//!   formatted figures out (no HTML, no site);
//! - [`load`]: `briefing.yaml`, `content/`, `templates/`, `static/` and the figures read
//!   into one [`Site`] value, every problem reported at once;
//! - [`render`]: a `Site` turned into HTML: Markdown, highlighting, figures with their
//!   provenance, charts, page templates, the feed and sitemap, the report;
//! - [`publish`]: the build engine: every output rendered (or kept from the cache),
//!   assets renamed, links checked, files handed to a sink (the output folder, or memory);
//! - [`cli`]: the faces: the command line, the preview server, `init`, the figures table.

pub mod cli;
pub mod figures;
pub mod load;
pub mod publish;
pub mod render;
pub mod util;

pub use load::{LoadOptions, Site};
pub use publish::{BuildSummary, build, build_with};
pub use util::error::{Problem, Problems};
