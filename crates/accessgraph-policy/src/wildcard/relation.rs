//! How two wildcard patterns relate: whether some text matches both (they intersect), and whether
//! every text one matches the other matches too (it covers it). Used when a request names its
//! resource by a pattern ("on some object of the bucket").

use std::collections::HashSet;

use super::{Elem, Glob};

impl Glob {
    /// The pattern's elements, whatever its compiled form.
    pub(crate) fn elems(&self) -> Vec<Elem> {
        let bytes = |text: &str| text.bytes().map(Elem::Byte).collect::<Vec<_>>();
        match self {
            Glob::Any => vec![Elem::Star],
            Glob::Exact(literal) => bytes(literal),
            Glob::Prefix(literal) => {
                let mut elems = bytes(literal);
                elems.push(Elem::Star);
                elems
            }
            Glob::Suffix(literal) => {
                let mut elems = vec![Elem::Star];
                elems.extend(bytes(literal));
                elems
            }
            Glob::General(elems) => elems.to_vec(),
        }
    }
}

/// Whether some text matches both patterns.
pub(crate) fn intersect(a: &[Elem], b: &[Elem]) -> bool {
    // Depth-first search over positions (i, j), each visited once: linear in |a| x |b|.
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        match (a.get(i), b.get(j)) {
            (None, None) => return true,
            (Some(Elem::Star), _) | (_, Some(Elem::Star)) => {
                // A star matches nothing (skip it) or one more character of the other side.
                if a.get(i) == Some(&Elem::Star) {
                    stack.push((i + 1, j));
                    if j < b.len() {
                        stack.push((i, j + 1));
                    }
                }
                if b.get(j) == Some(&Elem::Star) {
                    stack.push((i, j + 1));
                    if i < a.len() {
                        stack.push((i + 1, j));
                    }
                }
            }
            (Some(x), Some(y)) => {
                let one_char = match (x, y) {
                    (Elem::Byte(p), Elem::Byte(q)) => p == q,
                    _ => true,
                };
                if one_char {
                    stack.push((i + 1, j + 1));
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether every text `inner` matches, `outer` matches too: an outer `*` takes any run of the
/// inner pattern (wildcards included), an outer `?` one inner character or `?`, an outer
/// character only the same character.
pub(crate) fn covers(outer: &[Elem], inner: &[Elem]) -> bool {
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        match (outer.get(i), inner.get(j)) {
            (None, None) => return true,
            (Some(Elem::Star), _) => {
                stack.push((i + 1, j));
                if j < inner.len() {
                    stack.push((i, j + 1));
                }
            }
            (Some(Elem::One), Some(Elem::Byte(_) | Elem::One)) => stack.push((i + 1, j + 1)),
            (Some(Elem::Byte(p)), Some(Elem::Byte(q))) if p == q => stack.push((i + 1, j + 1)),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::super::elems_of;
    use super::{covers, intersect};
    use proptest::prelude::*;

    #[test]
    fn relations_of_patterns() {
        let rel = |a: &str, b: &str| {
            (
                intersect(&elems_of(a), &elems_of(b)),
                covers(&elems_of(a), &elems_of(b)),
            )
        };
        assert_eq!(rel("payroll/*", "payroll/2026/*"), (true, true));
        assert_eq!(rel("payroll/2026/*", "payroll/*"), (true, false));
        assert_eq!(rel("payroll/*.csv", "payroll/q?/*"), (true, false));
        assert_eq!(rel("logs/*", "payroll/*"), (false, false));
        assert_eq!(rel("a?c", "a*"), (true, false));
        assert_eq!(rel("*", "anything*"), (true, true));
        assert_eq!(rel("exact", "exact"), (true, true));
        assert_eq!(rel("a*b", "a*c"), (false, false));
    }

    fn text() -> impl Strategy<Value = String> {
        "[ab/]{0,5}"
    }

    fn pattern() -> impl Strategy<Value = String> {
        "[ab/*?]{0,5}"
    }

    proptest! {
        /// A text both patterns match proves they intersect; a text the inner pattern matches
        /// and the outer does not disproves coverage.
        #[test]
        fn relations_agree_with_matching(a in pattern(), b in pattern(), texts in prop::collection::vec(text(), 0..24)) {
            let (ga, gb) = (super::Glob::new(&a), super::Glob::new(&b));
            for text in &texts {
                if ga.matches(text) && gb.matches(text) {
                    prop_assert!(intersect(&elems_of(&a), &elems_of(&b)), "{a} {b} {text}");
                }
                if gb.matches(text) && !ga.matches(text) {
                    prop_assert!(!covers(&elems_of(&a), &elems_of(&b)), "{a} {b} {text}");
                }
            }
            // Coverage implies intersection unless the inner pattern matches nothing.
            if covers(&elems_of(&a), &elems_of(&b)) {
                prop_assert!(intersect(&elems_of(&a), &elems_of(&b)));
            }
        }
    }
}
