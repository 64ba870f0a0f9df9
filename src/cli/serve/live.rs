//! Preview, live reload: the script injected into served pages, the events it receives, and the pages shown without a site.

use std::cell::Cell;
use std::rc::Rc;

use lol_html::html_content::ContentType;
use lol_html::{HtmlRewriter, Settings, element, end, end_tag};
use serde::Serialize;

use crate::util::error::Problem;
use crate::util::text::escape_html;

/// The path of the script every served page loads.
pub const SCRIPT_PATH: &str = "/__briefing/live.js";
/// The path of the event stream the script listens to.
pub const EVENTS_PATH: &str = "/__briefing/events";
/// The script itself: it listens for events and reloads the page or shows the build's problems.
pub const SCRIPT: &str = include_str!("live.js");

/// `html` with the live-reload script before `</body>`, or at the end of the document when it
/// has no `</body>`. `version` names the site the page was rendered from, so the script can tell
/// whether a newer one was built while the page loaded.
pub fn inject(html: &[u8], version: &str) -> Vec<u8> {
    let tag = script_tag(version);
    let injected = Rc::new(Cell::new(false));
    let mut out = Vec::with_capacity(html.len() + tag.len());
    let rewritten = {
        let at_body = Rc::clone(&injected);
        let at_end = Rc::clone(&injected);
        let body_tag = tag.clone();
        let end_tag = tag.clone();
        let settings = Settings::new()
            .append_element_content_handler(element!("body", move |el| {
                let injected = Rc::clone(&at_body);
                let tag = body_tag.clone();
                // A body without an end tag is closed by the end of the document instead.
                let _ = el.on_end_tag(end_tag!(move |end| {
                    if !injected.replace(true) {
                        end.before(&tag, ContentType::Html);
                    }
                    Ok(())
                }));
                Ok(())
            }))
            .append_document_content_handler(end!(move |end| {
                if !at_end.replace(true) {
                    end.append(&end_tag, ContentType::Html);
                }
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, |chunk: &[u8]| out.extend_from_slice(chunk));
        rewriter.write(html).and_then(|()| rewriter.end())
    };
    match rewritten {
        Ok(()) => out,
        // lol_html only gives up on pathological input (its memory limit): the page is still
        // worth showing, with the script simply appended.
        Err(_) => {
            let mut out = html.to_vec();
            out.extend_from_slice(tag.as_bytes());
            out
        }
    }
}

fn script_tag(version: &str) -> String {
    format!(
        "<script src=\"{SCRIPT_PATH}\" data-version=\"{}\"></script>",
        escape_html(version)
    )
}

/// One problem as the overlay shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProblemView {
    pub location: String,
    pub message: String,
    pub help: Option<String>,
}

impl From<&Problem> for ProblemView {
    fn from(problem: &Problem) -> Self {
        ProblemView {
            location: problem.location(),
            message: problem.message.clone(),
            help: problem.help.clone(),
        }
    }
}

/// What the event stream tells a page: the event's name and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// A newer site than the page's is ready: reload.
    Reload { version: String },
    /// The last build failed: show its problems over the page.
    BuildError { json: String },
    /// The page shows the current site and the build is fine: hide any overlay.
    Ready { version: String },
}

impl Signal {
    /// The signal for a page rendered from `page_version`, given the current state.
    pub fn for_page(page_version: &str, current: &str, problems: Option<&[ProblemView]>) -> Signal {
        match problems {
            Some(problems) => Signal::BuildError {
                json: serde_json::json!({ "version": current, "problems": problems }).to_string(),
            },
            None if page_version != current => Signal::Reload {
                version: current.to_string(),
            },
            None => Signal::Ready {
                version: current.to_string(),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Signal::Reload { .. } => "reload",
            Signal::BuildError { .. } => "build-error",
            Signal::Ready { .. } => "ready",
        }
    }

    pub fn data(&self) -> &str {
        match self {
            Signal::Reload { version } | Signal::Ready { version } => version,
            Signal::BuildError { json } => json,
        }
    }
}

/// The page served for every page request while there is no site to serve (the first
/// build failed): the problems, and the script that reloads once a build succeeds.
pub fn no_site_page(problems: &[ProblemView], version: &str) -> Vec<u8> {
    let mut items = String::new();
    for problem in problems {
        items.push_str(&format!(
            "<li><code>{}</code>: {}",
            escape_html(&problem.location),
            escape_html(&problem.message)
        ));
        if let Some(help) = &problem.help {
            items.push_str(&format!("<br><em>help: {}</em>", escape_html(help)));
        }
        items.push_str("</li>\n");
    }
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed</title></head>\n\
         <body><h1>The site could not be built</h1>\n\
         <p>Fix these problems and save: this page reloads by itself.</p>\n<ul>\n{items}</ul>\n</body></html>\n"
    );
    inject(html.as_bytes(), version)
}

/// The page for an unknown path when the site has no `404.html` of its own.
pub fn not_found_page(path: &str, version: &str) -> Vec<u8> {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title></head>\n\
         <body><h1>Not found</h1>\n<p>The site has no page at <code>{}</code>. <a href=\"/\">Go to the home page</a>.</p>\n</body></html>\n",
        escape_html(path)
    );
    inject(html.as_bytes(), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn injected(html: &str) -> String {
        String::from_utf8(inject(html.as_bytes(), "s-1")).unwrap()
    }

    #[test]
    fn script_goes_before_the_end_of_body() {
        assert_eq!(
            injected("<html><body><p>x</p></body></html>"),
            "<html><body><p>x</p><script src=\"/__briefing/live.js\" data-version=\"s-1\"></script></body></html>"
        );
        assert_eq!(
            injected("<BODY>x</BODY>\n"),
            "<BODY>x<script src=\"/__briefing/live.js\" data-version=\"s-1\"></script></BODY>\n"
        );
    }

    #[test]
    fn script_goes_at_the_end_without_body_end_tag() {
        assert_eq!(
            injected("<p>no body"),
            "<p>no body<script src=\"/__briefing/live.js\" data-version=\"s-1\"></script>"
        );
        assert_eq!(
            injected(""),
            "<script src=\"/__briefing/live.js\" data-version=\"s-1\"></script>"
        );
    }

    #[test]
    fn script_is_injected_once_and_not_into_text() {
        let html = "<body><pre>&lt;/body&gt;</pre><script>var s = \"</body>\";</script></body>";
        let out = injected(html);
        assert_eq!(out.matches("/__briefing/live.js").count(), 1, "{out}");
        assert!(out.ends_with("</script></body>"), "{out}");
        assert!(
            out.starts_with("<body><pre>&lt;/body&gt;</pre><script>var s = \"</body>\";</script>")
        );
    }

    #[test]
    fn signals_say_what_a_page_should_do() {
        assert_eq!(Signal::for_page("a-1", "a-2", None).name(), "reload");
        assert_eq!(Signal::for_page("a-2", "a-2", None).name(), "ready");
        let problems = [ProblemView {
            location: "templates/page.html:3:5".into(),
            message: "<unexpected>".into(),
            help: None,
        }];
        let signal = Signal::for_page("a-1", "a-2", Some(&problems));
        assert_eq!(signal.name(), "build-error");
        let json: serde_json::Value = serde_json::from_str(signal.data()).unwrap();
        assert_eq!(json["problems"][0]["location"], "templates/page.html:3:5");
        assert_eq!(json["problems"][0]["message"], "<unexpected>");
    }

    #[test]
    fn fallback_pages_escape_what_they_show() {
        let page = String::from_utf8(not_found_page("/<x>", "s-1")).unwrap();
        assert!(page.contains("<code>/&lt;x&gt;</code>"), "{page}");
        assert!(page.contains("data-version=\"s-1\""));
        let problems = [ProblemView {
            location: "content/a.md:1:2".into(),
            message: "bad <b>".into(),
            help: Some("fix & save".into()),
        }];
        let page = String::from_utf8(no_site_page(&problems, "s-0")).unwrap();
        assert!(
            page.contains("<code>content/a.md:1:2</code>: bad &lt;b&gt;"),
            "{page}"
        );
        assert!(page.contains("help: fix &amp; save"));
    }
}
