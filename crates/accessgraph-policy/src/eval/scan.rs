//! Matching statements against a request, one policy layer at a time
//! (iam-semantics.md §1.2 "statement applies").
//!
//! Hits borrow the statements they matched; citations and unresolved conditions are built only
//! for the hits a decision reports, so the hot path allocates only when a statement matches.

use super::outcome::{Citation, Layer, Unresolved};
use crate::condition::Condition;
use crate::document::principal::{NamedAs, not_principal_exempts};
use crate::document::{Effect, PrincipalSet, ResourceMatcher, ResourcePattern, Statement};
use crate::pattern::{ArnGlob, Resolved};
use crate::policy::Policy;
use crate::request::Env;
use crate::tri::Tri;

/// How well a statement names the caller, per [`NamedAs`] class: `[account, role, direct]`.
pub(crate) type Named = [Tri; 3];

const ALL_NAMED: Named = [Tri::True, Tri::True, Tri::True];

/// Why a statement matched only conditionally.
#[derive(Debug, Clone)]
enum Unknown<'p> {
    /// A condition clause on a key the snapshot cannot know.
    Condition(&'p Condition),
    /// A variable in a resource pattern on such a key.
    Variable(&'p ResourcePattern, Box<str>),
    /// A `Principal` entry naming one role session whose name is not known.
    SessionName(&'p PrincipalSet),
}

/// A statement that matched (definitely or conditionally).
#[derive(Debug, Clone)]
pub(crate) struct Hit<'p> {
    policy: &'p Policy,
    statement: &'p Statement,
    /// Match of action, resource and conditions.
    tri: Tri,
    /// Principal match per class (all true for policies without `Principal`).
    named: Named,
    unknown: Vec<Unknown<'p>>,
}

impl Hit<'_> {
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

    /// The statement's effect.
    pub(crate) fn effect(&self) -> Effect {
        self.statement.effect()
    }

    /// Whether the statement matched only under unresolved conditions.
    pub(crate) fn is_conditional(&self) -> bool {
        self.tri == Tri::Unknown || self.named.iter().all(|tri| *tri != Tri::True)
    }

    /// The citation of this statement.
    pub(crate) fn citation(&self, layer: &Layer) -> Citation {
        Citation {
            layer: layer.clone(),
            policy: self.policy.label().clone(),
            statement: self.statement.index(),
            sid: self.statement.sid().cloned(),
            effect: self.statement.effect(),
            conditional: self.is_conditional(),
        }
    }

    /// The conditions that left this statement unresolved.
    pub(crate) fn unresolved(&self, layer: &Layer) -> impl Iterator<Item = Unresolved> + '_ {
        let citation = Citation {
            conditional: true,
            ..self.citation(layer)
        };
        self.unknown.iter().map(move |unknown| {
            let (operator, key, values) = match unknown {
                Unknown::Condition(condition) => (
                    condition.operator().to_owned(),
                    condition.key().to_owned(),
                    condition.values().to_vec(),
                ),
                Unknown::Variable(pattern, key) => (
                    "Resource".to_owned(),
                    format!("${{{key}}}"),
                    vec![pattern.as_str().to_owned()],
                ),
                Unknown::SessionName(set) => (
                    "Principal".to_owned(),
                    "session name".to_owned(),
                    set.entries()
                        .iter()
                        .map(|entry| entry.as_str().to_owned())
                        .collect(),
                ),
            };
            Unresolved {
                citation: citation.clone(),
                operator,
                key,
                values,
            }
        })
    }
}

/// The statements of one layer that matched.
#[derive(Debug, Clone)]
pub(crate) struct LayerHits<'p> {
    pub(crate) layer: Layer,
    pub(crate) hits: Vec<Hit<'p>>,
}

impl<'p> LayerHits<'p> {
    /// Scans policies of a layer. `with_principal` is true for the resource layer, where a
    /// statement without `Principal` names nobody.
    pub(crate) fn scan(
        layer: Layer,
        policies: impl IntoIterator<Item = impl Into<Option<&'p Policy>>>,
        env: &Env<'_>,
        with_principal: bool,
    ) -> LayerHits<'p> {
        let mut hits = Vec::new();
        let action = env.request().action;
        for policy in policies.into_iter().filter_map(Into::into) {
            for statement in policy.document().statements_for(action) {
                if let Some(hit) = match_statement(policy, statement, env, with_principal) {
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
            .filter(|hit| hit.effect() == effect)
            .fold(Tri::False, |acc, hit| {
                acc.or(match class {
                    Some(class) => hit.tri_as(class),
                    None => hit.tri_any(),
                })
            })
    }
}

fn match_statement<'p>(
    policy: &'p Policy,
    statement: &'p Statement,
    env: &Env<'_>,
    with_principal: bool,
) -> Option<Hit<'p>> {
    let request = env.request();
    if !statement.matches_action(request.action.lower()) {
        return None;
    }
    let mut unknown = Vec::new();
    let mut tri = Tri::True;
    if let Some(resources) = statement.resources() {
        tri = if request.resource.is_pattern() {
            pattern_match(statement, resources, env, &mut unknown)
        } else {
            let mut any = Tri::False;
            for pattern in resources.patterns() {
                let matched = match pattern.matcher() {
                    ResourceMatcher::Static(glob) => {
                        Tri::from(glob.matches_split(request.resource.arn(), env.resource_parts()))
                    }
                    ResourceMatcher::Dynamic(template) => match template.resolve(env) {
                        Resolved::Elems(elems) => Tri::from(
                            ArnGlob::from_elems(elems)
                                .matches_split(request.resource.arn(), env.resource_parts()),
                        ),
                        Resolved::Absent => Tri::False,
                        Resolved::Unknown(key) => {
                            unknown.push(Unknown::Variable(pattern, key));
                            Tri::Unknown
                        }
                    },
                };
                any = any.or(matched);
                if any.is_true() {
                    break;
                }
            }
            if resources.is_negated() { !any } else { any }
        };
    }
    if tri == Tri::False {
        return None;
    }
    let named = match (statement.principals(), with_principal) {
        (_, false) => ALL_NAMED,
        (None, true) => return None,
        (Some(set), true) => {
            let named = principal_named(set, env, statement.effect());
            if named.contains(&Tri::Unknown) {
                unknown.push(Unknown::SessionName(set));
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
            unknown.push(Unknown::Condition(condition));
        }
        tri = tri.and(result);
        if tri == Tri::False {
            return None;
        }
    }
    Some(Hit {
        policy,
        statement,
        tri,
        named,
        unknown,
    })
}

/// Whether a statement's `Resource` / `NotResource` applies to a request that names its resource
/// by a pattern (some resource it names): an allow applies when it grants some of them; a deny
/// applies when it denies all of them, and leaves the answer unresolved when it denies only some.
fn pattern_match<'p>(
    statement: &'p Statement,
    resources: &'p crate::document::Matchers<ResourcePattern>,
    env: &Env<'_>,
    unknown: &mut Vec<Unknown<'p>>,
) -> Tri {
    let requested = env.request().resource.arn();
    let (mut intersects, mut covers) = (Tri::False, Tri::False);
    for pattern in resources.patterns() {
        let (some, all) = match pattern.matcher() {
            ResourceMatcher::Static(glob) => glob.relate(requested),
            ResourceMatcher::Dynamic(template) => match template.resolve(env) {
                Resolved::Elems(elems) => ArnGlob::from_elems(elems).relate(requested),
                Resolved::Absent => (false, false),
                Resolved::Unknown(key) => {
                    unknown.push(Unknown::Variable(pattern, key));
                    intersects = intersects.or(Tri::Unknown);
                    covers = covers.or(Tri::Unknown);
                    continue;
                }
            },
        };
        intersects = intersects.or(Tri::from(some));
        covers = covers.or(Tri::from(all));
    }
    // Some but not all of the requested resources: a deny of those is undecided.
    let partly = |covers: Tri, intersects: Tri| covers.or(intersects.and(Tri::Unknown));
    match (statement.effect(), resources.is_negated()) {
        (Effect::Allow, false) => intersects,
        (Effect::Deny, false) => partly(covers, intersects),
        // The requested resources outside the listed ones: none when a listed pattern covers
        // them all, all when none is listed, else some (for a deny: undecided).
        (_, true) => (!covers).and((!intersects).or(Tri::Unknown)),
    }
}

/// Per-class principal match of a `Principal` / `NotPrincipal` element.
fn principal_named(set: &PrincipalSet, env: &Env<'_>, effect: Effect) -> Named {
    let principal = env.request().principal;
    if set.is_negated() {
        // A `NotPrincipal` deny always names a caller with a permissions boundary
        // (IAM/reference_policies_elements_notprincipal.html); otherwise it names everyone it
        // does not exempt, as directly as `*` does.
        if effect == Effect::Deny && env.has_boundary() {
            return [Tri::False, Tri::False, Tri::True];
        }
        return [
            Tri::False,
            Tri::False,
            !not_principal_exempts(set.entries(), principal),
        ];
    }
    let mut named = [Tri::False; 3];
    for entry in set.entries() {
        if let Some((class, tri)) = entry.names(principal) {
            if let Some(slot) = named.get_mut(class as usize) {
                *slot = slot.or(tri);
            }
        }
    }
    named
}
