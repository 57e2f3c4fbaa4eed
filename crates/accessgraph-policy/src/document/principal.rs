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
            // A canonical user id names an account (S3), like an account entry.
            PrincipalEntry::CanonicalUser(id) => (principal.has_identity()
                && principal.canonical_id() == Some(id.as_str()))
            .then_some((NamedAs::Account, Tri::True)),
            PrincipalEntry::Aws { target, .. } => match target {
                AwsPrincipal::Everyone => definite(NamedAs::Direct),
                AwsPrincipal::Account(account) => (principal.has_identity()
                    && principal.account() == Some(account.as_str()))
                .then_some((NamedAs::Account, Tri::True)),
                AwsPrincipal::User(arn) if kind == PrincipalKind::User => {
                    (arn == principal.arn()).then_some((NamedAs::Direct, Tri::True))
                }
                // A user ARN also names the federated sessions the user creates; the grant then
                // reaches as far as a role ARN's: boundary and session policy still apply
                // (iam-semantics.md §1.3, §3.4).
                AwsPrincipal::User(arn) => (kind == PrincipalKind::FederatedUser
                    && principal.issuer() == Some(arn.as_str()))
                .then_some((NamedAs::Role, Tri::True)),
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

/// Whether a `NotPrincipal` list exempts `principal` from its statement.
///
/// AWS checks each identity a request carries against the list, the account first, then the
/// user, or the role and its session (IAM/reference_policies_elements_notprincipal.html): a caller
/// is exempt only when its account *and* itself are listed. Listing an account's ARN exempts the
/// account principal (root), not its users; listing a user without its account exempts nobody.
/// A role session is exempt when its account and its role (or that session) are listed.
/// `Unknown` when only a session of the caller's role is listed and its session name is not known.
pub(crate) fn not_principal_exempts(entries: &[PrincipalEntry], principal: &Principal) -> Tri {
    if entries.iter().any(PrincipalEntry::is_everyone) {
        return Tri::True;
    }
    let listed = |wanted: &dyn Fn(&AwsPrincipal) -> bool| {
        entries.iter().any(|entry| match entry {
            PrincipalEntry::Aws { target, .. } => wanted(target),
            _ => false,
        })
    };
    let account_listed = principal.account().is_some_and(|account| {
        listed(&|target| matches!(target, AwsPrincipal::Account(named) if named == account))
    });
    let arn_listed = |named: &str| principal.arn() == named;
    match principal.kind() {
        PrincipalKind::Service | PrincipalKind::Federated => Tri::from(
            entries
                .iter()
                .any(|entry| entry.names(principal).is_some_and(|(_, tri)| tri.is_true())),
        ),
        PrincipalKind::Anonymous | PrincipalKind::Outsider => Tri::False,
        PrincipalKind::Root => Tri::from(account_listed),
        PrincipalKind::User => Tri::from(
            account_listed
                && listed(&|target| matches!(target, AwsPrincipal::User(arn) if arn_listed(arn))),
        ),
        PrincipalKind::FederatedUser => Tri::from(
            account_listed
                && listed(
                    &|target| matches!(target, AwsPrincipal::FederatedUser(arn) if arn_listed(arn)),
                ),
        ),
        PrincipalKind::Role => {
            if !account_listed {
                return Tri::False;
            }
            let by_role = entries.iter().any(|entry| {
                matches!(entry, PrincipalEntry::Aws { target: AwsPrincipal::Role(arn), .. } if arn_listed(arn))
                    || matches!(entry, PrincipalEntry::Aws { target: AwsPrincipal::UniqueId(_), .. }
                        if entry.names(principal).is_some())
            });
            let by_session = entries
                .iter()
                .filter(|entry| {
                    matches!(
                        entry,
                        PrincipalEntry::Aws {
                            target: AwsPrincipal::AssumedRole { .. },
                            ..
                        }
                    )
                })
                .filter_map(|entry| entry.names(principal))
                .fold(Tri::False, |acc, (_, tri)| acc.or(tri));
            Tri::from(by_role).or(by_session)
        }
    }
}
