//! The benchmarks' corpus: a deterministic site of realistic sections (prose, figure
//! references, a table, a list, footnotes, links and a code block that differs per page),
//! shared by the build and serve benchmarks so both measure the same site.

use std::fmt::Write as _;
use std::path::Path;

/// A deterministic pseudo-random sequence, so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "capacity",
    "lease",
    "compute",
    "megawatt",
    "contract",
    "ramp",
    "tenant",
    "operator",
    "revenue",
    "discount",
    "cluster",
    "facility",
    "grid",
    "demand",
    "supply",
    "margin",
    "schedule",
    "term",
    "buyer",
    "market",
    "model",
    "training",
    "inference",
    "cost",
    "power",
    "cooling",
    "site",
    "expansion",
    "filing",
    "forecast",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "as",
    "is",
    "that",
    "from",
    "its",
    "over",
    "under",
    "while",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        let word = rng.pick(WORDS);
        if i == 0 {
            let mut c = word.chars();
            s.extend(c.next().map(|c| c.to_ascii_uppercase()));
            s.push_str(c.as_str());
        } else {
            s.push_str(word);
        }
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Rng) -> String {
    (0..5)
        .map(|_| sentence(rng, 14))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A 30-line code block whose names and numbers depend on the page, so no two pages
/// share a block and a highlight cache cannot hit on a cold build.
fn code(rng: &mut Rng, index: usize) -> (String, &'static str) {
    let mut text = String::new();
    let lang = match index % 3 {
        0 => {
            let _ = writeln!(text, "/// Monthly cost for lease {index}.");
            let _ = writeln!(
                text,
                "pub fn cost_{index}(rate: f64, megawatts: f64) -> f64 {{"
            );
            for line in 0..26 {
                let _ = writeln!(
                    text,
                    "    let step_{line}_{index} = rate * megawatts * {}.{} + {}; // {}",
                    rng.next() % 100,
                    rng.next() % 1000,
                    index + line,
                    rng.pick(WORDS)
                );
            }
            let _ = writeln!(text, "    rate * {index}.0");
            text.push_str("}\n");
            "rust"
        }
        1 => {
            let _ = writeln!(
                text,
                "def cost_{index}(rate: float, megawatts: float) -> float:"
            );
            let _ = writeln!(text, "    \"\"\"Cost of lease {index} for one month.\"\"\"");
            for line in 0..27 {
                let _ = writeln!(
                    text,
                    "    step_{line}_{index} = rate * megawatts * {}.{} + {}  # {}",
                    rng.next() % 100,
                    rng.next() % 1000,
                    index + line,
                    rng.pick(WORDS)
                );
            }
            let _ = writeln!(text, "    return rate * {index}");
            "python"
        }
        _ => {
            let _ = writeln!(text, "lease_{index}:");
            let _ = writeln!(text, "  tenant: {}", rng.pick(WORDS));
            let _ = writeln!(text, "  capacity_mw: {}", index % 900 + 100);
            let _ = writeln!(text, "  payments:");
            for line in 0..13 {
                let _ = writeln!(text, "    - month: {}", line + 1);
                let _ = writeln!(
                    text,
                    "      amount: {}.{}e6 # {}",
                    rng.next() % 1000,
                    index,
                    rng.pick(WORDS)
                );
            }
            let _ = writeln!(text, "  note: {}", rng.pick(WORDS));
            "yaml"
        }
    };
    (text, lang)
}

fn page(rng: &mut Rng, index: usize, pages: usize) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "---\ntitle: \"Section {index}: {}\"\ndescription: \"{}\"\ndate: 2026-11-27\nweight: {index}\n---\n",
        sentence(rng, 4).trim_end_matches('.'),
        sentence(rng, 10)
    );
    let _ = writeln!(
        md,
        "{} The lease costs {{{{ monthly_payment }}}}, or {{{{ annual_run_rate }}}}.\n",
        paragraph(rng)
    );
    for h in 0..4 {
        let _ = writeln!(md, "## {} {h}\n", sentence(rng, 3).trim_end_matches('.'));
        let _ = writeln!(md, "{}[^{h}]\n", paragraph(rng));
        let _ = writeln!(md, "{}\n", paragraph(rng));
        if h == 1 {
            for _ in 0..4 {
                let _ = writeln!(
                    md,
                    "- {} with **{}** and a [link](https://example.org/{})",
                    sentence(rng, 6),
                    rng.pick(WORDS),
                    rng.next() % 1000
                );
            }
            md.push('\n');
        }
        if h == 2 {
            md.push_str("| Item | Value | Note |\n|---|---:|---|\n");
            for _ in 0..4 {
                let _ = writeln!(
                    md,
                    "| {} | {{{{ capacity }}}} | {} |",
                    rng.pick(WORDS),
                    sentence(rng, 3)
                );
            }
            md.push('\n');
        }
        if h == 3 {
            let (code, lang) = code(rng, index);
            let _ = writeln!(md, "```{lang}\n{code}```\n");
            let other = (index + 1) % pages;
            let _ = writeln!(md, "See [the next section](s{other}.md) for more.\n");
        }
    }
    for h in 0..4 {
        let _ = writeln!(md, "[^{h}]: {}", sentence(rng, 8));
    }
    md
}

/// Write a site of `pages` sections into `root`, in folders of a hundred pages.
pub fn generate(root: &Path, pages: usize) {
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(
        root.join("briefing.yaml"),
        "title: Benchmark briefing\ndescription: A generated site\nbase_url: https://example.com\nkey_figures: [monthly_payment]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("data/figures.yaml"),
        "sources:\n  article:\n    title: Report\nfigures:\n  monthly_payment:\n    value: 1.25 billion\n    unit: USD/month\n    source: article\n  capacity:\n    value: 300\n    unit: MW\n    source: article\n  annual_run_rate:\n    formula: monthly_payment\n    unit: USD/year\n",
    )
    .unwrap();
    std::fs::write(
        root.join("content/_index.md"),
        "---\ntitle: Home\n---\nA generated briefing.\n",
    )
    .unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for index in 0..pages {
        // Folders of 100 pages, like a real archive, not one flat folder.
        let dir = root.join("content").join(format!("part{}", index / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = page(&mut rng, index, pages);
        // Links are relative to the file: sibling pages share the folder.
        let other = (index + 1) % pages;
        text = text.replace(
            &format!("(s{other}.md)"),
            &format!("(../part{}/s{other}.md)", other / 100),
        );
        std::fs::write(dir.join(format!("s{index}.md")), text).unwrap();
    }
}

/// The shapes of input that must cost time in proportion to their size, each on a
/// site of its own next to a tiny one (see [`generate_large`]).
#[allow(dead_code, reason = "only the build benchmark times large inputs")]
#[derive(Debug, Clone, Copy)]
pub enum Large {
    /// A home page and one short page: the baseline the others are compared with.
    Tiny,
    /// One page with 100,000 links: to another page's headings and to its own.
    Links,
    /// One page of 10 MB of prose, headings every fifty paragraphs.
    Megabytes,
    /// A figures file of 5,000 figures, each derived from the one before, all resting on
    /// one ranged assumption.
    Figures,
    /// One page of 10,000 headings, all with the same title.
    Headings,
}

#[allow(dead_code, reason = "only the build benchmark times large inputs")]
impl Large {
    pub const ALL: [Large; 5] = [
        Large::Tiny,
        Large::Links,
        Large::Megabytes,
        Large::Figures,
        Large::Headings,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Large::Tiny => "tiny site (baseline)",
            Large::Links => "one page with 100,000 links",
            Large::Megabytes => "one page of 10 MB",
            Large::Figures => "5,000 figures",
            Large::Headings => "10,000 headings on one page",
        }
    }
}

/// Write the site of one [`Large`] shape into `root`.
#[allow(dead_code, reason = "only the build benchmark times large inputs")]
pub fn generate_large(root: &Path, shape: Large) {
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::write(
        root.join("briefing.yaml"),
        "title: Large inputs\nbase_url: https://example.com\n",
    )
    .unwrap();
    std::fs::write(
        root.join("content/_index.md"),
        "---\ntitle: Home\n---\nWelcome.\n",
    )
    .unwrap();
    let page = |text: String| std::fs::write(root.join("content/large.md"), text).unwrap();
    match shape {
        Large::Tiny => page("---\ntitle: Page\n---\nText.\n".into()),
        Large::Links => {
            let mut other = String::from("---\ntitle: Other\n---\n");
            for i in 0..100 {
                let _ = writeln!(other, "## Section {i}\n\nText.\n");
            }
            std::fs::write(root.join("content/other.md"), other).unwrap();
            let mut md = String::from("---\ntitle: Links\n---\n");
            for i in 0..50_000 {
                let _ = writeln!(
                    md,
                    "- [to the other page {i}](other.md#section-{}), [here](#h-{})",
                    i % 100,
                    i % 50
                );
            }
            md.push('\n');
            for i in 0..50 {
                let _ = writeln!(md, "## H {i}\n");
            }
            page(md);
        }
        Large::Megabytes => {
            let paragraph = "The lease of capacity runs for a term of months, and the payments _rise_ over the ramp; see **this** and `code`. ".repeat(8);
            let mut md = String::from("---\ntitle: Long\n---\n");
            let mut i = 0;
            while md.len() < 10_000_000 {
                if i % 50 == 0 {
                    let _ = writeln!(md, "## Part {i}\n");
                }
                let _ = writeln!(md, "{paragraph}\n");
                i += 1;
            }
            page(md);
        }
        Large::Figures => {
            std::fs::create_dir_all(root.join("data")).unwrap();
            let mut yaml = String::from(
                "sources:\n  s:\n    title: Source\n    publisher: P\n    date: \"2026\"\n    quote: q\nfigures:\n  base: { value: 100, unit: MW, source: s, quote: q }\n  share: { value: 50, range: [25, 75], unit: \"%\", why: a guess }\n  f1: { formula: \"base + base * share / 1000\", unit: MW }\n",
            );
            for i in 2..5_000 {
                let _ = writeln!(
                    yaml,
                    "  f{i}: {{ formula: \"f{} + base * share / 1000\", unit: MW }}",
                    i - 1
                );
            }
            std::fs::write(root.join("data/figures.yaml"), yaml).unwrap();
            page(
                "---\ntitle: Figures\n---\nThe last is {{ f4999 }}, the tenth {{ f10 }}.\n".into(),
            );
        }
        Large::Headings => {
            let mut md = String::from("---\ntitle: Headings\n---\n");
            for i in 0..10_000 {
                let _ = writeln!(md, "## The same title\n\nText {i}.\n");
            }
            page(md);
        }
    }
}
