//! The module layering, written once, and a check that `src/` keeps to it.
//!
//! Every top-level module of the library sits on one floor of `LAYERS`. A
//! module may import (`crate::x`) only modules on lower floors. An arrow that
//! must run sideways or up for a while is listed by name in `KNOWN_EXCEPTIONS`
//! with the change that removes it (none today): the check fails on any arrow
//! not allowed here, and also when a listed exception is gone (so the list
//! never goes stale).
//! Test-only code (`#[cfg(test)] mod …` and `tests.rs` files) may reach further.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Floors, bottom first. A module imports only from floors below its own.
const LAYERS: &[&[&str]] = &[
    // Leaves: time and randomness, header formats, drawing.
    &["sim", "wire", "plot", "ids"],
    &["units", "limits"],
    &["error", "transport"],
    // The checked model of a scenario.
    &["scenario"],
    // Nodes, links, routing; the typed trace points.
    &["net"],
    &["trace"],
    // Subscribers to the trace points.
    &["stats", "capture"],
    // The animated page: a subscriber that keeps records for the browser.
    &["view"],
    // The hosts' stacks: sockets, TCP demultiplexing and timers, UDP, AF_UNIX.
    &["stack"],
    // Applications, written against the socket calls of their host's stack.
    &["app"],
    // The engine (events, forwarding, the applications' lives) and circuits.
    &["engine", "circuit"],
    // Drivers and outputs.
    &["progress", "output", "html", "charts"],
    &["run", "compare", "bench"],
    &["sweep"],
];

/// Arrows that break the floors, and why they are still here: (from, to, why).
const KNOWN_EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// The library's top-level modules, as `src/lib.rs` declares them.
fn declared_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').to_string())
        .collect()
}

/// The code of a file without comments and without its test module.
fn production_code(text: &str) -> String {
    let mut out = String::new();
    let mut cfg_test = false;
    for line in text.lines() {
        let t = line.trim_start();
        if cfg_test && t.starts_with("mod ") {
            break;
        }
        cfg_test = t.starts_with("#[cfg(test)]");
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The top-level modules named by `crate::` paths in `code`.
fn imported_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e, f}}`: the first name of each item at depth 1.
            let mut depth = 1;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if item_start && depth == 1 && (c.is_alphanumeric() || c == '_') => {
                        found.insert(ident(&group[j..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    // The crate root re-exports `Error` and `Result` from `error`.
    for root_item in ["Error", "Result"] {
        if found.remove(root_item) {
            found.insert("error".to_string());
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// module → modules it imports, from the production code under `src/`.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix("src").unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        if first == "lib.rs" || first == "main.rs" || rel.ends_with("tests.rs") {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_string();
        let code = production_code(&std::fs::read_to_string(&file).unwrap());
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(imported_modules(&code).into_iter().filter(|m| *m != module));
    }
    graph
}

fn floor_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|floor| floor.contains(&module))
}

#[test]
fn every_module_has_a_floor() {
    let declared = declared_modules();
    let placed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|f| f.iter().map(|m| m.to_string()))
        .collect();
    assert_eq!(
        declared, placed,
        "src/lib.rs and LAYERS in tests/layering.rs must name the same modules"
    );
}

#[test]
fn imports_point_down_the_floors() {
    let graph = import_graph();
    let known: BTreeSet<(&str, &str)> = KNOWN_EXCEPTIONS.iter().map(|(a, b, _)| (*a, *b)).collect();
    let mut wrong = Vec::new();
    let mut seen_exceptions = BTreeSet::new();
    for (from, targets) in &graph {
        let from_floor = floor_of(from).unwrap_or_else(|| panic!("module `{from}` has no floor"));
        for to in targets {
            let to_floor =
                floor_of(to).unwrap_or_else(|| panic!("`{from}` imports unknown `{to}`"));
            if to_floor < from_floor {
                continue;
            }
            if known.contains(&(from.as_str(), to.as_str())) {
                seen_exceptions.insert((from.as_str(), to.as_str()));
            } else {
                wrong.push(format!(
                    "{from} (floor {from_floor}) imports {to} (floor {to_floor})"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run sideways or up (see LAYERS in tests/layering.rs):\n{}",
        wrong.join("\n")
    );
    let gone: Vec<_> = known.difference(&seen_exceptions).collect();
    assert!(
        gone.is_empty(),
        "these exceptions no longer occur: remove them from KNOWN_EXCEPTIONS: {gone:?}"
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    let code = production_code(
        "use crate::{net::packet::Packet, sim::{SimTime, rng}};\n\
         fn f() -> crate::Result<()> { crate::wire::x(); Ok(()) } // crate::plot\n\
         #[cfg(test)]\nmod tests { use crate::engine; }\n",
    );
    let found: Vec<String> = imported_modules(&code).into_iter().collect();
    assert_eq!(found, ["error", "net", "sim", "wire"]);
}
