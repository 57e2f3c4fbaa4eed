//! Query errors: where (a byte span, shown as line and column with a caret), what was expected,
//! and a suggestion for a near-miss keyword.

use std::fmt::Write as _;

use pest::error::{ErrorVariant, InputLocation};

use crate::ast::Span;
use crate::syntax::Rule;

/// What kind of mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// The text parses but names something that does not exist or does not fit.
    Semantic,
    /// The text names a snapshot, node, account or OU that does not exist.
    NotFound,
    /// There is no snapshot to answer from.
    Unavailable,
    /// The query was stopped before it finished (deadline or cancellation); no answer.
    Interrupted,
}

/// An error in a query, with the position it refers to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message}")]
pub struct QueryError {
    /// Syntax or semantic.
    pub kind: ErrorKind,
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// A replacement for the token at `span`, when one is near.
    pub suggestion: Option<String>,
}

/// Keywords the grammar knows, by rule, as written in messages.
pub(crate) fn keyword_text(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kw_account => "account",
        Rule::kw_admin => "admin",
        Rule::kw_all => "all",
        Rule::kw_assume => "assume",
        Rule::kw_at => "at",
        Rule::kw_can => "can",
        Rule::kw_check => "check",
        Rule::kw_cuts => "cuts",
        Rule::kw_definite => "definite",
        Rule::kw_diff => "diff",
        Rule::kw_do => "do",
        Rule::kw_external => "external",
        Rule::kw_from => "from",
        Rule::kw_group => "group",
        Rule::kw_hops => "hops",
        Rule::kw_in => "in",
        Rule::kw_is => "is",
        Rule::kw_keep => "keep",
        Rule::kw_k => "k",
        Rule::kw_limit => "limit",
        Rule::kw_list => "list",
        Rule::kw_manage => "manage",
        Rule::kw_max => "max",
        Rule::kw_member => "member",
        Rule::kw_of => "of",
        Rule::kw_on => "on",
        Rule::kw_only => "only",
        Rule::kw_org => "org",
        Rule::kw_organization => "organization",
        Rule::kw_ou => "ou",
        Rule::kw_path => "path",
        Rule::kw_paths => "paths",
        Rule::kw_people => "people",
        Rule::kw_permissions => "permissions",
        Rule::kw_permit => "permit",
        Rule::kw_policy => "policy",
        Rule::kw_privesc => "privesc",
        Rule::kw_reach => "reach",
        Rule::kw_read => "read",
        Rule::kw_role => "role",
        Rule::kw_shortest => "shortest",
        Rule::kw_show => "show",
        Rule::kw_snapshot => "snapshot",
        Rule::kw_statement => "statement",
        Rule::kw_sso => "sso",
        Rule::kw_tag => "tag",
        Rule::kw_to => "to",
        Rule::kw_user => "user",
        Rule::kw_via => "via",
        Rule::kw_what => "what",
        Rule::kw_who => "who",
        Rule::kw_with => "with",
        Rule::kw_without => "without",
        Rule::kw_write => "write",
        _ => return None,
    })
}

/// The first keywords of the modifiers, offered where a modifier or the end may come.
const MODIFIER_KEYWORDS: [&str; 10] = [
    "via", "without", "max", "limit", "from", "definite", "at", "people", "keep", "check",
];

/// How a non-keyword rule is described in "expected ..." messages.
fn describe(rule: Rule) -> String {
    if let Some(keyword) = keyword_text(rule) {
        return format!("`{keyword}`");
    }
    match rule {
        Rule::EOI => "the end of the query".into(),
        Rule::query => {
            "a statement (`who can`, `who is admin`, `can`, `path`, `what can`, `what cuts`, `show`, `diff`)"
                .into()
        }
        Rule::target => "`admin` or a principal".into(),
        Rule::scope => "`in account`, `in ou` or `in org`".into(),
        Rule::number => "a number".into(),
        Rule::arn => "an ARN".into(),
        Rule::node
        | Rule::named_node
        | Rule::node_kind
        | Rule::keep_node
        | Rule::keep_named
        | Rule::keep_arn => {
            "a principal (an ARN, `*`, `user/NAME`, `role/NAME`, `group/NAME` or a provider name)"
                .into()
        }
        Rule::anyone => "`*`".into(),
        Rule::action => "an action such as `s3:GetObject`".into(),
        Rule::resource => "a resource ARN or `*`".into(),
        Rule::iam_name | Rule::keep_name => "a name".into(),
        Rule::keep_item | Rule::keep_policy => {
            "a principal, or `policy` and a policy's ARN or quoted label".into()
        }
        Rule::ou_name | Rule::word | Rule::quoted => "an OU name or id".into(),
        Rule::context_key => "a condition key such as `aws:SourceIp`".into(),
        Rule::value | Rule::bare_value => "a value".into(),
        Rule::edge_kind => "an edge kind (`assume`, `privesc`, `member`, `permit`, `sso`)".into(),
        Rule::level => {
            "an access level (`list`, `read`, `write`, `tag`, `manage permissions`)".into()
        }
        other => format!("{other:?}").replace('_', " "),
    }
}

/// Keywords to suggest where a rule that starts with one was expected.
fn suggestions(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::query => &["who", "can", "path", "what", "show", "diff"],
        Rule::target => &["admin", "user", "role", "group"],
        Rule::node | Rule::named_node | Rule::node_kind => &["user", "role", "group"],
        Rule::scope => &["in"],
        Rule::edge_kind => &["assume", "privesc", "member", "permit", "sso"],
        Rule::path_mode => &["shortest", "all"],
        Rule::level => &["list", "read", "write", "tag", "manage"],
        _ => &[],
    }
}

fn join_alternatives(items: &[String]) -> String {
    match items {
        [] => "something else".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The word starting at `pos` (letters, digits, `_`, `-`).
fn word_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or_default();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// The candidate nearest to `word` by edit distance, when near enough to be a typo.
fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .filter(|candidate| *candidate != lower)
        .map(|candidate| (strsim::damerau_levenshtein(&lower, candidate), candidate))
        .filter(|(distance, candidate)| {
            *distance <= 2 && *distance < candidate.len() && *distance < lower.len().max(1)
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

impl QueryError {
    /// A semantic error at `span`.
    #[must_use]
    pub fn semantic(message: String, span: Span) -> QueryError {
        QueryError {
            kind: ErrorKind::Semantic,
            message,
            span,
            suggestion: None,
        }
    }

    /// An error naming something that does not exist, at `span`.
    #[must_use]
    pub fn not_found(message: String, span: Span) -> QueryError {
        QueryError {
            kind: ErrorKind::NotFound,
            ..QueryError::semantic(message, span)
        }
    }

    /// A catalog's refusal to give a snapshot (named at `span`).
    #[must_use]
    pub fn from_catalog(error: &crate::CatalogError, span: Span) -> QueryError {
        let kind = match error {
            crate::CatalogError::Unknown { .. } => ErrorKind::NotFound,
            crate::CatalogError::Empty => ErrorKind::Unavailable,
            crate::CatalogError::Failed(_) => ErrorKind::Semantic,
        };
        QueryError {
            kind,
            ..QueryError::semantic(error.to_string(), span)
        }
    }

    /// A query stopped before it finished.
    #[must_use]
    pub fn interrupted(deadline_passed: bool) -> QueryError {
        QueryError {
            kind: ErrorKind::Interrupted,
            message: if deadline_passed {
                "the query ran past its deadline".into()
            } else {
                "the query was cancelled".into()
            },
            span: Span::default(),
            suggestion: None,
        }
    }

    /// A semantic error with a suggested replacement.
    #[must_use]
    pub fn with_suggestion(mut self, suggestion: Option<String>) -> QueryError {
        self.suggestion = suggestion;
        self
    }

    pub(crate) fn from_pest(error: &pest::error::Error<Rule>, text: &str) -> QueryError {
        let pos = match error.location {
            InputLocation::Pos(pos) | InputLocation::Span((pos, _)) => pos,
        };
        let found = word_at(text, pos);
        let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
            return QueryError::semantic(error.variant.message().into_owned(), Span::default());
        };
        let mut expected: Vec<String> = Vec::new();
        let mut candidates: Vec<&'static str> = Vec::new();
        let ends = positives.contains(&Rule::EOI);
        if ends {
            expected.push("a modifier".into());
            candidates.extend(MODIFIER_KEYWORDS);
        }
        for rule in positives {
            let keyword = keyword_text(*rule);
            if ends && keyword.is_some_and(|keyword| MODIFIER_KEYWORDS.contains(&keyword)) {
                continue;
            }
            if *rule == Rule::EOI {
                continue;
            }
            candidates.extend(keyword);
            candidates.extend(suggestions(*rule));
            let description = describe(*rule);
            if !expected.contains(&description) {
                expected.push(description);
            }
        }
        if ends {
            expected.push("the end of the query".into());
        }
        let found_text = if found.is_empty() {
            match text.get(pos..) {
                Some(rest) if !rest.trim().is_empty() => {
                    format!("`{}`", rest.chars().next().unwrap_or(' '))
                }
                _ => "end of query".to_owned(),
            }
        } else {
            format!("`{found}`")
        };
        let suggestion = nearest(found, candidates.into_iter()).map(str::to_owned);
        QueryError {
            kind: ErrorKind::Syntax,
            message: format!(
                "unexpected {found_text}: expected {}",
                join_alternatives(&expected)
            ),
            span: Span {
                start: pos,
                end: pos + found.len().max(1),
            },
            suggestion,
        }
    }

    /// The 1-based line and column of the error's start in `query`.
    #[must_use]
    pub fn line_column(&self, query: &str) -> (usize, usize) {
        let before = query.get(..self.span.start).unwrap_or(query);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(1, |tail| tail.chars().count() + 1);
        (line, column)
    }

    /// The error as the command line shows it: the message, the query line with a caret under
    /// the position, and the suggestion. The output is bounded whatever the query's size: a long
    /// line is cut to an excerpt around the caret, a long message (messages quote the input) is
    /// shortened, so an error fits a gRPC trailer.
    #[must_use]
    pub fn render(&self, query: &str) -> String {
        let (line_number, column) = self.line_column(query);
        let line: Vec<char> = query
            .lines()
            .nth(line_number.saturating_sub(1))
            .unwrap_or_default()
            .chars()
            .collect();
        let width = query
            .get(self.span.start..self.span.end)
            .map_or(1, |token| {
                token.lines().next().unwrap_or("").chars().count()
            })
            .max(1);
        let (excerpt, caret_at, width) = excerpt(&line, column.saturating_sub(1), width);
        let gutter = line_number.to_string().len();
        let mut out = format!(
            "error: {} (line {line_number}, column {column})\n",
            shortened(&self.message, MESSAGE_CHARS)
        );
        let _ = writeln!(out, "{:gutter$} |", "");
        let _ = writeln!(out, "{line_number} | {excerpt}");
        let _ = write!(
            out,
            "{:gutter$} | {}{}",
            "",
            " ".repeat(caret_at),
            "^".repeat(width)
        );
        if let Some(suggestion) = &self.suggestion {
            let _ = write!(
                out,
                " did you mean `{}`?",
                shortened(suggestion, MESSAGE_CHARS)
            );
        }
        out
    }
}

/// Widest part of a query line an error shows, in characters.
const EXCERPT_CHARS: usize = 100;
/// Longest message an error shows, in characters.
const MESSAGE_CHARS: usize = 300;

/// The part of `line` shown around the 0-based character `column` (at most [`EXCERPT_CHARS`],
/// `…` marking a cut), the caret's offset in it, and the caret's width within it.
fn excerpt(line: &[char], column: usize, width: usize) -> (String, usize, usize) {
    if line.len() <= EXCERPT_CHARS {
        return (line.iter().collect(), column, width);
    }
    let start = column
        .saturating_sub(EXCERPT_CHARS / 2)
        .min(line.len() - EXCERPT_CHARS);
    let end = start + EXCERPT_CHARS;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(line.get(start..end).unwrap_or_default());
    if end < line.len() {
        shown.push('…');
    }
    let caret_at = column - start + usize::from(start > 0);
    let width = width.min(end.saturating_sub(column)).max(1);
    (shown, caret_at, width)
}

/// `text` cut to `limit` characters (with `…`).
fn shortened(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::{EXCERPT_CHARS, excerpt, shortened};

    #[test]
    fn the_caret_points_at_the_same_character_in_an_excerpt() {
        let line: Vec<char> = (0..300u32)
            .map(|n| char::from_digit(n % 36, 36).unwrap_or('?'))
            .collect();
        for column in [0, 1, 49, 50, 150, 250, 299, 300] {
            let (shown, caret_at, width) = excerpt(&line, column, 7);
            let shown: Vec<char> = shown.chars().collect();
            assert!(shown.len() <= EXCERPT_CHARS + 2, "{column}");
            assert!(width >= 1, "{column}");
            assert_eq!(shown.get(caret_at), line.get(column), "{column}");
        }
        let short: Vec<char> = "who is admin".chars().collect();
        assert_eq!(excerpt(&short, 4, 2), ("who is admin".to_owned(), 4, 2));
    }

    #[test]
    fn a_huge_query_renders_a_bounded_error() {
        let query = format!("who is admin {}", "q".repeat(4000));
        let rendered = crate::parse(&query)
            .err()
            .map(|error| error.render(&query))
            .unwrap_or_default();
        assert!(!rendered.is_empty());
        assert!(rendered.len() < 1_500, "{} bytes", rendered.len());
        assert_eq!(shortened("abc", 2), "ab…");
    }
}
