//! Loading: `briefing.yaml`, the site's settings.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::util::error::{Problem, Problems};
use crate::util::yaml;

pub const FILE_NAME: &str = "briefing.yaml";

/// Site settings, as templates see them under `site`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Where the site will be published, e.g. `https://example.com/briefing`; no trailing slash.
    #[serde(default)]
    pub base_url: String,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub author: String,
    /// The briefing's date (`2026-11-27`), for the report's cover; defaults to the newest page date.
    #[serde(default)]
    pub date: Option<String>,
    /// Figures shown as cards on the home page, by name.
    #[serde(default)]
    pub key_figures: Vec<String>,
    /// Anything else the templates want, passed through as is.
    #[serde(default)]
    pub extra: BTreeMap<String, yaml::Value>,
    /// Line of `key_figures:` in the file, to point at a bad name in it.
    #[serde(skip)]
    pub key_figures_line: usize,
}

fn default_language() -> String {
    "en".to_string()
}

impl Config {
    /// Read `briefing.yaml` from the site's root folder.
    pub fn load(root: &Path) -> Result<Config, Problems> {
        let path = root.join(FILE_NAME);
        let bytes = std::fs::read(&path).map_err(|err| {
            let problem = Problem::new(&path, format!("cannot read the site settings: {err}"));
            if err.kind() == std::io::ErrorKind::NotFound {
                problem.help(format!(
                    "run briefing in a site folder (or pass --root DIR); a site needs a {FILE_NAME} with at least `title: ...`"
                ))
            } else {
                problem
            }
        })?;
        let text = crate::util::files::decode(&path, bytes)?;
        Config::parse(&path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, Problems> {
        let mut config: Config = yaml::parse(path, text, 1)?;
        config.base_url = config.base_url.trim_end_matches('/').to_string();
        config.key_figures_line = yaml::key_position(text, None, "key_figures").map_or(0, |p| p.0);
        let mut problems = Vec::new();
        if config.title.trim().is_empty() {
            problems.push(
                Problem::new(path, "`title` is empty")
                    .at(
                        yaml::key_position(text, None, "title").map_or(1, |p| p.0),
                        1,
                    )
                    .help("give the briefing a title, e.g. `title: Colossus 1 lease`"),
            );
        }
        let absolute = ["https://", "http://"]
            .iter()
            .any(|p| config.base_url.starts_with(p));
        if !config.base_url.is_empty() && !absolute {
            let line = yaml::key_position(text, None, "base_url").map_or(0, |p| p.0);
            problems.push(
                Problem::new(
                    path,
                    format!(
                        "`base_url` must be an absolute http(s) URL, got `{}`",
                        config.base_url
                    ),
                )
                .at(line, 1)
                .help("write it as `base_url: https://example.com/briefing`"),
            );
        }
        if let Some(date) = config.date.take() {
            match crate::util::dates::parse(&date) {
                Ok(when) => config.date = Some(when.canonical()),
                Err(message) => {
                    let (line, column) = yaml::key_position(text, None, "date").unwrap_or((0, 0));
                    problems.push(
                        Problem::new(
                            path,
                            format!("`date: {date}` is not a valid date: {message}"),
                        )
                        .at(line, column)
                        .help(crate::util::dates::DATE_HELP),
                    );
                }
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Problems(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_trailing_slash() {
        let config = Config::parse(
            Path::new("b.yaml"),
            "title: T\nbase_url: https://x.org/b/\n",
        )
        .unwrap();
        assert_eq!(config.language, "en");
        assert_eq!(config.base_url, "https://x.org/b");
        assert!(config.key_figures.is_empty());
    }

    #[test]
    fn unknown_field_is_reported_with_its_line() {
        let err = Config::parse(Path::new("b.yaml"), "title: T\ntitel: U\n").unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].line, 2);
        assert!(
            err.0[0].message.contains("unknown field `titel`"),
            "{}",
            err
        );
    }

    #[test]
    fn a_bad_date_is_reported_at_its_line() {
        let err = Config::parse(Path::new("b.yaml"), "title: T\ndate: 27.11.2026\n").unwrap_err();
        assert_eq!(err.0[0].line, 2);
        let config = Config::parse(Path::new("b.yaml"), "title: T\ndate: 2026-11-27\n").unwrap();
        assert_eq!(config.date.as_deref(), Some("2026-11-27"));
    }

    #[test]
    fn relative_base_url_is_rejected() {
        let err =
            Config::parse(Path::new("b.yaml"), "title: T\nbase_url: example.com\n").unwrap_err();
        assert_eq!(err.0[0].line, 2);
    }
}
