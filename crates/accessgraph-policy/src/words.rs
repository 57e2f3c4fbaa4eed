//! Evidence in words, for people reading an answer: which policy a citation names
//! (`inline policy `manage-keys` of user `eve``) and what an unresolved clause asks of the request
//! (`aws:MultiFactorAuthPresent` is `true`).
//!
//! The policy names follow the labels the graph gives policies (`ARN#inline/NAME`, `ARN#trust`,
//! `ARN#policy`, `ARN#acl`, `ID#vpc-endpoint-policy`, a managed policy's or SCP's ARN); a label
//! of another shape is shown as it is.

use crate::eval::{Citation, Layer, Unresolved};

/// The policy a citation names, in words: `managed policy `AdministratorAccess` attached to group
/// `OrgAdmins``, `SCP `p-regionguard1` at `r-a1b2``, `trust policy of role `deploy``.
#[must_use]
pub fn policy(citation: &Citation) -> String {
    named(citation, &[])
}

/// [`policy`], an SCP or RCP named at `levels` (the organization levels it is cited at) instead
/// of its citation's one level when there are any.
fn named(citation: &Citation, levels: &[String]) -> String {
    let label = citation.policy.as_ref();
    let at = |target: &str| {
        if levels.is_empty() {
            format!("`{target}`")
        } else {
            list(levels)
        }
    };
    let named = match &citation.layer {
        Layer::Scp { target } => format!("SCP `{}` at {}", last_segment(label), at(target)),
        Layer::Rcp { target } => format!("RCP `{}` at {}", last_segment(label), at(target)),
        Layer::Boundary => format!("permissions boundary `{}`", last_segment(label)),
        Layer::Session => "session policy".to_owned(),
        Layer::VpcEndpoint => match label.strip_suffix("#vpc-endpoint-policy") {
            Some(endpoint) => format!("policy of VPC endpoint `{endpoint}`"),
            None => format!("VPC endpoint policy `{label}`"),
        },
        Layer::Resource => resource_policy(label),
        Layer::Identity => identity_policy(label),
    };
    match &citation.via {
        Some(group) if !label.starts_with(group.as_ref()) => {
            format!("{named} attached to group `{}`", last_segment(group))
        }
        _ => named,
    }
}

/// The statement a citation names, in words: the policy, the statement's index and `Sid`.
#[must_use]
pub fn statement(citation: &Citation) -> String {
    statement_at(citation, &[])
}

fn statement_at(citation: &Citation, levels: &[String]) -> String {
    let mut out = format!(
        "{}, statement {}",
        named(citation, levels),
        citation.statement
    );
    if let Some(sid) = &citation.sid {
        out.push_str(&format!(" (Sid `{sid}`)"));
    }
    out
}

/// A citation in words: the statement, its effect, and whether it matched only under
/// conditions.
#[must_use]
pub fn citation(citation: &Citation) -> String {
    citation_at(citation, &[])
}

fn citation_at(citation: &Citation, levels: &[String]) -> String {
    let effect = match citation.effect {
        crate::Effect::Allow => "allowed by",
        crate::Effect::Deny => "denied by",
    };
    let mut out = format!("{effect} {}", statement_at(citation, levels));
    if citation.conditional {
        out.push_str(", under conditions");
    }
    out
}

/// Citations in words, one line each; one SCP or RCP statement cited at several levels of the
/// organization is one line (`` allowed by SCP `p-FullAWSAccess` at `r-1`, `ou-2`, `333`,
/// statement 0 ``).
#[must_use]
pub fn citations(list: &[Citation]) -> Vec<String> {
    let mut lines: Vec<(&Citation, Vec<String>)> = Vec::new();
    for cited in list {
        let target = match &cited.layer {
            Layer::Scp { target } | Layer::Rcp { target } => target.to_string(),
            _ => {
                lines.push((cited, Vec::new()));
                continue;
            }
        };
        // The same statement at another level: equal but for the level's target.
        let same = |other: &Citation| {
            std::mem::discriminant(&other.layer) == std::mem::discriminant(&cited.layer)
                && Citation {
                    layer: other.layer.clone(),
                    ..cited.clone()
                } == *other
        };
        match lines.iter_mut().find(|(first, _)| same(first)) {
            Some((_, levels)) => levels.push(target),
            None => lines.push((cited, vec![target])),
        }
    }
    lines
        .into_iter()
        .map(|(cited, levels)| citation_at(cited, &levels))
        .collect()
}

fn resource_policy(label: &str) -> String {
    if let Some(role) = label.strip_suffix("#trust (rewritten)") {
        return format!("trust policy of role `{}` as rewritten", last_segment(role));
    }
    if let Some(role) = label.strip_suffix("#trust") {
        return format!("trust policy of role `{}`", last_segment(role));
    }
    if let Some(bucket) = label.strip_suffix("#acl") {
        return format!("ACL of bucket `{}`", last_segment(bucket));
    }
    if let Some(resource) = label.strip_suffix("#policy") {
        return format!("resource policy of `{resource}`");
    }
    format!("resource policy `{label}`")
}

fn identity_policy(label: &str) -> String {
    if let Some((owner, name)) = label.split_once("#inline/") {
        let kind = ["user", "role", "group"]
            .into_iter()
            .find(|kind| owner.contains(&format!(":{kind}/")))
            .unwrap_or("principal");
        return format!("inline policy `{name}` of {kind} `{}`", last_segment(owner));
    }
    if label.starts_with("arn:") {
        let owner = if label.contains(":iam::aws:policy/") {
            "AWS managed"
        } else {
            "managed"
        };
        return format!("{owner} policy `{}`", last_segment(label));
    }
    label.to_owned()
}

/// The last `/`-separated part of an ARN or label (a name without its path).
fn last_segment(label: &str) -> &str {
    label.rsplit('/').next().unwrap_or(label)
}

/// What an unresolved clause asks of the request, in words; `negated` for its negation (a deny's
/// clause in an `allowed_when` formula): `` `aws:RequestedRegion` is one of `us-east-1`,
/// `eu-west-1` ``.
#[must_use]
pub fn clause(clause: &Unresolved, negated: bool) -> String {
    let key = clause.key.as_str();
    let values = &clause.values;
    match clause.operator.as_str() {
        "Principal" => {
            let verb = if negated {
                "matches none of"
            } else {
                "matches"
            };
            return format!("the {key} {verb} {}", list(values));
        }
        "Resource" | "NotResource" => {
            let matches = (clause.operator == "Resource") != negated;
            return if key.starts_with("${") {
                let verb = if matches {
                    "matches"
                } else {
                    "matches none of"
                };
                format!(
                    "the resource {verb} {} with `{key}` filled in",
                    list(values)
                )
            } else {
                let verb = if matches { "match" } else { "match none of" };
                format!("{key} {verb} {}", list(values))
            };
        }
        _ => {}
    }
    let operator = clause.operator.as_str();
    let (quantifier, operator) = match operator.split_once(':') {
        Some((quantifier @ ("ForAnyValue" | "ForAllValues"), rest)) => (Some(quantifier), rest),
        _ => (None, operator),
    };
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let Some(predicate) = Predicate::of(operator, values) else {
        let not = if negated { "NOT " } else { "" };
        return format!("{not}`{key}` {} {}", clause.operator, list(values));
    };
    // The negation of "every value P" is "some value not P", of "any value P" is "no value P".
    let (subject, holds) = match (quantifier, negated) {
        (Some("ForAnyValue"), false) => (format!("some value of `{key}`"), true),
        (Some("ForAnyValue"), true) => (format!("no value of `{key}`"), true),
        (Some(_), false) => (format!("every value of `{key}`"), true),
        (Some(_), true) => (format!("some value of `{key}`"), false),
        (None, negated) => (format!("`{key}`"), !negated),
    };
    let mut out = format!("{subject} {}", predicate.words(holds));
    if if_exists {
        out.push_str(if negated {
            " (and is present)"
        } else {
            " (or is absent)"
        });
    }
    out
}

/// An operator's meaning: the phrase when it holds and when it does not.
struct Predicate {
    holds: String,
    fails: String,
}

impl Predicate {
    fn of(operator: &str, values: &[String]) -> Option<Predicate> {
        let some = list(values);
        let pair = |holds: &str, fails: &str| Predicate {
            holds: format!("{holds} {some}"),
            fails: format!("{fails} {some}"),
        };
        let flipped = |predicate: Predicate| Predicate {
            holds: predicate.fails,
            fails: predicate.holds,
        };
        let equal = || {
            if values.len() == 1 {
                pair("is", "is not")
            } else {
                pair("is one of", "is none of")
            }
        };
        let like = || {
            if values.len() == 1 {
                pair("matches", "does not match")
            } else {
                pair("matches one of", "matches none of")
            }
        };
        Some(match operator {
            "StringEquals"
            | "StringEqualsIgnoreCase"
            | "ArnEquals"
            | "NumericEquals"
            | "DateEquals"
            | "BinaryEquals" => equal(),
            "StringNotEquals"
            | "StringNotEqualsIgnoreCase"
            | "ArnNotEquals"
            | "NumericNotEquals"
            | "DateNotEquals" => flipped(equal()),
            "StringLike" | "ArnLike" => like(),
            "StringNotLike" | "ArnNotLike" => flipped(like()),
            "NumericLessThan" => pair("is less than", "is at least"),
            "NumericLessThanEquals" => pair("is at most", "is more than"),
            "NumericGreaterThan" => pair("is more than", "is at most"),
            "NumericGreaterThanEquals" => pair("is at least", "is less than"),
            "DateLessThan" => pair("is before", "is at or after"),
            "DateLessThanEquals" => pair("is at or before", "is after"),
            "DateGreaterThan" => pair("is after", "is at or before"),
            "DateGreaterThanEquals" => pair("is at or after", "is before"),
            "IpAddress" => pair("is in", "is not in"),
            "NotIpAddress" => pair("is not in", "is in"),
            "Bool" => pair("is", "is not"),
            "Null" => match values.first().map(String::as_str) {
                Some("true") => Predicate {
                    holds: "is absent".to_owned(),
                    fails: "is present".to_owned(),
                },
                Some("false") => Predicate {
                    holds: "is present".to_owned(),
                    fails: "is absent".to_owned(),
                },
                _ => return None,
            },
            _ => return None,
        })
    }

    fn words(self, holds: bool) -> String {
        if holds { self.holds } else { self.fails }
    }
}

/// Values as a list: `` `a` ``, `` `a`, `b` ``.
fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|value| format!("`{value}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
