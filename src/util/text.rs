//! Shared: text: HTML escaping, the slugs of URLs and ids, capitals, and the text of
//! an HTML fragment.

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped_html(&mut out, text);
    out
}

/// [`escape_html`] of `text`, appended to `out` (runs without a special character are
/// copied whole: highlighted code is mostly such runs).
pub fn push_escaped_html(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(escaped);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// `text` with its first letter in upper case.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The text of an HTML fragment: each tag replaced by `between`, character references
/// decoded.
pub fn strip_tags(html: &str, between: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push_str(between);
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    crate::util::urls::decode_entities(&text)
}

/// A URL- and id-safe form of `text`: lower case, words joined by `-`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '-' || c == '_' || c == '.' || c == '/' {
            dash = true;
        }
    }
    if slug.is_empty() {
        "section".to_string()
    } else {
        slug
    }
}

/// A label inside a sentence: only its first letter lowered, so names in it ("xAI", "MW")
/// keep their case; a first word in capitals ("GPU hours") stays as it is.
pub fn lower_first(label: &str) -> String {
    let first_word = label.split_whitespace().next().unwrap_or("");
    if first_word.chars().skip(1).any(char::is_uppercase) {
        return label.to_string();
    }
    let mut chars = label.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("The deal, in detail"), "the-deal-in-detail");
        assert_eq!(slugify("  Été & co_op  "), "été-co-op");
        assert_eq!(slugify("!!!"), "section");
    }

    #[test]
    fn tags_go_and_references_are_decoded() {
        assert_eq!(strip_tags("<p>A &amp; <em>b</em></p>", ""), "A & b");
        assert_eq!(strip_tags("<p>A</p><p>b</p>", " "), " A  b ");
        assert_eq!(capitalise("été"), "Été");
        assert_eq!(
            escape_html("<a href='x'>&"),
            "&lt;a href=&#39;x&#39;&gt;&amp;"
        );
    }

    #[test]
    fn labels_in_a_sentence_keep_the_case_of_names() {
        assert_eq!(lower_first("Reported floor"), "reported floor");
        assert_eq!(
            lower_first("Projected revenue to xAI over the term"),
            "projected revenue to xAI over the term"
        );
        assert_eq!(lower_first("GPU hours leased"), "GPU hours leased");
        assert_eq!(lower_first(""), "");
    }
}
