//! Matching statements against a request, one policy layer at a time
//! (iam-semantics.md §1.2 "statement applies").

use std::sync::Arc;

use super::outcome::{Citation, Layer, Unresolved};
use crate::document::principal::NamedAs;
use crate::document::{Effect, PrincipalSet, ResourceMatcher, Statement};
use crate::pattern::{ArnGlob, Resolved};
use crate::policy::Policy;
use crate::request::Env;
use crate::tri::Tri;

/// How well a statement names the caller, per [`NamedAs`] class: `[account, role, direct]`.
pub(crate) type Named = [Tri; 3];

const ALL_NAMED: Named = [Tri::True, Tri::True, Tri::True];

/// A statement that matched (definitely or conditionally).
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) citation: Citation,
    /// Match of action, resource and conditions.
    pub(crate) tri: Tri,
    /// Principal match per class (all true for policies without `Principal`).
    pub(crate) named: Named,
    pub(crate) unresolved: Vec<Unresolved>,
}

impl Hit {
    /// The match restricted to one naming class.
    pub(crate) fn tri_as(&self, class: NamedAs) -> Tri {
        self.tri.and(
            self.named
                .get(class as usize)
                .copied()
                .unwrap_or(Tri::False),
        )
    }

    /// The match for any naming class.
    pub(crate) fn tri_any(&self) -> Tri {
        self.tri
            .and(self.named.iter().fold(Tri::False, |acc, tri| acc.or(*tri)))
    }
}

/// The statements of one layer that matched.
#[derive(Debug, Clone)]
pub(crate) struct LayerHits {
    pub(crate) layer: Layer,
    pub(crate) hits: Vec<Hit>,
}

impl LayerHits {
    /// Scans policies of a layer. `with_principal` is true for the resource layer, where a
    /// statement without `Principal` names nobody.
    pub(crate) fn scan<'p>(
        layer: Layer,
        policies: impl IntoIterator<Item = &'p Policy>,
        env: &Env<'_>,
        with_principal: bool,
    ) -> LayerHits {
        let mut hits = Vec::new();
        for policy in policies {
            for statement in policy.document().statements() {
                if let Some(hit) =
                    match_statement(&layer, policy.label(), statement, env, with_principal)
                {
                    hits.push(hit);
                }
            }
        }
        LayerHits { layer, hits }
    }

    /// Allow statements, per class or for any class.
    pub(crate) fn allow(&self, class: Option<NamedAs>) -> Tri {
        self.fold(Effect::Allow, class)
    }

    /// Deny statements naming the caller in any way.
    pub(crate) fn deny(&self) -> Tri {
        self.fold(Effect::Deny, None)
    }

    fn fold(&self, effect: Effect, class: Option<NamedAs>) -> Tri {
        self.hits
            .iter()
            .filter(|hit| hit.citation.effect == effect)
            .fold(Tri::False, |acc, hit| {
                acc.or(match class {
                    Some(class) => hit.tri_as(class),
                    None => hit.tri_any(),
                })
            })
    }
}

fn match_statement(
    layer: &Layer,
    label: &Arc<str>,
    statement: &Statement,
    env: &Env<'_>,
    with_principal: bool,
) -> Option<Hit> {
    let request = env.request();
    if !statement.matches_action(request.action.lower()) {
        return None;
    }
    let citation = |conditional: bool| Citation {
        layer: layer.clone(),
        policy: label.clone(),
        statement: statement.index(),
        sid: statement.sid().cloned(),
        effect: statement.effect(),
        conditional,
    };
    let mut unresolved: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut tri = Tri::True;
    if let Some(resources) = statement.resources() {
        let mut any = Tri::False;
        for pattern in resources.patterns() {
            let matched = match pattern.matcher() {
                ResourceMatcher::Static(glob) => Tri::from(glob.matches(request.resource.arn())),
                ResourceMatcher::Dynamic(template) => match template.resolve(env) {
                    Resolved::Elems(elems) => {
                        Tri::from(ArnGlob::from_elems(elems).matches(request.resource.arn()))
                    }
                    Resolved::Absent => Tri::False,
                    Resolved::Unknown(key) => {
                        unresolved.push((
                            "Resource".into(),
                            format!("${{{key}}}"),
                            vec![pattern.as_str().into()],
                        ));
                        Tri::Unknown
                    }
                },
            };
            any = any.or(matched);
            if any.is_true() {
                break;
            }
        }
        tri = if resources.is_negated() { !any } else { any };
    }
    if tri == Tri::False {
        return None;
    }
    let named = match (statement.principals(), with_principal) {
        (_, false) => ALL_NAMED,
        (None, true) => return None,
        (Some(set), true) => {
            let named = principal_named(set, env);
            if named.contains(&Tri::Unknown) {
                let entries = set
                    .entries()
                    .iter()
                    .map(|entry| entry.as_str().to_owned())
                    .collect();
                unresolved.push(("Principal".into(), "session name".into(), entries));
            }
            named
        }
    };
    if named.iter().all(|tri| *tri == Tri::False) {
        return None;
    }
    for condition in statement.conditions() {
        let result = condition.evaluate(env);
        if result == Tri::Unknown {
            unresolved.push((
                condition.operator().to_owned(),
                condition.key().to_owned(),
                condition.values().to_vec(),
            ));
        }
        tri = tri.and(result);
        if tri == Tri::False {
            return None;
        }
    }
    let conditional = tri == Tri::Unknown || named.iter().all(|tri| *tri != Tri::True);
    let unresolved = unresolved
        .into_iter()
        .map(|(operator, key, values)| Unresolved {
            citation: citation(true),
            operator,
            key,
            values,
        })
        .collect();
    Some(Hit {
        citation: citation(conditional),
        tri,
        named,
        unresolved,
    })
}

/// Per-class principal match of a `Principal` / `NotPrincipal` element.
fn principal_named(set: &PrincipalSet, env: &Env<'_>) -> Named {
    let principal = env.request().principal;
    let mut named = [Tri::False; 3];
    for entry in set.entries() {
        if let Some((class, tri)) = entry.names(principal) {
            if let Some(slot) = named.get_mut(class as usize) {
                *slot = slot.or(tri);
            }
        }
    }
    if set.is_negated() {
        let any = named.iter().fold(Tri::False, |acc, tri| acc.or(*tri));
        // `NotPrincipal` names everyone it does not list, as directly as `*` does.
        return [Tri::False, Tri::False, !any];
    }
    named
}
