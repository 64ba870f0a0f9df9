//! Integration tests: one binary, a module per feature, fixture sites under tests/fixtures/.

mod browser;
mod support;

mod build;
mod content;
mod errors;
mod figures;
mod markdown;
mod serve;
mod shipped;
mod templates;
