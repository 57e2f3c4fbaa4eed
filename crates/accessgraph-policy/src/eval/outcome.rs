//! What an evaluation returns: the decision, the statements that decided it, and the conditions
//! a snapshot could not settle.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::document::Effect;

/// Where a policy sits in the evaluation (iam-semantics.md §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Layer {
    /// Identity-based policies.
    Identity,
    /// The permissions boundary.
    Boundary,
    /// The session policy.
    Session,
    /// A service control policy level.
    Scp {
        /// Root, OU or account the level belongs to.
        target: Arc<str>,
    },
    /// A resource control policy level.
    Rcp {
        /// Root, OU or account the level belongs to.
        target: Arc<str>,
    },
    /// The resource-based policy (or trust policy).
    Resource,
    /// The policy of the VPC endpoint the request goes through.
    VpcEndpoint,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Identity => f.write_str("identity policies"),
            Layer::Boundary => f.write_str("permissions boundary"),
            Layer::Session => f.write_str("session policy"),
            Layer::Scp { target } => write!(f, "SCPs at `{target}`"),
            Layer::Rcp { target } => write!(f, "RCPs at `{target}`"),
            Layer::Resource => f.write_str("resource policy"),
            Layer::VpcEndpoint => f.write_str("VPC endpoint policy"),
        }
    }
}

/// One statement cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Citation {
    /// The layer of the policy.
    pub layer: Layer,
    /// Policy label: an ARN, or `role/NAME#inline/POLICY`.
    pub policy: Arc<str>,
    /// Zero-based statement index.
    pub statement: usize,
    /// The statement's `Sid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Arc<str>>,
    /// The statement's effect.
    pub effect: Effect,
    /// Whether the statement matched only under unresolved conditions.
    pub conditional: bool,
    /// The group (ARN) through which the policy applies to a user, if it is a group's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Arc<str>>,
}

impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} by `{}` statement {}",
            self.effect, self.policy, self.statement
        )?;
        if let Some(sid) = &self.sid {
            write!(f, " (Sid `{sid}`)")?;
        }
        if let Some(group) = &self.via {
            write!(f, " through group `{group}`")?;
        }
        write!(f, " [{}]", self.layer)?;
        if self.conditional {
            f.write_str(" (conditional)")?;
        }
        Ok(())
    }
}

/// A condition clause (or principal/variable check) that a snapshot cannot settle.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Unresolved {
    /// The statement it belongs to.
    pub citation: Citation,
    /// The operator (`StringEquals`, ...), or `Principal` / `Resource` for those elements.
    pub operator: String,
    /// The condition key, or what else is unknown (a variable, a session name).
    pub key: String,
    /// The policy values.
    pub values: Vec<String>,
}

impl Unresolved {
    /// A condition clause of the cited statement.
    #[must_use]
    pub fn clause(citation: Citation, condition: &crate::condition::Condition) -> Unresolved {
        Unresolved {
            citation,
            operator: condition.operator().to_owned(),
            key: condition.key().to_owned(),
            values: condition.values().to_vec(),
        }
    }
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = match self.citation.effect {
            Effect::Allow => "allow needs",
            Effect::Deny => "denied if",
        };
        write!(
            f,
            "{role}: {} `{}` {:?} (`{}` statement {})",
            self.operator, self.key, self.values, self.citation.policy, self.citation.statement
        )
    }
}

/// Which kind of deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyKind {
    /// A `Deny` statement matched.
    Explicit,
    /// No `Allow` where one was needed.
    Implicit,
    /// The request would change a resource AWS owns (an AWS managed policy, a service-linked or
    /// IAM Identity Center role, an AWS managed key's alias): no customer policy can allow it.
    AwsOwned,
}

impl DenyKind {
    /// The kind's name in answers: `explicit`, `implicit` or `aws_owned`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DenyKind::Explicit => "explicit",
            DenyKind::Implicit => "implicit",
            DenyKind::AwsOwned => "aws_owned",
        }
    }
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed whatever the unknown values are.
    Allow,
    /// Denied whatever the unknown values are.
    Deny(DenyKind),
    /// Allowed only if the unresolved conditions go the request's way; otherwise denied with
    /// `deny_kind`.
    Conditional {
        /// The deny that applies when they do not.
        deny_kind: DenyKind,
    },
}

impl Decision {
    /// `allow`, `deny` or `conditional`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny(_) => "deny",
            Decision::Conditional { .. } => "conditional",
        }
    }

    /// The deny kind, for `Deny` and `Conditional`.
    #[must_use]
    pub fn deny_kind(&self) -> Option<DenyKind> {
        match self {
            Decision::Allow => None,
            Decision::Deny(kind) | Decision::Conditional { deny_kind: kind } => Some(*kind),
        }
    }

    /// Whether the request is or may be allowed.
    #[must_use]
    pub fn is_possible(&self) -> bool {
        !matches!(self, Decision::Deny(_))
    }
}

/// Decision, evidence and unresolved conditions of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// The decision.
    #[serde(flatten, serialize_with = "serialize_decision")]
    pub decision: Decision,
    /// Statements that decided it: the matching allows of every required layer for an allow,
    /// the matching denies for an explicit deny.
    pub evidence: Vec<Citation>,
    /// Layers that had no matching `Allow` where one was required (implicit deny).
    pub missing: Vec<Layer>,
    /// Conditions a snapshot cannot settle, for conditional decisions.
    pub conditions: Vec<Unresolved>,
    /// For conditional decisions: the formula over those conditions under which the request is
    /// allowed (a deny's clauses negated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_when: Option<crate::expr::Expr>,
    /// Remarks, e.g. rules that skipped a layer.
    pub notes: Vec<String>,
}

impl Evaluation {
    /// Sets the conditions under which a conditional evaluation is allowed. A formula that is a
    /// constant settles the decision (`Allow`, or the deny that applies otherwise) and leaves no
    /// conditions; the constant is returned.
    pub fn settle(&mut self, conditions: crate::expr::Conditions) -> Option<bool> {
        let settled = conditions.when.as_const();
        match settled {
            Some(true) => self.decision = Decision::Allow,
            Some(false) => {
                self.decision =
                    Decision::Deny(self.decision.deny_kind().unwrap_or(DenyKind::Implicit));
            }
            None => {}
        }
        if settled.is_some() {
            self.conditions = Vec::new();
            self.allowed_when = None;
        } else {
            self.conditions = conditions.list;
            self.allowed_when = Some(conditions.when);
        }
        settled
    }
}

fn serialize_decision<S: serde::Serializer>(
    decision: &Decision,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("decision", decision.as_str())?;
    if let Some(kind) = decision.deny_kind() {
        map.serialize_entry("deny_kind", &kind)?;
    }
    map.end()
}
