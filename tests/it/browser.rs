//! A real headless Chromium for tests that must see a page as a reader's browser does.

use std::ffi::OsStr;
use std::path::PathBuf;

use headless_chrome::{Browser, LaunchOptions};

/// Where Debian's chromium package puts the browser (`.ci/run` installs it).
const CANDIDATES: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];

/// A headless Chromium, or None when none is installed. In CI (`CI` set) a missing
/// browser is a failure, so browser tests can never pass there by being skipped.
pub fn launch() -> Option<Browser> {
    let path = std::env::var_os("BRIEFING_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| CANDIDATES.iter().map(PathBuf::from).find(|p| p.is_file()));
    let Some(path) = path else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium: .ci/run installs it"
        );
        eprintln!("skipped: no Chromium installed (apt-get install chromium)");
        return None;
    };
    let profile = tempfile::tempdir().expect("profile dir");
    // The closed network of this machine refuses Chromium's background connections:
    // turn them off so they neither slow the test nor count as failed requests.
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .user_data_dir(Some(profile.keep()))
        .args(args)
        .build()
        .expect("launch options");
    Some(Browser::new(options).expect("start Chromium"))
}
