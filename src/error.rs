//! Errors a user can act on, and the exit codes they map to.

use std::fmt;

/// Where in a scenario file something is wrong: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input is wrong (exit code 2): `FILE:LINE:COL: message`.
    #[error("{location}: {message}")]
    Input { location: Location, message: String },
    /// A command-line argument is wrong (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// Writing results failed (exit code 1).
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A bug or an internal limit (exit code 1).
    #[error("internal error: {0}")]
    Internal(String),
    /// A cap of `[limits]` (or `--max-*`) stopped the run (exit code 3); `run`
    /// still wrote its result folder, marked incomplete.
    #[error("{0}")]
    Limit(crate::limits::LimitHit),
}

impl Error {
    /// 2 for bad input, 3 for a run stopped by a cap, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. } | Error::Usage(_) => 2,
            Error::Limit(_) => 3,
            Error::Io { .. } | Error::Internal(_) => 1,
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Converts byte offsets into 1-based line and column (columns count characters).
pub struct SourceMap<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl SourceMap<'_> {
    pub fn locate(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            file: self.file.to_string(),
            line,
            column,
        }
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Input {
            location: self.locate(offset),
            message: message.into(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let map = SourceMap {
            file: "x.toml",
            text: "a = 1\nbé = \"x\"\n",
        };
        assert_eq!(map.locate(0).to_string(), "x.toml:1:1");
        assert_eq!(map.locate(6).to_string(), "x.toml:2:1");
        // 'é' is two bytes but one column.
        assert_eq!(map.locate(10).to_string(), "x.toml:2:4");
    }
}
