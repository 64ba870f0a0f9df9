//! Integration tests: one binary, a module per feature, fixture sites under tests/fixtures/.

mod browser;
mod support;

mod build;
mod content;
mod errors;
mod figures;
mod init;
mod links;
mod markdown;
mod publish;
mod shipped;
mod templates;
