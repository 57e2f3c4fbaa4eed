//! Patterns with policy variables (`${aws:username}`) and ARN component-wise globs.
//!
//! Variables are substituted from the request (iam-semantics.md §1.5): only under policy
//! version `2012-10-17`, key names case-insensitive, `${key, 'default'}` defaults, and the
//! escapes `${*}`, `${?}`, `${$}`. A substituted value is literal text: a `*` in a tag value is
//! not a wildcard.

use crate::request::{Env, Lookup};
use crate::wildcard::{Elem, Glob, covers, elems_of, intersect};

/// A piece of a pattern with variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Elems(Vec<Elem>),
    Var {
        /// Lowercased context key.
        key: Box<str>,
        default: Option<Box<str>>,
    },
}

/// Pattern text compiled into elements, with or without variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Template {
    /// No variable: the elements are final.
    Static(Vec<Elem>),
    /// At least one variable to substitute per request.
    Dynamic(Vec<Piece>),
}

/// The outcome of substituting a template's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// All variables had values (or defaults).
    Elems(Vec<Elem>),
    /// A variable's key is absent from the request and has no default.
    Absent,
    /// A variable's key cannot be known from a snapshot; holds the lowercased key.
    Unknown(Box<str>),
}

impl Template {
    /// Compiles `source`; variables are recognised only when `variables` is true.
    pub(crate) fn new(source: &str, variables: bool) -> Template {
        if !variables || !source.contains("${") {
            return Template::Static(elems_of(source));
        }
        let mut pieces = Vec::new();
        let mut current = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("${") {
            let (before, after_open) = rest.split_at(start);
            current.extend(elems_of(before));
            let inner_and_rest = after_open.get(2..).unwrap_or("");
            let Some(close) = inner_and_rest.find('}') else {
                // No closing brace: the rest is literal text.
                current.extend(elems_of(after_open));
                rest = "";
                break;
            };
            let inner = inner_and_rest.get(..close).unwrap_or("");
            rest = inner_and_rest.get(close + 1..).unwrap_or("");
            match inner {
                "*" => current.push(Elem::Byte(b'*')),
                "?" => current.push(Elem::Byte(b'?')),
                "$" => current.push(Elem::Byte(b'$')),
                _ => {
                    if !current.is_empty() {
                        pieces.push(Piece::Elems(std::mem::take(&mut current)));
                    }
                    pieces.push(variable(inner));
                }
            }
        }
        current.extend(elems_of(rest));
        if pieces.is_empty() {
            return Template::Static(current);
        }
        if !current.is_empty() {
            pieces.push(Piece::Elems(current));
        }
        Template::Dynamic(pieces)
    }

    /// Compiles a resource pattern: in an ARN, variables are substituted only in the resource
    /// part, after the fifth colon; before it `${...}` is literal text
    /// (IAM/reference_policies_variables.html).
    pub(crate) fn arn(source: &str, variables: bool) -> Template {
        let resource_start = source
            .starts_with("arn:")
            .then(|| source.match_indices(':').nth(4))
            .flatten()
            .map(|(index, _)| index + 1);
        let Some((prefix, resource)) = resource_start.and_then(|at| source.split_at_checked(at))
        else {
            return Template::new(source, variables);
        };
        let mut elems = elems_of(prefix);
        match Template::new(resource, variables) {
            Template::Static(rest) => {
                elems.extend(rest);
                Template::Static(elems)
            }
            Template::Dynamic(mut pieces) => {
                if let Some(Piece::Elems(first)) = pieces.first_mut() {
                    elems.append(first);
                    *first = elems;
                } else {
                    pieces.insert(0, Piece::Elems(elems));
                }
                Template::Dynamic(pieces)
            }
        }
    }

    /// Substitutes variables from the request environment.
    pub(crate) fn resolve(&self, env: &Env<'_>) -> Resolved {
        let pieces = match self {
            Template::Static(elems) => return Resolved::Elems(elems.clone()),
            Template::Dynamic(pieces) => pieces,
        };
        let mut elems = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Elems(literal) => elems.extend_from_slice(literal),
                Piece::Var { key, default } => match (env.lookup(key), default) {
                    (Lookup::Single(value), _) => elems.extend(value.bytes().map(Elem::Byte)),
                    (Lookup::Unknown | Lookup::NotBefore { .. }, _) => {
                        return Resolved::Unknown(key.clone());
                    }
                    // Multivalued keys cannot be variables (§1.5): treat as unresolvable.
                    (Lookup::Absent | Lookup::Many(_), Some(default)) => {
                        elems.extend(default.bytes().map(Elem::Byte));
                    }
                    (Lookup::Absent | Lookup::Many(_), None) => return Resolved::Absent,
                },
            }
        }
        Resolved::Elems(elems)
    }
}

impl Template {
    /// The template as a glob for one caller before evaluation: `${aws:username}` becomes
    /// `username` when the caller is a user; any other variable makes it match everything, as
    /// evaluation leaves a pattern whose variable it cannot settle undecided whatever the
    /// pattern's literal text. So the glob matches at least what evaluation could.
    pub(crate) fn scope_glob(&self, username: Option<&str>) -> ArnGlob {
        let pieces = match self {
            Template::Static(elems) => return ArnGlob::from_elems(elems.clone()),
            Template::Dynamic(pieces) => pieces,
        };
        let mut elems = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Elems(literal) => elems.extend_from_slice(literal),
                Piece::Var { key, .. } => match username {
                    Some(name) if &**key == "aws:username" => {
                        elems.extend(name.bytes().map(Elem::Byte));
                    }
                    _ => return ArnGlob::Any,
                },
            }
        }
        ArnGlob::from_elems(elems)
    }
}

/// Parses `key` or `key, 'default'` inside `${...}`.
fn variable(inner: &str) -> Piece {
    let (key, default) = match inner.split_once(',') {
        Some((key, default)) => {
            let default = default.trim();
            let default = default
                .strip_prefix('\'')
                .and_then(|text| text.strip_suffix('\''))
                .unwrap_or(default);
            (key.trim(), Some(Box::from(default)))
        }
        None => (inner.trim(), None),
    };
    Piece::Var {
        key: key.to_lowercase().into(),
        default,
    }
}

/// Text of elements where wildcards are written back as `*` / `?` (for display only).
pub(crate) fn display_text(elems: &[Elem]) -> String {
    let bytes: Vec<u8> = elems
        .iter()
        .map(|elem| match elem {
            Elem::Byte(byte) => *byte,
            Elem::Star => b'*',
            Elem::One => b'?',
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A glob over ARNs that matches the six colon-separated components separately
/// (iam-semantics.md §1.7): a `*` in the first five components never crosses a colon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnGlob {
    /// Matches everything (`*`).
    Any,
    /// Six component globs.
    Components(Box<[Glob; 6]>),
    /// Fewer than six components: whole-string glob (non-canonical pattern).
    Whole(Glob),
}

impl ArnGlob {
    /// Compiles elements into an ARN glob.
    pub(crate) fn from_elems(elems: Vec<Elem>) -> ArnGlob {
        if !elems.is_empty() && elems.iter().all(|elem| *elem == Elem::Star) {
            return ArnGlob::Any;
        }
        let mut parts: Vec<Vec<Elem>> = vec![Vec::new()];
        for elem in &elems {
            match (elem, parts.len()) {
                (Elem::Byte(b':'), count) if count < 6 => parts.push(Vec::new()),
                (elem, _) => {
                    if let Some(last) = parts.last_mut() {
                        last.push(*elem);
                    }
                }
            }
        }
        let globs: Vec<Glob> = parts.into_iter().map(Glob::from_elems).collect();
        match <[Glob; 6]>::try_from(globs) {
            Ok(globs) => ArnGlob::Components(Box::new(globs)),
            Err(_) => ArnGlob::Whole(Glob::from_elems(elems)),
        }
    }

    /// How a request's resource pattern relates to this glob: whether some resource matches
    /// both, and whether every resource the request's pattern names matches this glob. ARN
    /// components are related one by one, as they are matched.
    pub(crate) fn relate(&self, requested: &str) -> (bool, bool) {
        let relate = |glob: &Glob, text: &str| {
            let (ours, theirs) = (glob.elems(), elems_of(text));
            (intersect(&ours, &theirs), covers(&ours, &theirs))
        };
        match self {
            ArnGlob::Any => (true, true),
            ArnGlob::Whole(glob) => relate(glob, requested),
            ArnGlob::Components(globs) => match crate::arn::components(requested) {
                Some(parts) => globs.iter().zip(parts.iter()).fold(
                    (true, true),
                    |(some, all), (glob, part)| {
                        let (one, every) = relate(glob, part);
                        (some && one, all && every)
                    },
                ),
                None => (false, false),
            },
        }
    }

    /// Whether `text` matches.
    pub(crate) fn matches(&self, text: &str) -> bool {
        self.matches_split(text, crate::arn::components(text).as_ref())
    }

    /// Whether `text`, already split by [`crate::arn::components`], matches.
    pub(crate) fn matches_split(&self, text: &str, parts: Option<&[&str; 6]>) -> bool {
        match self {
            ArnGlob::Any => true,
            ArnGlob::Whole(glob) => glob.matches(text),
            ArnGlob::Components(globs) => parts.is_some_and(|parts| {
                // The last component is the longest and most selective: test it first.
                globs
                    .iter()
                    .zip(parts.iter())
                    .rev()
                    .all(|(glob, part)| glob.matches(part))
            }),
        }
    }

    /// Whether the pattern matches every input.
    pub(crate) fn is_any(&self) -> bool {
        match self {
            ArnGlob::Any => true,
            ArnGlob::Whole(glob) => glob.is_any(),
            ArnGlob::Components(_) => false,
        }
    }
}

#[cfg(test)]
mod tests;
