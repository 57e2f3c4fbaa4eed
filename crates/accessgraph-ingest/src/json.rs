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
