//! From query text to [`Query`]: the pest parser derived from `grammar/accessgraph.pest`, and
//! the walk of its parse tree into the AST.

use pest::Parser;
use pest::iterators::Pair;

use crate::ast::{
    AccessLevel, ContextPairs, EdgeKindName, KeepItem, Modifier, NamedKind, NodeRef, PathMode,
    Query, RequestSpec, Scope, Span, Spanned, Statement, Target,
};
use crate::error::{QueryError, keyword_text};

/// The parser pest derives from the grammar.
#[derive(pest_derive::Parser)]
#[grammar = "../../../grammar/accessgraph.pest"]
pub(crate) struct QueryParser;

/// Longest query accepted, in bytes: a question, not a document.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Parses one query.
///
/// # Errors
/// A [`QueryError`] with the position, what was expected there and, for a near-miss keyword, a
/// suggestion.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::semantic(
            format!(
                "query is {} bytes long; the limit is {MAX_QUERY_BYTES}",
                text.len()
            ),
            Span {
                start: 0,
                end: text.len(),
            },
        ));
    }
    let mut pairs = QueryParser::parse(Rule::query, text)
        .map_err(|error| QueryError::from_pest(&error, text))?;
    let query = pairs
        .next()
        .ok_or_else(|| QueryError::semantic("empty parse".into(), Span::default()))?;
    build_query(query)
}

fn span(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    Span {
        start: span.start(),
        end: span.end(),
    }
}

fn spanned_str(pair: &Pair<'_, Rule>) -> Spanned<String> {
    Spanned::new(pair.as_str().to_owned(), span(pair))
}

/// An internal error: the parse tree does not have the shape the grammar promises.
fn shape(pair: &Pair<'_, Rule>) -> QueryError {
    QueryError::semantic(
        format!("unexpected parse tree at `{}`", pair.as_str()),
        span(pair),
    )
}

/// The inner pairs that carry meaning (keywords dropped).
fn meaningful<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner()
        .filter(|inner| keyword_text(inner.as_rule()).is_none())
}

fn next<'i>(
    items: &mut impl Iterator<Item = Pair<'i, Rule>>,
    parent: &Pair<'i, Rule>,
) -> Result<Pair<'i, Rule>, QueryError> {
    items.next().ok_or_else(|| shape(parent))
}

fn number(pair: &Pair<'_, Rule>) -> Result<Spanned<u64>, QueryError> {
    pair.as_str()
        .parse::<u64>()
        .map(|value| Spanned::new(value, span(pair)))
        .map_err(|_| {
            QueryError::semantic(
                format!("`{}` is too large a number", pair.as_str()),
                span(pair),
            )
        })
}

fn build_query(query: Pair<'_, Rule>) -> Result<Query, QueryError> {
    let mut statement = None;
    let mut modifiers = Vec::new();
    for pair in query.into_inner() {
        match pair.as_rule() {
            Rule::EOI => {}
            Rule::via
            | Rule::without
            | Rule::max_hops
            | Rule::limit
            | Rule::from_account
            | Rule::from_external
            | Rule::definite_only
            | Rule::at_snapshot
            | Rule::people_only
            | Rule::keep
            | Rule::check => modifiers.push(build_modifier(pair)?),
            _ => statement = Some(build_statement(pair)?),
        }
    }
    let statement =
        statement.ok_or_else(|| QueryError::semantic("no statement".into(), Span::default()))?;
    Ok(Query {
        statement,
        modifiers,
    })
}

fn build_statement(pair: Pair<'_, Rule>) -> Result<Statement, QueryError> {
    let rule = pair.as_rule();
    let whole = pair.clone();
    let mut items = meaningful(pair);
    Ok(match rule {
        Rule::who_can_reach => Statement::WhoCanReach {
            target: build_target(next(&mut items, &whole)?)?,
        },
        Rule::who_can_access => Statement::WhoCanAccess {
            level: build_level(next(&mut items, &whole)?)?,
            target: build_node(next(&mut items, &whole)?)?,
        },
        Rule::what_can_access => Statement::WhatCanAccess {
            from: build_node(next(&mut items, &whole)?)?,
            level: build_level(next(&mut items, &whole)?)?,
        },
        Rule::what_can_do => {
            let principal = build_node(next(&mut items, &whole)?)?;
            let resource = spanned_str(&next(&mut items, &whole)?);
            Statement::WhatCanDo {
                principal,
                resource,
                context: build_context(items.next())?,
            }
        }
        Rule::who_can_do => Statement::WhoCanDo {
            request: build_request(&mut items, &whole)?,
        },
        Rule::who_is_admin => Statement::WhoIsAdmin {
            scope: items.next().map(build_scope).transpose()?,
        },
        Rule::can_do => Statement::CanDo {
            principal: build_node(next(&mut items, &whole)?)?,
            request: build_request(&mut items, &whole)?,
        },
        Rule::can_reach => Statement::CanReach {
            from: build_node(next(&mut items, &whole)?)?,
            target: build_target(next(&mut items, &whole)?)?,
        },
        Rule::path => Statement::Path {
            from: build_node(next(&mut items, &whole)?)?,
            target: build_target(next(&mut items, &whole)?)?,
            mode: items.next().map(build_path_mode).transpose()?,
        },
        Rule::what_can_reach => Statement::WhatCanReach {
            from: build_node(next(&mut items, &whole)?)?,
        },
        Rule::show => Statement::Show {
            node: build_node(next(&mut items, &whole)?)?,
        },
        Rule::what_cuts => Statement::WhatCuts {
            target: build_target(next(&mut items, &whole)?)?,
        },
        Rule::diff => Statement::Diff {
            before: number(&next(&mut items, &whole)?)?,
            after: number(&next(&mut items, &whole)?)?,
            target: items
                .next()
                .map(|question| {
                    let whole = question.clone();
                    build_target(next(&mut meaningful(question), &whole)?)
                })
                .transpose()?,
        },
        _ => return Err(shape(&whole)),
    })
}

fn build_target(pair: Pair<'_, Rule>) -> Result<Target, QueryError> {
    let whole = pair.clone();
    let inner = next(&mut pair.into_inner(), &whole)?;
    match inner.as_rule() {
        Rule::admin_target => {
            let scope = next(&mut meaningful(inner), &whole)?;
            Ok(Target::Admin {
                scope: build_scope(scope)?,
            })
        }
        Rule::node => Ok(Target::Node {
            node: build_node(inner)?,
        }),
        _ => Err(shape(&whole)),
    }
}

fn build_scope(pair: Pair<'_, Rule>) -> Result<Spanned<Scope>, QueryError> {
    let whole = pair.clone();
    let inner = next(&mut pair.into_inner(), &whole)?;
    let scope = match inner.as_rule() {
        Rule::in_account => Scope::Account(next(&mut meaningful(inner), &whole)?.as_str().into()),
        Rule::in_ou => {
            let name = next(&mut meaningful(inner), &whole)?;
            Scope::Ou(unquote(name.as_str()).to_owned())
        }
        Rule::in_org => Scope::Org,
        _ => return Err(shape(&whole)),
    };
    Ok(Spanned::new(scope, span(&whole)))
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(text)
}

fn build_node(pair: Pair<'_, Rule>) -> Result<NodeRef, QueryError> {
    let whole = pair.clone();
    let inner = next(&mut pair.into_inner(), &whole)?;
    match inner.as_rule() {
        Rule::arn | Rule::dotted_name | Rule::keep_arn => Ok(NodeRef::Arn {
            arn: spanned_str(&inner),
        }),
        Rule::anyone => Ok(NodeRef::Anyone {
            at: Spanned::new((), span(&inner)),
        }),
        Rule::named_node | Rule::keep_named => {
            let mut parts = inner.into_inner();
            let kind = next(&mut parts, &whole)?;
            let kind = match kind.as_str().to_ascii_lowercase().as_str() {
                "user" => NamedKind::User,
                "role" => NamedKind::Role,
                "group" => NamedKind::Group,
                _ => return Err(shape(&kind)),
            };
            let name = spanned_str(&next(&mut parts, &whole)?);
            let account = parts
                .next()
                .map(|account| -> Result<Spanned<String>, QueryError> {
                    let account_whole = account.clone();
                    Ok(spanned_str(&next(
                        &mut meaningful(account),
                        &account_whole,
                    )?))
                })
                .transpose()?;
            Ok(NodeRef::Named {
                kind,
                name,
                account,
            })
        }
        _ => Err(shape(&whole)),
    }
}

fn build_keep_item(pair: Pair<'_, Rule>) -> Result<KeepItem, QueryError> {
    let whole = pair.clone();
    let inner = next(&mut pair.into_inner(), &whole)?;
    match inner.as_rule() {
        Rule::keep_node => Ok(KeepItem::Node {
            node: build_node(inner)?,
        }),
        Rule::keep_policy => {
            let mut parts = meaningful(inner);
            let name = next(&mut parts, &whole)?;
            let policy = if name.as_rule() == Rule::quoted {
                let text = name.as_str();
                Spanned::new(
                    text.get(1..text.len().saturating_sub(1))
                        .unwrap_or_default()
                        .to_owned(),
                    span(&name),
                )
            } else {
                spanned_str(&name)
            };
            let statement = parts.next().map(|index| number(&index)).transpose()?;
            Ok(KeepItem::Policy { policy, statement })
        }
        _ => Err(shape(&whole)),
    }
}

fn build_request<'i>(
    items: &mut impl Iterator<Item = Pair<'i, Rule>>,
    whole: &Pair<'i, Rule>,
) -> Result<RequestSpec, QueryError> {
    let action = spanned_str(&next(items, whole)?);
    let resource = spanned_str(&next(items, whole)?);
    Ok(RequestSpec {
        action,
        resource,
        context: build_context(items.next())?,
    })
}

/// The pairs of a `with` clause.
fn build_context(with: Option<Pair<'_, Rule>>) -> Result<ContextPairs, QueryError> {
    let mut context = Vec::new();
    for pair in with.into_iter().flat_map(meaningful) {
        let pair_whole = pair.clone();
        let mut parts = pair.into_inner();
        let key = spanned_str(&next(&mut parts, &pair_whole)?);
        let value = next(&mut parts, &pair_whole)?;
        let value = Spanned::new(unquote(value.as_str()).to_owned(), span(&value));
        context.push((key, value));
    }
    Ok(context)
}

fn build_level(pair: Pair<'_, Rule>) -> Result<Spanned<AccessLevel>, QueryError> {
    let whole = pair.clone();
    let first = next(&mut pair.into_inner(), &whole)?;
    let level = match first.as_rule() {
        Rule::kw_list => AccessLevel::List,
        Rule::kw_read => AccessLevel::Read,
        Rule::kw_write => AccessLevel::Write,
        Rule::kw_tag => AccessLevel::Tagging,
        Rule::kw_manage => AccessLevel::PermissionsManagement,
        _ => return Err(shape(&whole)),
    };
    Ok(Spanned::new(level, span(&whole)))
}

fn build_path_mode(pair: Pair<'_, Rule>) -> Result<Spanned<PathMode>, QueryError> {
    let whole = pair.clone();
    let inner = next(&mut pair.into_inner(), &whole)?;
    let mode = match inner.as_rule() {
        Rule::kw_shortest => PathMode::Shortest,
        Rule::kw_all => PathMode::All,
        Rule::k_paths => PathMode::K(number(&next(&mut meaningful(inner), &whole)?)?.value),
        _ => return Err(shape(&whole)),
    };
    Ok(Spanned::new(mode, span(&whole)))
}

fn edge_kinds(pair: Pair<'_, Rule>) -> Result<Vec<EdgeKindName>, QueryError> {
    let whole = pair.clone();
    let list = next(&mut meaningful(pair), &whole)?;
    list.into_inner()
        .map(|kind| {
            let keyword = next(&mut kind.clone().into_inner(), &kind)?;
            Ok(match keyword.as_rule() {
                Rule::kw_assume => EdgeKindName::Assume,
                Rule::kw_privesc => EdgeKindName::Privesc,
                Rule::kw_member => EdgeKindName::Member,
                Rule::kw_permit => EdgeKindName::Permit,
                Rule::kw_sso => EdgeKindName::Sso,
                _ => return Err(shape(&kind)),
            })
        })
        .collect()
}

fn build_modifier(pair: Pair<'_, Rule>) -> Result<Spanned<Modifier>, QueryError> {
    let whole = pair.clone();
    let at = span(&pair);
    let modifier = match pair.as_rule() {
        Rule::via => Modifier::Via(edge_kinds(pair)?),
        Rule::without => Modifier::Without(edge_kinds(pair)?),
        Rule::max_hops => Modifier::MaxHops(number(&next(&mut meaningful(pair), &whole)?)?.value),
        Rule::limit => Modifier::Limit(number(&next(&mut meaningful(pair), &whole)?)?.value),
        Rule::from_account => {
            Modifier::FromAccounts(meaningful(pair).map(|id| spanned_str(&id)).collect())
        }
        Rule::from_external => Modifier::FromExternal,
        Rule::definite_only => Modifier::DefiniteOnly,
        Rule::at_snapshot => {
            Modifier::AtSnapshot(number(&next(&mut meaningful(pair), &whole)?)?.value)
        }
        Rule::people_only => Modifier::PeopleOnly,
        Rule::check => Modifier::Check,
        Rule::keep => Modifier::Keep(
            meaningful(pair)
                .map(build_keep_item)
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(shape(&whole)),
    };
    Ok(Spanned::new(modifier, at))
}

#[cfg(test)]
mod tests;
