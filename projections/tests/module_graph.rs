//! The crate's top-level modules depend on each other without circles (issue 11).
//!
//! Reads every `src/**/*.rs`, takes the paths it names through `crate::` (in `use` lines, groups
//! like `use crate::{a, b::c}` included, and in expressions), and maps each file to its top-level
//! module (`src/query/memo.rs` belongs to `query`). Items of the crate root (`ProjectionError`,
//! `DIRECTORY`) are not modules and are left out; a module naming itself is no dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Which top-level modules each top-level module names.
type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_top_level_modules_depend_on_each_other_without_a_cycle() {
    let graph = crate_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        graph.contains_key("query") && graph.contains_key("db"),
        "the graph should hold the crate's modules: {graph:?}"
    );
    assert_eq!(cycle(&graph), None, "module graph: {graph:?}");
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph = graph_of(&[
        ("db", "memo"),
        ("memo", "query"),
        ("query", "db"),
        ("apply", "db"),
    ]);
    let found = cycle(&graph).expect("db → memo → query → db is a cycle");
    assert_eq!(found.first(), found.last(), "{found:?}");
    for module in ["db", "memo", "query"] {
        assert!(found.iter().any(|m| m == module), "{found:?}");
    }
    assert_eq!(
        cycle(&graph_of(&[("a", "b"), ("b", "a")])).map(|c| c.len()),
        Some(3)
    );
}

#[test]
fn a_graph_without_a_cycle_passes() {
    let graph = graph_of(&[
        ("apply", "db"),
        ("query", "db"),
        ("query", "decode"),
        ("apply", "decode"),
    ]);
    assert_eq!(cycle(&graph), None);
}

#[test]
fn crate_paths_are_read_from_use_lines_groups_and_expressions() {
    let text = "use crate::db::ReadDb;\n\
                use crate::{ProjectionError, curve::{Basis, Segment}, decode};\n\
                // use crate::apply; is only a comment\n\
                let tables = crate::apply::temporary_tables();\n\
                use compact_crate::query;\n";
    let named: BTreeSet<String> = named_roots(text).into_iter().collect();
    let expected: BTreeSet<String> = ["db", "ProjectionError", "curve", "decode", "apply"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(named, expected);
}

/// The graph of the crate whose sources are in `src`.
fn crate_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| top_level(src, file))
        .collect();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let Some(module) = top_level(src, file) else {
            continue;
        };
        let text = fs::read_to_string(file).expect("a readable source file");
        for named in named_roots(&text) {
            if modules.contains(&named) && named != module {
                graph.entry(module.clone()).or_default().insert(named);
            }
        }
    }
    graph
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a readable source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module `file` belongs to (`None` for the crate root, `lib.rs`).
fn top_level(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_owned())
}

/// The first segment of every path `text` names through `crate::`, outside `//` comments.
fn named_roots(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        match rest.strip_prefix('{') {
            Some(group) => named.extend(group_roots(group)),
            None => named.push(identifier(rest)),
        }
    }
    named.retain(|name| !name.is_empty());
    named
}

/// The first segments of the items of a `use crate::{…}` group, `group` starting after its
/// opening brace.
fn group_roots(group: &str) -> Vec<String> {
    let mut roots = Vec::new();
    let mut depth = 1;
    let mut expecting = true;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if expecting && (c.is_alphanumeric() || c == '_') => {
                roots.push(identifier(&group[index..]));
                expecting = false;
            }
            _ => {}
        }
    }
    roots
}

/// The identifier `text` starts with.
fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle of `graph`, as the modules along it with the first repeated at the end, if it has one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    fn visit(
        graph: &Graph,
        module: &str,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(module) {
            Some(Mark::Done) => return None,
            Some(Mark::OnPath) => {
                let from = path.iter().position(|m| m == module).unwrap_or(0);
                let mut found = path[from..].to_vec();
                found.push(module.to_owned());
                return Some(found);
            }
            None => {}
        }
        marks.insert(module.to_owned(), Mark::OnPath);
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(found) = visit(graph, next, marks, path) {
                return Some(found);
            }
        }
        path.pop();
        marks.insert(module.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for module in graph.keys() {
        if let Some(found) = visit(graph, module, &mut marks, &mut Vec::new()) {
            return Some(found);
        }
    }
    None
}

/// A graph from its edges.
fn graph_of(edges: &[(&str, &str)]) -> Graph {
    let mut graph = Graph::new();
    for (from, to) in edges {
        graph
            .entry((*from).to_owned())
            .or_default()
            .insert((*to).to_owned());
    }
    graph
}
