//! The estimate rounding policy over a whole site: what readers see is rounded by the kind of
//! figure (an estimate to two digits, "about"), what tools read keeps the value unrounded.

use crate::support::SiteTest;

#[test]
fn prose_cards_charts_and_tooltips_round_estimates_and_keep_reported_figures_as_written() {
    let built = SiteTest::from_dir("rounding").build();
    let lease = built.file("lease/index.html");
    // An estimate: two significant digits and "about", its range to one place, the unit once.
    assert!(lease.contains(">about $39 billion</a>"), "{lease}");
    assert!(lease.contains(">$36 to $46 billion</a>"), "{lease}");
    // Its own `precision:` wins over the policy; it is still an estimate, so still "about".
    assert!(lease.contains(">about $38.9 billion</a>"), "{lease}");
    // An estimate that two digits leave exact says no "about".
    assert!(lease.contains(">$42 billion</a>"), "{lease}");
    assert!(lease.contains(">about $5,100 per MWh</a>"), "{lease}");
    // Bars are labelled as the prose shows the figure; tooltips show inputs the same way.
    assert!(
        lease.contains(">Projected payments: about $39 billion (estimate)</text>"),
        "{lease}"
    );
    assert!(
        lease.contains("payment = $1.234567 billion a month; months = 35 months; share = 90%"),
        "{lease}"
    );
    assert!(
        !lease.contains("38.88"),
        "no unrounded estimate in the prose"
    );

    let home = built.file("index.html");
    // A reported figure shows every digit it was reported with; a figure derived from
    // reported figures alone shows three.
    assert!(home.contains(">$1.234567 billion a month</a>"), "{home}");
    assert!(home.contains(">$4,120 per kW a month</a>"), "{home}");
    assert!(
        home.contains("<span class=\"card-number\">about $39 billion</span>"),
        "{home}"
    );
}

#[test]
fn figures_page_gives_the_value_before_rounding_of_rounded_estimates_only() {
    let page = SiteTest::from_dir("rounding")
        .build()
        .file("figures/index.html");
    let row = |name: &str| {
        let start = page.find(&format!("id=\"fig-{name}\"")).unwrap();
        let row = &page[start..];
        row[..row.find("</tr>").unwrap()].to_string()
    };
    let projected = row("projected");
    assert!(projected.contains("about $39 billion"), "{projected}");
    assert!(
        projected.contains("Before rounding: $38.8889 billion"),
        "{projected}"
    );
    for exact in ["full_value", "payment", "per_kw", "months"] {
        assert!(!row(exact).contains("Before rounding"), "{exact}");
    }
}

#[test]
fn machine_readable_output_keeps_the_unrounded_value() {
    let site = SiteTest::from_dir("rounding");
    let out = site.cli_ok(&["figures", "--format", "json"]);
    let table: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let figure = |name: &str| {
        table["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let projected = figure("projected");
    assert_eq!(projected["value"], 38_888_860_500.0);
    assert_eq!(projected["display"], "about $39 billion");
    assert_eq!(projected["kind"], "estimate");
    assert_eq!(projected["low"], 35_555_529_600.0);
    assert_eq!(figure("payment")["value"], 1_234_567_000.0);

    let csv = String::from_utf8(site.cli_ok(&["figures", "--format", "csv"]).stdout).unwrap();
    assert!(csv.contains("38888860500"), "{csv}");
}
