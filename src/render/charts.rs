//! Rendering: the charts of `charts:` drawn as SVG at build time — no chart library, no
//! JavaScript. Shapes carry CSS classes only, so the stylesheet colours them for light, dark
//! and print; each chart has a title, axis labels with units and a text alternative, and a
//! table of its numbers. The same data always gives the same bytes.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::figures::{
    Bar, Chart, ChartData, Figure, Figures, Kind, Schedule, Tornado, format, format_like,
    format_range_like,
};
use crate::render::provenance;
use crate::util::text::{escape_html, lower_first};

const WIDTH: f64 = 680.0;

/// The chart as a `<figure>`: the SVG, a caption whose figures link to the figures page (from
/// a page whose way back to the site root is `root`), and its numbers in a table.
pub fn chart_html(figures: &Figures, chart: &Chart, root: &str) -> String {
    let id = format!("chart-{}", chart.name);
    let mut tips = 0usize;
    let mut fig = |name: &str| -> String {
        match figures.get(name) {
            Some(figure) => {
                tips += 1;
                provenance::figure_html(
                    figures,
                    figure,
                    (&figure.display, "display"),
                    root,
                    &format!("{id}-tip-{tips}"),
                )
            }
            None => escape_html(name),
        }
    };
    let (kind, summary, table) = match &chart.data {
        ChartData::Schedule(s) => (
            "schedule",
            schedule_caption(figures, s, &mut fig),
            schedule_table(s),
        ),
        ChartData::Bars { unit, bars } => (
            "bars",
            bars_caption(figures, bars, &mut fig),
            bars_table(figures, unit, bars),
        ),
        ChartData::Tornado(t) => (
            "tornado",
            tornado_caption(figures, t, &mut fig),
            tornado_table(t),
        ),
    };
    let caption = chart
        .caption
        .as_deref()
        .map(|c| format!(" {}", escape_html(c)))
        .unwrap_or_default();
    format!(
        "<figure class=\"chart chart-{kind}\" id=\"{id}\">\n{svg}<figcaption><strong class=\"chart-title\">{title}.</strong>{caption} {summary}</figcaption>\n\
         <details class=\"chart-data\"><summary>The numbers behind this chart</summary>\n{table}</details>\n</figure>\n",
        id = escape_html(&id),
        svg = svg(figures, chart),
        title = escape_html(&chart.title),
    )
}

/// The chart alone, as an `<svg>` element.
pub fn svg(figures: &Figures, chart: &Chart) -> String {
    match &chart.data {
        ChartData::Schedule(s) => schedule_svg(figures, chart, s),
        ChartData::Bars { unit, bars } => bars_svg(figures, chart, unit, bars),
        ChartData::Tornado(t) => tornado_svg(figures, chart, t),
    }
}

/// The `charts` templates see, for each distinct way back to the site root: pages at the same
/// depth share one, so a chart is drawn once per depth rather than once per page.
pub type ByRoot = HashMap<String, tera::Value>;

/// [`ByRoot`] for pages at `roots` and for the figures page (`../`).
pub fn by_root(figures: &Figures, roots: impl Iterator<Item = String>) -> ByRoot {
    let mut map = ByRoot::new();
    for root in roots.chain(std::iter::once("../".to_string())) {
        if let std::collections::hash_map::Entry::Vacant(slot) = map.entry(root) {
            let value = template_value(figures, slot.key());
            slot.insert(value);
        }
    }
    map
}

/// The `charts` of a page at `root` (empty if `by_root` did not see that root).
pub fn for_root(by_root: &ByRoot, root: &str) -> tera::Value {
    by_root
        .get(root)
        .cloned()
        .unwrap_or_else(|| tera::Value::from(tera::Map::new()))
}

/// Every chart as a `<figure>` for a page at `root`, by name: what templates see as `charts`.
pub fn template_value(figures: &Figures, root: &str) -> tera::Value {
    let mut map = tera::Map::new();
    for chart in figures.charts() {
        map.insert(
            chart.name.clone().into(),
            tera::Value::safe_string(&chart_html(figures, chart, root)),
        );
    }
    tera::Value::from(map)
}

/// Coordinates with one decimal: enough for a screen, and stable text for stable bytes.
fn c(value: f64) -> String {
    let text = format!("{value:.1}");
    if text == "-0.0" {
        "0.0".to_string()
    } else {
        text
    }
}

/// A scale from 0 to a round number at or above `max`, in steps of 1, 2, 2.5 or 5 times a power
/// of ten: (top, step).
fn nice_scale(max: f64) -> (f64, f64) {
    if max <= 0.0 || !max.is_finite() {
        return (1.0, 0.2);
    }
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step - 1e-9).ceil().max(1.0) * step, step)
}

/// A scale from a round number at or below `low` to one at or above `high`, in steps of 1, 2,
/// 2.5 or 5 times a power of ten: (bottom, top, step).
fn nice_span(low: f64, high: f64) -> (f64, f64, f64) {
    // Ends a rounding error apart are one value: a step that small would vanish against
    // them and leave a scale of width zero.
    let apart = high - low > 1e-9 * low.abs().max(high.abs());
    if !(low.is_finite() && high.is_finite() && apart) {
        let (top, step) = nice_scale(high.abs().max(low.abs()));
        return (0.0f64.min(low.min(high)), top, step);
    }
    let raw = (high - low) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let bottom = (low / step + 1e-9).floor() * step;
    let top = (high / step - 1e-9).ceil() * step;
    (bottom, top.max(bottom + step), step)
}

/// A tick label: the value as the prose would show it, without unit words.
fn tick(value: f64, unit: &str) -> String {
    format(value, unit, 3, None).map_or_else(|_| value.to_string(), |f| f.number)
}

fn month_name(months: f64, short: bool) -> String {
    let months = months.round() as i64;
    let year = months.div_euclid(12);
    if short {
        crate::util::dates::month_text(months, "%b %Y").unwrap_or_else(|| year.to_string())
    } else {
        format(months as f64, "date", 3, None).map_or_else(|_| year.to_string(), |f| f.display)
    }
}

fn usd(value: f64) -> String {
    format(value, "USD", 3, None).map_or_else(|_| value.to_string(), |f| f.display)
}

fn open_svg(out: &mut String, chart: &Chart, height: f64, description: &str) {
    let id = escape_html(&chart.name);
    let _ = write!(
        out,
        "<svg class=\"chart-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-labelledby=\"chart-{id}-title chart-{id}-desc\">\n<title id=\"chart-{id}-title\">{title}</title>\n\
         <desc id=\"chart-{id}-desc\">{desc}</desc>\n",
        w = c(WIDTH),
        h = c(height),
        title = escape_html(&chart.title),
        desc = escape_html(description),
    );
}

fn text(out: &mut String, class: &str, x: f64, y: f64, anchor: &str, content: &str) {
    let _ = writeln!(
        out,
        "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
        c(x),
        c(y),
        escape_html(content)
    );
}

fn line(out: &mut String, class: &str, (x1, y1): (f64, f64), (x2, y2): (f64, f64)) {
    let _ = writeln!(
        out,
        "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        c(x1),
        c(y1),
        c(x2),
        c(y2)
    );
}

/// A legend entry: a short sample of the line's style, then its name. Returns where the next
/// entry starts.
fn legend(out: &mut String, class: &str, x: f64, y: f64, label: &str) -> f64 {
    line(
        out,
        &format!("chart-legend-line {class}"),
        (x, y - 4.0),
        (x + 26.0, y - 4.0),
    );
    text(out, "chart-legend", x + 32.0, y, "start", label);
    // An average character of the 12px legend text, so entries do not overlap.
    x + 32.0 + label.chars().count() as f64 * 6.4 + 20.0
}

// ── Schedule ───────────────────────────────────────────────────────────────

const S_LEFT: f64 = 100.0;
const S_RIGHT: f64 = 656.0;
const S_TOP: f64 = 48.0;
const S_BOTTOM: f64 = 300.0;
const S_HEIGHT: f64 = 360.0;

fn schedule_svg(figures: &Figures, chart: &Chart, s: &Schedule) -> String {
    let frame = Frame::of(s);
    let mut out = String::with_capacity(8192);
    open_svg(&mut out, chart, S_HEIGHT, &schedule_description(figures, s));
    frame.y_axis(&mut out);
    frame.x_axis(&mut out, s);
    if s.ramp_months > 0 {
        frame.ramp(&mut out, figures, s);
    }
    frame.lines(&mut out, s);
    schedule_legend(&mut out, figures, s);
    out.push_str("</svg>\n");
    out
}

/// The cumulative schedule's scale: months across, dollars up.
struct Frame {
    months: usize,
    cumulative: Vec<f64>,
    total: f64,
    full_total: f64,
    reference: f64,
    top: f64,
    step: f64,
}

impl Frame {
    fn of(s: &Schedule) -> Frame {
        let months = s.payments.len();
        let cumulative = s.cumulative();
        let total = cumulative.last().copied().unwrap_or(0.0);
        let full_total = s.full_rate * months as f64;
        let reference = s.reference_value.unwrap_or(0.0);
        let (top, step) = nice_scale(full_total.max(total).max(reference));
        Frame {
            months,
            cumulative,
            total,
            full_total,
            reference,
            top,
            step,
        }
    }

    fn x(&self, i: f64) -> f64 {
        S_LEFT + (S_RIGHT - S_LEFT) * i / self.months.max(1) as f64
    }

    fn y(&self, v: f64) -> f64 {
        S_BOTTOM - (S_BOTTOM - S_TOP) * v / self.top
    }

    /// Grid lines, dollar ticks and the axis label.
    fn y_axis(&self, out: &mut String) {
        out.push_str("<g class=\"chart-grid\">\n");
        let ticks = (self.top / self.step).round() as usize;
        for k in 0..=ticks {
            let v = self.step * k as f64;
            line(
                out,
                "chart-gridline",
                (S_LEFT, self.y(v)),
                (S_RIGHT, self.y(v)),
            );
        }
        out.push_str("</g>\n<g class=\"chart-axis chart-axis-y\">\n");
        for k in 0..=ticks {
            let v = self.step * k as f64;
            text(
                out,
                "chart-tick",
                S_LEFT - 8.0,
                self.y(v) + 4.0,
                "end",
                &tick(v, "USD"),
            );
        }
        let _ = writeln!(
            out,
            "<text class=\"chart-axis-label\" transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">Cumulative payments (US dollars)</text>",
            c((S_TOP + S_BOTTOM) / 2.0)
        );
        out.push_str("</g>\n");
    }

    /// The month axis: a tick each January (and July, on terms up to five years).
    fn x_axis(&self, out: &mut String, s: &Schedule) {
        let months = self.months;
        out.push_str("<g class=\"chart-axis chart-axis-x\">\n");
        line(
            out,
            "chart-axis-line",
            (S_LEFT, S_BOTTOM),
            (S_RIGHT, S_BOTTOM),
        );
        let every_half_year = months <= 60;
        // The right edge is the end of the last month, not a month of the term: no tick there.
        for i in 0..months {
            let month = (s.start + i as f64).round() as i64;
            let calendar = month.rem_euclid(12);
            if calendar == 0 || (every_half_year && calendar == 6) {
                line(
                    out,
                    "chart-tick-mark",
                    (self.x(i as f64), S_BOTTOM),
                    (self.x(i as f64), S_BOTTOM + 5.0),
                );
                text(
                    out,
                    "chart-tick",
                    self.x(i as f64),
                    S_BOTTOM + 20.0,
                    "middle",
                    &month_name(month as f64, true),
                );
            }
        }
        let first = month_name(s.start, false);
        let last = month_name(s.start + months as f64 - 1.0, false);
        text(
            out,
            "chart-axis-label",
            (S_LEFT + S_RIGHT) / 2.0,
            S_HEIGHT - 10.0,
            "middle",
            &format!("Month of the term, {first} to {last}"),
        );
        out.push_str("</g>\n");
    }

    /// The ramp's months shaded, with what it is and whether it is assumed.
    fn ramp(&self, out: &mut String, figures: &Figures, s: &Schedule) {
        let assumed = [&s.ramp_months_figure, &s.ramp_start_figure]
            .into_iter()
            .flatten()
            .filter_map(|n| figures.get(n))
            .any(|f| f.kind == Kind::Assumption || f.estimate);
        let _ = writeln!(
            out,
            "<rect class=\"chart-ramp\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            c(self.x(0.0)),
            c(S_TOP),
            c(self.x(s.ramp_months as f64) - self.x(0.0)),
            c(S_BOTTOM - S_TOP)
        );
        let label = format!(
            "Ramp{}: {} months from {}% of the full rate",
            if assumed { " (assumption)" } else { "" },
            s.ramp_months,
            percent(s.ramp_start)
        );
        text(
            out,
            "chart-note",
            self.x(s.ramp_months as f64) + 6.0,
            S_TOP + 14.0,
            "start",
            &label,
        );
    }

    /// The reference line, the full rate's straight line, the payments added up, and
    /// their total marked at the end.
    fn lines(&self, out: &mut String, s: &Schedule) {
        if s.reference_value.is_some() {
            line(
                out,
                "chart-reference",
                (S_LEFT, self.y(self.reference)),
                (S_RIGHT, self.y(self.reference)),
            );
        }
        line(
            out,
            "chart-line chart-line-full",
            (self.x(0.0), self.y(0.0)),
            (self.x(self.months as f64), self.y(self.full_total)),
        );
        let mut path = format!("M{} {}", c(self.x(0.0)), c(self.y(0.0)));
        for (i, v) in self.cumulative.iter().enumerate() {
            let _ = write!(path, " L{} {}", c(self.x(i as f64 + 1.0)), c(self.y(*v)));
        }
        let _ = writeln!(
            out,
            "<path class=\"chart-line chart-line-main\" d=\"{path}\"/>"
        );
        let _ = writeln!(
            out,
            "<circle class=\"chart-point\" cx=\"{}\" cy=\"{}\" r=\"4\"/>",
            c(self.x(self.months as f64)),
            c(self.y(self.total))
        );
    }
}

fn schedule_legend(out: &mut String, figures: &Figures, s: &Schedule) {
    out.push_str("<g class=\"chart-legend-row\">\n");
    let mut lx = 24.0;
    let main_label = if s.ramp_months > 0 {
        "With the ramp"
    } else {
        "Payments"
    };
    lx = legend(out, "chart-line-main", lx, 20.0, main_label);
    lx = legend(
        out,
        "chart-line-full",
        lx,
        20.0,
        "Every month at the full rate",
    );
    if let Some(name) = &s.reference {
        let label = figures
            .get(name)
            .map_or(name.as_str(), |f| f.label.as_str());
        legend(out, "chart-reference", lx, 20.0, label);
    }
    out.push_str("</g>\n");
}

fn percent(share: f64) -> String {
    format(share * 100.0, "count", 3, None).map_or_else(|_| share.to_string(), |f| f.number)
}

fn schedule_description(figures: &Figures, s: &Schedule) -> String {
    let months = s.payments.len();
    let cumulative = s.cumulative();
    let total = cumulative.last().copied().unwrap_or(0.0);
    let mut text = format!(
        "Line chart of cumulative payments, month by month, from {} to {} ({months} months).",
        month_name(s.start, false),
        month_name(s.start + months as f64 - 1.0, false)
    );
    if s.ramp_months > 0 {
        let _ = write!(
            text,
            " Payments start at {}% of the full rate of {} a month and rise in equal steps to it over {} months.",
            percent(s.ramp_start),
            usd(s.full_rate),
            s.ramp_months
        );
    } else {
        let _ = write!(
            text,
            " Every month is paid at {} a month.",
            usd(s.full_rate)
        );
    }
    // The total figure, which the build checked equals this sum, as the prose rounds it.
    let sum = match s.total.as_deref().and_then(|n| figures.get(n)) {
        Some(figure) => figure.display.clone(),
        None => usd(total),
    };
    let _ = write!(
        text,
        " The payments add up to {sum}, against {} had every month been paid at the full rate.",
        usd(s.full_rate * months as f64)
    );
    if let Some(reference) = s.reference.as_deref().and_then(|n| figures.get(n)) {
        let _ = write!(
            text,
            " A horizontal line marks the {}: {}.",
            lower_first(&reference.label),
            reference.display
        );
    }
    text
}

fn schedule_caption(
    figures: &Figures,
    s: &Schedule,
    fig: &mut dyn FnMut(&str) -> String,
) -> String {
    let mut html = format!(
        "Payments month by month from {} through {}, added up.",
        fig(&s.start_figure),
        fig(&s.end)
    );
    if let (Some(months), Some(start)) = (&s.ramp_months_figure, &s.ramp_start_figure) {
        let assumed = [months, start]
            .into_iter()
            .filter_map(|n| figures.get(n))
            .all(|f| f.kind == Kind::Assumption);
        let _ = write!(
            html,
            " The first month pays {} of the full rate of {}, rising in equal steps to the full rate over {}{}.",
            fig(start),
            fig(&s.rate),
            fig(months),
            if assumed { " (both assumptions)" } else { "" }
        );
    } else {
        let _ = write!(html, " Every month pays {}.", fig(&s.rate));
    }
    if let Some(total) = &s.total {
        let _ = write!(html, " Total: {}.", fig(total));
    }
    if let Some(reference) = &s.reference {
        let label = figures
            .get(reference)
            .map_or(reference.as_str(), |f| f.label.as_str());
        let _ = write!(html, " {}: {}.", escape_html(label), fig(reference));
    }
    html
}

fn schedule_table(s: &Schedule) -> String {
    let mut html = String::from(
        "<table>\n<thead><tr><th scope=\"col\">Month</th><th scope=\"col\">Payment</th><th scope=\"col\">Cumulative</th></tr></thead>\n<tbody>\n",
    );
    for (i, (payment, sum)) in s.payments.iter().zip(s.cumulative()).enumerate() {
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            escape_html(&month_name(s.start + i as f64, false)),
            escape_html(&usd(*payment)),
            escape_html(&usd(sum))
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

// ── Bars and tornadoes: values across ──────────────────────────────────────

/// A scale of values across the chart: `from` to `to` in steps of `step`, drawn between
/// `left` and `right`.
struct Across {
    from: f64,
    to: f64,
    step: f64,
    left: f64,
    right: f64,
}

impl Across {
    fn x(&self, v: f64) -> f64 {
        self.left + (self.right - self.left) * (v - self.from) / (self.to - self.from)
    }

    /// Grid lines from `top` to `bottom`, the axis with a label at each step, and the
    /// unit in words under it (the chart is `height` high).
    fn draw(&self, out: &mut String, top: f64, bottom: f64, height: f64, unit: &str) {
        let ticks = ((self.to - self.from) / self.step).round() as usize;
        let at = |k: usize| self.from + self.step * k as f64;
        out.push_str("<g class=\"chart-grid\">\n");
        for k in 0..=ticks {
            line(
                out,
                "chart-gridline",
                (self.x(at(k)), top),
                (self.x(at(k)), bottom),
            );
        }
        out.push_str("</g>\n<g class=\"chart-axis chart-axis-x\">\n");
        line(
            out,
            "chart-axis-line",
            (self.left, bottom),
            (self.right, bottom),
        );
        for k in 0..=ticks {
            let anchor = match k {
                0 => "start",
                k if k == ticks => "end",
                _ => "middle",
            };
            text(
                out,
                "chart-tick",
                self.x(at(k)),
                bottom + 18.0,
                anchor,
                &tick(at(k), unit),
            );
        }
        text(
            out,
            "chart-axis-label",
            (self.left + self.right) / 2.0,
            height - 12.0,
            "middle",
            &axis_label(unit),
        );
        out.push_str("</g>\n");
    }
}

// ── Bars ───────────────────────────────────────────────────────────────────

const B_LEFT: f64 = 24.0;
const B_RIGHT: f64 = 656.0;
const B_TOP: f64 = 12.0;
const B_ROW: f64 = 56.0;
const B_BAR: f64 = 22.0;
const B_AXIS: f64 = 58.0;

fn bars_svg(figures: &Figures, chart: &Chart, unit: &str, bars: &[Bar]) -> String {
    let max = bars
        .iter()
        .map(|b| b.high.unwrap_or(b.value).max(b.value))
        .fold(0.0, f64::max);
    let (top, step) = nice_scale(max);
    let scale = Across {
        from: 0.0,
        to: top,
        step,
        left: B_LEFT,
        right: B_RIGHT,
    };
    let x = |v: f64| scale.x(v);
    let bottom = B_TOP + B_ROW * bars.len() as f64;
    let height = bottom + B_AXIS;

    let mut out = String::with_capacity(4096);
    open_svg(
        &mut out,
        chart,
        height,
        &bars_description(figures, unit, bars),
    );
    scale.draw(&mut out, B_TOP, bottom, height, unit);

    for (i, bar) in bars.iter().enumerate() {
        let Some(figure) = figures.get(&bar.figure) else {
            continue;
        };
        let row = B_TOP + B_ROW * i as f64;
        let shown = shown_as(figure, bar.value, unit);
        let mut label = format!("{}: {shown}", figure.label);
        if figure.estimate {
            label.push_str(" (estimate)");
        }
        text(
            &mut out,
            "chart-bar-label",
            B_LEFT,
            row + 16.0,
            "start",
            &label,
        );
        let estimate = if figure.estimate {
            " chart-bar-estimate"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<rect class=\"chart-bar chart-bar-{kind}{estimate}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            c(x(0.0)),
            c(row + 24.0),
            c(x(bar.value) - x(0.0)),
            c(B_BAR),
            escape_html(&provenance::provenance(figures, figure)),
            kind = figure.kind.as_str(),
        );
        if let (Some(low), Some(high)) = (bar.low, bar.high) {
            let mid = row + 24.0 + B_BAR / 2.0;
            let _ = writeln!(out, "<g class=\"chart-whisker\">");
            line(
                &mut out,
                "chart-whisker-line",
                (x(low), mid),
                (x(high), mid),
            );
            line(
                &mut out,
                "chart-whisker-line",
                (x(low), mid - 6.0),
                (x(low), mid + 6.0),
            );
            line(
                &mut out,
                "chart-whisker-line",
                (x(high), mid - 6.0),
                (x(high), mid + 6.0),
            );
            out.push_str("</g>\n");
        }
    }
    out.push_str("</svg>\n");
    out
}

/// "US dollars per MW a year (USD/MW/year)": the unit in words, then as declared.
fn axis_label(unit: &str) -> String {
    match format(1.0, unit, 3, None) {
        Ok(f) if unit.trim_start().starts_with("USD") => {
            let tail = f.display.strip_prefix(&f.number).unwrap_or("");
            format!("US dollars{tail} ({unit})")
        }
        _ => unit.to_string(),
    }
}

/// A bar's figure in the chart's unit, rounded as the prose rounds it ("about $48 million").
fn shown_as(figure: &Figure, value: f64, unit: &str) -> String {
    format_like(value, unit, figure.rounding, figure.qualifier.as_deref())
        .map_or_else(|_| value.to_string(), |f| f.display)
}

fn range_as(figure: &Figure, low: f64, high: f64, unit: &str) -> String {
    format_range_like(low, high, unit, figure.rounding)
        .unwrap_or_else(|_| format!("{low} to {high}"))
}

fn bars_description(figures: &Figures, unit: &str, bars: &[Bar]) -> String {
    let parts: Vec<String> = bars
        .iter()
        .filter_map(|bar| {
            let figure = figures.get(&bar.figure)?;
            let mut part = format!("{}: {}", figure.label, shown_as(figure, bar.value, unit));
            if let (Some(low), Some(high)) = (bar.low, bar.high) {
                let _ = write!(part, " (estimate; {})", range_as(figure, low, high, unit));
            } else if figure.estimate {
                part.push_str(" (estimate)");
            }
            Some(part)
        })
        .collect();
    format!(
        "Bar chart comparing {} figures in {}. {}.",
        bars.len(),
        axis_label(unit),
        parts.join("; ")
    )
}

fn bars_caption(figures: &Figures, bars: &[Bar], fig: &mut dyn FnMut(&str) -> String) -> String {
    let parts: Vec<String> = bars
        .iter()
        .map(|bar| {
            let label = figures
                .get(&bar.figure)
                .map_or(bar.figure.as_str(), |f| f.label.as_str());
            format!("{}: {}", escape_html(label), fig(&bar.figure))
        })
        .collect();
    let whiskers = if bars.iter().any(|b| b.low.is_some()) {
        " Whiskers show the range of an estimate over the ranges of its assumptions."
    } else {
        ""
    };
    format!("{}.{whiskers}", parts.join("; "))
}

fn bars_table(figures: &Figures, unit: &str, bars: &[Bar]) -> String {
    let mut html = format!(
        "<table>\n<thead><tr><th scope=\"col\">Figure</th><th scope=\"col\">Kind</th><th scope=\"col\">Value ({})</th><th scope=\"col\">Range</th></tr></thead>\n<tbody>\n",
        escape_html(unit)
    );
    for bar in bars {
        let Some(figure) = figures.get(&bar.figure) else {
            continue;
        };
        let range = match (bar.low, bar.high) {
            (Some(low), Some(high)) => range_as(figure, low, high, unit),
            _ => String::new(),
        };
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&figure.label),
            provenance::kind_name(figure),
            escape_html(&shown_as(figure, bar.value, unit)),
            escape_html(&range)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

// ── Tornado ────────────────────────────────────────────────────────────────

const T_LEFT: f64 = 24.0;
const T_RIGHT: f64 = 656.0;
const T_TOP: f64 = 64.0;
const T_ROW: f64 = 60.0;
const T_BAR: f64 = 22.0;
const T_AXIS: f64 = 58.0;

fn tornado_svg(figures: &Figures, chart: &Chart, t: &Tornado) -> String {
    let low = t
        .bars
        .iter()
        .flat_map(|b| [b.at_low, b.at_high])
        .fold(t.base, f64::min);
    let high = t
        .bars
        .iter()
        .flat_map(|b| [b.at_low, b.at_high])
        .fold(t.base, f64::max);
    let (from, to, step) = nice_span(low, high);
    let scale = Across {
        from,
        to,
        step,
        left: T_LEFT,
        right: T_RIGHT,
    };
    let x = |v: f64| scale.x(v);
    let bottom = T_TOP + T_ROW * t.bars.len() as f64;
    let height = bottom + T_AXIS;
    let mut out = String::with_capacity(4096);
    open_svg(&mut out, chart, height, &tornado_description(figures, t));
    scale.draw(&mut out, T_TOP, bottom, height, &t.unit);
    for (i, bar) in t.bars.iter().enumerate() {
        let row = T_TOP + T_ROW * i as f64;
        let label = format!(
            "{}: {}",
            bar.label,
            crate::figures::range_text(&bar.low_input, &bar.high_input)
        );
        text(
            &mut out,
            "chart-bar-label",
            T_LEFT,
            row + 16.0,
            "start",
            &label,
        );
        // Each half runs from the base to where one end of the assumption takes the estimate.
        for (end, value, input, shown) in [
            ("low", bar.at_low, &bar.low_input, &bar.at_low_display),
            ("high", bar.at_high, &bar.high_input, &bar.at_high_display),
        ] {
            let (from, to) = (x(t.base.min(value)), x(t.base.max(value)));
            let _ = writeln!(
                out,
                "<rect class=\"chart-tornado chart-tornado-{end}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                c(from),
                c(row + 24.0),
                c(to - from),
                c(T_BAR),
                escape_html(&format!("{} = {input}: {shown}", bar.label)),
            );
        }
    }
    line(
        &mut out,
        "chart-tornado-base",
        (x(t.base), T_TOP - 6.0),
        (x(t.base), bottom),
    );
    let base_label = format!("Desk's case: {}", t.base_display);
    let anchor = if x(t.base) < (T_LEFT + T_RIGHT) / 2.0 {
        "start"
    } else {
        "end"
    };
    let nudge = if anchor == "start" { 4.0 } else { -4.0 };
    text(
        &mut out,
        "chart-note",
        x(t.base) + nudge,
        T_TOP - 12.0,
        anchor,
        &base_label,
    );
    out.push_str("<g class=\"chart-legend-row\">\n");
    let lx = swatch(
        &mut out,
        "chart-tornado-low",
        24.0,
        20.0,
        "Assumption at the low end of its range",
    );
    swatch(&mut out, "chart-tornado-high", lx, 20.0, "at the high end");
    out.push_str("</g>\n</svg>\n");
    out
}

/// A legend entry for a filled shape: a small square of its style, then its name. Returns
/// where the next entry starts.
fn swatch(out: &mut String, class: &str, x: f64, y: f64, label: &str) -> f64 {
    let _ = writeln!(
        out,
        "<rect class=\"chart-tornado {class}\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\"/>",
        c(x),
        c(y - 10.0)
    );
    text(out, "chart-legend", x + 18.0, y, "start", label);
    x + 18.0 + label.chars().count() as f64 * 6.4 + 20.0
}

fn tornado_description(figures: &Figures, t: &Tornado) -> String {
    let label = figures
        .get(&t.figure)
        .map_or(t.figure.as_str(), |f| f.label.as_str());
    let parts: Vec<String> = t
        .bars
        .iter()
        .map(|b| {
            format!(
                "{}: {} gives {}, {} gives {}",
                b.label, b.low_input, b.at_low_display, b.high_input, b.at_high_display
            )
        })
        .collect();
    format!(
        "Tornado chart of {} ({} in the desk's case), with one assumption at a time moved to \
         each end of its range, widest swing first. {}.",
        lower_first(label),
        t.base_display,
        parts.join("; ")
    )
}

fn tornado_caption(figures: &Figures, t: &Tornado, fig: &mut dyn FnMut(&str) -> String) -> String {
    let mut html = format!(
        "Each bar moves one assumption from the low to the high end of its range, every other at \
         the desk's value, and shows where {} goes from its desk's case of {}.",
        escape_html(&lower_first(
            &figures
                .get(&t.figure)
                .map_or(t.figure.clone(), |f| f.label.clone())
        )),
        fig(&t.figure)
    );
    if let Some(widest) = t.bars.first() {
        let _ = write!(
            html,
            " The widest swing comes from {} ({}): {}.",
            escape_html(&lower_first(&widest.label)),
            fig(&widest.assumption),
            escape_html(&crate::figures::range_text(
                &widest.at_low_display,
                &widest.at_high_display
            ))
        );
    }
    html
}

fn tornado_table(t: &Tornado) -> String {
    let mut html = String::from(
        "<table>\n<thead><tr><th scope=\"col\">Assumption</th><th scope=\"col\">Low end</th><th scope=\"col\">Estimate there</th><th scope=\"col\">High end</th><th scope=\"col\">Estimate there</th></tr></thead>\n<tbody>\n",
    );
    for b in &t.bars {
        let _ = writeln!(
            html,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&b.label),
            escape_html(&b.low_input),
            escape_html(&b.at_low_display),
            escape_html(&b.high_input),
            escape_html(&b.at_high_display)
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_start_and_end_on_round_numbers() {
        assert_eq!(nice_span(33.2e9, 46.1e9), (30e9, 50e9, 5e9));
        assert_eq!(nice_span(37.9e9, 49.6e9), (37.5e9, 50e9, 2.5e9));
        assert_eq!(nice_span(3.0, 12.0), (2.0, 12.0, 2.0));
        // Ends a rounding error apart still make a scale with width.
        let (from, to, step) = nice_span(4.2e10, 4.2e10 * (1.0 + 1e-15));
        assert!(to > from && step > 0.0, "{from} {to} {step}");
    }

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_scale(45e9), (50e9, 10e9));
        assert_eq!(nice_scale(51.25e9), (60e9, 20e9));
        assert_eq!(nice_scale(9.0), (10.0, 2.0));
        assert_eq!(nice_scale(12.0), (12.5, 2.5));
        assert_eq!(nice_scale(0.0), (1.0, 0.2));
    }

    #[test]
    fn coordinates_never_print_minus_zero() {
        assert_eq!(c(-0.01), "0.0");
        assert_eq!(c(12.345), "12.3");
    }

    #[test]
    fn axis_labels_say_the_unit_in_words() {
        assert_eq!(
            axis_label("USD/MW/year"),
            "US dollars per MW a year (USD/MW/year)"
        );
        assert_eq!(axis_label("MW"), "MW");
    }
}
