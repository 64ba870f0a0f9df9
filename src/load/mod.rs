//! Loading: everything a build needs, read from the site's folder into one [`Site`]
//! value before anything is rendered: `briefing.yaml` ([`config`]), `content/`
//! ([`content`]), `templates/` ([`templates`]), `static/` and the figures ([`site`]).

pub mod config;
pub mod content;
pub mod site;
pub mod templates;

pub use site::{LoadOptions, Site, StaticFile};
