//! `Principal` element entries and how each one names a caller (iam-semantics.md §1.3).

use crate::arn::{Arn, ResourceKind, is_account_id};
use crate::request::{Principal, PrincipalKind};
use crate::tri::Tri;

/// One entry of a `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// An `AWS` entry (also the bare `"*"`).
    Aws {
        /// Text as written.
        source: String,
        /// What it names.
        target: AwsPrincipal,
    },
    /// A `Service` entry such as `ec2.amazonaws.com`.
    Service(String),
    /// A `Federated` entry: SAML/OIDC provider ARN or a well-known identity provider.
    Federated(String),
    /// An S3 `CanonicalUser` entry.
    CanonicalUser(String),
}

/// What an `AWS` principal entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsPrincipal {
    /// `*`: everyone, including anonymous callers.
    Everyone,
    /// An account (`123456789012` or `arn:aws:iam::123456789012:root`): delegation to the account.
    Account(String),
    /// A specific IAM user ARN.
    User(String),
    /// A specific IAM role ARN: every session of the role.
    Role(String),
    /// One assumed-role session.
    AssumedRole {
        /// Account of the role.
        account: String,
        /// Role name.
        role: String,
        /// Session name.
        session: String,
    },
    /// An STS federated user ARN.
    FederatedUser(String),
    /// A unique id (`AIDA...`, `AROA...`): a deleted entity unless the caller has that id.
    UniqueId(String),
    /// Anything else (partial wildcards are not allowed in principals): matches nobody.
    Invalid(String),
}

/// How a matching entry names the caller, which decides how far a resource-policy grant reaches
/// past the caller's own policies (iam-semantics.md §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NamedAs {
    /// Named through its account: the account's identity policies must also allow.
    Account,
    /// Named by role ARN: identity policies are bypassed, boundary and session policy still apply.
    Role,
    /// Named directly (user, session, federated user, service, provider, `*`): grants on its own.
    Direct,
}

impl AwsPrincipal {
    /// Classifies `AWS` entry text.
    pub(crate) fn classify(text: &str) -> AwsPrincipal {
        if text == "*" {
            return AwsPrincipal::Everyone;
        }
        if is_account_id(text) {
            return AwsPrincipal::Account(text.to_owned());
        }
        if is_unique_id(text) {
            return AwsPrincipal::UniqueId(text.to_owned());
        }
        let Ok(arn) = text.parse::<Arn>() else {
            return AwsPrincipal::Invalid(text.to_owned());
        };
        if text.contains(['*', '?']) {
            return AwsPrincipal::Invalid(text.to_owned());
        }
        let Some(account) = arn.account_id() else {
            return AwsPrincipal::Invalid(text.to_owned());
        };
        match arn.kind() {
            ResourceKind::AccountRoot => AwsPrincipal::Account(account.to_owned()),
            ResourceKind::User { .. } => AwsPrincipal::User(text.to_owned()),
            ResourceKind::Role { .. } => AwsPrincipal::Role(text.to_owned()),
            ResourceKind::AssumedRole { role, session } => AwsPrincipal::AssumedRole {
                account: account.to_owned(),
                role: role.to_owned(),
                session: session.to_owned(),
            },
            ResourceKind::FederatedUser { .. } => AwsPrincipal::FederatedUser(text.to_owned()),
            _ => AwsPrincipal::Invalid(text.to_owned()),
        }
    }
}

/// `^A[A-Z]{3}[A-Z0-9]{12,}$`: a unique id shown in place of a deleted entity (§2).
fn is_unique_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 16
        && bytes.first() == Some(&b'A')
        && bytes.iter().skip(1).take(3).all(u8::is_ascii_uppercase)
        && bytes
            .iter()
            .skip(4)
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

impl PrincipalEntry {
    /// The element key this entry is written under.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            PrincipalEntry::Aws { .. } => "AWS",
            PrincipalEntry::Service(_) => "Service",
            PrincipalEntry::Federated(_) => "Federated",
            PrincipalEntry::CanonicalUser(_) => "CanonicalUser",
        }
    }

    /// The entry text as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalEntry::Aws { source, .. } => source,
            PrincipalEntry::Service(text)
            | PrincipalEntry::Federated(text)
            | PrincipalEntry::CanonicalUser(text) => text,
        }
    }

    /// Whether the entry is `*`.
    #[must_use]
    pub fn is_everyone(&self) -> bool {
        matches!(
            self,
            PrincipalEntry::Aws {
                target: AwsPrincipal::Everyone,
                ..
            }
        )
    }

    /// Whether this entry names `principal`, and how. `Unknown` when it names one session of a
    /// role and the caller's session name is not known.
    pub(crate) fn names(&self, principal: &Principal) -> Option<(NamedAs, Tri)> {
        let kind = principal.kind();
        let definite = |named_as| Some((named_as, Tri::True));
        match self {
            PrincipalEntry::Service(name) => (kind == PrincipalKind::Service
                && name.eq_ignore_ascii_case(principal.arn()))
            .then_some((NamedAs::Direct, Tri::True)),
            PrincipalEntry::Federated(name) => (kind == PrincipalKind::Federated
                && name == principal.arn())
            .then_some((NamedAs::Direct, Tri::True)),
            // Canonical ids of callers are not part of a request yet: no match.
            PrincipalEntry::CanonicalUser(_) => None,
            PrincipalEntry::Aws { target, .. } => match target {
                AwsPrincipal::Everyone => definite(NamedAs::Direct),
                AwsPrincipal::Account(account) => (principal.has_identity()
                    && principal.account() == Some(account.as_str()))
                .then_some((NamedAs::Account, Tri::True)),
                AwsPrincipal::User(arn) => (kind == PrincipalKind::User && arn == principal.arn())
                    .then_some((NamedAs::Direct, Tri::True)),
                AwsPrincipal::Role(arn) => (kind == PrincipalKind::Role && arn == principal.arn())
                    .then_some((NamedAs::Role, Tri::True)),
                AwsPrincipal::FederatedUser(arn) => (kind == PrincipalKind::FederatedUser
                    && arn == principal.arn())
                .then_some((NamedAs::Direct, Tri::True)),
                AwsPrincipal::AssumedRole {
                    account,
                    role,
                    session,
                } => {
                    let same_role = kind == PrincipalKind::Role
                        && principal.account() == Some(account.as_str())
                        && principal.name() == Some(role.as_str());
                    if !same_role {
                        return None;
                    }
                    match principal.session_name() {
                        Some(name) if name == session => definite(NamedAs::Direct),
                        Some(_) => None,
                        None => Some((NamedAs::Direct, Tri::Unknown)),
                    }
                }
                AwsPrincipal::UniqueId(id) => {
                    match (principal.unique_id() == Some(id.as_str()), kind) {
                        (true, PrincipalKind::Role) => definite(NamedAs::Role),
                        (true, _) => definite(NamedAs::Direct),
                        (false, _) => None,
                    }
                }
                AwsPrincipal::Invalid(_) => None,
            },
        }
    }
}
