use std::time::Instant;
fn main() {
    let root = std::env::args().nth(1).unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    for e in walkdir::WalkDir::new(format!("{root}/content")) {
        let e = e.unwrap();
        if !e.file_type().is_file() {
            continue;
        }
        let t = std::fs::read_to_string(e.path()).unwrap();
        if let Some(i) = t.find("```") {
            let rest = &t[i + 3..];
            let nl = rest.find('\n').unwrap();
            let lang = rest[..nl].to_string();
            let end = rest[nl + 1..].find("```").unwrap();
            blocks.push((rest[nl + 1..nl + 1 + end].to_string(), lang));
        }
    }
    let t = Instant::now();
    briefing::highlight::highlight("x = 1\n", "python");
    briefing::highlight::highlight("x = 1\n", "rust");
    briefing::highlight::highlight("x: 1\n", "yaml");
    eprintln!("warm-up {:?}", t.elapsed());
    for lang in ["rust", "python", "yaml"] {
        let t = Instant::now();
        let mut n = 0;
        let mut bytes = 0;
        for (code, l) in blocks.iter().filter(|b| b.1 == lang) {
            bytes += briefing::highlight::highlight(code, l).len();
            n += 1;
        }
        eprintln!(
            "{lang}: {n} blocks {:?} out {} MB",
            t.elapsed(),
            bytes / 1_000_000
        );
    }
}
