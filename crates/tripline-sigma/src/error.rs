//! Compile errors that name the file, line and field.

use std::fmt;

/// One problem found while parsing or compiling a rule file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// The rule file's path as given by the caller.
    pub path: String,
    /// 1-based line of the offending construct (0 when unknown).
    pub line: usize,
    /// The field (dotted path inside the document) the problem is about, or empty.
    pub field: String,
    /// What is wrong. Unsupported constructs start with `unsupported:`.
    pub message: String,
}

impl CompileError {
    /// Build an error.
    pub fn new(path: &str, line: usize, field: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.path, self.line)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// A problem local to one value or expression; the caller adds path and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalError(pub String);

impl LocalError {
    /// Build an error from any message.
    pub fn new(msg: impl Into<String>) -> Self {
        LocalError(msg.into())
    }
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
