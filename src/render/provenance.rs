//! Rendering: a figure as the prose shows it — the number, a visible mark on an estimate, and
//! its provenance (kind, formula with the inputs' values, source, assumptions, range) in a
//! tooltip that opens on hover and on keyboard focus with CSS alone, on a link to the
//! figure's row of the "Figures and sources" page.

use crate::figures::{Figure, Figures, Kind};
use crate::load::content::FIGURES_URL;
use crate::util::text::capitalise;
use crate::util::text::escape_html;

/// What a reader is told a figure is: reported, assumption, derived, or estimate (a derived
/// figure resting on an assumption).
pub fn kind_name(figure: &Figure) -> &'static str {
    match figure.kind {
        Kind::Derived if figure.estimate => "estimate",
        kind => kind.as_str(),
    }
}

/// The figure shown as `text` (its display, its number or its range): a link to its row of
/// the figures page with a `title`, followed by "est." on an estimate and by the tooltip,
/// whose `id` is `tip_id` (unique in the page). `data-fig` and `data-show` (`display`,
/// `number`, `range` or `scenario`) tell the what-if script what to put there.
pub fn figure_html(
    figures: &Figures,
    figure: &Figure,
    (text, show): (&str, &str),
    root: &str,
    tip_id: &str,
) -> String {
    let kind = figure.kind.as_str();
    let estimate = if figure.estimate { " fig-estimate" } else { "" };
    let mark = if figure.estimate {
        "<span class=\"fig-mark\">est.</span>"
    } else {
        ""
    };
    format!(
        "<span class=\"fig fig-{kind}{estimate}\" data-fig=\"{name}\" data-show=\"{show}\"><a class=\"fig-link\" href=\"{root}{FIGURES_URL}#fig-{name}\" \
         title=\"{title}\" aria-describedby=\"{tip_id}\">{text}</a>{mark}<span class=\"fig-tip\" role=\"tooltip\" \
         id=\"{tip_id}\">{tip}</span></span>",
        name = escape_html(&figure.name),
        title = escape_html(&provenance(figures, figure)),
        tip_id = escape_html(tip_id),
        show = escape_html(show),
        text = escape_html(text),
        tip = tooltip(figures, figure),
    )
}

/// The tooltip's content: phrasing elements only, since it sits inside a paragraph.
fn tooltip(figures: &Figures, figure: &Figure) -> String {
    let mut tip = format!(
        "<span class=\"fig-tip-head\"><span class=\"fig-tip-kind\">{}</span> {}</span>",
        capitalise(kind_name(figure)),
        escape_html(&figure.label)
    );
    let line = |class: &str, html: String| format!("<span class=\"fig-tip-{class}\">{html}</span>");
    match figure.kind {
        Kind::Reported => {
            if let Some(source) = source_text(figures, figure) {
                tip.push_str(&line("source", format!("Source: {}", escape_html(&source))));
            }
            if let Some(quote) = &figure.quote {
                tip.push_str(&line("quote", format!("“{}”", escape_html(quote))));
            }
        }
        Kind::Assumption => {
            if let Some(why) = &figure.why {
                tip.push_str(&line("why", escape_html(why)));
            }
        }
        Kind::Derived => {
            if let Some(formula) = &figure.formula {
                tip.push_str(&line(
                    "formula",
                    format!("= <code>{}</code>", escape_html(formula)),
                ));
            }
            let inputs = input_values(figures, figure);
            if !inputs.is_empty() {
                tip.push_str(&line("inputs", escape_html(&inputs.join("; "))));
            }
            if figure.estimate {
                tip.push_str(&line(
                    "basis",
                    format!(
                        "Rests on {}: {}",
                        if figure.assumptions.len() == 1 {
                            "the assumption"
                        } else {
                            "the assumptions"
                        },
                        escape_html(&assumption_list(figures, figure))
                    ),
                ));
            }
        }
    }
    if let Some(range) = &figure.range {
        tip.push_str(&line(
            "range",
            format!("Range: {}", escape_html(&range.display)),
        ));
    }
    tip
}

/// The same provenance on one line of plain text, for the link's `title`.
pub fn provenance(figures: &Figures, figure: &Figure) -> String {
    let mut text = format!("{}: {}", capitalise(kind_name(figure)), figure.label);
    match figure.kind {
        Kind::Reported => {
            if let Some(source) = source_text(figures, figure) {
                text.push_str(&format!(". Source: {source}"));
            }
        }
        Kind::Assumption => {
            if let Some(why) = &figure.why {
                text.push_str(&format!(". {why}"));
            }
        }
        Kind::Derived => {
            if let Some(formula) = &figure.formula {
                text.push_str(&format!(" = {formula}"));
            }
            let inputs = input_values(figures, figure);
            if !inputs.is_empty() {
                text.push_str(&format!(" ({})", inputs.join("; ")));
            }
            if figure.estimate {
                text.push_str(&format!(". Rests on: {}", assumption_list(figures, figure)));
            }
        }
    }
    if let Some(range) = &figure.range {
        text.push_str(&format!(". Range: {}", range.display));
    }
    text
}

/// "monthly_payment = $1.25 billion a month" for each input of a formula.
fn input_values(figures: &Figures, figure: &Figure) -> Vec<String> {
    figure
        .inputs
        .iter()
        .filter_map(|name| figures.get(name))
        .map(|input| format!("{} = {}", input.name, input.display))
        .collect()
}

/// "Start of term (June 2026)", for each assumption the figure rests on.
fn assumption_list(figures: &Figures, figure: &Figure) -> String {
    figure
        .assumptions
        .iter()
        .filter_map(|name| figures.get(name))
        .map(|a| format!("{} ({})", a.label, a.display))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Title, Publisher, 2026 (as of 2026-11-27)".
fn source_text(figures: &Figures, figure: &Figure) -> Option<String> {
    let source = figures.source(figure.source.as_deref()?)?;
    let mut text = source.title.clone();
    for part in [&source.publisher, &source.date].into_iter().flatten() {
        text.push_str(", ");
        text.push_str(part);
    }
    if let Some(as_of) = &source.as_of {
        text.push_str(&format!(" (as of {as_of})"));
    }
    Some(text)
}

/// `html` with each figure reduced to its number: no tooltip, no estimate mark. For text
/// made from a heading (its id, its entry in the table of contents).
pub fn numbers_only(html: &str) -> String {
    const OPEN: &str = "<span class=\"fig-tip\"";
    let html = html.replace("<span class=\"fig-mark\">est.</span>", "");
    let html = html.as_str();
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let mut depth = 0usize;
        let mut cursor = start;
        // Tooltips hold spans of their own: skip to the `</span>` that closes the tooltip.
        loop {
            let tail = &rest[cursor..];
            let next_open = tail.find("<span");
            let Some(next_close) = tail.find("</span>") else {
                return out;
            };
            match next_open {
                Some(open) if open < next_close => {
                    depth += 1;
                    cursor += open + "<span".len();
                }
                _ => {
                    depth -= 1;
                    cursor += next_close + "</span>".len();
                    if depth == 0 {
                        break;
                    }
                }
            }
        }
        rest = &rest[cursor..];
    }
    out.push_str(rest);
    out
}
