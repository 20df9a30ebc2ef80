//! Reading a scenario: the file, the TOML parser's errors in plain words,
//! then validation.

use super::*;

/// Reads, parses and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let file = path.display().to_string();
    let at_start = |message: String| Error::Input {
        location: crate::error::Location {
            file: file.clone(),
            line: 1,
            column: 1,
        },
        message,
    };
    if path.is_dir() {
        return Err(at_start(
            "is a directory; expected a scenario file (TOML)".into(),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| at_start(format!("cannot read the scenario file: {e}")))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            return Err(SourceMap {
                file: &file,
                text: &prefix,
            }
            .error(
                offset,
                "the file is not valid UTF-8; expected a TOML text file",
            ));
        }
    };
    let default_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    parse(&file, &text, &default_name)
}

/// Parses and checks scenario text; `file` is used in error locations only.
pub fn parse(file: &str, text: &str, default_name: &str) -> Result<Scenario> {
    let map = SourceMap { file, text };
    if text.trim().is_empty() {
        return Err(map.error(
            0,
            "the file is empty; expected a scenario with [[node]], [[link]] and [[flow]] tables",
        ));
    }
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        map.error(offset, toml_message(&e, text))
    })?;
    Validator { map: &map }.scenario(raw, default_name)
}

/// toml's message without its own rendering of the source line, in the words of
/// a scenario file (keys, tables, arrays, whole numbers) rather than serde's.
pub(super) fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().replace('\n', "; ");
    let span = e.span().filter(|s| text.get(s.clone()).is_some());
    let snippet = span.clone().map_or("", |s| &text[s]);
    // A key inside `[...]` or `[[...]]` names a table.
    let in_header = span.is_some_and(|s| {
        let line = text[..s.start].rsplit('\n').next().unwrap_or("");
        line.trim_start().starts_with('[')
    });
    match msg.as_str() {
        "" => return "invalid TOML".into(),
        "duplicate key" if in_header => {
            return format!(
                "duplicate table `{snippet}`; expected each [table] at most once (use [[table]] for a list)"
            );
        }
        "duplicate key" if !snippet.is_empty() => {
            return format!("duplicate key `{snippet}`; expected each key at most once per table");
        }
        "invalid basic string, expected `\"`" => {
            return "unclosed string, expected `\"` before the end of the line".into();
        }
        "missing comma between array elements, expected `,`" => {
            return "missing comma between array elements, expected `,` or `]`".into();
        }
        _ => {}
    }
    let unknown = if in_header {
        "unknown table `"
    } else {
        "unknown key `"
    };
    [
        ("unknown field `", unknown),
        ("missing field `", "missing required key `"),
        ("unknown variant `", "unknown value `"),
        ("invalid type: map", "invalid type: table"),
        ("` as i128, expected", "` is too large, expected"),
        ("invalid type: sequence", "invalid type: array"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u64",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        ("expected f64", "expected a number"),
    ]
    .iter()
    .fold(msg, |m, (from, to)| m.replace(from, to))
}
