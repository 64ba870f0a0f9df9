//! Bad input: each problem names the file, line and column and says how to fix it.

use crate::support::SiteTest;

#[test]
fn unknown_figure_has_position_and_suggestion() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\n---\nFirst line.\n\nIt costs {{ montly_payment }} a month.\n",
    );
    let problems = site.problems();
    let problem = &problems.0[0];
    assert_eq!(problem.location(), "content/gamma.md:6:10");
    assert!(problem.message.contains("unknown figure `montly_payment`"));
    assert_eq!(
        problem.help.as_deref(),
        Some("did you mean `monthly_payment`?")
    );
}

#[test]
fn every_bad_page_is_reported_in_one_run() {
    let site = SiteTest::from_dir("basic");
    site.write("content/gamma.md", "{{ nope_one }}\n");
    site.write("content/beta.md", "{{ nope_two }}\n");
    let text = site.problems().to_string();
    assert!(
        text.contains("nope_one") && text.contains("nope_two"),
        "{text}"
    );
}

#[test]
fn broken_front_matter_yaml_names_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\nweight: [1, 2\n---\nText\n",
    );
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("content/gamma.md"));
    assert!(problem.line >= 3 && problem.line <= 4, "{problem}");
    assert!(problem.message.starts_with("invalid YAML"), "{problem}");
}

#[test]
fn unknown_front_matter_field_names_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\nwieght: 3\n---\nText\n",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.line, 3, "{problem}");
    assert!(
        problem.message.contains("unknown field `wieght`"),
        "{problem}"
    );
}

#[test]
fn broken_config_names_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write("briefing.yaml", "title: T\nkey_figures: [monthly_payment\n");
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("briefing.yaml"));
    assert!(problem.line >= 2, "{problem}");
}

#[test]
fn key_figure_typo_is_caught() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "briefing.yaml",
        "title: T\nkey_figures:\n  - anual_run_rate\n",
    );
    let problem = &site.problems().0[0];
    assert!(problem.message.contains("anual_run_rate"));
    assert_eq!(
        problem.help.as_deref(),
        Some("did you mean `annual_run_rate`?")
    );
}

#[test]
fn missing_template_is_an_error_on_the_page() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: Gamma\ntemplate: pgae.html\n---\nText\n",
    );
    let problem = &site.problems().0[0];
    assert_eq!(problem.location(), "content/gamma.md:3:1");
    assert!(
        problem.help.as_deref().unwrap().contains("page.html"),
        "{problem}"
    );
}

#[test]
fn odd_input_gives_problems_not_panics() {
    let nasty = [
        "{{",
        "{{}}",
        "{{ | }}",
        "{{ a | b | c }}",
        "{{ monthly_payment | nope }}",
        "}} {{ é }}",
        "---\n---\n",
        "---\n: : :\n---\n",
        "\u{feff}---\ntitle: BOM\n---\nText",
        "# \n\n##\n",
        "[x](missing.md) [y](../../../../etc/passwd.md)",
    ];
    for text in nasty {
        let site = SiteTest::from_dir("basic");
        site.write("content/gamma.md", text);
        // Either outcome is fine; a panic is not (it would abort this test).
        let _ = site.try_build();
    }
    let deep = ">".repeat(5_000) + " deep\n" + &"- ".repeat(2_000) + "list\n";
    let site = SiteTest::from_dir("basic");
    site.write("content/gamma.md", &deep);
    let _ = site.try_build();
}
