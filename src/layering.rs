//! The layering rules of docs/architecture.md, checked against the source: `domain` and `query`
//! import nothing from `store`, `service` or `http`; `http` names nothing from `store` but the
//! database handle; and no two modules import each other, directly or round a longer loop.
//!
//! Imports are read from `use` declarations and `crate::…` paths, file by file (unit tests at the
//! end of a file are left out: they may reach anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`store::contacts`, `` for the crate root) → its file.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                // Binaries are crates of their own.
                if path.file_name().is_some_and(|n| n != "bin") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(relative) = path.strip_prefix(src) else {
                continue;
            };
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts
                .last()
                .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
            {
                parts.pop();
            }
            out.insert(parts.join("::"), path);
        }
    }
    out
}

/// Every path a `use` tree names: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let mut depth = 0;
    let mut item = String::new();
    let mut items = Vec::new();
    for ch in tree.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            items.push(std::mem::take(&mut item));
        } else {
            item.push(ch);
        }
    }
    items.push(item);
    for item in items.into_iter().filter(|i| !i.is_empty()) {
        match (item.find('{'), item.ends_with('}')) {
            (Some(open), true) => {
                let head = format!("{prefix}{}", &item[..open]);
                expand(&head, &item[open + 1..item.len() - 1], out);
            }
            _ => out.push(format!("{prefix}{item}")),
        }
    }
}

/// The module a path inside module `current` refers to: the longest prefix that is a module.
fn resolve(current: &str, path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let path = path.split(" as ").next().unwrap_or(path);
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if current.is_empty() {
        Vec::new()
    } else {
        current.split("::").collect()
    };
    match segments.first().copied() {
        Some("crate") => {
            base.clear();
            segments.remove(0);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                base.pop();
                segments.remove(0);
            }
        }
        Some("self") => {
            segments.remove(0);
        }
        _ => return None,
    }
    let mut found = None;
    for n in 0..=segments.len() {
        let candidate: Vec<&str> = base.iter().chain(&segments[..n]).copied().collect();
        let name = candidate.join("::");
        if known.contains_key(&name) {
            found = Some(name);
        }
    }
    found
}

/// Module → the modules it imports (not its own ancestors, which hold it).
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let known = modules(src);
    let mut graph = BTreeMap::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let text = match text.find("#[cfg(test)]\nmod tests") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let mut paths = Vec::new();
        for statement in text.split(';') {
            let Some(at) = statement.find("use ") else {
                continue;
            };
            let before = &statement[..at];
            if !(before.trim().is_empty() || before.trim_end().ends_with("pub")) {
                continue;
            }
            let tree: String = statement[at + 4..]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            expand("", &tree, &mut paths);
        }
        for (at, _) in text.match_indices("crate::") {
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(path);
        }
        let deps: BTreeSet<String> = paths
            .iter()
            .map(|p| p.trim_end_matches("::self").to_owned())
            .filter_map(|p| resolve(module, &p, &known))
            .filter(|d| d != module && !module.starts_with(&format!("{d}::")))
            .filter(|d| !d.is_empty())
            .collect();
        graph.insert(module.clone(), deps);
    }
    graph
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Groups of modules that import each other round a loop (strongly connected, more than one).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Reachability by repeated search: the graph has a few dozen modules.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(m) = stack.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (m, from_m) in &reachable {
        let group: Vec<String> = from_m
            .iter()
            .filter(|d| reachable.get(d).is_some_and(|r| r.contains(*m)))
            .cloned()
            .collect();
        if !group.is_empty() && group.first() <= Some(*m) && !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
}

#[test]
fn the_layers_depend_one_way_and_no_module_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&src);
    assert!(
        graph.len() > 30 && graph.contains_key("store::contacts"),
        "the source tree was not read: {:?}",
        graph.keys().collect::<Vec<_>>()
    );
    let mut problems = Vec::new();
    for (module, deps) in &graph {
        for dep in deps {
            let (from, to) = (top(module), top(dep));
            if matches!(from, "domain" | "query") && matches!(to, "store" | "service" | "http") {
                problems.push(format!("{module} imports {dep}"));
            }
            // The database handle is the one thing http may name from the store.
            if from == "http" && to == "store" && dep != "store" {
                problems.push(format!("{module} imports {dep}"));
            }
        }
    }
    for group in loops(&graph) {
        problems.push(format!(
            "these modules import each other: {}",
            group.join(", ")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn http_names_only_the_database_handle_from_the_store() {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let files = modules(&http);
    assert!(files.len() > 5, "the http module was not read");
    let mut problems = Vec::new();
    for file in files.values() {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (at, _) in text.match_indices("crate::store") {
            let rest = &text[at + "crate::store".len()..];
            if !rest.starts_with("::Database")
                || rest["::Database".len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                let line = text[..at].lines().count();
                problems.push(format!("{}:{line}", file.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "store names in http: {}",
        problems.join(", ")
    );
}

#[test]
fn the_checker_sees_a_loop_and_a_layer_breach() {
    let mut graph = BTreeMap::new();
    let set = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
    graph.insert("a".to_owned(), set(&["b"]));
    graph.insert("b".to_owned(), set(&["c"]));
    graph.insert("c".to_owned(), set(&["a"]));
    graph.insert("d".to_owned(), set(&["a"]));
    assert_eq!(loops(&graph), vec![vec!["a", "b", "c"]]);
    let mut out = Vec::new();
    expand("", "crate::{a::{B,c},d}", &mut out);
    assert_eq!(out, ["crate::a::B", "crate::a::c", "crate::d"]);
}
