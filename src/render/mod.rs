//! Rendering: a loaded `Site` turned into HTML, as pure functions of it: one page's
//! Markdown ([`markdown`], with code from [`highlight`], figures from [`provenance`] and
//! charts from [`charts`]), its template ([`page`]), the documents beside the pages
//! ([`documents`]) and the whole briefing as one file ([`report`]).

pub mod charts;
pub mod data;
pub mod documents;
pub mod highlight;
pub mod markdown;
pub mod page;
pub mod provenance;
pub mod report;
pub mod tables;

/// One file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Path inside the output folder, with `/` separators.
    pub path: String,
    pub bytes: Vec<u8>,
}
