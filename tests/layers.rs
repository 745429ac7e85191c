//! Imports flow one way: no file of `src/` imports (with `use crate::…` or
//! `use super::…`) a file that imports it back, directly or through others.
//!
//! A `use` names a module path; it counts as an edge to the deepest file
//! that path reaches (`crate::server::gateway::state::GatewayState` is an
//! edge to `src/server/gateway/state.rs`; `super::emit_to` in a file of
//! `gateway/` is an edge to `gateway/mod.rs`, which re-exports it). Items
//! in braces are followed one level (`use super::{board, direct}`), and a
//! path may start at a child module (`use connections::…`). A `pub use`
//! of a module's own child (`pub use connections::Connections` in
//! limits/mod.rs) is its face, not a dependency, and is not an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Files that import each other today and are still to be split apart
/// (none: every cycle the layering issue listed is gone).
const KNOWN: &[&[&str]] = &[];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/server/gateway/mod.rs` is
/// `["server", "gateway"]`, `src/lib.rs` is `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix("src").expect("under src/");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The deepest file that `path` (a module path, maybe ending in an item)
/// reaches.
fn file_of(path: &[String], files: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    for len in (0..=path.len()).rev() {
        let base: PathBuf = std::iter::once("src".to_owned())
            .chain(path[..len].iter().cloned())
            .collect();
        let candidates = if len == 0 {
            vec![PathBuf::from("src/lib.rs")]
        } else {
            vec![base.with_extension("rs"), base.join("mod.rs")]
        };
        if let Some(found) = candidates.into_iter().find(|c| files.contains(c)) {
            return Some(found);
        }
    }
    None
}

/// The module paths one file's `use` declarations name; `children` are
/// the module paths of every file.
fn imports(file: &Path, source: &str, children: &BTreeSet<Vec<String>>) -> Vec<Vec<String>> {
    let here = module_of(file);
    let is_mod_file = matches!(
        file.file_name().and_then(|n| n.to_str()),
        Some("mod.rs" | "lib.rs")
    );
    let mut out = Vec::new();
    let mut text = String::new();
    let mut in_use = false;
    let mut public = false;
    for line in source.lines() {
        let line = line.trim();
        // Unit tests (at the end of a file) are not part of the layers.
        if line == "#[cfg(test)]" {
            break;
        }
        if !in_use {
            public = line.starts_with("pub");
            let Some(rest) = line
                .strip_prefix("use ")
                .or_else(|| line.strip_prefix("pub use "))
                .or_else(|| line.strip_prefix("pub(crate) use "))
            else {
                continue;
            };
            text.clear();
            text.push_str(rest);
            in_use = true;
        } else {
            text.push(' ');
            text.push_str(line);
        }
        if !text.contains(';') {
            continue;
        }
        in_use = false;
        let decl = text.trim_end_matches(';').replace(' ', "");
        let (head, items) = match decl.split_once('{') {
            Some((head, items)) => (head.trim_end_matches("::").to_owned(), items),
            None => (decl.clone(), ""),
        };
        let mut base: Vec<String> = Vec::new();
        let mut segments = head.split("::").peekable();
        match segments.peek().copied() {
            Some("crate") => {
                segments.next();
            }
            Some("super") => {
                // A file's `super` is its parent module; a mod.rs's is the
                // module above the folder.
                base = here.clone();
                while segments.peek() == Some(&"super") {
                    segments.next();
                    base.pop();
                }
                if is_mod_file {
                    base.pop();
                }
            }
            // A child module (`use connections::…` in limits/mod.rs); any
            // other first name is a crate.
            Some(first) => {
                let child = here
                    .iter()
                    .cloned()
                    .chain([first.to_owned()])
                    .collect::<Vec<_>>();
                // A module re-exporting its own child's items is its face,
                // not a dependency (the child may use `super::` freely).
                if public || !children.contains(&child) {
                    continue;
                }
                base = here.clone();
            }
            None => continue,
        }
        base.extend(segments.map(str::to_owned));
        if items.is_empty() {
            out.push(base);
            continue;
        }
        for item in items.trim_end_matches('}').split(',') {
            let first = item.split("::").next().unwrap_or("");
            let first = first
                .split("as")
                .next()
                .unwrap_or("")
                .trim_matches(|c| c == '{' || c == '}');
            let mut path = base.clone();
            if !first.is_empty() && first != "self" {
                path.push(first.to_owned());
            }
            out.push(path);
        }
    }
    out
}

/// What a module file re-exports from its children: item -> child module
/// (`pub use emit::{emit_to, now};` gives emit_to -> emit, now -> emit).
fn reexports(source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut text = String::new();
    for line in source.lines().map(str::trim) {
        if line == "#[cfg(test)]" {
            break;
        }
        if text.is_empty() && !line.starts_with("pub use ") {
            continue;
        }
        text.push_str(line.trim_start_matches("pub use "));
        if !text.contains(';') {
            continue;
        }
        let decl = std::mem::take(&mut text)
            .trim_end_matches(';')
            .replace(' ', "");
        let (child, items) = match decl.split_once("::") {
            Some((child, items)) if child != "crate" && child != "super" => {
                (child.to_owned(), items)
            }
            _ => continue,
        };
        for item in items
            .trim_start_matches('{')
            .trim_end_matches('}')
            .split(',')
        {
            let name = item.rsplit("::").next().unwrap_or(item);
            let name = name.split("as").last().unwrap_or(name);
            out.insert(name.to_owned(), child.clone());
        }
    }
    out
}

/// An import that reached a module's face (its mod.rs) through an item the
/// face re-exports goes on to the child that defines it.
fn through_face(
    to: &Path,
    path: &[String],
    faces: &BTreeMap<PathBuf, BTreeMap<String, String>>,
    files: &BTreeSet<PathBuf>,
) -> PathBuf {
    let (Some(item), Some(face)) = (path.last(), faces.get(to)) else {
        return to.to_path_buf();
    };
    match face.get(item) {
        Some(child) => {
            let mut module = module_of(to);
            module.push(child.clone());
            file_of(&module, files).unwrap_or_else(|| to.to_path_buf())
        }
        None => to.to_path_buf(),
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let mut found = Vec::new();
    rust_files(Path::new("src"), &mut found);
    let files: BTreeSet<PathBuf> = found.into_iter().collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let faces: BTreeMap<PathBuf, BTreeMap<String, String>> = files
        .iter()
        .map(|f| {
            (
                f.clone(),
                reexports(&std::fs::read_to_string(f).expect("a source file")),
            )
        })
        .collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("a source file");
        for path in imports(file, &source, &modules) {
            if let Some(to) =
                file_of(&path, &files).map(|to| through_face(&to, &path, &faces, &files))
            {
                if &to != file {
                    edges.entry(file.clone()).or_default().insert(to);
                }
            }
        }
    }
    // Every cycle shows as a pair of files that reach each other.
    let reaches = |from: &PathBuf, to: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(f) = stack.pop() {
            for next in edges.get(&f).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    let known = |a: &Path, b: &Path| {
        KNOWN.iter().any(|group| {
            group.iter().any(|g| Path::new(g) == a) && group.iter().any(|g| Path::new(g) == b)
        })
    };
    let mut cycles = Vec::new();
    for (from, tos) in &edges {
        for to in tos {
            if reaches(to, from) && !known(from, to) {
                cycles.push(format!(
                    "{} -> {} -> … -> back",
                    from.display(),
                    to.display()
                ));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "imports that come back:\n{}",
        cycles.join("\n")
    );
    // The check sees the imports at all: the gateway imports the store.
    assert!(reaches(
        &PathBuf::from("src/server/gateway/chat.rs"),
        &PathBuf::from("src/server/store/mod.rs")
    ));
}
