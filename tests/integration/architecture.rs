//! ARCHITECTURE.md's invariants that a tool can check, checked: the domain crate's dependencies,
//! and a module graph of the service without cycles in which the API never imports the dashboard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What `compact-events` may depend on: no I/O (ARCHITECTURE.md, first invariant).
const DOMAIN_DEPENDENCIES: [&str; 5] = ["serde", "serde_json", "thiserror", "time", "uuid"];

#[test]
fn the_domain_crate_depends_on_no_io() {
    let manifest =
        std::fs::read_to_string(root().join("events/Cargo.toml")).expect("events/Cargo.toml");
    let dependencies = section(&manifest, "[dependencies]");
    assert!(
        !dependencies.is_empty(),
        "no [dependencies] found in events/Cargo.toml"
    );
    for dependency in dependencies {
        assert!(
            DOMAIN_DEPENDENCIES.contains(&dependency.as_str()),
            "compact-events depends on {dependency}; the domain does no I/O and depends on {DOMAIN_DEPENDENCIES:?} only"
        );
    }
}

#[test]
fn the_service_modules_import_one_another_without_cycles() {
    let graph = module_graph(&root().join("src"));
    assert!(
        graph.contains_key("http") && graph.contains_key("web"),
        "{graph:?}"
    );
    assert_eq!(find_cycle(&graph), None, "a cycle among src/ modules");
    assert!(
        !graph["http"].contains("web"),
        "the API imports the dashboard; they sit side by side over state and startup"
    );
    for below in ["write", "store", "stream", "state"] {
        for front in ["http", "web"] {
            assert!(
                !graph[below].contains(front),
                "{below} imports {front}: the layers below the front ends know no HTTP"
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    graph.entry("c".into()).or_default();
    assert_eq!(find_cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            "a".to_owned(),
            "b".to_owned(),
            "c".to_owned(),
            "a".to_owned()
        ])
    );
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The keys of a TOML section, one `name = …` per line.
fn section(manifest: &str, header: &str) -> Vec<String> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty() && !name.starts_with('#'))
        .map(|name| name.split('.').next().unwrap_or(name).to_owned())
        .collect()
}

/// Top-level module → the top-level modules its files name as `crate::…`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        let first = relative.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("a source file");
        let uses = graph.entry(module.clone()).or_default();
        for line in text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
        {
            for (index, _) in line.match_indices("crate::") {
                let rest = &line[index + "crate::".len()..];
                let target: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !target.is_empty() && target != module && !line[..index].ends_with('_') {
                    uses.insert(target);
                }
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A cycle of the graph as the path that closes it (`a → b → a`), if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}
