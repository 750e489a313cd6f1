//! `cargo xtask structure`: the import circles between the source files of
//! `codegen/` and `runtime/`, and the hand-written source files over 800
//! lines, read from the sources themselves (no compiler): a file depends
//! on another when it names a path into it (`use crate::a::b`,
//! `crate::a::f()`, `super::x`; not inside `quote!`, which writes another
//! program's paths, nor a macro's `$crate::`). A path through a re-export
//! counts as a dependency on the module that re-exports it
//! (`crate::app::Context` on `app/mod.rs`, not `app/context.rs`); the
//! crate root's re-exports are not followed. Exits non-zero while there is
//! either.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates whose modules are checked (their `src/`).
const CRATES: &[&str] = &["codegen", "runtime"];
/// Longer hand-written files are to be split.
const MAX_LINES: usize = 800;

pub fn structure(root: &Path) -> Result<(), String> {
    let mut problems = 0;
    for krate in CRATES {
        let src = root.join(krate).join("src");
        let files = rust_files(&src);
        // Module path (`a::b`) -> file (relative to the crate).
        let modules: BTreeMap<String, PathBuf> = files
            .iter()
            .map(|f| {
                (
                    module_of(&src, f),
                    f.strip_prefix(root).unwrap().to_path_buf(),
                )
            })
            .collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let from = module_of(&src, file);
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            // Test modules at the end of a file are not its structure
            // (and their `super::` is the file itself).
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let children: Vec<String> = modules
                .keys()
                .filter_map(|m| m.strip_prefix(&format!("{from}::")).map(str::to_owned))
                .filter(|m| !m.contains("::"))
                .chain(
                    modules
                        .keys()
                        .filter(|m| from.is_empty() && !m.is_empty() && !m.contains("::"))
                        .cloned(),
                )
                .collect();
            for path in paths_named(&strip_quoted(&strip_comments(code)), &from, &children) {
                if let Some(to) = owner(&modules, &path)
                    && to != from
                {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
            let lines = text.lines().count();
            if lines > MAX_LINES {
                problems += 1;
                println!(
                    "{krate}: {} has {lines} lines (over {MAX_LINES})",
                    modules[&from].display()
                );
            }
        }
        for circle in circles(&modules, &edges) {
            problems += 1;
            let names: Vec<String> = circle
                .iter()
                .map(|m| modules[m].display().to_string())
                .collect();
            println!("{krate}: import circle: {}", names.join(" <-> "));
        }
    }
    if problems == 0 {
        println!("no import circles, no source file over {MAX_LINES} lines");
        Ok(())
    } else {
        Err(format!("{problems} structure problem(s)"))
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `src/lib.rs` -> ``, `src/a.rs` and `src/a/mod.rs` -> `a`, `src/a/b.rs`
/// -> `a::b` (`main.rs` is the binary's root: `main`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The text without `//` comments (doc comments name paths in links).
fn strip_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text without the bodies of `quote!` invocations: they write the
/// generated code's paths (`super::models`), not this file's.
fn strip_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("quote!") {
        let (before, after) = rest.split_at(i + "quote!".len());
        out.push_str(before);
        let body = after.trim_start();
        let Some(open) = body.chars().next().filter(|c| matches!(c, '(' | '[' | '{')) else {
            rest = after;
            continue;
        };
        let mut depth = 0usize;
        let mut end = body.len();
        for (j, c) in body.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push(open);
        rest = &body[end.min(body.len())..];
        // Keep the line count (and so the file's shape) for readers.
        out.extend(body[..end.min(body.len())].matches('\n').map(|_| '\n'));
    }
    out.push_str(rest);
    out
}

/// Every path the text names from the crate root: `crate::a::b`, `super::c`
/// and `self::d` made absolute, brace groups expanded one level at a time.
fn paths_named(text: &str, module: &str, children: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    // `use child::x` (a path relative to this module, into a child).
    for child in children {
        let start = format!("use {child}::");
        let mut from = 0;
        while let Some(i) = text[from..].find(&start).map(|i| i + from) {
            from = i + start.len();
            let mut paths = Vec::new();
            let mut base = split(module);
            base.push(child.clone());
            tree(&text[from..], base, &mut paths);
            out.extend(paths);
        }
    }
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(start).map(|i| i + from) {
            from = i + start.len();
            // Not the tail of a longer identifier (`my_crate::`) or path
            // (`super::super::`, read with its start), nor a macro's
            // `$crate::`, which the macro's caller resolves.
            if i > 0
                && (bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b':'
                    || bytes[i - 1] == b'$')
            {
                continue;
            }
            let base: Vec<String> = match start {
                "crate::" => Vec::new(),
                "super::" => {
                    let mut m: Vec<String> = split(module);
                    m.pop();
                    m
                }
                _ => split(module),
            };
            let mut paths = Vec::new();
            tree(&text[from..], base, &mut paths);
            out.extend(paths);
        }
    }
    out
}

fn split(module: &str) -> Vec<String> {
    module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads `a::b::{c, d::e}` at the start of `text` into full paths.
fn tree(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                // Split the group at top-level commas.
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            tree(item.trim(), path.clone(), out);
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                tree(item.trim(), path.clone(), out);
                return;
            }
            break;
        }
        rest = &rest[ident.len()..];
        if ident == "super" {
            path.pop();
        } else if ident != "self" {
            path.push(ident);
        }
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out.push(path);
}

/// The module a path leads into: its longest prefix that is a module.
fn owner(modules: &BTreeMap<String, PathBuf>, path: &[String]) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains_key(m))
}

/// The strongly connected groups of more than one module (Tarjan).
fn circles(
    modules: &BTreeMap<String, PathBuf>,
    edges: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &str) {
        let i = s.index.len();
        s.index.insert(v.to_owned(), i);
        s.low.insert(v.to_owned(), i);
        s.stack.push(v.to_owned());
        s.on_stack.insert(v.to_owned());
        let next: Vec<String> = s.edges.get(v).into_iter().flatten().cloned().collect();
        for w in next {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let low = s.low[v].min(s.low[&w]);
                s.low.insert(v.to_owned(), low);
            } else if s.on_stack.contains(&w) {
                let low = s.low[v].min(s.index[&w]);
                s.low.insert(v.to_owned(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                group.push(w);
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for m in modules.keys() {
        if !s.index.contains_key(m) {
            visit(&mut s, m);
        }
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_with_groups_and_relative_roots() {
        let text = "use crate::{a::b, c::{d, e::f}};\nfn x() { super::g::h(); self::i::j(); super::super::k(); }";
        let got = paths_named(text, "m::n", &[]);
        let want: Vec<Vec<&str>> = vec![
            vec!["a", "b"],
            vec!["c", "d"],
            vec!["c", "e", "f"],
            vec!["m", "g", "h"],
            vec!["k"],
            vec!["m", "n", "i", "j"],
        ];
        let want: Vec<Vec<String>> = want
            .into_iter()
            .map(|p| p.into_iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_circle_is_found_and_a_chain_is_not() {
        let modules: BTreeMap<String, PathBuf> = ["a", "b", "c", "d"]
            .iter()
            .map(|m| (m.to_string(), PathBuf::from(format!("{m}.rs"))))
            .collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (f, t) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
            edges.entry(f.into()).or_default().insert(t.into());
        }
        assert_eq!(circles(&modules, &edges), vec![vec!["a", "b", "c"]]);
    }
}
