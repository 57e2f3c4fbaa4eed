//! Compiled `*` / `?` wildcard patterns, matched without regular expressions.
//!
//! `*` matches any run of characters (including none), `?` exactly one character
//! (iam-semantics.md §1.7). Patterns are compiled once into a fast form: match-all, exact,
//! prefix, suffix, or a general element list matched with the classic two-pointer algorithm,
//! which is linear in practice and never exponential.

mod relation;

pub(crate) use self::relation::{covers, intersect};

/// One element of a general pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elem {
    /// A literal byte of the UTF-8 pattern text.
    Byte(u8),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Glob {
    /// The pattern is only stars: matches everything.
    Any,
    /// No wildcard at all.
    Exact(Box<str>),
    /// `literal*`.
    Prefix(Box<str>),
    /// `*literal`.
    Suffix(Box<str>),
    /// Anything else.
    General(Box<[Elem]>),
}

impl Glob {
    /// Compiles pattern text where `*` and `?` are wildcards.
    pub(crate) fn new(pattern: &str) -> Glob {
        Glob::from_elems(elems_of(pattern))
    }

    /// Compiles pattern text after ASCII-lowercasing it (for case-insensitive matching
    /// against ASCII-lowercased input, as for actions).
    pub(crate) fn new_ascii_lowercase(pattern: &str) -> Glob {
        Glob::new(&pattern.to_ascii_lowercase())
    }

    /// Builds the fastest equivalent matcher for a list of elements.
    pub(crate) fn from_elems(elems: Vec<Elem>) -> Glob {
        if elems.iter().all(|elem| *elem == Elem::Star) {
            return if elems.is_empty() {
                Glob::Exact(Box::from(""))
            } else {
                Glob::Any
            };
        }
        let has_one = elems.contains(&Elem::One);
        let stars: Vec<usize> = elems
            .iter()
            .enumerate()
            .filter(|(_, elem)| **elem == Elem::Star)
            .map(|(idx, _)| idx)
            .collect();
        if !has_one {
            match stars.as_slice() {
                [] => return Glob::Exact(literal_of(&elems)),
                [last] if *last + 1 == elems.len() => {
                    return Glob::Prefix(literal_of(elems.get(..*last).unwrap_or_default()));
                }
                [0] => return Glob::Suffix(literal_of(elems.get(1..).unwrap_or_default())),
                _ => {}
            }
        }
        Glob::General(elems.into_boxed_slice())
    }

    /// Whether `text` matches the whole pattern.
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Glob::Any => true,
            Glob::Exact(literal) => text == &**literal,
            Glob::Prefix(literal) => text.starts_with(&**literal),
            Glob::Suffix(literal) => text.ends_with(&**literal),
            Glob::General(elems) => match_elems(elems, text.as_bytes()),
        }
    }

    /// Whether the pattern matches every possible input.
    pub(crate) fn is_any(&self) -> bool {
        matches!(self, Glob::Any)
    }
}

/// Splits pattern text into elements.
/// An IAM wildcard (`*` any run, `?` one character) compiled once, ignoring ASCII case as
/// action names do (iam-semantics.md §1.7).
#[derive(Debug, Clone)]
pub struct CaseInsensitiveWildcard(Glob);

impl CaseInsensitiveWildcard {
    /// Compiles `pattern`.
    #[must_use]
    pub fn new(pattern: &str) -> CaseInsensitiveWildcard {
        CaseInsensitiveWildcard(Glob::new_ascii_lowercase(pattern))
    }

    /// Whether `lowercase_text` (already ASCII-lowercased) matches.
    #[must_use]
    pub fn matches_lowercase(&self, lowercase_text: &str) -> bool {
        self.0.matches(lowercase_text)
    }
}

pub(crate) fn elems_of(pattern: &str) -> Vec<Elem> {
    pattern
        .bytes()
        .map(|byte| match byte {
            b'*' => Elem::Star,
            b'?' => Elem::One,
            other => Elem::Byte(other),
        })
        .collect()
}

fn literal_of(elems: &[Elem]) -> Box<str> {
    let bytes: Vec<u8> = elems
        .iter()
        .filter_map(|elem| match elem {
            Elem::Byte(byte) => Some(*byte),
            Elem::Star | Elem::One => None,
        })
        .collect();
    // The bytes come from a `&str` with only ASCII wildcard bytes removed, so they stay valid UTF-8.
    String::from_utf8_lossy(&bytes).into()
}

/// Width in bytes of the UTF-8 character starting with `first`.
fn char_width(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        // A continuation byte cannot start a character of a valid `&str`; step over it.
        _ => 1,
    }
}

/// Two-pointer wildcard match with backtracking to the last star only.
fn match_elems(pattern: &[Elem], text: &[u8]) -> bool {
    let mut pattern_idx = 0;
    let mut text_idx = 0;
    // Position after the last star seen, and the text position it is currently matched up to.
    let mut backtrack: Option<(usize, usize)> = None;
    while text_idx < text.len() {
        let step = match (pattern.get(pattern_idx), text.get(text_idx)) {
            (Some(Elem::Star), _) => {
                backtrack = Some((pattern_idx + 1, text_idx));
                pattern_idx += 1;
                continue;
            }
            (Some(Elem::Byte(expected)), Some(actual)) if expected == actual => Some(1),
            (Some(Elem::One), Some(first)) => Some(char_width(*first)),
            _ => None,
        };
        match (step, backtrack) {
            (Some(width), _) => {
                pattern_idx += 1;
                text_idx += width;
            }
            (None, Some((star_next, star_text))) => {
                // Let the last star swallow one more character and retry.
                let width = text.get(star_text).map_or(1, |first| char_width(*first));
                backtrack = Some((star_next, star_text + width));
                pattern_idx = star_next;
                text_idx = star_text + width;
            }
            (None, None) => return false,
        }
    }
    pattern
        .get(pattern_idx..)
        .is_some_and(|rest| rest.iter().all(|elem| *elem == Elem::Star))
}

#[cfg(test)]
mod tests;
