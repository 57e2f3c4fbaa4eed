//! Navigating AWS CLI JSON with the JSON path of every value, so errors can name it.

use accessgraph_model::PolicyHash;
use accessgraph_policy::{ParseOptions, PolicyDocument};
use serde_json::Value;

use crate::error::IngestError;
use crate::fragment::ParsedPolicy;

/// A JSON value with its file and JSON path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node<'a> {
    pub(crate) file: &'a str,
    pub(crate) value: &'a Value,
    path: &'a str,
}

/// Owned path storage so children can borrow.
pub(crate) type Result<T> = std::result::Result<T, IngestError>;

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Node<'a> {
    pub(crate) fn root(file: &'a str, value: &'a Value) -> Node<'a> {
        Node {
            file,
            value,
            path: "$",
        }
    }

    /// A value found at `path` of `file` (an element of a streamed list).
    pub(crate) fn at(file: &'a str, value: &'a Value, path: &'a str) -> Node<'a> {
        Node { file, value, path }
    }

    pub(crate) fn path(&self) -> &str {
        self.path
    }

    fn error(&self, expected: &str) -> IngestError {
        IngestError::at(
            self.file,
            self.path,
            format!("expected {expected}, found {}", describe(self.value)),
        )
    }

    /// Runs `f` on the child at `key` (absent: `None`).
    pub(crate) fn with_field<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                let path = format!("{}.{key}", self.path);
                f(Node {
                    file: self.file,
                    value,
                    path: &path,
                })
                .map(Some)
            }
        }
    }

    /// Runs `f` on the required child at `key`.
    pub(crate) fn with_required<T>(
        &self,
        key: &str,
        f: impl FnOnce(Node<'_>) -> Result<T>,
    ) -> Result<T> {
        if !self.value.is_object() {
            return Err(self.error("an object"));
        }
        self.with_field(key, f)?.ok_or_else(|| {
            IngestError::at(
                self.file,
                self.path,
                format!("missing required field `{key}`"),
            )
        })
    }

    /// Runs `f` on every item of the array at `key` (absent: empty).
    pub(crate) fn each<T>(
        &self,
        key: &str,
        mut f: impl FnMut(Node<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        Ok(self
            .with_field(key, |list| list.items(&mut f))?
            .unwrap_or_default())
    }

    /// Runs `f` on every item of this array.
    pub(crate) fn items<T>(&self, mut f: impl FnMut(Node<'_>) -> Result<T>) -> Result<Vec<T>> {
        let Value::Array(items) = self.value else {
            return Err(self.error("an array"));
        };
        items
            .iter()
            .enumerate()
            .map(|(idx, value)| {
                let path = format!("{}[{idx}]", self.path);
                f(Node {
                    file: self.file,
                    value,
                    path: &path,
                })
            })
            .collect()
    }

    /// Runs `f` on every member (name, value) of this object.
    pub(crate) fn members<T>(
        &self,
        mut f: impl FnMut(&str, Node<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let Value::Object(members) = self.value else {
            return Err(self.error("an object"));
        };
        members
            .iter()
            .map(|(key, value)| {
                let path = format!("{}.{key}", self.path);
                f(
                    key,
                    Node {
                        file: self.file,
                        value,
                        path: &path,
                    },
                )
            })
            .collect()
    }

    /// Whether this value is an array.
    pub(crate) fn is_array(&self) -> bool {
        self.value.is_array()
    }

    /// This value as a string.
    pub(crate) fn string(&self) -> Result<String> {
        self.value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.error("a string"))
    }

    /// This value as a boolean.
    pub(crate) fn boolean(&self) -> Result<bool> {
        self.value.as_bool().ok_or_else(|| self.error("a boolean"))
    }

    /// The required string field `key`.
    /// A required name or ARN of at most `max_chars` characters: AWS bounds them (ARNs at 2,048,
    /// entity names at 64 or 128), and a query must be able to name what is stored.
    pub(crate) fn name_field(&self, key: &str, max_chars: usize) -> Result<String> {
        let text = self.str_field(key)?;
        let count = text.chars().count();
        if count > max_chars {
            return Err(IngestError::at(
                self.file,
                format!("{}.{key}", self.path),
                format!("{count} characters, more than the {max_chars} AWS allows"),
            ));
        }
        Ok(text)
    }

    pub(crate) fn str_field(&self, key: &str) -> Result<String> {
        self.with_required(key, |node| node.string())
    }

    /// The optional string field `key`.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>> {
        self.with_field(key, |node| node.string())
    }

    /// Parses this value as a policy document (object, JSON string or URL-encoded JSON string),
    /// returning its hash, normalized text and warnings (actions the AWS catalog does not have,
    /// with the closest one). An empty string is `None` (no policy).
    pub(crate) fn policy(&self) -> Result<Option<ParsedPolicy>> {
        match self.value {
            Value::String(text) if text.trim().is_empty() => return Ok(None),
            Value::String(_) | Value::Object(_) => {}
            _ => return Err(self.error("a policy document object or a (URL-encoded) JSON string")),
        }
        let document =
            PolicyDocument::from_value(self.value, &ParseOptions::default()).map_err(|error| {
                // Name the policy's own path inside the document after this value's path.
                let inner = error.path().strip_prefix('$').unwrap_or(error.path());
                IngestError::at(
                    self.file,
                    format!("{}{inner}", self.path),
                    format!("invalid policy document: {}", error.kind()),
                )
            })?;
        let text = document.to_json().to_string();
        Ok(Some(ParsedPolicy {
            hash: PolicyHash::of(&text),
            text,
            warnings: self.unknown_names(&document),
        }))
    }

    /// A warning per action (or action pattern) and per service condition key of `document` that
    /// is certainly not one of the AWS catalog, naming the file, the statement and the closest
    /// name. A service the catalog does not know, and global (`aws:`) keys, are not warned about.
    fn unknown_names(&self, document: &PolicyDocument) -> Vec<String> {
        let catalog = accessgraph_catalog::Catalog::embedded();
        let mut warnings = Vec::new();
        let mut warn = |at: String, (message, suggestion): (String, Option<String>)| {
            let hint = suggestion
                .map(|suggestion| format!("; did you mean `{suggestion}`?"))
                .unwrap_or_default();
            warnings.push(format!(
                "{}: {}.{at}: {message}{hint}",
                self.file, self.path
            ));
        };
        for statement in document.statements() {
            let element = if statement.actions().is_negated() {
                "NotAction"
            } else {
                "Action"
            };
            let index = statement.index();
            for pattern in statement.actions().patterns() {
                if let Some(problem) = catalog.diagnose(pattern.as_str()) {
                    warn(format!("Statement[{index}].{element}"), problem);
                }
            }
            for condition in statement.conditions() {
                if let Some(problem) = catalog.diagnose_condition_key(condition.key()) {
                    let operator = condition.operator();
                    warn(format!("Statement[{index}].Condition.{operator}"), problem);
                }
            }
        }
        warnings
    }
}

/// Longest key kept by [`path_at`] (a longer one is cut).
const MAX_KEY_BYTES: usize = 1000;

/// The JSON path of the innermost element open at 1-based `line` and `column` (serde's position
/// of an error) of the text `bytes` (`$.Roles[3].Name`), for syntax errors, which serde reports
/// by line and column only. A streaming scan in bounded memory: strings and their escapes,
/// objects with their current key, arrays with their current index.
pub(crate) fn path_at(bytes: impl IntoIterator<Item = u8>, line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<Vec<u8>>, in_key: bool },
        Array(usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let (mut at_line, mut at_column) = (1, 1);
    let (mut in_string, mut escaped) = (false, false);
    for byte in bytes {
        if at_line > line || (at_line == line && at_column >= column) {
            break;
        }
        if byte == b'\n' {
            at_line += 1;
            at_column = 1;
        } else {
            at_column += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
                continue;
            }
            if let Some(Frame::Object {
                key: Some(key),
                in_key: true,
            }) = stack.last_mut()
            {
                if key.len() < MAX_KEY_BYTES {
                    key.push(byte);
                }
            }
            continue;
        }
        match byte {
            b'"' => {
                in_string = true;
                if let Some(Frame::Object { key, in_key: true }) = stack.last_mut() {
                    *key = Some(Vec::new());
                }
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                in_key: true,
            }),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { in_key, .. }) = stack.last_mut() {
                    *in_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object { key, in_key }) => {
                    *key = None;
                    *in_key = true;
                }
                None => {}
            },
            _ => {}
        }
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                path.push('.');
                path.push_str(&String::from_utf8_lossy(key));
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::path_at;

    /// The line and column just past the end of `text`, as serde reports an unexpected end.
    fn end_of(text: &str) -> (usize, usize) {
        let line = text.matches('\n').count() + 1;
        let column = text.rsplit('\n').next().map_or(0, str::len) + 1;
        (line, column)
    }

    #[test]
    fn the_path_of_a_syntax_error() {
        let cases = [
            (
                r#"{"UserDetailList": [{"UserName": "a"}, {"UserName": "#,
                "$.UserDetailList[1].UserName",
            ),
            (
                r#"{"a": {"b": [1, 2, {"c": "x\"y", "d": ["#,
                "$.a.b[2].d[0]",
            ),
            (r#"{"a": 1, "#, "$"),
            (r#"[{"k": [], "l": {"#, "$[0].l"),
            ("{\n  \"k\": [\n    1,\n    {\"m\": ", "$.k[1].m"),
            ("", "$"),
        ];
        for (text, expected) in cases {
            let (line, column) = end_of(text);
            assert_eq!(path_at(text.bytes(), line, column), expected, "{text}");
        }
    }

    #[test]
    fn the_scan_stops_at_the_error() {
        let text = "{\"a\": [1,\n x], \"b\": 2}";
        // serde reports `x` at line 2, column 2: the path is that of the array's second item.
        assert_eq!(path_at(text.bytes(), 2, 2), "$.a[1]");
        let long_key = format!("{{\"{}\": [", "k".repeat(5000));
        let (line, column) = end_of(&long_key);
        assert_eq!(path_at(long_key.bytes(), line, column).len(), 2 + 1000 + 3);
    }
}
