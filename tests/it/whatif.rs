//! The what-if panel and the published data: `static/whatif.js` run in Chromium gives every
//! figure's display byte for byte as Rust does; the panel changes a page's figures, charts
//! and URL and puts them back; `figures.json` and `figures.csv` read back as the figures.

use std::collections::BTreeMap;
use std::path::Path;

use briefing::figures::Figures;
use briefing::render::data::{FigureTable, Value};
use headless_chrome::Tab;
use serde_json::{Value as Json, json};

use crate::support::SiteTest;

const SCRIPT: &str = include_str!("../../static/whatif.js");

fn figures_of(dir: &Path) -> Figures {
    let text = std::fs::read_to_string(dir.join("data/figures.yaml")).unwrap();
    briefing::figures::load(Path::new("data/figures.yaml"), &text).unwrap_or_else(|p| panic!("{p}"))
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn eval(tab: &Tab, expression: &str) -> Json {
    let result = tab
        .evaluate(expression, false)
        .unwrap_or_else(|e| panic!("{e}: {}", &expression[..expression.len().min(300)]));
    result.value.unwrap_or(Json::Null)
}

/// Every set of values the equivalence is tested at: the base, each ranged assumption at
/// each end of its range with the others at base, and each scenario.
fn sets(figures: &Figures) -> Vec<(String, Vec<(String, f64)>)> {
    let mut sets = vec![("base".to_string(), Vec::new())];
    let plan = figures.plan().unwrap();
    for f in &plan.figures {
        for (end, value) in ["low", "high"].iter().zip(f.range.iter().flatten()) {
            sets.push((format!("{} {end}", f.name), vec![(f.name.clone(), *value)]));
        }
    }
    for s in figures.scenarios() {
        let set = s
            .assumptions
            .iter()
            .map(|a| (a.figure.clone(), a.value))
            .collect();
        sets.push((format!("scenario {}", s.name), set));
    }
    sets
}

/// The script's outcomes for `set`, by figure: (display, number), and the failing checks.
fn script_outcomes(
    tab: &Tab,
    model: &str,
    set: &[(String, f64)],
) -> (BTreeMap<String, (String, String)>, Vec<String>) {
    let by_name: serde_json::Map<String, Json> =
        set.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    let text = eval(
        tab,
        &format!(
            "JSON.stringify(briefingWhatIf.evaluate({model}, {}))",
            Json::Object(by_name)
        ),
    );
    let got: Json = serde_json::from_str(text.as_str().unwrap()).unwrap();
    let outcomes = got["outcomes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, o)| {
            let text = |k: &str| o[k].as_str().unwrap().to_string();
            (name.clone(), (text("display"), text("number")))
        })
        .collect();
    let failing = got["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (outcomes, failing)
}

fn script_tab(browser: &headless_chrome::Browser) -> std::sync::Arc<Tab> {
    let tab = browser.new_tab().unwrap();
    tab.navigate_to("about:blank")
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    eval(&tab, SCRIPT);
    tab
}

fn script_equals_rust(tab: &Tab, dir: &Path) {
    let figures = figures_of(dir);
    let model = serde_json::to_string(&figures.plan().unwrap()).unwrap();
    let mut differences = Vec::new();
    let mut compared = 0;
    for (what, set) in sets(&figures) {
        let want = figures.evaluate(&set).unwrap();
        let (got, failing) = script_outcomes(tab, &model, &set);
        for f in figures.iter() {
            let rust = want.get(&f.name).unwrap();
            let js = got.get(&f.name).cloned().unwrap_or_default();
            compared += 1;
            if (rust.display.as_str(), rust.number.as_str()) != (js.0.as_str(), js.1.as_str()) {
                differences.push(format!(
                    "{what}: {} = {}: Rust {:?} / {:?}, script {:?} / {:?}",
                    f.name, rust.value, rust.display, rust.number, js.0, js.1
                ));
            }
        }
        if failing != want.failing_checks() {
            differences.push(format!(
                "{what}: failing checks: Rust {:?}, script {failing:?}",
                want.failing_checks()
            ));
        }
    }
    // A figure's own scenarios, as `{{ x | scenario: s }}` shows them.
    for f in figures.iter() {
        for s in &f.scenarios {
            let set: Vec<(String, f64)> = figures
                .scenario(&s.scenario)
                .unwrap()
                .assumptions
                .iter()
                .map(|a| (a.figure.clone(), a.value))
                .collect();
            let (got, _) = script_outcomes(tab, &model, &set);
            if got.get(&f.name).map(|o| o.0.as_str()) != Some(s.outcome.display.as_str()) {
                differences.push(format!(
                    "scenario {}: {}: Rust {:?}, script {:?}",
                    s.scenario,
                    f.name,
                    s.outcome.display,
                    got.get(&f.name)
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{}: {} of {compared} displays differ; the first:\n{}",
        dir.display(),
        differences.len(),
        differences[..differences.len().min(15)].join("\n")
    );
}

#[test]
fn the_script_formats_every_figure_as_rust_does() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let tab = script_tab(&browser);
    for dir in [
        "",
        "tests/fixtures/rounding",
        "tests/fixtures/figures",
        "tests/fixtures/whatif",
    ] {
        script_equals_rust(&tab, &fixture(dir));
    }
}

#[test]
fn exact_ties_round_half_to_even_as_rust_does() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let tab = script_tab(&browser);
    let mut values = vec![
        0.25,
        0.125,
        12.5,
        0.5,
        1.5,
        2.5,
        1e21,
        1.005,
        2.675,
        0.0,
        -0.0,
        -2.5,
        1.25e9,
        125.0,
        9.995,
        99.95,
        999_999.5,
        5e-324,
        1.7976931348623157e308,
        0.1,
        1.0 / 3.0,
        45.0,
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..300 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let digits = (seed % 1000) as f64;
        let scale = 10f64.powi((seed >> 20) as i32 % 12 - 6);
        values.push(digits * scale / 8.0);
    }
    let list = serde_json::to_string(&values).unwrap();
    let got = eval(
        &tab,
        &format!(
            "JSON.stringify({list}.map(x => [0,1,2,3].map(n => briefingWhatIf.fixed(x, n))
               .concat([0,1,2,5].map(p => briefingWhatIf.expo(x, p)), [String(briefingWhatIf.writtenDigits(x))])))"
        ),
    );
    let got: Vec<Vec<String>> = serde_json::from_str(got.as_str().unwrap()).unwrap();
    assert_eq!(got.len(), values.len(), "a row for every value");
    for (x, got) in values.iter().zip(got) {
        let mut want: Vec<String> = (0..4).map(|n| format!("{x:.n$}")).collect();
        want.extend([0, 1, 2, 5].map(|p| format!("{x:.p$e}")));
        want.push(briefing::figures::written_digits(*x).to_string());
        assert_eq!(got, want, "{x:e}");
    }
}

/// A small RFC 4180 reader: quoted cells may hold commas, quotes (doubled) and line breaks.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

fn value_text(value: f64, unit: &str) -> String {
    Value::of(value, unit).text()
}

#[test]
fn published_data_reads_back_as_the_figures() {
    let site = SiteTest::shipped();
    let built = site.build();
    let figures = figures_of(site.root());
    let table: FigureTable = serde_json::from_str(&built.file("figures.json")).unwrap();
    assert_eq!(table.figures.len(), figures.len());
    for (row, f) in table.figures.iter().zip(figures.iter()) {
        assert_eq!(row.name, f.name);
        assert_eq!(
            (&row.label, &row.unit, &row.display),
            (&f.label, &f.unit, &f.display)
        );
        assert_eq!(row.value, Value::of(f.value, &f.unit), "{}", f.name);
        assert_eq!(
            (row.estimate, &row.formula, &row.inputs),
            (f.estimate, &f.formula, &f.inputs)
        );
        assert_eq!((&row.source, &row.quote), (&f.source, &f.quote));
        let range = f
            .range
            .as_ref()
            .map(|r| (r.display.clone(), r.low_display.clone()));
        let read = row
            .range
            .as_ref()
            .map(|r| (r.display.clone(), r.low_display.clone()));
        assert_eq!(read, range, "{}", f.name);
        let scenarios: Vec<(&str, &str)> = f
            .scenarios
            .iter()
            .map(|s| (s.scenario.as_str(), s.outcome.display.as_str()))
            .collect();
        let read: Vec<(&str, &str)> = row
            .scenarios
            .iter()
            .map(|s| (s.scenario.as_str(), s.display.as_str()))
            .collect();
        assert_eq!(read, scenarios, "{}", f.name);
    }
    assert_eq!(table.sources.len(), figures.sources().count());
    assert_eq!(table.checks.len(), figures.checks().count());
    let names: Vec<&str> = table.scenarios.iter().map(|s| s.name.as_str()).collect();
    let want: Vec<&str> = figures.scenarios().map(|s| s.name.as_str()).collect();
    assert_eq!(names, want);
    let model = table.model.as_ref().expect("the model is published");
    assert_eq!(
        model,
        &serde_json::to_value(figures.plan().unwrap()).unwrap()
    );
    // Exact values survive JSON: the model's numbers are the figures' own bits.
    for (f, m) in figures.iter().zip(model["figures"].as_array().unwrap()) {
        if f.kind != briefing::figures::Kind::Derived {
            assert_eq!(m["value"].as_f64().unwrap().to_bits(), f.value.to_bits());
        }
    }

    let rows = read_csv(&built.file("figures.csv"));
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), figures.len() + 1);
    for (row, f) in rows[1..].iter().zip(figures.iter()) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("name")], f.name);
        assert_eq!(row[col("display")], f.display);
        assert_eq!(row[col("value")], value_text(f.value, &f.unit));
        assert_eq!(row[col("formula")], f.formula.clone().unwrap_or_default());
        assert_eq!(row[col("quote")], f.quote.clone().unwrap_or_default());
        assert_eq!(row[col("estimate")], f.estimate.to_string());
        if f.unit != "date" {
            let read: f64 = row[col("value")].parse().unwrap();
            assert_eq!(read.to_bits(), f.value.to_bits(), "{}", f.name);
        }
        for s in &f.scenarios {
            assert_eq!(
                row[col(&format!("{} display", s.scenario))],
                s.outcome.display
            );
            assert_eq!(
                row[col(&format!("{} value", s.scenario))],
                value_text(s.outcome.value, &f.unit)
            );
        }
    }
}

#[test]
fn published_data_is_stable_and_matches_the_cli() {
    let site = SiteTest::shipped();
    let first = site.build();
    let second = site.build();
    for file in ["figures.json", "figures.csv"] {
        assert_eq!(first.file(file), second.file(file), "{file}");
    }
    let cli = site.cli_ok(&["figures", "--format", "json"]);
    assert_eq!(
        String::from_utf8(cli.stdout).unwrap(),
        first.file("figures.json")
    );
    let figures_page = first.file("figures/index.html");
    assert!(figures_page.contains("href=\"../figures.json\""), "linked");
    assert!(figures_page.contains("href=\"../figures.csv\""), "linked");
}

/// What the page shows: every live figure's text, the fixed ones' (scenario, range), a
/// chart's SVG and the URL's query.
fn page_state(tab: &Tab) -> Json {
    let text = eval(
        tab,
        "JSON.stringify({
           live: [...document.querySelectorAll('.fig[data-show=display] > .fig-link, .fig[data-show=number] > .fig-link')].map(a => a.textContent),
           fixed: [...document.querySelectorAll('.fig[data-show=scenario] > .fig-link, .fig[data-show=range] > .fig-link')].map(a => a.textContent),
           tips: [...document.querySelectorAll('.fig-tip-inputs')].map(t => t.textContent),
           chart: (document.querySelector('#chart-cumulative_payments svg') || {}).outerHTML,
           tornado: (document.querySelector('#chart-what_moves_the_modelled_total svg') || {}).outerHTML,
           search: location.search,
           status: (document.querySelector('.whatif-status') || {}).textContent,
         })",
    );
    serde_json::from_str(text.as_str().unwrap()).unwrap()
}

fn set_input(tab: &Tab, id: &str, value: &str) {
    eval(
        tab,
        &format!(
            "(() => {{ const i = document.getElementById('{id}'); i.value = '{value}';
               i.dispatchEvent(new Event('change', {{ bubbles: true }})); return i.value; }})()"
        ),
    );
}

#[test]
fn the_panel_changes_the_page_and_puts_it_back() {
    let Some(browser) = crate::browser::launch() else {
        return;
    };
    let site = SiteTest::shipped();
    site.cli_ok(&["build"]);
    let page = site.path("public/deal/index.html");
    let url = format!("file://{}", page.display());
    let tab = crate::support::open_page(&browser, &page);
    let panel_hidden = "document.getElementById('whatif-panel').hidden";
    assert_eq!(eval(&tab, panel_hidden), json!(true), "closed at first");
    let before = page_state(&tab);
    assert!(before["live"].as_array().unwrap().len() > 20, "{before}");

    tab.find_element(".whatif-toggle").unwrap().click().unwrap();
    assert_eq!(
        eval(&tab, panel_hidden),
        json!(false),
        "the button opens it"
    );
    let labels = eval(
        &tab,
        "[...document.querySelectorAll('.whatif-row label')].map(l => l.textContent + '=' + !!document.getElementById(l.htmlFor)).join('|')",
    );
    assert!(
        labels
            .as_str()
            .unwrap()
            .contains("Length of the discounted start=true"),
        "each input is labelled: {labels}"
    );

    set_input(&tab, "whatif-ramp_months", "12");
    let changed = page_state(&tab);
    assert_ne!(changed["live"], before["live"], "figures follow");
    assert_eq!(
        changed["fixed"], before["fixed"],
        "scenario and range figures stay"
    );
    assert_ne!(
        changed["tips"], before["tips"],
        "tooltips show the new inputs"
    );
    assert_ne!(
        changed["chart"], before["chart"],
        "the schedule is drawn again"
    );
    assert!(
        before["tornado"].is_string(),
        "the deal page has its tornado"
    );
    assert_ne!(
        changed["tornado"], before["tornado"],
        "the tornado is drawn again"
    );
    assert_eq!(changed["search"], json!("?whatif=ramp_months:12"));
    assert!(
        changed["status"].as_str().unwrap().contains("changed"),
        "{changed}"
    );
    // The script's texts are Rust's for the same value.
    let figures = figures_of(site.root());
    let want = figures
        .evaluate(&[("ramp_months".to_string(), 12.0)])
        .unwrap();
    let projected = eval(
        &tab,
        "document.querySelector('.fig[data-fig=projected_total][data-show=display] > .fig-link').textContent",
    );
    assert_eq!(
        projected.as_str(),
        Some(want.get("projected_total").unwrap().display.as_str())
    );

    tab.find_element(".whatif-reset").unwrap().click().unwrap();
    let reset = page_state(&tab);
    for key in ["live", "fixed", "tips", "chart", "tornado"] {
        assert_eq!(reset[key], before[key], "reset restores {key}");
    }
    assert_eq!(reset["search"], json!(""));

    // A shared URL opens with its values applied.
    tab.navigate_to(&format!("{url}?whatif=ramp_months:12"))
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let shared = page_state(&tab);
    assert_eq!(shared["live"], changed["live"]);
    assert_eq!(shared["chart"], changed["chart"]);
    assert_eq!(eval(&tab, panel_hidden), json!(false), "opened to show why");
}

#[test]
fn pages_without_estimates_get_no_script() {
    let site = SiteTest::shipped();
    let built = site.build();
    let deal = built.file("deal/index.html");
    assert!(deal.contains("<script type=\"application/json\" id=\"briefing-model\">"));
    assert!(deal.contains("whatif."), "the script is linked");
    let figures_page = built.file("figures/index.html");
    assert!(!figures_page.contains("briefing-model"));
    let alpha = SiteTest::from_dir("basic").build();
    for (path, html) in alpha.html() {
        assert!(!html.contains("whatif"), "{path}");
    }
}
