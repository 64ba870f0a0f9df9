//! Shared by every stage: problems and their places ([`error`]), YAML ([`yaml`], the only
//! caller of serde_yaml), the files of a site folder ([`files`]), dates ([`dates`]), text
//! ([`text`]), URLs and paths ([`urls`]), HTML and CSS scanning ([`html`]) and hashing
//! ([`hash`]). Nothing here knows a site, a figure or a page.

pub mod dates;
pub mod error;
pub mod files;
pub mod hash;
pub mod html;
pub mod tags;
pub mod text;
pub mod urls;
pub mod yaml;
