//! Integration tests: one binary, a module per feature, fixture sites under tests/fixtures/.

mod browser;
mod support;

mod build;
mod cache;
mod charts;
mod checks;
mod content;
mod dates;
mod errors;
mod figures;
mod figures_cli;
mod init;
mod layers;
mod links;
mod malformed;
mod markdown;
mod props;
mod provenance;
mod publish;
mod report;
mod rounding;
mod safety;
mod sensitivity;
mod serve;
mod shared_cache;
mod shipped;
mod templates;
mod whatif;
