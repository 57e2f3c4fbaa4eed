//! The policy document model: statements compiled for matching, keeping their source text.
//!
//! A document is parsed once ([`PolicyDocument::parse`]) and then evaluated many times. Each
//! statement keeps its index and `Sid` so every decision can cite it. [`PolicyDocument::to_json`]
//! writes the normalized AWS JSON back (statements as a list, single values as given).

mod action_index;
mod parse;
pub(crate) mod principal;
mod to_json;

use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};

use self::action_index::ActionIndex;
pub(crate) use self::action_index::fingerprint;
pub use self::parse::{Limits, ParseOptions, PolicyError, PolicyErrorKind, PolicyKind};
pub use self::principal::{AwsPrincipal, PrincipalEntry};
use crate::condition::Condition;
use crate::pattern::{ArnGlob, Template};
use crate::wildcard::Glob;

/// The policy language version (iam-semantics.md §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Version {
    /// `2008-10-17`, also the default when `Version` is absent: variables are literal text.
    #[serde(rename = "2008-10-17")]
    V2008,
    /// `2012-10-17`: policy variables are substituted.
    #[serde(rename = "2012-10-17")]
    V2012,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// Grants when matched.
    Allow,
    /// Denies when matched, overriding every allow.
    Deny,
}

/// A parsed, compiled policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    version: Option<Version>,
    id: Option<String>,
    statement_was_object: bool,
    statements: Vec<Statement>,
    warnings: Vec<String>,
    action_index: ActionIndex,
}

/// One statement, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    index: usize,
    sid: Option<Arc<str>>,
    effect: Effect,
    actions: Matchers<ActionPattern>,
    resources: Option<Matchers<ResourcePattern>>,
    principals: Option<PrincipalSet>,
    conditions: Vec<Condition>,
}

/// A list of patterns from `X` (positive) or `NotX` (negated), with the JSON form it had.
#[derive(Debug, Clone, PartialEq)]
pub struct Matchers<P> {
    negated: bool,
    was_list: bool,
    patterns: Vec<P>,
}

/// An action pattern such as `s3:Get*`, matched case-insensitively.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionPattern {
    source: String,
    glob: Glob,
}

/// A resource pattern, matched case-sensitively component by component, maybe with variables.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePattern {
    source: String,
    matcher: ResourceMatcher,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ResourceMatcher {
    Static(ArnGlob),
    Dynamic(Template),
}

/// The resources some statements could match for one caller (see
/// [`Statement::resource_scope`]); several statements' scopes combine with [`ResourceScope::add`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceScope {
    globs: Vec<ArnGlob>,
}

impl ResourceScope {
    /// The scope that may include every resource.
    #[must_use]
    pub fn everything() -> ResourceScope {
        ResourceScope {
            globs: vec![ArnGlob::Any],
        }
    }

    /// Adds the resources of another scope.
    pub fn add(&mut self, other: ResourceScope) {
        if !self.globs.contains(&ArnGlob::Any) {
            self.globs.extend(other.globs);
        }
    }

    /// Whether some statement could match `resource`.
    #[must_use]
    pub fn might_include(&self, resource: &str) -> bool {
        self.globs.iter().any(|glob| glob.matches(resource))
    }

    /// Whether no resource can match.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalSet {
    negated: bool,
    /// `"Principal": "*"` (as opposed to `{"AWS": "*"}`).
    bare_star: bool,
    entries: Vec<PrincipalEntry>,
}

impl PolicyDocument {
    /// Parses a document given as a JSON object, a JSON string holding the document, or a
    /// URL-encoded JSON string, with default (lenient) options.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse_with(text, &ParseOptions::default())
    }

    /// Parses with explicit options (strict mode, policy kind, limits).
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<PolicyDocument, PolicyError> {
        parse::parse_text(text, options)
    }

    /// Parses an already-decoded JSON value (an object, or a string holding a document).
    pub fn from_value(
        value: &serde_json::Value,
        options: &ParseOptions,
    ) -> Result<PolicyDocument, PolicyError> {
        parse::parse_value(value, options)
    }

    /// The declared version; `None` when absent (which means `2008-10-17`).
    #[must_use]
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Whether policy variables are substituted (version `2012-10-17`).
    #[must_use]
    pub fn has_variables(&self) -> bool {
        self.version == Some(Version::V2012)
    }

    /// The optional `Id`.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The statements in document order.
    #[must_use]
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The statements whose action element may match `action`, in document order; the others
    /// cannot match it.
    pub fn statements_for<'a>(
        &'a self,
        action: &crate::Action,
    ) -> impl Iterator<Item = &'a Statement> + 'a {
        self.action_index
            .candidates(action.service(), action.service_fingerprint())
            .filter_map(|position| self.statements.get(position))
    }

    /// Things accepted in lenient mode that strict mode would reject.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl Statement {
    /// Zero-based index in the document's `Statement` list.
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The `Sid`, if any.
    #[must_use]
    pub fn sid(&self) -> Option<&Arc<str>> {
        self.sid.as_ref()
    }

    /// The effect.
    #[must_use]
    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// `Action` / `NotAction`.
    #[must_use]
    pub fn actions(&self) -> &Matchers<ActionPattern> {
        &self.actions
    }

    /// `Resource` / `NotResource`; `None` when absent (trust policies).
    #[must_use]
    pub fn resources(&self) -> Option<&Matchers<ResourcePattern>> {
        self.resources.as_ref()
    }

    /// `Principal` / `NotPrincipal`; `None` in identity policies and SCPs.
    #[must_use]
    pub fn principals(&self) -> Option<&PrincipalSet> {
        self.principals.as_ref()
    }

    /// Condition clauses, one per operator and key; all must hold.
    #[must_use]
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Whether the resource element could match `resource` (a cheap pre-check: patterns with
    /// policy variables and `NotResource` elements count as possible matches).
    #[must_use]
    pub fn might_match_resource(&self, resource: &str) -> bool {
        let Some(resources) = &self.resources else {
            return true;
        };
        if resources.negated {
            return true;
        }
        resources
            .patterns
            .iter()
            .any(|pattern| match &pattern.matcher {
                ResourceMatcher::Static(glob) => glob.matches(resource),
                ResourceMatcher::Dynamic(_) => true,
            })
    }

    /// The resources this statement's resource element could match for one caller, compiled
    /// once to test many resources cheaply: `${aws:username}` is the calling user's `username`,
    /// a pattern with another variable, a missing or a `NotResource` element matches everything
    /// (a safe pre-check: it never excludes a resource evaluation could match).
    #[must_use]
    pub fn resource_scope(&self, username: Option<&str>) -> ResourceScope {
        let globs = match &self.resources {
            Some(resources) if !resources.negated => resources
                .patterns
                .iter()
                .map(|pattern| match &pattern.matcher {
                    ResourceMatcher::Static(glob) => glob.clone(),
                    ResourceMatcher::Dynamic(template) => template.scope_glob(username),
                })
                .collect(),
            _ => vec![ArnGlob::Any],
        };
        ResourceScope { globs }
    }

    /// Whether the action element matches a lowercased action.
    #[must_use]
    pub fn matches_action(&self, action_lower: &str) -> bool {
        let any = self
            .actions
            .patterns
            .iter()
            .any(|pattern| pattern.glob.matches(action_lower));
        any != self.actions.negated
    }
}

impl<P> Matchers<P> {
    /// Whether this is the `Not...` form.
    #[must_use]
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The patterns.
    #[must_use]
    pub fn patterns(&self) -> &[P] {
        &self.patterns
    }
}

impl Matchers<ActionPattern> {
    /// Whether this matches every action (`Action: "*"` or `"*:*"`).
    #[must_use]
    pub fn covers_all(&self) -> bool {
        !self.negated && self.patterns.iter().any(ActionPattern::is_all)
    }
}

impl Matchers<ResourcePattern> {
    /// Whether this matches every resource (`Resource: "*"`).
    #[must_use]
    pub fn covers_all(&self) -> bool {
        !self.negated && self.patterns.iter().any(ResourcePattern::is_all)
    }
}

impl ActionPattern {
    pub(crate) fn new(source: &str) -> ActionPattern {
        ActionPattern {
            source: source.to_owned(),
            glob: Glob::new_ascii_lowercase(source),
        }
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches every action: only stars, or stars around one colon.
    #[must_use]
    pub fn is_all(&self) -> bool {
        let (service, name) = self.source.split_once(':').unwrap_or((&self.source, "*"));
        let only_stars = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte == b'*');
        only_stars(service) && only_stars(name)
    }
}

impl ResourcePattern {
    pub(crate) fn new(source: &str, variables: bool) -> ResourcePattern {
        let matcher = match Template::arn(source, variables) {
            Template::Static(elems) => ResourceMatcher::Static(ArnGlob::from_elems(elems)),
            dynamic @ Template::Dynamic(_) => ResourceMatcher::Dynamic(dynamic),
        };
        ResourcePattern {
            source: source.to_owned(),
            matcher,
        }
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches every resource.
    #[must_use]
    pub fn is_all(&self) -> bool {
        matches!(&self.matcher, ResourceMatcher::Static(glob) if glob.is_any())
    }

    pub(crate) fn matcher(&self) -> &ResourceMatcher {
        &self.matcher
    }
}

impl PrincipalSet {
    /// Whether this is `NotPrincipal`.
    #[must_use]
    pub fn is_negated(&self) -> bool {
        self.negated
    }

    /// The principal entries (an OR).
    #[must_use]
    pub fn entries(&self) -> &[PrincipalEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests;
