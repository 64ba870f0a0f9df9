//! Rendering: the sensitivity tables of `tables:` as accessible HTML tables — a caption,
//! header cells for both sides, the desk's case marked, and each cell where a check fails
//! marked and explained in a note below.

use std::fmt::Write as _;

use crate::figures::{Figures, Table};
use crate::util::text::{escape_html, lower_first};

/// Marks for the failing checks, in order; beyond these, numbers.
const MARKS: [&str; 4] = ["†", "‡", "§", "¶"];

fn mark(i: usize) -> String {
    MARKS
        .get(i)
        .map_or_else(|| format!("[{}]", i + 1), |m| (*m).to_string())
}

/// The table as a `<figure>` holding a `<table>`, for a page whose way back to the site
/// root is `root` (the figure's label links to its row of the figures page).
pub fn table_html(figures: &Figures, table: &Table, root: &str) -> String {
    let id = format!("table-{}", table.name);
    let mut html = format!(
        "<figure class=\"sensitivity\" id=\"{}\">\n<table class=\"sensitivity-table\">\n<caption>{}</caption>\n<thead>\n",
        escape_html(&id),
        escape_html(&table.caption)
    );
    let figure_label = figures
        .get(&table.figure)
        .map_or(table.figure.as_str(), |f| f.label.as_str());
    match &table.columns {
        Some(columns) => {
            let _ = writeln!(
                html,
                "<tr><td></td><th scope=\"colgroup\" colspan=\"{}\">{}</th></tr>",
                columns.values.len(),
                escape_html(&columns.label)
            );
            let _ = write!(
                html,
                "<tr><th scope=\"col\">{}</th>",
                escape_html(&table.rows.label)
            );
            for (k, shown) in columns.displays.iter().enumerate() {
                let base = if k == columns.base {
                    " class=\"sens-base-axis\""
                } else {
                    ""
                };
                let _ = write!(html, "<th scope=\"col\"{base}>{}</th>", escape_html(shown));
            }
            html.push_str("</tr>\n");
        }
        None => {
            let _ = writeln!(
                html,
                "<tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr>",
                escape_html(&table.rows.label),
                escape_html(figure_label)
            );
        }
    }
    html.push_str("</thead>\n<tbody>\n");
    for (r, row) in table.cells.iter().enumerate() {
        let shown = table.rows.displays.get(r).map_or("", String::as_str);
        let base = if r == table.rows.base {
            " class=\"sens-base-axis\""
        } else {
            ""
        };
        let _ = write!(
            html,
            "<tr><th scope=\"row\"{base}>{}</th>",
            escape_html(shown)
        );
        for cell in row {
            let mut classes = Vec::new();
            if cell.base {
                classes.push("sens-base");
            }
            if !cell.failing.is_empty() {
                classes.push("sens-fails");
            }
            let class = if classes.is_empty() {
                String::new()
            } else {
                format!(" class=\"{}\"", classes.join(" "))
            };
            let marks: String = cell
                .failing
                .iter()
                .filter_map(|id| table.failing.iter().position(|f| &f.id == id))
                .map(|i| format!("<sup class=\"sens-mark\">{}</sup>", mark(i)))
                .collect();
            let value = if cell.base {
                format!("<strong>{}</strong>", escape_html(&cell.display))
            } else {
                escape_html(&cell.display)
            };
            let _ = write!(html, "<td{class}>{value}{marks}</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n<figcaption class=\"sensitivity-note\">");
    let sides = match &table.columns {
        Some(columns) => format!(
            "{} as the row says and {} as the column says",
            lower_first(&table.rows.label),
            lower_first(&columns.label)
        ),
        None => format!("{} as the row says", lower_first(&table.rows.label)),
    };
    let _ = write!(
        html,
        "Each cell: <a href=\"{root}{}#fig-{}\">{}</a> with {}, every other assumption at the \
         desk's value. In bold: the desk's case.",
        crate::load::content::FIGURES_URL,
        escape_html(&table.figure),
        escape_html(&lower_first(figure_label)),
        escape_html(&sides),
    );
    for (i, failing) in table.failing.iter().enumerate() {
        let _ = write!(
            html,
            " <span class=\"sens-failing\">{} Where marked, the check <code>{}</code> \
             (<code>{}</code>) fails; it protects: “{}”</span>",
            mark(i),
            escape_html(&failing.id),
            escape_html(&failing.formula),
            escape_html(&failing.protects)
        );
    }
    html.push_str("</figcaption>\n</figure>\n");
    html
}
