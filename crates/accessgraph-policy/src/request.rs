//! The request being evaluated: who calls, which action, on what, in which context.
//!
//! Condition keys are looked up first in the caller-supplied [`RequestContext`], then derived from
//! the principal and the resource (iam-semantics.md §1.5, §4.3). Any other key is *unknown*: a
//! static snapshot cannot tell a source IP or an MFA flag, so conditions on it stay unresolved.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::arn::{Arn, ResourceKind};

/// What kind of caller makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// A session of an IAM role.
    Role,
    /// An STS federated-user session (`GetFederationToken`).
    FederatedUser,
    /// The root user of an account.
    Root,
    /// An AWS service principal such as `ec2.amazonaws.com`.
    Service,
    /// A caller presenting a SAML assertion or an OIDC token from an identity provider.
    Federated,
    /// An unauthenticated caller.
    Anonymous,
    /// Any authenticated principal of an account whose principals the caller does not list one
    /// by one (the graph's `*`, seen from an account outside the snapshot): its ARN, account and
    /// type are unknown, its account's organization membership may be known, and every request it
    /// makes is cross-account. Only `*` entries and `NotPrincipal` name it.
    Outsider,
}

/// Organization membership of an account, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OrgMembership {
    /// Not known: org keys stay unresolved.
    #[default]
    Unknown,
    /// The account belongs to no organization: org keys are absent.
    None,
    /// Member of `org_id`, with its `o-id/r-id/ou-.../` paths.
    Member {
        /// Organization id `o-...`.
        org_id: String,
        /// `aws:PrincipalOrgPaths` / `aws:ResourceOrgPaths` values.
        paths: Vec<String>,
    },
}

/// Tags of an entity, shared (an IAM role's tags are also its tags as a resource); `None` means
/// not known.
pub type Tags = Option<Arc<BTreeMap<String, String>>>;

/// The calling principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    kind: PrincipalKind,
    /// User ARN, role ARN, federated-user ARN, root ARN, service name, provider ARN or `*`.
    arn: String,
    account: Option<String>,
    partition: String,
    name: Option<String>,
    unique_id: Option<String>,
    session_name: Option<String>,
    tags: Tags,
    org: Arc<OrgMembership>,
    service_linked: bool,
    /// The S3 canonical user id of the principal's account, when known.
    canonical_id: Option<String>,
    /// For a federated user, the IAM user whose `GetFederationToken` created it, when known.
    issuer: Option<String>,
}

/// Why text does not name a principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a principal: expected a user, role, assumed-role, federated-user or root ARN, a service name like `ec2.amazonaws.com`, an identity provider, or `*`"
)]
pub struct PrincipalError(String);

/// How an outsider principal is named in notes and answers.
pub const OUTSIDER_LABEL: &str = "(any principal outside the snapshot)";

/// Why an ARN cannot be the role or user a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{parent}` is not the entity of the session `{session}`: expected the ARN of the session's role (same account and name) for an assumed-role session, or of a user of its account for a federated user"
)]
pub struct SessionOfError {
    parent: String,
    session: String,
}

/// Identity providers that appear in trust policies by name rather than ARN.
const WELL_KNOWN_IDPS: [&str; 4] = [
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

impl Principal {
    fn base(kind: PrincipalKind, arn: String, account: Option<String>, partition: &str) -> Self {
        Principal {
            kind,
            arn,
            account,
            partition: partition.to_owned(),
            name: None,
            unique_id: None,
            session_name: None,
            tags: None,
            org: Arc::new(OrgMembership::Unknown),
            service_linked: false,
            canonical_id: None,
            issuer: None,
        }
    }

    /// An authenticated principal of an account outside the caller's inventory
    /// ([`PrincipalKind::Outsider`]), whose account has organization membership `org`.
    #[must_use]
    pub fn outsider(partition: &str, org: OrgMembership) -> Principal {
        let mut principal = Principal::base(
            PrincipalKind::Outsider,
            OUTSIDER_LABEL.into(),
            None,
            partition,
        );
        principal.org = Arc::new(org);
        principal
    }

    /// Parses a principal from an ARN, a service name, an identity provider, or `*`.
    ///
    /// An assumed-role session ARN becomes a [`PrincipalKind::Role`] with its session name; the
    /// role's path is unknown from a session ARN and taken as `/`.
    pub fn parse(text: &str) -> Result<Principal, PrincipalError> {
        let error = || PrincipalError(text.to_owned());
        if text == "*" || text.eq_ignore_ascii_case("anonymous") {
            return Ok(Principal::base(
                PrincipalKind::Anonymous,
                "*".into(),
                None,
                "aws",
            ));
        }
        if WELL_KNOWN_IDPS.contains(&text) {
            return Ok(Principal::base(
                PrincipalKind::Federated,
                text.into(),
                None,
                "aws",
            ));
        }
        if !text.starts_with("arn:") {
            let looks_like_service = text.contains('.')
                && text
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b".-".contains(&byte));
            return if looks_like_service {
                Ok(Principal::base(
                    PrincipalKind::Service,
                    text.into(),
                    None,
                    "aws",
                ))
            } else {
                Err(error())
            };
        }
        let arn: Arn = text.parse().map_err(|_| error())?;
        let account = arn.account_id().map(str::to_owned).ok_or_else(error)?;
        let partition = arn.partition().to_owned();
        let mut principal = match arn.kind() {
            ResourceKind::User { name, .. } => {
                let mut user =
                    Principal::base(PrincipalKind::User, text.into(), Some(account), &partition);
                user.name = Some(name.to_owned());
                user
            }
            ResourceKind::Role { path, name } => {
                let mut role =
                    Principal::base(PrincipalKind::Role, text.into(), Some(account), &partition);
                role.name = Some(name.to_owned());
                role.service_linked = path.starts_with("/aws-service-role/");
                role
            }
            ResourceKind::AssumedRole { role, session } => {
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                let mut principal =
                    Principal::base(PrincipalKind::Role, role_arn, Some(account), &partition);
                principal.name = Some(role.to_owned());
                principal.session_name = Some(session.to_owned());
                principal
            }
            ResourceKind::FederatedUser { name } => {
                let mut user = Principal::base(
                    PrincipalKind::FederatedUser,
                    text.into(),
                    Some(account),
                    &partition,
                );
                user.name = Some(name.to_owned());
                user
            }
            ResourceKind::AccountRoot => {
                Principal::base(PrincipalKind::Root, text.into(), Some(account), &partition)
            }
            ResourceKind::SamlProvider { .. } | ResourceKind::OidcProvider { .. } => {
                Principal::base(
                    PrincipalKind::Federated,
                    text.into(),
                    Some(account),
                    &partition,
                )
            }
            _ => return Err(error()),
        };
        principal.arn.shrink_to_fit();
        Ok(principal)
    }

    /// Sets the IAM tags (known, possibly empty).
    #[must_use]
    pub fn with_tags(mut self, tags: impl Into<Arc<BTreeMap<String, String>>>) -> Self {
        self.tags = Some(tags.into());
        self
    }

    /// Sets the organization membership of the principal's account.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<Arc<OrgMembership>>) -> Self {
        self.org = org.into();
        self
    }

    /// Sets the unique id (`AIDA...`, `AROA...`).
    #[must_use]
    pub fn with_unique_id(mut self, unique_id: impl Into<String>) -> Self {
        self.unique_id = Some(unique_id.into());
        self
    }

    /// Sets the role session name.
    #[must_use]
    pub fn with_session_name(mut self, session_name: impl Into<String>) -> Self {
        self.session_name = Some(session_name.into());
        self
    }

    /// Says which IAM entity a session belongs to: the role (ARN with its path) of an
    /// assumed-role session, whose ARN carries no path, or the user whose `GetFederationToken`
    /// created a federated-user session. A role under `/aws-service-role/` makes the session a
    /// service-linked role's.
    ///
    /// # Errors
    /// When the principal is not a session, or `parent` is not a role (user) ARN of the session's
    /// account and, for a role, of the session's role name.
    pub fn with_session_of(mut self, parent: &str) -> Result<Principal, SessionOfError> {
        let error = || SessionOfError {
            parent: parent.to_owned(),
            session: self.arn.clone(),
        };
        let arn: Arn = parent.parse().map_err(|_| error())?;
        if arn.account_id() != self.account.as_deref() {
            return Err(error());
        }
        match (self.kind, arn.kind()) {
            (PrincipalKind::Role, ResourceKind::Role { path, name })
                if self.session_name.is_some() && self.name.as_deref() == Some(name) =>
            {
                self.service_linked = path.starts_with("/aws-service-role/");
                self.arn = parent.to_owned();
                Ok(self)
            }
            (PrincipalKind::FederatedUser, ResourceKind::User { .. }) => {
                self.issuer = Some(parent.to_owned());
                Ok(self)
            }
            _ => Err(error()),
        }
    }

    /// The IAM user that created a federated-user session, when known.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Sets the S3 canonical user id of the principal's account (`CanonicalUser` principal
    /// entries and ACL grants name accounts by it).
    #[must_use]
    pub fn with_canonical_id(mut self, canonical_id: impl Into<String>) -> Self {
        self.canonical_id = Some(canonical_id.into());
        self
    }

    /// Marks a role as service-linked (not subject to SCPs or RCPs, §3.2).
    #[must_use]
    pub fn with_service_linked(mut self, service_linked: bool) -> Self {
        self.service_linked = service_linked;
        self
    }

    /// The kind of caller.
    #[must_use]
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The principal's ARN (the role ARN for a role session), service name, provider, or `*`.
    #[must_use]
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The account id of the principal, if it has one.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The partition of the principal.
    #[must_use]
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// User, role or federated-user name.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Unique id, if known.
    #[must_use]
    pub fn unique_id(&self) -> Option<&str> {
        self.unique_id.as_deref()
    }

    /// Role session name, if known.
    #[must_use]
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// Whether this is a service-linked role.
    #[must_use]
    pub fn is_service_linked(&self) -> bool {
        self.service_linked
    }

    /// The IAM tags of the user or role, when known.
    #[must_use]
    pub fn tags(&self) -> Option<&Arc<BTreeMap<String, String>>> {
        self.tags.as_ref()
    }

    /// The S3 canonical user id of the principal's account, if known.
    #[must_use]
    pub fn canonical_id(&self) -> Option<&str> {
        self.canonical_id.as_deref()
    }

    /// The organization membership of the principal's account.
    #[must_use]
    pub fn org(&self) -> &OrgMembership {
        &self.org
    }

    /// Whether the principal has an identity side (identity policies, boundary, SCPs).
    #[must_use]
    pub fn has_identity(&self) -> bool {
        matches!(
            self.kind,
            PrincipalKind::User
                | PrincipalKind::Role
                | PrincipalKind::FederatedUser
                | PrincipalKind::Root
                | PrincipalKind::Outsider
        )
    }
}

/// The resource a request acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    arn: String,
    account: Option<String>,
    /// The owner is not known (an S3 bucket no account of the snapshot lists): the request may
    /// be same-account or cross-account.
    owner_unknown: bool,
    /// The ARN is a pattern naming several resources: the request is on some resource it names.
    pattern: bool,
    tags: Tags,
    org: Arc<OrgMembership>,
}

impl Resource {
    /// A resource by ARN (or `*`); the owning account is taken from the ARN when it has one.
    #[must_use]
    pub fn new(arn: impl Into<String>) -> Resource {
        let arn = arn.into();
        let account = crate::arn::components(&arn)
            .map(|parts| parts[4])
            .filter(|account| crate::arn::is_account_id(account))
            .map(str::to_owned);
        Resource {
            arn,
            account,
            owner_unknown: false,
            pattern: false,
            tags: None,
            org: Arc::new(OrgMembership::Unknown),
        }
    }

    /// Marks the owner as unknown: whether the request is cross-account cannot be told, and a
    /// grant that depends on it is conditional.
    #[must_use]
    pub fn with_unknown_owner(mut self) -> Self {
        self.account = None;
        self.owner_unknown = true;
        self
    }

    /// Reads the ARN as a pattern when it holds `*` or `?` (and is not `*` alone): the request is
    /// then on *some* resource the pattern names. An allow counts when it grants some of them; a
    /// deny counts when it denies all of them, and one that denies only some leaves the answer
    /// conditional.
    #[must_use]
    pub fn as_pattern(mut self) -> Self {
        self.pattern = self.arn != "*" && self.arn.contains(['*', '?']);
        self
    }

    /// Whether the request names its resource by a pattern (see [`Resource::as_pattern`]).
    #[must_use]
    pub fn is_pattern(&self) -> bool {
        self.pattern
    }

    /// Whether the owner is unknown (see [`Resource::with_unknown_owner`]).
    #[must_use]
    pub fn owner_unknown(&self) -> bool {
        self.owner_unknown
    }

    /// Sets the owning account (needed for S3, whose ARNs carry none).
    #[must_use]
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self.owner_unknown = false;
        self
    }

    /// Sets the resource tags (known, possibly empty).
    #[must_use]
    pub fn with_tags(mut self, tags: impl Into<Arc<BTreeMap<String, String>>>) -> Self {
        self.tags = Some(tags.into());
        self
    }

    /// Sets the organization membership of the owning account.
    #[must_use]
    pub fn with_org(mut self, org: impl Into<Arc<OrgMembership>>) -> Self {
        self.org = org.into();
        self
    }

    /// The resource ARN.
    #[must_use]
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The owning account, if known.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }
}

/// An action such as `s3:GetObject`; matched case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    text: String,
    #[serde(skip)]
    lower: String,
    #[serde(skip)]
    service_len: usize,
    #[serde(skip)]
    service_fingerprint: u64,
}

impl Action {
    /// Wraps action text.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Action {
        let text = text.into();
        let lower = text.to_ascii_lowercase();
        let service_len = lower.find(':').unwrap_or(lower.len());
        let service_fingerprint =
            crate::document::fingerprint(lower.get(..service_len).unwrap_or(&lower));
        Action {
            text,
            lower,
            service_len,
            service_fingerprint,
        }
    }

    /// The action as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The ASCII-lowercased action.
    #[must_use]
    pub fn lower(&self) -> &str {
        &self.lower
    }

    /// Fingerprint of the service prefix, for fast index lookups.
    pub(crate) fn service_fingerprint(&self) -> u64 {
        self.service_fingerprint
    }

    /// The lowercased service prefix (`s3` for `s3:GetObject`).
    #[must_use]
    pub fn service(&self) -> &str {
        self.lower.get(..self.service_len).unwrap_or(&self.lower)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A value the caller gives for a condition key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContextValue {
    /// The key is present with these values (one for single-valued keys).
    Values(Vec<String>),
    /// The key is known to be absent from the request.
    Absent,
}

/// Caller-supplied condition keys; keys are case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestContext {
    values: BTreeMap<String, ContextValue>,
    /// The earliest time the request can be made (epoch milliseconds): a snapshot's collection
    /// time. Time keys not given are known to be at or after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    earliest_time_ms: Option<i64>,
}

impl RequestContext {
    /// An empty context: every key not derived from the principal or resource is unknown.
    #[must_use]
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// Adds a value for `key` (repeat to make the key multivalued).
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        let entry = self
            .values
            .entry(key.to_lowercase())
            .or_insert_with(|| ContextValue::Values(Vec::new()));
        match entry {
            ContextValue::Values(values) => values.push(value.into()),
            ContextValue::Absent => *entry = ContextValue::Values(vec![value.into()]),
        }
    }

    /// Builder form of [`RequestContext::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Declares `key` absent from the request.
    pub fn insert_absent(&mut self, key: &str) {
        self.values.insert(key.to_lowercase(), ContextValue::Absent);
    }

    /// Sets the earliest time the request can be made (epoch milliseconds): `aws:CurrentTime`,
    /// `aws:EpochTime` and `aws:TokenIssueTime`, when not given, are at or after it, so a
    /// condition that only held before it is false and one that holds ever after is true
    /// (issue: a grant that expired before the snapshot was collected is no grant).
    pub fn set_earliest_time(&mut self, epoch_ms: i64) {
        self.earliest_time_ms = Some(epoch_ms);
    }

    /// Builder form of [`RequestContext::set_earliest_time`].
    #[must_use]
    pub fn with_earliest_time(mut self, epoch_ms: i64) -> Self {
        self.set_earliest_time(epoch_ms);
        self
    }

    /// The earliest request time, if set.
    #[must_use]
    pub fn earliest_time(&self) -> Option<i64> {
        self.earliest_time_ms
    }

    /// Whether no key was given (an earliest request time may be set).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value given for `key` (any case), when exactly one was.
    #[must_use]
    pub fn value(&self, key: &str) -> Option<&str> {
        match self.values.get(&key.to_lowercase()) {
            Some(ContextValue::Values(values)) => match values.as_slice() {
                [single] => Some(single),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether `key` (any case) was given.
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(&key.to_lowercase())
    }

    fn get(&self, key_lower: &str) -> Option<&ContextValue> {
        self.values.get(key_lower)
    }
}

/// One request to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who calls.
    pub principal: &'a Principal,
    /// What action.
    pub action: &'a Action,
    /// On which resource.
    pub resource: &'a Resource,
    /// Caller-supplied condition keys.
    pub context: &'a RequestContext,
}

/// The result of looking up a condition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup<'a> {
    /// One value.
    Single(&'a str),
    /// Several values (possibly zero).
    Many(&'a [String]),
    /// Known to be absent.
    Absent,
    /// A time not known exactly, but at or after these epoch milliseconds; possibly absent.
    NotBefore {
        /// The earliest value, epoch milliseconds.
        epoch_ms: i64,
        /// Whether the key may also be absent (`aws:TokenIssueTime` of long-term keys).
        may_be_absent: bool,
    },
    /// Cannot be known.
    Unknown,
}

/// Key lookup over a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    request: Request<'a>,
    /// The resource ARN split into its six components, computed once per request.
    resource_parts: Option<[&'a str; 6]>,
    /// Whether the caller has a permissions boundary (a `NotPrincipal` deny always names it).
    has_boundary: bool,
}

fn tag_lookup<'a>(tags: &'a Tags, key: &str) -> Lookup<'a> {
    match tags {
        None => Lookup::Unknown,
        Some(tags) => tags
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map_or(Lookup::Absent, |(_, value)| Lookup::Single(value)),
    }
}

fn org_id_lookup(org: &OrgMembership) -> Lookup<'_> {
    match org {
        OrgMembership::Unknown => Lookup::Unknown,
        OrgMembership::None => Lookup::Absent,
        OrgMembership::Member { org_id, .. } => Lookup::Single(org_id),
    }
}

fn org_paths_lookup(org: &OrgMembership) -> Lookup<'_> {
    match org {
        OrgMembership::Unknown => Lookup::Unknown,
        OrgMembership::None => Lookup::Absent,
        OrgMembership::Member { paths, .. } => Lookup::Many(paths),
    }
}

fn optional(value: Option<&str>) -> Lookup<'_> {
    value.map_or(Lookup::Unknown, Lookup::Single)
}

impl<'a> Env<'a> {
    pub(crate) fn new(request: Request<'a>) -> Env<'a> {
        Env::with_boundary(request, false)
    }

    /// An environment for a caller that has a permissions boundary or not (built in place: an
    /// `Env` is large enough that a by-value builder would copy it).
    pub(crate) fn with_boundary(request: Request<'a>, has_boundary: bool) -> Env<'a> {
        Env {
            request,
            resource_parts: crate::arn::components(request.resource.arn()),
            has_boundary,
        }
    }

    /// Whether the caller has a permissions boundary.
    pub(crate) fn has_boundary(&self) -> bool {
        self.has_boundary
    }

    /// The resource ARN's six components, if it is an ARN.
    pub(crate) fn resource_parts(&self) -> Option<&[&'a str; 6]> {
        self.resource_parts.as_ref()
    }

    pub(crate) fn request(&self) -> Request<'a> {
        self.request
    }

    /// Looks up a lowercased condition key.
    pub(crate) fn lookup(&self, key: &str) -> Lookup<'a> {
        match self.request.context.get(key) {
            Some(ContextValue::Absent) => return Lookup::Absent,
            Some(ContextValue::Values(values)) => {
                return match values.as_slice() {
                    [single] => Lookup::Single(single),
                    many => Lookup::Many(many),
                };
            }
            None => {}
        }
        if let Some(tag) = key.strip_prefix("aws:principaltag/") {
            return self.principal_tag(tag);
        }
        if let Some(tag) = key.strip_prefix("aws:resourcetag/") {
            return tag_lookup(&self.request.resource.tags, tag);
        }
        let resource = self.request.resource;
        match key {
            "aws:currenttime" | "aws:epochtime" => self.time(false),
            // Long-term access keys of users and root carry no token issue time.
            "aws:tokenissuetime" => match self.request.principal.kind {
                PrincipalKind::Role | PrincipalKind::FederatedUser => self.time(false),
                PrincipalKind::User | PrincipalKind::Root | PrincipalKind::Outsider => {
                    self.time(true)
                }
                PrincipalKind::Anonymous => Lookup::Absent,
                PrincipalKind::Service | PrincipalKind::Federated => Lookup::Unknown,
            },
            "aws:resourceaccount" => optional(resource.account()),
            "aws:resourceorgid" => org_id_lookup(&resource.org),
            "aws:resourceorgpaths" => org_paths_lookup(&resource.org),
            _ => self.principal_key(key),
        }
    }

    fn time(&self, may_be_absent: bool) -> Lookup<'a> {
        self.request
            .context
            .earliest_time_ms
            .map_or(Lookup::Unknown, |epoch_ms| Lookup::NotBefore {
                epoch_ms,
                may_be_absent,
            })
    }

    fn principal_tag(&self, tag: &str) -> Lookup<'a> {
        let principal = self.request.principal;
        match principal.kind {
            PrincipalKind::User | PrincipalKind::Role => tag_lookup(&principal.tags, tag),
            PrincipalKind::Federated | PrincipalKind::Outsider => Lookup::Unknown,
            _ => Lookup::Absent,
        }
    }

    fn principal_key(&self, key: &str) -> Lookup<'a> {
        use PrincipalKind as K;
        let principal = self.request.principal;
        let kind = principal.kind;
        match key {
            "aws:principalarn" => match kind {
                K::User | K::Role | K::FederatedUser | K::Root => Lookup::Single(&principal.arn),
                K::Service | K::Anonymous => Lookup::Absent,
                K::Federated | K::Outsider => Lookup::Unknown,
            },
            "aws:principalaccount" => match kind {
                K::Anonymous => Lookup::Single("anonymous"),
                K::Service => Lookup::Absent,
                K::Federated | K::Outsider => Lookup::Unknown,
                _ => optional(principal.account()),
            },
            "aws:principaltype" => match kind {
                K::User => Lookup::Single("User"),
                K::Role => Lookup::Single("AssumedRole"),
                K::FederatedUser => Lookup::Single("FederatedUser"),
                K::Root => Lookup::Single("Account"),
                K::Anonymous => Lookup::Single("Anonymous"),
                K::Service | K::Federated | K::Outsider => Lookup::Unknown,
            },
            "aws:username" => match kind {
                K::User => optional(principal.name()),
                K::Federated | K::Outsider => Lookup::Unknown,
                _ => Lookup::Absent,
            },
            "aws:userid" => self.user_id(),
            "aws:principalorgid" => match kind {
                K::User | K::Role | K::FederatedUser | K::Root | K::Outsider => {
                    org_id_lookup(&principal.org)
                }
                K::Federated => Lookup::Unknown,
                K::Service | K::Anonymous => Lookup::Absent,
            },
            "aws:principalorgpaths" => match kind {
                K::User | K::Role | K::FederatedUser | K::Root | K::Outsider => {
                    org_paths_lookup(&principal.org)
                }
                K::Federated => Lookup::Unknown,
                K::Service | K::Anonymous => Lookup::Absent,
            },
            "aws:principalisawsservice" => match kind {
                K::Service => Lookup::Single("true"),
                K::Federated => Lookup::Unknown,
                _ => Lookup::Single("false"),
            },
            "aws:principalservicename" => match kind {
                K::Service => Lookup::Single(&principal.arn),
                K::Federated => Lookup::Unknown,
                _ => Lookup::Absent,
            },
            _ => Lookup::Unknown,
        }
    }

    fn user_id(&self) -> Lookup<'a> {
        let principal = self.request.principal;
        match principal.kind {
            // The composite `AROA...:session` form is not stored, so it stays unknown unless given.
            PrincipalKind::User => optional(principal.unique_id()),
            PrincipalKind::Root => optional(principal.account()),
            PrincipalKind::Anonymous => Lookup::Single("anonymous"),
            _ => Lookup::Unknown,
        }
    }
}

#[cfg(test)]
mod tests;
