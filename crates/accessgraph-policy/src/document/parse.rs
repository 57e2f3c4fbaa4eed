//! Policy JSON -> [`PolicyDocument`], with errors that name the JSON path of the bad value.
//!
//! Accepts a document as a JSON object, a JSON string holding one, or URL-encoded JSON
//! (iam-semantics.md §7.1). Rejects what AWS rejects (§1.1-§1.4): missing `Effect`, both or neither
//! of `Action`/`NotAction`, both `Resource` and `NotResource`, wrongly typed values; in strict
//! mode also unknown elements, unknown condition operators and ill-typed condition values.

use std::fmt;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::action_index::ActionIndex;
use super::{
    ActionPattern, AwsPrincipal, Effect, Matchers, PolicyDocument, PrincipalEntry, PrincipalSet,
    ResourcePattern, Statement, Version,
};
use crate::condition::{Condition, ConditionError};

/// Which kind of policy a document is, for the element rules that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// Identity-based policy (inline or managed) attached to a user, group or role.
    Identity,
    /// Permissions boundary.
    Boundary,
    /// Session policy.
    Session,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
    /// Resource-based policy (bucket, key, queue, ...).
    Resource,
    /// Role trust policy.
    Trust,
}

impl PolicyKind {
    /// Whether statements of this kind must have a `Principal` (`Some(true)`), must not
    /// (`Some(false)`).
    fn principal_required(self) -> bool {
        matches!(
            self,
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Rcp
        )
    }
}

/// Bounds that protect against huge or hostile documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size of the document text in bytes (after URL-decoding).
    pub max_bytes: usize,
    /// Maximum number of statements.
    pub max_statements: usize,
    /// Maximum number of values in one element (actions, resources, principals, condition values).
    pub max_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // AWS caps policy documents at 131,072 characters (§8); leave room for pretty-printing.
        Limits {
            max_bytes: 1024 * 1024,
            max_statements: 4096,
            max_values: 16384,
        }
    }
}

/// How to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Reject what lenient mode only warns about.
    pub strict: bool,
    /// The kind of policy, for `Principal` rules in strict mode.
    pub kind: Option<PolicyKind>,
    /// Size bounds.
    pub limits: Limits,
}

/// A policy that could not be parsed, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    path: String,
    statement: Option<usize>,
    sid: Option<String>,
    kind: PolicyErrorKind,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyErrorKind {
    /// The text is not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The document is larger than the limit.
    #[error("document is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the document.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Too many statements or values.
    #[error("{count} entries, more than the limit of {limit}")]
    TooMany {
        /// How many there are.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A value has the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What was expected.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// A required element is missing.
    #[error("missing required element `{0}`")]
    Missing(&'static str),
    /// Two mutually exclusive elements are both present.
    #[error("`{0}` and `{1}` cannot both be present")]
    Conflict(&'static str, &'static str),
    /// Neither of two alternative elements is present.
    #[error("one of `{0}` or `{1}` is required")]
    MissingOneOf(&'static str, &'static str),
    /// An element is present where the policy kind forbids it.
    #[error("`{0}` is not allowed in a {1} policy")]
    NotAllowed(&'static str, &'static str),
    /// An element the policy language does not define (strict mode).
    #[error("unknown element `{0}`")]
    UnknownElement(String),
    /// A list that must not be empty is (strict mode).
    #[error("must not be empty")]
    Empty,
    /// An unknown `Version`.
    #[error("unknown version `{0}`: expected `2012-10-17` or `2008-10-17`")]
    Version(String),
    /// A condition clause is invalid.
    #[error(transparent)]
    Condition(#[from] ConditionError),
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in `{}`", self.path)?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid `{sid}`)")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl PolicyError {
    fn at(path: impl Into<String>, kind: PolicyErrorKind) -> PolicyError {
        PolicyError {
            path: path.into(),
            statement: None,
            sid: None,
            kind,
        }
    }

    /// The JSON path of the offending value, e.g. `$.Statement[2].Effect`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Index of the offending statement, if the error is inside one.
    #[must_use]
    pub fn statement(&self) -> Option<usize> {
        self.statement
    }

    /// What is wrong.
    #[must_use]
    pub fn kind(&self) -> &PolicyErrorKind {
        &self.kind
    }
}

fn type_name(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => format!("number `{n}`"),
        Value::String(s) if s.len() > 40 => "a string".into(),
        Value::String(s) => format!("string `{s:?}`"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn expected(path: &str, expected: &'static str, value: &Value) -> PolicyError {
    PolicyError::at(
        path,
        PolicyErrorKind::Expected {
            expected,
            found: type_name(value),
        },
    )
}

/// Decodes document text in any of the three accepted forms and parses it.
pub(super) fn parse_text(
    text: &str,
    options: &ParseOptions,
) -> Result<PolicyDocument, PolicyError> {
    let limit = options.limits.max_bytes;
    if text.len() > limit.saturating_mul(3) {
        return Err(too_large(text.len(), limit));
    }
    let trimmed = text.trim_start();
    let decoded;
    let json_text = if trimmed.starts_with('%') {
        decoded = percent_decode_str(trimmed).decode_utf8().map_err(|error| {
            PolicyError::at(
                "$",
                PolicyErrorKind::Json(format!("URL-decoded text is not UTF-8: {error}")),
            )
        })?;
        &decoded
    } else {
        text
    };
    if json_text.len() > limit {
        return Err(too_large(json_text.len(), limit));
    }
    let value: Value = serde_json::from_str(json_text)
        .map_err(|error| PolicyError::at("$", PolicyErrorKind::Json(error.to_string())))?;
    parse_value(&value, options)
}

/// The size of a JSON value printed compactly, counted without building the text: the document
/// limit applies to objects as it does to text.
fn compact_size(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing into a counter cannot fail, and a `Value` always serializes.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

fn too_large(size: usize, limit: usize) -> PolicyError {
    PolicyError::at("$", PolicyErrorKind::TooLarge { size, limit })
}

/// Parses a decoded JSON value: an object, or a string holding a document (parsed once more).
pub(super) fn parse_value(
    value: &Value,
    options: &ParseOptions,
) -> Result<PolicyDocument, PolicyError> {
    match value {
        Value::Object(map) => {
            let size = compact_size(value);
            if size > options.limits.max_bytes {
                return Err(too_large(size, options.limits.max_bytes));
            }
            Parser {
                options,
                warnings: Vec::new(),
            }
            .document(map)
        }
        Value::String(inner) if !inner.trim_start().starts_with('"') => parse_text(inner, options),
        other => Err(expected("$", "a policy document object", other)),
    }
}

/// A statement object with its JSON path.
type RawStatement<'v> = (String, &'v Map<String, Value>);

struct Parser<'o> {
    options: &'o ParseOptions,
    warnings: Vec<String>,
}

const DOCUMENT_ELEMENTS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_ELEMENTS: [&str; 10] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
    "Id",
];

impl Parser<'_> {
    fn unknown_elements(
        &mut self,
        map: &Map<String, Value>,
        known: &[&str],
        path: &str,
    ) -> Result<(), PolicyError> {
        for key in map.keys().filter(|key| !known.contains(&key.as_str())) {
            if self.options.strict {
                return Err(PolicyError::at(
                    path,
                    PolicyErrorKind::UnknownElement(key.clone()),
                ));
            }
            self.warnings
                .push(format!("in `{path}`: unknown element `{key}` ignored"));
        }
        Ok(())
    }

    fn document(mut self, map: &Map<String, Value>) -> Result<PolicyDocument, PolicyError> {
        self.unknown_elements(map, &DOCUMENT_ELEMENTS, "$")?;
        let version = match map.get("Version") {
            None => None,
            Some(Value::String(text)) if text == "2012-10-17" => Some(Version::V2012),
            Some(Value::String(text)) if text == "2008-10-17" => Some(Version::V2008),
            Some(Value::String(text)) => {
                return Err(PolicyError::at(
                    "$.Version",
                    PolicyErrorKind::Version(text.clone()),
                ));
            }
            Some(other) => return Err(expected("$.Version", "a string", other)),
        };
        let id = match map.get("Id") {
            None => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => return Err(expected("$.Id", "a string", other)),
        };
        let variables = version == Some(Version::V2012);
        let (raw_statements, statement_was_object): (Vec<RawStatement<'_>>, bool) = match map
            .get("Statement")
        {
            None => return Err(PolicyError::at("$", PolicyErrorKind::Missing("Statement"))),
            Some(Value::Object(statement)) => (vec![("$.Statement".to_owned(), statement)], true),
            Some(Value::Array(items)) => {
                let limit = self.options.limits.max_statements;
                if items.len() > limit {
                    return Err(PolicyError::at(
                        "$.Statement",
                        PolicyErrorKind::TooMany {
                            count: items.len(),
                            limit,
                        },
                    ));
                }
                let mut statements = Vec::with_capacity(items.len());
                for (idx, item) in items.iter().enumerate() {
                    let path = format!("$.Statement[{idx}]");
                    match item {
                        Value::Object(statement) => statements.push((path, statement)),
                        other => {
                            let mut error = expected(&path, "a statement object", other);
                            error.statement = Some(idx);
                            return Err(error);
                        }
                    }
                }
                (statements, false)
            }
            Some(other) => {
                return Err(expected(
                    "$.Statement",
                    "an object or an array of objects",
                    other,
                ));
            }
        };
        let mut statements = Vec::with_capacity(raw_statements.len());
        for (idx, (path, raw)) in raw_statements.into_iter().enumerate() {
            let statement = self
                .statement(idx, &path, raw, variables)
                .map_err(|mut error| {
                    error.statement = Some(idx);
                    error.sid = raw.get("Sid").and_then(Value::as_str).map(str::to_owned);
                    error
                })?;
            statements.push(statement);
        }
        Ok(PolicyDocument {
            version,
            id,
            statement_was_object,
            action_index: ActionIndex::new(&statements),
            statements,
            warnings: self.warnings,
        })
    }

    fn statement(
        &mut self,
        index: usize,
        path: &str,
        map: &Map<String, Value>,
        variables: bool,
    ) -> Result<Statement, PolicyError> {
        self.unknown_elements(map, &STATEMENT_ELEMENTS, path)?;
        let sid = match map.get("Sid") {
            None => None,
            Some(Value::String(text)) => Some(Arc::from(text.as_str())),
            Some(Value::Number(number)) if !self.options.strict => {
                Some(Arc::from(number.to_string()))
            }
            Some(other) => return Err(expected(&format!("{path}.Sid"), "a string", other)),
        };
        let effect = self.effect(path, map)?;
        let (negated, was_list, actions) = self
            .either(path, map, "Action", "NotAction")?
            .ok_or_else(|| {
                PolicyError::at(path, PolicyErrorKind::MissingOneOf("Action", "NotAction"))
            })?;
        let actions = Matchers {
            negated,
            was_list,
            patterns: actions
                .iter()
                .map(|text| ActionPattern::new(text))
                .collect(),
        };
        let resources = self.either(path, map, "Resource", "NotResource")?.map(
            |(negated, was_list, resources)| Matchers {
                negated,
                was_list,
                patterns: resources
                    .iter()
                    .map(|text| ResourcePattern::new(text, variables))
                    .collect(),
            },
        );
        let principals = self.principals(path, map)?;
        self.check_kind(path, &principals, &resources)?;
        let conditions = match map.get("Condition") {
            None => Vec::new(),
            Some(value) => self.conditions(&format!("{path}.Condition"), value, variables)?,
        };
        Ok(Statement {
            index,
            sid,
            effect,
            actions,
            resources,
            principals,
            conditions,
        })
    }

    fn effect(&mut self, path: &str, map: &Map<String, Value>) -> Result<Effect, PolicyError> {
        let effect_path = format!("{path}.Effect");
        match map.get("Effect") {
            None => Err(PolicyError::at(path, PolicyErrorKind::Missing("Effect"))),
            Some(Value::String(text)) if text == "Allow" => Ok(Effect::Allow),
            Some(Value::String(text)) if text == "Deny" => Ok(Effect::Deny),
            Some(Value::String(text))
                if !self.options.strict && text.eq_ignore_ascii_case("allow") =>
            {
                self.warnings
                    .push(format!("in `{effect_path}`: `{text}` read as `Allow`"));
                Ok(Effect::Allow)
            }
            Some(Value::String(text))
                if !self.options.strict && text.eq_ignore_ascii_case("deny") =>
            {
                self.warnings
                    .push(format!("in `{effect_path}`: `{text}` read as `Deny`"));
                Ok(Effect::Deny)
            }
            Some(other) => Err(expected(&effect_path, "`Allow` or `Deny`", other)),
        }
    }

    /// Reads `X` or `NotX` as `(negated, was_list, values)`; `None` when neither is present.
    fn either(
        &mut self,
        path: &str,
        map: &Map<String, Value>,
        positive: &'static str,
        negative: &'static str,
    ) -> Result<Option<(bool, bool, Vec<String>)>, PolicyError> {
        let (negated, key, value) = match (map.get(positive), map.get(negative)) {
            (Some(_), Some(_)) => {
                return Err(PolicyError::at(
                    path,
                    PolicyErrorKind::Conflict(positive, negative),
                ));
            }
            (Some(value), None) => (false, positive, value),
            (None, Some(value)) => (true, negative, value),
            (None, None) => return Ok(None),
        };
        let element_path = format!("{path}.{key}");
        let (was_list, values) = self.strings(&element_path, value)?;
        if values.is_empty() {
            if self.options.strict {
                return Err(PolicyError::at(element_path, PolicyErrorKind::Empty));
            }
            self.warnings
                .push(format!("in `{element_path}`: empty list matches nothing"));
        }
        Ok(Some((negated, was_list, values)))
    }

    /// A string or an array of strings.
    fn strings(&self, path: &str, value: &Value) -> Result<(bool, Vec<String>), PolicyError> {
        match value {
            Value::String(text) => Ok((false, vec![text.clone()])),
            Value::Array(items) => {
                self.check_count(path, items.len())?;
                let mut values = Vec::with_capacity(items.len());
                for (idx, item) in items.iter().enumerate() {
                    match item {
                        Value::String(text) => values.push(text.clone()),
                        other => {
                            return Err(expected(&format!("{path}[{idx}]"), "a string", other));
                        }
                    }
                }
                Ok((true, values))
            }
            other => Err(expected(path, "a string or an array of strings", other)),
        }
    }

    fn check_count(&self, path: &str, count: usize) -> Result<(), PolicyError> {
        let limit = self.options.limits.max_values;
        if count > limit {
            return Err(PolicyError::at(
                path,
                PolicyErrorKind::TooMany { count, limit },
            ));
        }
        Ok(())
    }

    fn principals(
        &mut self,
        path: &str,
        map: &Map<String, Value>,
    ) -> Result<Option<PrincipalSet>, PolicyError> {
        let (negated, key, value) = match (map.get("Principal"), map.get("NotPrincipal")) {
            (Some(_), Some(_)) => {
                return Err(PolicyError::at(
                    path,
                    PolicyErrorKind::Conflict("Principal", "NotPrincipal"),
                ));
            }
            (Some(value), None) => (false, "Principal", value),
            (None, Some(value)) => (true, "NotPrincipal", value),
            (None, None) => return Ok(None),
        };
        let element_path = format!("{path}.{key}");
        let everyone = || PrincipalEntry::Aws {
            source: "*".into(),
            target: AwsPrincipal::Everyone,
        };
        let entries_map = match value {
            Value::String(text) if text == "*" => {
                return Ok(Some(PrincipalSet {
                    negated,
                    bare_star: true,
                    entries: vec![everyone()],
                }));
            }
            Value::Object(entries) => entries,
            other => return Err(expected(&element_path, "`\"*\"` or an object", other)),
        };
        let mut entries = Vec::new();
        for (principal_key, principal_value) in entries_map {
            let entry_path = format!("{element_path}.{principal_key}");
            let (_, values) = self.strings(&entry_path, principal_value)?;
            for text in values {
                entries.push(match principal_key.as_str() {
                    "AWS" => PrincipalEntry::Aws {
                        target: AwsPrincipal::classify(&text),
                        source: text,
                    },
                    "Service" => PrincipalEntry::Service(text),
                    "Federated" => PrincipalEntry::Federated(text),
                    "CanonicalUser" => PrincipalEntry::CanonicalUser(text),
                    _ => {
                        return Err(PolicyError::at(
                            entry_path,
                            PolicyErrorKind::Expected {
                                expected: "`AWS`, `Service`, `Federated` or `CanonicalUser`",
                                found: format!("`{principal_key}`"),
                            },
                        ));
                    }
                });
            }
        }
        Ok(Some(PrincipalSet {
            negated,
            bare_star: false,
            entries,
        }))
    }

    fn check_kind(
        &mut self,
        path: &str,
        principals: &Option<PrincipalSet>,
        resources: &Option<Matchers<ResourcePattern>>,
    ) -> Result<(), PolicyError> {
        let Some(kind) = self.options.kind else {
            return Ok(());
        };
        let kind_name = match kind {
            PolicyKind::Identity => "identity",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session",
            PolicyKind::Scp => "service control",
            PolicyKind::Rcp => "resource control",
            PolicyKind::Resource => "resource-based",
            PolicyKind::Trust => "trust",
        };
        let problem = match (kind.principal_required(), principals) {
            (true, None) => Some(PolicyErrorKind::Missing("Principal")),
            (false, Some(set)) => Some(PolicyErrorKind::NotAllowed(
                if set.negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                },
                kind_name,
            )),
            _ if kind != PolicyKind::Trust && resources.is_none() => {
                Some(PolicyErrorKind::MissingOneOf("Resource", "NotResource"))
            }
            _ => None,
        };
        match problem {
            Some(problem) if self.options.strict => Err(PolicyError::at(path, problem)),
            Some(problem) => {
                self.warnings.push(format!("in `{path}`: {problem}"));
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn conditions(
        &mut self,
        path: &str,
        value: &Value,
        variables: bool,
    ) -> Result<Vec<Condition>, PolicyError> {
        let Value::Object(operators) = value else {
            return Err(expected(path, "an object of condition operators", value));
        };
        let mut conditions = Vec::new();
        for (operator, keys) in operators {
            let operator_path = format!("{path}.{operator}");
            let Value::Object(keys) = keys else {
                return Err(expected(
                    &operator_path,
                    "an object of condition keys",
                    keys,
                ));
            };
            for (key, values) in keys {
                let key_path = format!("{operator_path}.{key}");
                let values = condition_values(&key_path, values)?;
                self.check_count(&key_path, values.len())?;
                let condition =
                    Condition::new(operator, key, values, variables, self.options.strict)
                        .map_err(|error| PolicyError::at(&key_path, error.into()))?;
                if !condition.is_known_operator() {
                    self.warnings.push(format!(
                        "in `{key_path}`: unknown operator `{operator}`, evaluated as unresolved"
                    ));
                }
                conditions.push(condition);
            }
        }
        Ok(conditions)
    }
}

/// Condition values: strings, numbers and booleans, alone or in an array, all as strings (§1.1).
fn condition_values(path: &str, value: &Value) -> Result<Vec<String>, PolicyError> {
    let scalar = |path: &str, value: &Value| match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(expected(path, "a string, number or boolean", other)),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(idx, item)| scalar(&format!("{path}[{idx}]"), item))
            .collect(),
        other => Ok(vec![scalar(path, other)?]),
    }
}
