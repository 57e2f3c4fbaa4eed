//! The allowed-condition expression: under which values of what a snapshot cannot know a request
//! is allowed (issue 23, item 12).
//!
//! An [`Expr`] is a formula over *terms*: condition clauses ([`Unresolved`], tagged with the
//! statement and policy layer they come from; a formula names them by their position in the
//! list of conditions it comes with) and facts that are not statements (the resource's owner,
//! an unconfirmed prerequisite). It is built by running the evaluation algorithm over
//! formulas instead of truth values, so it says exactly what the three-valued decision says, and
//! then simplified: constants folded, nested `all`/`any` flattened, repeated terms merged,
//! `x and not x` is `false`, `x or not x` is `true`, and absorbed branches dropped. A `Deny`'s
//! clause appears negated (the request is allowed when the deny does *not* apply).
//!
//! Two terms are the same when their operator, key and values are: one request gives them one
//! truth value, whichever statement they come from.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::eval::Unresolved;
use crate::tri::Tri;

/// A formula over unresolved conditions; a term is the position of its clause in the list of
/// conditions the formula comes with (`T = usize`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr<T = usize> {
    /// Always true or always false.
    Const(bool),
    /// One condition clause of a statement (or principal / resource element) that holds or not.
    Term {
        /// The clause (its position in the conditions list).
        term: T,
        /// Whether the formula needs the clause *not* to hold.
        negated: bool,
    },
    /// A fact that is not a statement's clause, e.g. "the resource's owner is account X".
    Fact {
        /// The fact, in words.
        fact: Arc<str>,
        /// Whether the formula needs it *not* to hold.
        negated: bool,
    },
    /// Every sub-formula holds.
    All(Vec<Expr<T>>),
    /// Some sub-formula holds.
    Any(Vec<Expr<T>>),
}

/// A clause type of a formula that can tell whether two clauses are one predicate.
pub trait Clause: Clone {
    /// Whether two clauses are one predicate of the request.
    fn same_clause(&self, other: &Self) -> bool;
}

impl Clause for &Unresolved {
    fn same_clause(&self, other: &Self) -> bool {
        same_clause(self, other)
    }
}

/// A leaf of a formula, as [`Expr::decide`] asks about it.
#[derive(Debug, Clone, Copy)]
pub enum Leaf<'a> {
    /// A clause.
    Term(&'a Unresolved),
    /// A fact.
    Fact(&'a str),
}

impl Expr {
    /// Whether the formula is a constant.
    #[must_use]
    pub fn as_const(&self) -> Option<bool> {
        match self {
            Expr::Const(value) => Some(*value),
            _ => None,
        }
    }

    /// The formula over the clauses themselves (a position outside `terms` becomes a fact
    /// saying so, never a silent `true`).
    #[must_use]
    pub fn resolve<'a>(&self, terms: &'a [Unresolved]) -> Expr<&'a Unresolved> {
        match self {
            Expr::Const(value) => Expr::Const(*value),
            Expr::Term { term, negated } => match terms.get(*term) {
                Some(clause) => Expr::Term {
                    term: clause,
                    negated: *negated,
                },
                None => Expr::Fact {
                    fact: format!("condition #{term}, which the answer does not list").into(),
                    negated: *negated,
                },
            },
            Expr::Fact { fact, negated } => Expr::Fact {
                fact: fact.clone(),
                negated: *negated,
            },
            Expr::All(parts) => Expr::All(parts.iter().map(|part| part.resolve(terms)).collect()),
            Expr::Any(parts) => Expr::Any(parts.iter().map(|part| part.resolve(terms)).collect()),
        }
    }

    /// Evaluates the formula given a truth value for some leaves (for tests and what-if
    /// questions): `decide` answers for a clause of `terms` or a fact as written (not negated),
    /// `None` leaves it unknown.
    #[must_use]
    pub fn decide(&self, terms: &[Unresolved], decide: &impl Fn(Leaf<'_>) -> Option<bool>) -> Tri {
        let signed = |value: Option<bool>, negated: bool| match value {
            Some(value) => Tri::from(value != negated),
            None => Tri::Unknown,
        };
        match self {
            Expr::Const(value) => Tri::from(*value),
            Expr::Term { term, negated } => match terms.get(*term) {
                Some(clause) => signed(decide(Leaf::Term(clause)), *negated),
                None => Tri::Unknown,
            },
            Expr::Fact { fact, negated } => signed(decide(Leaf::Fact(fact)), *negated),
            Expr::All(parts) => parts
                .iter()
                .fold(Tri::True, |acc, part| acc.and(part.decide(terms, decide))),
            Expr::Any(parts) => parts
                .iter()
                .fold(Tri::False, |acc, part| acc.or(part.decide(terms, decide))),
        }
    }

    /// The formula with its clauses as written in policies (`NOT aws:RequestedRegion
    /// StringNotEquals [...] [SCPs at `r-1`]`), taken from `terms`.
    #[must_use]
    pub fn display<'a>(&'a self, terms: &'a [Unresolved]) -> impl fmt::Display + 'a {
        Shown {
            expr: self,
            terms,
            words: false,
        }
    }

    /// The formula in words, each clause with the policy statement it comes from
    /// (`` `aws:RequestedRegion` is one of `us-east-1` (SCP `p-1` at `r-1`, statement 0) ``).
    #[must_use]
    pub fn words<'a>(&'a self, terms: &'a [Unresolved]) -> impl fmt::Display + 'a {
        Shown {
            expr: self,
            terms,
            words: true,
        }
    }
}

/// A formula with its conditions list, for display.
struct Shown<'a> {
    expr: &'a Expr,
    terms: &'a [Unresolved],
    words: bool,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.resolve(self.terms).write(f, true, self.words)
    }
}

impl<T: Clause> Expr<T> {
    /// Both hold (constants folded).
    #[must_use]
    pub fn and(self, other: Expr<T>) -> Expr<T> {
        match (self, other) {
            (Expr::Const(false), _) | (_, Expr::Const(false)) => Expr::Const(false),
            (Expr::Const(true), other) | (other, Expr::Const(true)) => other,
            (a, b) => Expr::All(vec![a, b]),
        }
    }

    /// Either holds (constants folded).
    #[must_use]
    pub fn or(self, other: Expr<T>) -> Expr<T> {
        match (self, other) {
            (Expr::Const(true), _) | (_, Expr::Const(true)) => Expr::Const(true),
            (Expr::Const(false), other) | (other, Expr::Const(false)) => other,
            (a, b) => Expr::Any(vec![a, b]),
        }
    }

    /// Every formula of `parts` holds.
    #[must_use]
    pub fn all(parts: impl IntoIterator<Item = Expr<T>>) -> Expr<T> {
        Expr::All(parts.into_iter().collect()).simplify()
    }

    /// The simplified formula (see the module documentation).
    #[must_use]
    pub fn simplify(self) -> Expr<T> {
        match self {
            Expr::All(parts) => junction(parts, true),
            Expr::Any(parts) => junction(parts, false),
            leaf => leaf,
        }
    }

    /// Whether two formulas are the same, comparing clauses by operator, key and values.
    pub(crate) fn same(&self, other: &Expr<T>) -> bool {
        match (self, other) {
            (Expr::Const(a), Expr::Const(b)) => a == b,
            (
                Expr::Term {
                    term: a,
                    negated: na,
                },
                Expr::Term {
                    term: b,
                    negated: nb,
                },
            ) => na == nb && a.same_clause(b),
            (
                Expr::Fact {
                    fact: a,
                    negated: na,
                },
                Expr::Fact {
                    fact: b,
                    negated: nb,
                },
            ) => na == nb && a == b,
            (Expr::All(a), Expr::All(b)) | (Expr::Any(a), Expr::Any(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.same(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.same(y)))
            }
            _ => false,
        }
    }

    /// Whether `self` is `other` negated (leaves only).
    fn opposes(&self, other: &Expr<T>) -> bool {
        match (self, other) {
            (
                Expr::Term {
                    term: a,
                    negated: na,
                },
                Expr::Term {
                    term: b,
                    negated: nb,
                },
            ) => na != nb && a.same_clause(b),
            (
                Expr::Fact {
                    fact: a,
                    negated: na,
                },
                Expr::Fact {
                    fact: b,
                    negated: nb,
                },
            ) => na != nb && a == b,
            _ => false,
        }
    }

    /// The parts of a junction of the given kind, or the formula itself as a one-part junction.
    fn parts_of(&self, conjunction: bool) -> &[Expr<T>] {
        match (self, conjunction) {
            (Expr::All(parts), true) | (Expr::Any(parts), false) => parts,
            _ => std::slice::from_ref(self),
        }
    }
}

/// Whether two clauses are one predicate of the request.
fn same_clause(a: &Unresolved, b: &Unresolved) -> bool {
    a.operator == b.operator && a.key == b.key && a.values == b.values
}

/// Simplifies a conjunction (`conjunction`) or disjunction of `parts`.
fn junction<T: Clause>(parts: Vec<Expr<T>>, conjunction: bool) -> Expr<T> {
    // The absorbing constant (`false` for all, `true` for any) and the neutral one.
    let absorbing = Expr::Const(!conjunction);
    let mut flat: Vec<Expr<T>> = Vec::with_capacity(parts.len());
    let mut pending = parts;
    pending.reverse();
    while let Some(part) = pending.pop() {
        // Same-kind junctions are flattened before their parts are simplified.
        let part = match (part, conjunction) {
            (Expr::All(inner), true) | (Expr::Any(inner), false) => {
                pending.extend(inner.into_iter().rev());
                continue;
            }
            (part, _) => part.simplify(),
        };
        match (part, conjunction) {
            (Expr::Const(value), _) if value == conjunction => {}
            (Expr::Const(_), _) => return absorbing,
            (Expr::All(inner), true) | (Expr::Any(inner), false) => {
                pending.extend(inner.into_iter().rev());
            }
            (part, _) => {
                if flat.iter().any(|seen| seen.opposes(&part)) {
                    return absorbing;
                }
                if !flat.iter().any(|seen| seen.same(&part)) {
                    flat.push(part);
                }
            }
        }
    }
    // Absorption: `a and (a or b)` is `a`; `a or (a and b)` is `a`. A part is dropped when the
    // parts of another one (as the opposite junction) are all among its own. Only dual
    // junctions can be absorbed (distinct leaves never absorb each other).
    let dual = !conjunction;
    let is_dual =
        |part: &Expr<T>| matches!((part, dual), (Expr::All(_), true) | (Expr::Any(_), false));
    if flat.iter().any(is_dual) {
        let absorbed: Vec<bool> = flat
            .iter()
            .enumerate()
            .map(|(index, part)| {
                let mine = part.parts_of(dual);
                is_dual(part)
                    && flat.iter().enumerate().any(|(other_index, other)| {
                        if other_index == index {
                            return false;
                        }
                        let theirs = other.parts_of(dual);
                        let within = theirs.iter().all(|x| mine.iter().any(|y| x.same(y)));
                        // Equal sets: keep the first.
                        within && (theirs.len() < mine.len() || other_index < index)
                    })
            })
            .collect();
        let mut flags = absorbed.into_iter();
        flat.retain(|_| !flags.next().unwrap_or(false));
    }
    match flat.len() {
        0 => Expr::Const(conjunction),
        1 => flat.pop().unwrap_or(Expr::Const(conjunction)),
        _ if conjunction => Expr::All(flat),
        _ => Expr::Any(flat),
    }
}

impl<T> Expr<T> {
    /// A fact that must hold.
    #[must_use]
    pub fn fact(fact: impl Into<Arc<str>>) -> Expr<T> {
        Expr::Fact {
            fact: fact.into(),
            negated: false,
        }
    }

    /// The same formula over other clauses.
    pub(crate) fn map<U>(self, clause: &mut impl FnMut(T) -> U) -> Expr<U> {
        match self {
            Expr::Const(value) => Expr::Const(value),
            Expr::Term { term, negated } => Expr::Term {
                term: clause(term),
                negated,
            },
            Expr::Fact { fact, negated } => Expr::Fact { fact, negated },
            Expr::All(parts) => Expr::All(parts.into_iter().map(|part| part.map(clause)).collect()),
            Expr::Any(parts) => Expr::Any(parts.into_iter().map(|part| part.map(clause)).collect()),
        }
    }
}

impl<T> std::ops::Not for Expr<T> {
    type Output = Expr<T>;

    /// Negation, pushed down to the leaves (De Morgan).
    fn not(self) -> Expr<T> {
        match self {
            Expr::Const(value) => Expr::Const(!value),
            Expr::Term { term, negated } => Expr::Term {
                term,
                negated: !negated,
            },
            Expr::Fact { fact, negated } => Expr::Fact {
                fact,
                negated: !negated,
            },
            Expr::All(parts) => Expr::Any(parts.into_iter().map(|part| !part).collect()),
            Expr::Any(parts) => Expr::All(parts.into_iter().map(|part| !part).collect()),
        }
    }
}

impl Expr<&Unresolved> {
    fn write(&self, f: &mut fmt::Formatter<'_>, top: bool, words: bool) -> fmt::Result {
        let not = |negated: bool| match (negated, words) {
            (false, _) => "",
            (true, false) => "NOT ",
            (true, true) => "not: ",
        };
        match self {
            Expr::Const(value) => write!(f, "{value}"),
            Expr::Term { term, negated } if words => write!(
                f,
                "{} (from {})",
                crate::words::clause(term, *negated),
                crate::words::statement(&term.citation)
            ),
            Expr::Term { term, negated } => write!(
                f,
                "{}{} {} {} [{}]",
                not(*negated),
                term.key,
                term.operator,
                display_values(&term.values),
                term.citation.layer
            ),
            Expr::Fact { fact, negated } => write!(f, "{}{fact}", not(*negated)),
            Expr::All(parts) | Expr::Any(parts) => {
                let joiner = match (matches!(self, Expr::All(_)), words) {
                    (true, false) => " AND ",
                    (false, false) => " OR ",
                    (true, true) => " and ",
                    (false, true) => " or ",
                };
                if !top {
                    f.write_str("(")?;
                }
                for (index, part) in parts.iter().enumerate() {
                    if index > 0 {
                        f.write_str(joiner)?;
                    }
                    part.write(f, false, words)?;
                }
                if !top {
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

fn display_values(values: &[String]) -> String {
    match values {
        [one] => format!("`{one}`"),
        many => format!(
            "[{}]",
            many.iter()
                .map(|value| format!("`{value}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The logic the evaluation algorithm runs in: truth values ([`Tri`], the fast path) or formulas
/// ([`Expr`], for conditional answers). One algorithm for both keeps the formula exactly as
/// decided as the decision.
pub(crate) trait Logic: Clone + Sized {
    /// A constant.
    fn constant(value: bool) -> Self;
    /// Conjunction.
    fn and(self, other: Self) -> Self;
    /// Disjunction.
    fn or(self, other: Self) -> Self;
    /// Negation.
    fn negate(self) -> Self;
    /// `then` where `condition` holds, else `otherwise`.
    fn select(condition: Self, then: Self, otherwise: Self) -> Self;
    /// The value, when it is a constant.
    fn known(&self) -> Option<bool>;
    /// Whether two values are the same.
    fn equals(&self, other: &Self) -> bool;
}

impl Logic for Tri {
    fn constant(value: bool) -> Tri {
        Tri::from(value)
    }

    fn and(self, other: Tri) -> Tri {
        Tri::and(self, other)
    }

    fn or(self, other: Tri) -> Tri {
        Tri::or(self, other)
    }

    fn negate(self) -> Tri {
        !self
    }

    fn known(&self) -> Option<bool> {
        match self {
            Tri::Unknown => None,
            known => Some(*known == Tri::True),
        }
    }

    fn equals(&self, other: &Tri) -> bool {
        self == other
    }

    fn select(condition: Tri, then: Tri, otherwise: Tri) -> Tri {
        match condition {
            Tri::True => then,
            Tri::False => otherwise,
            Tri::Unknown if then == otherwise => then,
            Tri::Unknown => then.or(otherwise).and(Tri::Unknown),
        }
    }
}

impl<T: Clause> Logic for Expr<T> {
    fn constant(value: bool) -> Expr<T> {
        Expr::Const(value)
    }

    fn and(self, other: Expr<T>) -> Expr<T> {
        Expr::and(self, other)
    }

    fn or(self, other: Expr<T>) -> Expr<T> {
        Expr::or(self, other)
    }

    fn negate(self) -> Expr<T> {
        !self
    }

    fn known(&self) -> Option<bool> {
        match self {
            Expr::Const(value) => Some(*value),
            _ => None,
        }
    }

    fn equals(&self, other: &Expr<T>) -> bool {
        self.same(other)
    }

    fn select(condition: Expr<T>, then: Expr<T>, otherwise: Expr<T>) -> Expr<T> {
        match condition {
            Expr::Const(true) => then,
            Expr::Const(false) => otherwise,
            _ if then.same(&otherwise) => then,
            condition => condition.clone().and(then).or((!condition).and(otherwise)),
        }
    }
}

#[cfg(test)]
mod tests;

/// Conditions a snapshot cannot settle, with the formula over them under which something holds
/// (an edge, an administrator status, a technique's requests).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conditions {
    /// The clauses, cited.
    pub list: Vec<Unresolved>,
    /// The formula over `list` (and facts) under which it holds.
    pub when: Expr,
}

impl Default for Conditions {
    fn default() -> Conditions {
        Conditions::none()
    }
}

impl Conditions {
    /// Holds unconditionally.
    #[must_use]
    pub fn none() -> Conditions {
        Conditions {
            list: Vec::new(),
            when: Expr::Const(true),
        }
    }

    /// Every clause of `list` holds.
    #[must_use]
    pub fn all(list: Vec<Unresolved>) -> Conditions {
        let mut terms: Vec<Expr> = (0..list.len())
            .map(|term| Expr::Term {
                term,
                negated: false,
            })
            .collect();
        let when = match terms.len() {
            0 => Expr::Const(true),
            1 => terms.pop().unwrap_or(Expr::Const(true)),
            _ => Expr::All(terms),
        };
        Conditions { list, when }
    }

    /// Never holds.
    #[must_use]
    pub fn never() -> Conditions {
        Conditions {
            list: Vec::new(),
            when: Expr::Const(false),
        }
    }

    /// Holds exactly when `self` does not.
    #[must_use]
    pub fn negate(self) -> Conditions {
        Conditions {
            list: self.list,
            when: !self.when,
        }
    }

    /// Holds only if `fact` (a prerequisite the snapshot cannot confirm) does.
    #[must_use]
    pub fn fact(fact: impl Into<Arc<str>>) -> Conditions {
        Conditions {
            list: Vec::new(),
            when: Expr::fact(fact),
        }
    }

    /// Under which an evaluated request is allowed: unconditionally for an allow, never for a
    /// deny, else its formula.
    #[must_use]
    pub fn of(evaluation: &crate::eval::Evaluation) -> Conditions {
        use crate::eval::Decision;
        let when = match (&evaluation.decision, &evaluation.allowed_when) {
            (Decision::Allow, _) => return Conditions::none(),
            (Decision::Deny(_), _) => Expr::Const(false),
            (Decision::Conditional { .. }, Some(when)) => when.clone(),
            // A conditional answer comes with its formula; without one, every listed clause is
            // required, and with none listed the answer still holds only under what it does not
            // list (never a silent `true`).
            (Decision::Conditional { .. }, None) if evaluation.conditions.is_empty() => {
                Expr::fact("conditions the evaluation does not name")
            }
            (Decision::Conditional { .. }, None) => {
                return Conditions::all(evaluation.conditions.clone());
            }
        };
        Conditions {
            list: evaluation.conditions.clone(),
            when,
        }
    }

    /// Whether it holds whatever the unknown values are.
    #[must_use]
    pub fn is_settled(&self) -> bool {
        self.when == Expr::Const(true)
    }

    /// Both hold.
    #[must_use]
    pub fn and(self, other: Conditions) -> Conditions {
        Conditions::join([self, other], true)
    }

    /// Either holds.
    #[must_use]
    pub fn or(self, other: Conditions) -> Conditions {
        Conditions::join([self, other], false)
    }

    /// All (`conjunction`) or any of `parts`, over one merged list.
    #[must_use]
    pub fn join(parts: impl IntoIterator<Item = Conditions>, conjunction: bool) -> Conditions {
        let parts: Vec<Conditions> = parts.into_iter().collect();
        let resolved: Vec<Expr<&Unresolved>> = parts
            .iter()
            .map(|part| part.when.resolve(&part.list))
            .collect();
        let joined = if conjunction {
            Expr::All(resolved)
        } else {
            Expr::Any(resolved)
        }
        .simplify();
        let mut list: Vec<Unresolved> = Vec::new();
        let when = joined.map(&mut |clause: &Unresolved| match list
            .iter()
            .position(|seen| same_clause(seen, clause))
        {
            Some(position) => position,
            None => {
                list.push(clause.clone());
                list.len() - 1
            }
        });
        Conditions { list, when }
    }

    /// The formula in words.
    #[must_use]
    pub fn display(&self) -> impl fmt::Display + '_ {
        self.when.display(&self.list)
    }
}
