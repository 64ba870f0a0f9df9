//! The code's layout: `src/` is laid out as the data flows, one folder per stage, and a
//! file imports only from its own stage or the stages below it, never from a file that
//! imports it back (directly or round a longer cycle).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The stages, lowest first: each folder of `src/` may import from itself and the
/// folders before it in this list, never from one after it. Written once, here.
const STAGES: &[&str] = &["util", "figures", "load", "render", "publish", "cli"];

/// One `.rs` file of `src/`: its module path (`render::markdown`), stage and text.
struct Source {
    module: String,
    stage: Option<usize>,
    path: String,
    text: String,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut parts: Vec<&str> = rel.trim_end_matches(".rs").split('/').collect();
        if matches!(parts.last(), Some(&("mod" | "lib" | "main"))) {
            parts.pop();
        }
        let module = parts.join("::");
        // The crate root (lib.rs, main.rs) declares the stages and stands above them all.
        let stage = match parts.first() {
            None => Some(STAGES.len()),
            Some(first) => STAGES.iter().position(|s| s == first),
        };
        let text = std::fs::read_to_string(path).unwrap();
        // Unit tests may reach anywhere: they are not part of the flow.
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        found.push(Source {
            module,
            stage,
            path: format!("src/{rel}"),
            text,
        });
    }
    found
}

/// The longest known module that `path` (`render::markdown::render`) names.
fn target<'m>(modules: &'m BTreeSet<String>, path: &str) -> Option<&'m String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .find_map(|n| modules.get(&parts[..n].join("::")))
}

/// Every module a file refers to by `crate::…` or `super::…`, with the line that does.
fn imports(source: &Source, modules: &BTreeSet<String>) -> Vec<(String, usize, String)> {
    let mut found = Vec::new();
    let parent = match source.module.rsplit_once("::") {
        Some((parent, _)) => parent.to_string(),
        None => String::new(),
    };
    // `use crate::{a::b, c}` spans lines: join each `use` statement first.
    let mut statement = String::new();
    let mut statement_line = 0;
    for (number, line) in source.text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if statement.is_empty() {
            statement_line = number + 1;
        }
        statement.push_str(line.trim());
        statement.push(' ');
        let open = statement.matches('{').count() > statement.matches('}').count();
        let in_use = statement.trim_start().starts_with("use ")
            || statement.trim_start().starts_with("pub use ")
            || statement.trim_start().starts_with("pub(crate) use ");
        if in_use && open && !statement.contains(';') {
            continue;
        }
        for (prefix, base) in [("crate::", String::new()), ("super::", parent.clone())] {
            for (at, _) in statement.match_indices(prefix) {
                let before = statement[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &statement[at + prefix.len()..];
                let mut names: Vec<String> = Vec::new();
                if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find(';').unwrap_or(group.len());
                    for item in split_top(&group[..end]) {
                        names.push(item);
                    }
                } else {
                    let path: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    names.push(path);
                }
                for name in names {
                    let full = if base.is_empty() {
                        name
                    } else {
                        format!("{base}::{name}")
                    };
                    if let Some(module) = target(modules, full.trim_end_matches(':'))
                        && *module != source.module
                    {
                        found.push((module.clone(), statement_line, statement.trim().to_string()));
                    }
                }
            }
        }
        statement.clear();
    }
    found
}

/// `a::b, c::{d, e}, f as g` -> `a::b`, `c::d`, `c::e`, `f`.
fn split_top(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in group.chars() {
        match c {
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' if depth == 0 => break,
            '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    let mut paths = Vec::new();
    for item in items {
        let item = item
            .trim()
            .split(" as ")
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if item.is_empty() || item == "self" {
            continue;
        }
        match item.split_once("::{") {
            Some((head, inner)) => {
                for sub in split_top(inner) {
                    paths.push(if sub == "self" {
                        head.to_string()
                    } else {
                        format!("{head}::{sub}")
                    });
                }
            }
            None => paths.push(item),
        }
    }
    paths
}

#[test]
fn every_file_imports_only_from_its_stage_or_below_and_none_in_a_circle() {
    let sources = sources();
    let modules: BTreeSet<String> = sources.iter().map(|s| s.module.clone()).collect();
    let by_module: BTreeMap<&str, &Source> =
        sources.iter().map(|s| (s.module.as_str(), s)).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<&str, BTreeMap<&str, (usize, String)>> = BTreeMap::new();
    for source in &sources {
        let Some(stage) = source.stage else {
            problems.push(format!(
                "{}: in no stage folder; put it in one of {STAGES:?}",
                source.path
            ));
            continue;
        };
        for (module, line, text) in imports(source, &modules) {
            let to = by_module[module.as_str()];
            if let Some(their) = to.stage
                && their > stage
                && stage < STAGES.len()
            {
                problems.push(format!(
                    "{}:{line}: `{}` ({}) imports from `{}` ({}), a stage above it: {text}",
                    source.path, source.module, STAGES[stage], to.module, STAGES[their]
                ));
            }
            edges
                .entry(source.module.as_str())
                .or_default()
                .entry(to.module.as_str())
                .or_insert((line, text));
        }
    }
    // Circles of files, each shown by the import lines that close it.
    for cycle in cycles(&edges) {
        let mut lines = vec![format!(
            "files importing each other in a circle: {}",
            cycle.join(" -> ")
        )];
        for pair in cycle.windows(2) {
            let (line, text) = &edges[pair[0]][pair[1]];
            lines.push(format!("  {}:{line}: {text}", by_module[pair[0]].path));
        }
        problems.push(lines.join("\n"));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// Each strongly connected set of more than one module, as a path round it that starts
/// and ends at its first module.
fn cycles<'a>(edges: &BTreeMap<&'a str, BTreeMap<&'a str, (usize, String)>>) -> Vec<Vec<&'a str>> {
    let nodes: BTreeSet<&str> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(*from).chain(to.keys().copied()))
        .collect();
    let mut found = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for &start in &nodes {
        if reported.contains(start) {
            continue;
        }
        // Breadth-first from `start` back to itself: the shortest circle through it.
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closed = None;
        while let Some(at) = queue.pop_front() {
            for &next in edges.get(at).into_iter().flat_map(|e| e.keys()) {
                if next == start {
                    closed = Some(at);
                    break;
                }
                if !previous.contains_key(next) {
                    previous.insert(next, at);
                    queue.push_back(next);
                }
            }
            if closed.is_some() {
                break;
            }
        }
        if let Some(last) = closed {
            let mut path = vec![start];
            let mut at = last;
            let mut back = vec![at];
            while at != start {
                match previous.get(at) {
                    Some(&p) if p != start => {
                        back.push(p);
                        at = p;
                    }
                    _ => break,
                }
            }
            back.reverse();
            path.extend(back);
            path.push(start);
            reported.extend(path.iter().copied());
            found.push(path);
        }
    }
    found
}

#[test]
fn the_layering_test_sees_an_upward_import_and_a_circle() {
    let modules: BTreeSet<String> = ["util::text", "render::markdown", "render::page", "load"]
        .into_iter()
        .map(String::from)
        .collect();
    let source = Source {
        module: "util::text".into(),
        stage: Some(0),
        path: "src/util/text.rs".into(),
        text: "use crate::{load::Site, render::{markdown, page::Page}};\nfn f() { crate::render::markdown::render(); }\n".into(),
    };
    let found: Vec<String> = imports(&source, &modules)
        .into_iter()
        .map(|(m, l, _)| format!("{m}:{l}"))
        .collect();
    assert_eq!(
        found,
        [
            "load:1",
            "render::markdown:1",
            "render::page:1",
            "render::markdown:2"
        ]
    );
    let mut edges: BTreeMap<&str, BTreeMap<&str, (usize, String)>> = BTreeMap::new();
    edges
        .entry("a")
        .or_default()
        .insert("b", (1, String::new()));
    edges
        .entry("b")
        .or_default()
        .insert("c", (1, String::new()));
    edges
        .entry("c")
        .or_default()
        .insert("a", (1, String::new()));
    edges
        .entry("c")
        .or_default()
        .insert("d", (1, String::new()));
    assert_eq!(cycles(&edges), vec![vec!["a", "b", "c", "a"]]);
}
