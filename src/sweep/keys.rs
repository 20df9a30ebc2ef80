//! `--set KEY=V1,V2,...` and `--seeds`: parsing the specs and writing one value
//! into a scenario's TOML table.
//!
//! A KEY is a dotted path of TOML keys. A list of tables (`[[link]]`, `[[flow]]`,
//! `[[node]]`, `[[failure]]`, `[[topology]]`, `[[flows]]`) is entered either by
//! position, `link.0.queue` (0 = the first in the file), or by name in brackets:
//! `flow[bulk].bytes` picks the table whose `name` is `bulk`, `link[R1,R2].queue`
//! the link whose `between` holds R1 and R2 (in either order). A missing last key
//! (or a missing plain table such as `[tcp]`) is created; whether it is a key the
//! scenario accepts is then checked by the scenario parser.

use toml::{Table, Value};

/// How one path segment picks an element of a list of tables.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// By position, 0-based.
    Index(usize),
    /// By `name`, or by the two names of `between` written `A,B`.
    Name(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub key: String,
    pub pick: Option<Pick>,
}

/// One `--set`: a key path and the values it takes, in the order given.
#[derive(Clone, Debug)]
pub struct SetSpec {
    /// The key as the user wrote it (trimmed).
    pub key: String,
    pub path: Vec<Segment>,
    /// Each value's text as written, and its TOML value.
    pub values: Vec<(String, Value)>,
}

fn usage(msg: String) -> crate::Error {
    crate::Error::Usage(msg)
}

/// Parses `KEY=V1,V2,...`. Commas inside brackets, braces or quotes do not
/// separate values (`link[A,B].drop=[5],[5,6]` has two values).
pub fn parse_set(spec: &str) -> crate::Result<SetSpec> {
    let Some((key, values)) = spec.split_once('=') else {
        return Err(usage(format!(
            "--set {spec}: expected KEY=V1,V2,... (for example tcp.mss=1000,1448)"
        )));
    };
    let key = key.trim().to_string();
    let path = parse_path(&key).map_err(|m| usage(format!("--set {spec}: {m}")))?;
    if matches!(path.as_slice(), [s, l] if s.key == "simulation" && s.pick.is_none() && l.key == "seed")
    {
        return Err(usage(format!(
            "--set {spec}: the seed is swept with --seeds, not --set"
        )));
    }
    let mut out = Vec::new();
    for text in split_top_level(values) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(usage(format!(
                "--set {spec}: an empty value; expected KEY=V1,V2,... with no empty item"
            )));
        }
        if out.iter().any(|(t, _)| *t == text) {
            return Err(usage(format!(
                "--set {spec}: the value `{text}` is listed twice"
            )));
        }
        let value = parse_value(&text);
        out.push((text, value));
    }
    Ok(SetSpec {
        key,
        path,
        values: out,
    })
}

/// A value that parses as a TOML value (number, boolean, quoted string, array,
/// inline table) keeps that type; anything else (`10s`, `50p`, `1MB`) is a string.
pub fn parse_value(text: &str) -> Value {
    match format!("v = {text}\n").parse::<Table>() {
        Ok(mut t) if t.len() == 1 => t.remove("v").unwrap_or_else(|| Value::String(text.into())),
        _ => Value::String(text.into()),
    }
}

/// Splits on commas that are not inside `[]`, `{}` or a quoted string.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `link[R1,R2].queue`, `link.0.queue`, `tcp.mss` into segments.
pub fn parse_path(key: &str) -> std::result::Result<Vec<Segment>, String> {
    let hint = "expected a dotted key such as tcp.mss, simulation.duration, flow[NAME].bytes, link[A,B].queue or link.0.queue";
    if key.is_empty() {
        return Err(format!("an empty key; {hint}"));
    }
    // Split on dots outside brackets.
    let mut raw = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in key.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                raw.push(&key[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    raw.push(&key[start..]);
    let mut segs: Vec<Segment> = Vec::new();
    for part in raw {
        if let Some(open) = part.find('[') {
            let (name, rest) = part.split_at(open);
            let Some(inner) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
                return Err(format!("`{part}` is not NAME[SELECTOR]; {hint}"));
            };
            let inner = inner.trim();
            if !is_bare_key(name) || inner.is_empty() || inner.contains(['[', ']']) {
                return Err(format!("`{part}` is not NAME[SELECTOR]; {hint}"));
            }
            segs.push(Segment {
                key: name.into(),
                pick: Some(Pick::Name(inner.into())),
            });
        } else if !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()) {
            let Some(prev) = segs.last_mut().filter(|s| s.pick.is_none()) else {
                return Err(format!(
                    "`{part}` is a position but follows no list name; {hint}"
                ));
            };
            let n = part
                .parse()
                .map_err(|_| format!("`{part}`: position too large"))?;
            prev.pick = Some(Pick::Index(n));
        } else if is_bare_key(part) {
            segs.push(Segment {
                key: part.into(),
                pick: None,
            });
        } else {
            return Err(format!("`{part}` is not a key; {hint}"));
        }
    }
    if segs.last().is_some_and(|s| s.pick.is_some()) {
        return Err(format!(
            "`{key}` names a whole table, not a key in it; add the key, e.g. `{key}.bandwidth`"
        ));
    }
    Ok(segs)
}

fn shown(path: &[Segment]) -> String {
    path.iter()
        .map(|s| match &s.pick {
            None => s.key.clone(),
            Some(Pick::Index(i)) => format!("{}.{i}", s.key),
            Some(Pick::Name(n)) => format!("{}[{n}]", s.key),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// How a table of a list answers to `[name]`: its `name`, else its `between`.
fn matches(t: &Table, sel: &str) -> bool {
    if t.get("name").and_then(Value::as_str) == Some(sel) {
        return true;
    }
    if let Some(Value::Array(ends)) = t.get("between") {
        let ends: Vec<&str> = ends.iter().filter_map(Value::as_str).collect();
        if let Some((a, b)) = sel.split_once(',') {
            let (a, b) = (a.trim(), b.trim());
            return ends == [a, b] || ends == [b, a];
        }
    }
    false
}

fn label(t: &Table) -> Option<String> {
    if let Some(n) = t.get("name").and_then(Value::as_str) {
        return Some(n.to_string());
    }
    match t.get("between") {
        Some(Value::Array(e)) => Some(
            e.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

/// Writes `value` at `path` in `root`. Errors are plain messages (no location):
/// they are about the key, not about a line of the file.
pub fn set_value(
    root: &mut Table,
    path: &[Segment],
    value: Value,
) -> std::result::Result<(), String> {
    let mut table = root;
    for (depth, seg) in path.iter().enumerate() {
        let here = shown(&path[..=depth]);
        let last = depth + 1 == path.len();
        if last {
            if let Some(old) = table.get(&seg.key) {
                if old.is_table() || is_table_list(old) {
                    return Err(format!(
                        "`{here}` is a table, not a value; name a key inside it"
                    ));
                }
            }
            table.insert(seg.key.clone(), value);
            return Ok(());
        }
        let entry = match &seg.pick {
            None => {
                let slot = table
                    .entry(seg.key.clone())
                    .or_insert_with(|| Value::Table(Table::new()));
                match slot {
                    Value::Table(_) => slot,
                    v if is_table_list(v) => {
                        return Err(format!(
                            "`{here}` is a list of [[{}]] tables; pick one by position (`{here}.0`) or by name (`{}[NAME]`, links `{}[A,B]`)",
                            seg.key, seg.key, seg.key
                        ));
                    }
                    _ => return Err(format!("`{here}` is a value, not a table")),
                }
            }
            Some(pick) => {
                let Some(Value::Array(items)) = table.get_mut(&seg.key) else {
                    return Err(format!(
                        "the scenario has no [[{}]] tables, so `{here}` names nothing",
                        seg.key
                    ));
                };
                let count = items.len();
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|v| v.as_table().and_then(label))
                    .collect();
                let index = match pick {
                    Pick::Index(i) if *i < count => *i,
                    Pick::Index(i) => {
                        return Err(format!(
                            "`{here}`: position {i}, but the scenario has {count} [[{}]] table(s) (positions count from 0)",
                            seg.key
                        ));
                    }
                    Pick::Name(sel) => {
                        let found: Vec<usize> = (0..count)
                            .filter(|&i| items[i].as_table().is_some_and(|t| matches(t, sel)))
                            .collect();
                        match found.as_slice() {
                            [i] => *i,
                            [] => {
                                let what = match sel.split_once(',') {
                                    Some((a, b)) => {
                                        format!("lies between {} and {}", a.trim(), b.trim())
                                    }
                                    None => format!("is named `{sel}`"),
                                };
                                return Err(format!(
                                    "`{here}`: no [[{}]] {what}; the file has: {}",
                                    seg.key,
                                    if names.is_empty() {
                                        "none with a name (use a position)".into()
                                    } else {
                                        names.join(" ")
                                    }
                                ));
                            }
                            _ => {
                                return Err(format!(
                                    "`{here}`: {} [[{}]] tables match `{sel}`; pick one by position",
                                    found.len(),
                                    seg.key
                                ));
                            }
                        }
                    }
                };
                &mut items[index]
            }
        };
        table = match entry {
            Value::Table(t) => t,
            _ => return Err(format!("`{here}` is not a table")),
        };
    }
    Err("an empty key".into())
}

fn is_table_list(v: &Value) -> bool {
    matches!(v, Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_table))
}

/// `--seeds`: inclusive ranges `A..B` and single seeds, comma separated
/// (`1..30`, `1,2,5`, `1..10,20`). Sorted ascending; a seed listed twice is an error.
pub fn parse_seeds(spec: &str) -> crate::Result<Vec<u64>> {
    let bad = |why: &str| {
        usage(format!(
            "--seeds {spec}: {why}; expected an inclusive range such as 1..30 or a list such as 1,2,5"
        ))
    };
    let num = |s: &str| {
        s.trim().parse::<u64>().map_err(|_| {
            bad(&format!(
                "`{}` is not a seed (an unsigned integer)",
                s.trim()
            ))
        })
    };
    let mut seeds = Vec::new();
    for item in spec.split(',') {
        if let Some((a, b)) = item.split_once("..") {
            let (a, b) = (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?);
            if a > b {
                return Err(bad(&format!("the range {a}..{b} is empty")));
            }
            if b - a >= 10_000_000 {
                return Err(bad("more than ten million seeds"));
            }
            seeds.extend(a..=b);
        } else {
            seeds.push(num(item)?);
        }
    }
    seeds.sort_unstable();
    if let Some(w) = seeds.windows(2).find(|w| w[0] == w[1]) {
        return Err(bad(&format!("seed {} is listed twice", w[0])));
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(key: &str, pick: Option<Pick>) -> Segment {
        Segment {
            key: key.into(),
            pick,
        }
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("tcp.mss").unwrap(),
            vec![seg("tcp", None), seg("mss", None)]
        );
        assert_eq!(
            parse_path("link[R1,R2].queue").unwrap(),
            vec![
                seg("link", Some(Pick::Name("R1,R2".into()))),
                seg("queue", None)
            ]
        );
        assert_eq!(
            parse_path("link.0.queue").unwrap(),
            vec![seg("link", Some(Pick::Index(0))), seg("queue", None)]
        );
        assert_eq!(parse_path("flow[bulk].tcp.mss").unwrap().len(), 3);
        for bad in [
            "",
            "tcp..mss",
            "0.queue",
            "link[R1",
            "link[R1,R2]",
            "tcp.ms s",
        ] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_keep_their_toml_type() {
        assert_eq!(parse_value("1000"), Value::Integer(1000));
        assert_eq!(parse_value("0.01"), Value::Float(0.01));
        assert_eq!(parse_value("true"), Value::Boolean(true));
        assert_eq!(parse_value("10s"), Value::String("10s".into()));
        assert_eq!(parse_value("\"10s\""), Value::String("10s".into()));
        assert_eq!(parse_value("1MB"), Value::String("1MB".into()));
        let s = parse_set("link[A,B].drop=[5],[5, 6]").unwrap();
        assert_eq!(s.key, "link[A,B].drop");
        assert_eq!(s.values.len(), 2);
        assert!(parse_set("tcp.mss=1000,,1448").is_err());
        assert!(parse_set("tcp.mss=1000,1000").is_err());
        assert!(parse_set("simulation.seed=1,2").is_err());
        assert!(parse_set("tcp.mss").is_err());
    }

    #[test]
    fn seeds() {
        assert_eq!(parse_seeds("1..3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_seeds("5,1,2").unwrap(), vec![1, 2, 5]);
        assert_eq!(parse_seeds("1..2,7").unwrap(), vec![1, 2, 7]);
        assert_eq!(parse_seeds("4..4").unwrap(), vec![4]);
        for bad in ["", "3..1", "1,1", "a", "1..", "-1"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_into_tables_and_lists() {
        let mut t: Table = "[simulation]\nduration = \"1s\"\n[[link]]\nbetween = [\"A\", \"R1\"]\n[[link]]\nbetween = [\"R1\", \"B\"]\n[[flow]]\nname = \"bulk\"\n"
            .parse()
            .unwrap();
        let p = |k| parse_path(k).unwrap();
        set_value(&mut t, &p("simulation.duration"), parse_value("5s")).unwrap();
        set_value(&mut t, &p("tcp.mss"), parse_value("1000")).unwrap();
        set_value(&mut t, &p("link[B,R1].queue"), parse_value("5p")).unwrap();
        set_value(&mut t, &p("link.0.delay"), parse_value("2ms")).unwrap();
        set_value(&mut t, &p("flow[bulk].bytes"), parse_value("1MB")).unwrap();
        assert_eq!(t["simulation"]["duration"].as_str(), Some("5s"));
        assert_eq!(t["tcp"]["mss"].as_integer(), Some(1000));
        assert_eq!(t["link"][1]["queue"].as_str(), Some("5p"));
        assert_eq!(t["link"][0]["delay"].as_str(), Some("2ms"));
        assert_eq!(t["flow"][0]["bytes"].as_str(), Some("1MB"));
        let err = set_value(&mut t, &p("link[A,B].queue"), parse_value("5p")).unwrap_err();
        assert!(err.contains("A,R1 R1,B"), "{err}");
        let err = set_value(&mut t, &p("link.2.queue"), parse_value("5p")).unwrap_err();
        assert!(err.contains("2 [[link]]"), "{err}");
        let err = set_value(&mut t, &p("link.queue"), parse_value("5p")).unwrap_err();
        assert!(err.contains("list of [[link]]"), "{err}");
        let err = set_value(&mut t, &p("simulation.duration.x"), parse_value("1")).unwrap_err();
        assert!(err.contains("value, not a table"), "{err}");
        let err = set_value(&mut t, &p("simulation"), parse_value("1")).unwrap_err();
        assert!(err.contains("is a table"), "{err}");
        let err = set_value(&mut t, &p("failure.0.down"), parse_value("1s")).unwrap_err();
        assert!(err.contains("no [[failure]]"), "{err}");
    }
}
