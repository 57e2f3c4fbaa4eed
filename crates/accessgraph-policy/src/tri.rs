//! Three-valued logic for decisions that a static snapshot cannot always settle.

use serde::{Deserialize, Serialize};

/// A truth value that may be unknown: `False < Unknown < True`.
///
/// `and` is the minimum and `or` the maximum, which is Kleene's strong three-valued logic.
/// A condition key that a snapshot cannot know (for example `aws:SourceIp`) evaluates to `Unknown`,
/// so an answer is never silently true or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    /// Definitely false.
    False,
    /// Depends on a value that is not known.
    Unknown,
    /// Definitely true.
    True,
}

impl Tri {
    /// Logical AND (minimum).
    #[must_use]
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    /// Logical OR (maximum).
    #[must_use]
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }

    /// Whether the value is definitely true.
    #[must_use]
    pub fn is_true(self) -> bool {
        self == Tri::True
    }

    /// Whether the value is true or unknown (may hold).
    #[must_use]
    pub fn is_possible(self) -> bool {
        self != Tri::False
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    /// Logical NOT: swaps `True` and `False`, keeps `Unknown`.
    fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
            Tri::True => Tri::False,
        }
    }
}

impl From<bool> for Tri {
    fn from(value: bool) -> Self {
        if value { Tri::True } else { Tri::False }
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::{self, False, True, Unknown};

    #[test]
    fn kleene_truth_tables() {
        let all = [False, Unknown, True];
        for a in all {
            for b in all {
                assert_eq!(a.and(b), b.and(a));
                assert_eq!(a.or(b), b.or(a));
                // De Morgan holds in Kleene logic.
                assert_eq!(!a.and(b), (!a).or(!b));
            }
        }
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(Tri::from(true), True);
    }
}
