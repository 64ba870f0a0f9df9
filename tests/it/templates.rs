//! Templates: Tera 2 errors carry the template's file, line and column; autoescape is on.

use crate::support::SiteTest;

#[test]
fn template_syntax_error_names_file_line_and_column() {
    let site = SiteTest::from_dir("basic");
    site.write("templates/page.html", "{% extends \"base.html\" %}\n{% block content %}\n<p>{{ page.title </p>\n{% endblock content %}\n");
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("templates/page.html"), "{problem}");
    assert_eq!(problem.line, 3, "{problem}");
    assert!(problem.column > 1, "{problem}");
}

#[test]
fn template_rendering_error_names_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write("templates/page.html", "{% extends \"base.html\" %}\n{% block content %}\n\n<p>{{ page.no_such_field.x }}</p>\n{% endblock content %}\n");
    let problem = &site.problems().0[0];
    assert!(problem.path.ends_with("templates/page.html"), "{problem}");
    assert_eq!(problem.line, 4, "{problem}");
}

#[test]
fn values_are_autoescaped() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "content/gamma.md",
        "---\ntitle: \"<script>alert(1)</script>\"\n---\nText\n",
    );
    let html = site.build().file("gamma/index.html");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
}

#[test]
fn a_site_without_templates_uses_the_built_in_theme() {
    let site = SiteTest::from_dir("basic");
    for name in ["base.html", "page.html", "index.html", "figures.html"] {
        site.remove(&format!("templates/{name}"));
    }
    site.remove("static/style.css");
    let built = site.build();
    assert!(built.file("alpha/index.html").contains("Alpha"));
    assert!(built.has("style.css"), "the built-in stylesheet is written");
}

#[test]
fn every_broken_template_is_reported_with_its_line() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "templates/page.html",
        "{% extends \"base.html\" %}\n{% block nope %}x{% endblock nope %}\n",
    );
    site.write(
        "templates/index.html",
        "{% extends \"base.html\" %}\n{% block content %}\n{{ page.title | no_such_filter }}\n{% endblock content %}\n",
    );
    let problems = site.problems();
    let places: Vec<String> = problems.0.iter().map(|p| p.location()).collect();
    assert!(
        places
            .iter()
            .any(|p| p.starts_with("templates/page.html:2:")),
        "{problems}"
    );
    assert!(
        places
            .iter()
            .any(|p| p.starts_with("templates/index.html:3:")),
        "{problems}"
    );
}

#[test]
fn a_component_or_a_loop_over_fields_gets_every_field_of_a_listed_page() {
    let site = SiteTest::from_dir("basic");
    site.write(
        "templates/parts.html",
        "{% component teaser(entry: map) %}<p class=\"teaser\">{{ entry.summary }}</p>{% endcomponent teaser %}",
    );
    site.write(
        "templates/index.html",
        "<ul>{% for p in pages %}<li>{{ <teaser entry={p} /> }}<dl>{% for k, v in p %}<dt>{{ k }}</dt>{% endfor %}</dl></li>{% endfor %}</ul>",
    );
    let html = site.build().file("index.html");
    assert!(html.contains("<p class=\"teaser\">"), "{html}");
    assert!(
        !html.contains("<p class=\"teaser\"></p>"),
        "the summary is there: {html}"
    );
    for field in ["title", "summary", "word_count", "description", "url"] {
        assert!(
            html.contains(&format!("<dt>{field}</dt>")),
            "{field} is missing: {html}"
        );
    }
}
