//! Matching statements against a request, one policy layer at a time
//! (iam-semantics.md §1.2 "statement applies").
//!
//! Hits borrow the statements they matched; citations and unresolved conditions are built only
//! for the hits a decision reports, so the hot path allocates only when a statement matches.

use super::outcome::{Citation, Layer, Unresolved};
use crate::condition::Condition;
use crate::document::principal::{NamedAs, not_principal_exempts};
use crate::document::{Effect, PrincipalSet, ResourceMatcher, ResourcePattern, Statement};
use crate::expr::{Clause, Expr, Logic};
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
    /// A request naming its resource by a pattern that the statement's `Resource` /
    /// `NotResource` covers only in part (or through an unknown variable).
    Pattern(&'p crate::document::Matchers<ResourcePattern>),
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

impl<'p> Hit<'p> {
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
            via: self.policy.via().cloned(),
        }
    }

    /// The unresolved parts of this match.
    pub(crate) fn clauses<'s>(
        &'s self,
        layer: &'s Layer,
    ) -> impl Iterator<Item = HitClause<'s, 'p>> + 's {
        self.unknown.iter().map(move |unknown| HitClause {
            layer,
            hit: self,
            unknown,
        })
    }

    /// The formula under which the statement applies, for one naming class or any: its
    /// resource part, the principal part and every unresolved condition clause.
    pub(crate) fn expr<'s>(
        &'s self,
        layer: &'s Layer,
        class: Option<NamedAs>,
    ) -> Expr<HitClause<'s, 'p>> {
        let named = match class {
            Some(class) => self
                .named
                .get(class as usize)
                .copied()
                .unwrap_or(Tri::False),
            None => self.named.iter().fold(Tri::False, |acc, tri| acc.or(*tri)),
        };
        if named == Tri::False {
            return Expr::Const(false);
        }
        if self.unknown.is_empty() {
            return Expr::Const(true);
        }
        let term = |unknown| Expr::Term {
            term: HitClause {
                layer,
                hit: self,
                unknown,
            },
            negated: false,
        };
        let negated = self
            .statement
            .resources()
            .is_some_and(crate::document::Matchers::is_negated);
        let mut resource: Option<Expr<HitClause<'s, 'p>>> = None;
        let mut principal = Expr::Const(true);
        let mut clauses = Vec::new();
        for unknown in &self.unknown {
            match unknown {
                Unknown::Pattern(_) => resource = Some(term(unknown)),
                Unknown::Variable(..) => {
                    let part = resource.take().unwrap_or(Expr::Const(negated));
                    resource = Some(if negated {
                        part.and(!term(unknown))
                    } else {
                        part.or(term(unknown))
                    });
                }
                Unknown::SessionName(_) if named == Tri::Unknown => principal = term(unknown),
                Unknown::SessionName(_) => {}
                Unknown::Condition(_) => clauses.push(term(unknown)),
            }
        }
        match (resource, principal, clauses.len()) {
            // The common case: one conditional clause.
            (None, Expr::Const(true), 1) => clauses.pop().unwrap_or(Expr::Const(true)),
            (resource, principal, _) => {
                Expr::all(resource.into_iter().chain([principal]).chain(clauses))
            }
        }
    }
}

/// One unresolved part of a hit, borrowed: the evaluator builds and simplifies formulas over
/// these, and makes owned [`Unresolved`] clauses only of what the simplified formula keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HitClause<'s, 'p> {
    layer: &'s Layer,
    hit: &'s Hit<'p>,
    unknown: &'s Unknown<'p>,
}

impl HitClause<'_, '_> {
    /// The cited clause.
    pub(crate) fn to_unresolved(self) -> Unresolved {
        let citation = Citation {
            conditional: true,
            ..self.hit.citation(self.layer)
        };
        unresolved(citation, self.unknown)
    }

    /// Whether both are the same part of the same statement match.
    pub(crate) fn is(&self, other: &Self) -> bool {
        std::ptr::eq(self.hit, other.hit) && std::ptr::eq(self.unknown, other.unknown)
    }
}

impl Clause for HitClause<'_, '_> {
    fn same_clause(&self, other: &Self) -> bool {
        match (self.unknown, other.unknown) {
            (Unknown::Condition(a), Unknown::Condition(b)) => {
                a.operator() == b.operator() && a.key() == b.key() && a.values() == b.values()
            }
            (Unknown::Variable(a, key_a), Unknown::Variable(b, key_b)) => {
                key_a == key_b && a.as_str() == b.as_str()
            }
            (Unknown::SessionName(a), Unknown::SessionName(b)) => {
                std::ptr::eq(*a, *b)
                    || a.entries()
                        .iter()
                        .map(|e| e.as_str())
                        .eq(b.entries().iter().map(|e| e.as_str()))
            }
            (Unknown::Pattern(a), Unknown::Pattern(b)) => {
                std::ptr::eq(*a, *b)
                    || (a.is_negated() == b.is_negated()
                        && a.patterns()
                            .iter()
                            .map(|p| p.as_str())
                            .eq(b.patterns().iter().map(|p| p.as_str())))
            }
            _ => false,
        }
    }
}

/// One unresolved part of a statement, cited.
fn unresolved(citation: Citation, unknown: &Unknown<'_>) -> Unresolved {
    let (operator, key, values) = match unknown {
        Unknown::Condition(condition) => return Unresolved::clause(citation, condition),
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
        Unknown::Pattern(resources) => (
            if resources.is_negated() {
                "NotResource"
            } else {
                "Resource"
            }
            .to_owned(),
            "the requested resources".to_owned(),
            resources
                .patterns()
                .iter()
                .map(|pattern| pattern.as_str().to_owned())
                .collect(),
        ),
    };
    Unresolved {
        citation,
        operator,
        key,
        values,
    }
}

/// Statement matches folded in a logic: truth values, or formulas over the hits' clauses.
pub(crate) trait HitLogic<'s, 'p: 's>: Logic {
    /// Whether folds first try truth values and build this logic's value only when the truth
    /// value is unknown (for formulas: most folds are settled, and cost nothing then).
    const SETTLE_FIRST: bool;
    /// The match of one hit, for one naming class or any.
    fn of_hit(hit: &'s Hit<'p>, layer: &'s Layer, class: Option<NamedAs>) -> Self;
}

impl<'s, 'p: 's> HitLogic<'s, 'p> for Tri {
    const SETTLE_FIRST: bool = false;

    fn of_hit(hit: &'s Hit<'p>, _layer: &'s Layer, class: Option<NamedAs>) -> Tri {
        match class {
            Some(class) => hit.tri_as(class),
            None => hit.tri_any(),
        }
    }
}

impl<'s, 'p: 's> HitLogic<'s, 'p> for Expr<HitClause<'s, 'p>> {
    const SETTLE_FIRST: bool = true;

    fn of_hit(hit: &'s Hit<'p>, layer: &'s Layer, class: Option<NamedAs>) -> Self {
        hit.expr(layer, class)
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
    pub(crate) fn allow<'s, L: HitLogic<'s, 'p>>(&'s self, class: Option<NamedAs>) -> L {
        self.fold(Effect::Allow, class)
    }

    /// Deny statements naming the caller in any way.
    pub(crate) fn deny<'s, L: HitLogic<'s, 'p>>(&'s self) -> L {
        self.fold(Effect::Deny, None)
    }

    fn fold<'s, L: HitLogic<'s, 'p>>(&'s self, effect: Effect, class: Option<NamedAs>) -> L {
        if L::SETTLE_FIRST {
            if let Some(value) = self.fold::<Tri>(effect, class).known() {
                return L::constant(value);
            }
        }
        self.hits
            .iter()
            .filter(|hit| hit.effect() == effect)
            .fold(L::constant(false), |acc, hit| {
                acc.or(L::of_hit(hit, &self.layer, class))
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
            let tri = pattern_match(statement, resources, env);
            if tri == Tri::Unknown {
                unknown.push(Unknown::Pattern(resources));
            }
            tri
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
        // Variables of patterns that did not decide the match are not conditions of it.
        if tri == Tri::True {
            unknown.clear();
        }
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
fn pattern_match(
    statement: &Statement,
    resources: &crate::document::Matchers<ResourcePattern>,
    env: &Env<'_>,
) -> Tri {
    let requested = env.request().resource.arn();
    let (mut intersects, mut covers) = (Tri::False, Tri::False);
    for pattern in resources.patterns() {
        let (some, all) = match pattern.matcher() {
            ResourceMatcher::Static(glob) => glob.relate(requested),
            ResourceMatcher::Dynamic(template) => match template.resolve(env) {
                Resolved::Elems(elems) => ArnGlob::from_elems(elems).relate(requested),
                Resolved::Absent => (false, false),
                Resolved::Unknown(_) => {
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
