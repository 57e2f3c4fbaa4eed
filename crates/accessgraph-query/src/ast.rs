//! The abstract syntax of a query, with the byte span of every token a semantic error may name.
//!
//! `Display` prints a query in canonical form (lowercase keywords, single spaces); parsing the
//! printed text gives back an equal AST. Spans do not take part in equality: they say where a
//! value was written, not what it is.

use std::fmt;

pub use accessgraph_catalog::AccessLevel;

/// A byte range of the query text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// A value and where it was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// A value with a span.
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

/// One query: a statement and its modifiers, in the order written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Query {
    /// What is asked.
    pub statement: Statement,
    /// How the search is shaped.
    pub modifiers: Vec<Spanned<Modifier>>,
}

/// What a query asks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "statement", rename_all = "snake_case")]
pub enum Statement {
    /// `who can reach TARGET`.
    WhoCanReach {
        /// What is reached.
        target: Target,
    },
    /// `who can LEVEL [of] NODE`: who reaches a resource with one access level of the AWS
    /// catalog (`read`, `write`, `list`, `tag`, `manage permissions`).
    WhoCanAccess {
        /// The access level.
        level: Spanned<AccessLevel>,
        /// The resource.
        target: NodeRef,
    },
    /// `who can do ACTION on RESOURCE [with K=V, ...]`.
    WhoCanDo {
        /// The request.
        request: RequestSpec,
    },
    /// `who is admin [SCOPE]`.
    WhoIsAdmin {
        /// Where; every account when absent.
        scope: Option<Spanned<Scope>>,
    },
    /// `can NODE do ACTION on RESOURCE [with K=V, ...]`.
    CanDo {
        /// The caller.
        principal: NodeRef,
        /// The request.
        request: RequestSpec,
    },
    /// `can NODE reach TARGET`.
    CanReach {
        /// The start.
        from: NodeRef,
        /// What is reached.
        target: Target,
    },
    /// `path from NODE to TARGET [shortest | all | k N]`.
    Path {
        /// The start.
        from: NodeRef,
        /// What is reached.
        target: Target,
        /// Which paths.
        mode: Option<Spanned<PathMode>>,
    },
    /// `what can NODE reach`.
    WhatCanReach {
        /// The start.
        from: NodeRef,
    },
    /// `what can NODE LEVEL`: the resources a node reaches with one access level.
    WhatCanAccess {
        /// The start.
        from: NodeRef,
        /// The access level.
        level: Spanned<AccessLevel>,
    },
    /// `what can NODE do on RESOURCE [with K=V, ...]`: every action of the catalog on the
    /// resource's type, decided for the principal.
    WhatCanDo {
        /// The caller.
        principal: NodeRef,
        /// The resource ARN.
        resource: Spanned<String>,
        /// Request context keys and values.
        context: ContextPairs,
    },
    /// `show NODE`.
    Show {
        /// The node.
        node: NodeRef,
    },
    /// `what cuts paths to TARGET`: the changes (policy statements above all) whose removal
    /// disconnects the most sources from the targets, and a plan that disconnects them all.
    WhatCuts {
        /// What is reached.
        target: Target,
    },
    /// `diff A B [who can reach TARGET]`.
    Diff {
        /// The earlier snapshot.
        before: Spanned<u64>,
        /// The later snapshot.
        after: Spanned<u64>,
        /// The question compared; who can reach an administrator anywhere in the organization
        /// when absent.
        target: Option<Target>,
    },
}

/// What a reachability question is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "target", rename_all = "snake_case")]
pub enum Target {
    /// An administrator of the scope's accounts.
    Admin {
        /// Where.
        scope: Spanned<Scope>,
    },
    /// One node.
    Node {
        /// The node.
        node: NodeRef,
    },
}

/// A set of accounts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// `in account ID` (the digits as written; checked when planned).
    Account(String),
    /// `in ou NAME_OR_ID`: every account under the OU.
    Ou(String),
    /// `in org`: every account of the organization.
    Org,
}

/// A node as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "node", rename_all = "snake_case")]
pub enum NodeRef {
    /// A node by id: a full ARN (a provider ARN, `arn:aws:iam::ID:root`), or the name of a
    /// well-known identity provider or service (`cognito-identity.amazonaws.com`).
    Arn {
        /// The ARN or name.
        arn: Spanned<String>,
    },
    /// `*`: any principal, including anonymous callers.
    Anyone {
        /// Where `*` was written.
        at: Spanned<()>,
    },
    /// `user/NAME`, `role/NAME` or `group/NAME`, optionally `in account ID`.
    Named {
        /// Which kind.
        kind: NamedKind,
        /// The name (a path prefix is allowed: `role/service-role/Name`).
        name: Spanned<String>,
        /// The account, when given.
        account: Option<Spanned<String>>,
    },
}

impl NodeRef {
    /// Where the node was written.
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            NodeRef::Arn { arn } => arn.span,
            NodeRef::Anyone { at } => at.span,
            NodeRef::Named { name, account, .. } => Span {
                start: name.span.start,
                end: account
                    .as_ref()
                    .map_or(name.span.end, |account| account.span.end),
            },
        }
    }
}

/// The kind of a named node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NamedKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
    /// An IAM group.
    Group,
}

/// Request context keys and values, as written (`with aws:SourceIp=10.0.0.1, ...`).
pub type ContextPairs = Vec<(Spanned<String>, Spanned<String>)>;

/// One simulated request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestSpec {
    /// `service:Action`.
    pub action: Spanned<String>,
    /// The resource ARN, or `*`.
    pub resource: Spanned<String>,
    /// Request context keys and values (`with aws:SourceIp=10.0.0.1, ...`).
    pub context: ContextPairs,
}

/// Which paths between two nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "mode", content = "k", rename_all = "snake_case")]
pub enum PathMode {
    /// The shortest path (the default).
    Shortest,
    /// Every simple path within the hop limit.
    All,
    /// The k shortest paths.
    K(u64),
}

/// An edge kind a search may be limited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKindName {
    /// Role assumption.
    Assume,
    /// Privilege escalation.
    Privesc,
    /// Group membership.
    Member,
    /// Access to a resource.
    Permit,
    /// Identity Center sign-in to an assigned permission set's role.
    Sso,
}

/// A modifier of a query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "modifier", content = "value", rename_all = "snake_case")]
pub enum Modifier {
    /// `via KIND, ...`: only these edge kinds.
    Via(Vec<EdgeKindName>),
    /// `without KIND, ...`: not these edge kinds.
    Without(Vec<EdgeKindName>),
    /// `max hops N`.
    MaxHops(u64),
    /// `limit N`: at most N rows.
    Limit(u64),
    /// `from account ID, ...`: sources in these accounts only.
    FromAccounts(Vec<Spanned<String>>),
    /// `from external`: sources outside the snapshot only.
    FromExternal,
    /// `definite only`: no conditional edges.
    DefiniteOnly,
    /// `at snapshot ID`.
    AtSnapshot(u64),
    /// `people only`: sources that are people (IAM users).
    PeopleOnly,
    /// `keep ITEM, ...`: what a plan leaves alone.
    Keep(Vec<KeepItem>),
    /// `check`: make the plan on a copy of the snapshot and rebuild the graph to show the paths
    /// are gone.
    Check,
}

/// Something a plan must leave alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "keep", rename_all = "snake_case")]
pub enum KeepItem {
    /// A principal: paths through it are legitimate; its policies, trust policy and memberships
    /// are never changed.
    Node {
        /// The principal.
        node: NodeRef,
    },
    /// A policy (label or ARN), or one statement of it.
    Policy {
        /// The policy's ARN or label (`ROLE_ARN#trust`, `USER_ARN#inline/NAME`).
        policy: Spanned<String>,
        /// The statement's zero-based index.
        statement: Option<Spanned<u64>>,
    },
}

impl Modifier {
    /// The modifier's keywords, as written in messages.
    #[must_use]
    pub fn keyword(&self) -> &'static str {
        match self {
            Modifier::Via(_) => "via",
            Modifier::Without(_) => "without",
            Modifier::MaxHops(_) => "max hops",
            Modifier::Limit(_) => "limit",
            Modifier::FromAccounts(_) => "from account",
            Modifier::FromExternal => "from external",
            Modifier::DefiniteOnly => "definite only",
            Modifier::AtSnapshot(_) => "at snapshot",
            Modifier::PeopleOnly => "people only",
            Modifier::Keep(_) => "keep",
            Modifier::Check => "check",
        }
    }
}

impl Statement {
    /// The statement's leading keywords, as written in messages.
    #[must_use]
    pub fn keyword(&self) -> &'static str {
        match self {
            Statement::WhoCanReach { .. } => "who can reach",
            Statement::WhoCanAccess { .. } => "who can LEVEL",
            Statement::WhoCanDo { .. } => "who can do",
            Statement::WhoIsAdmin { .. } => "who is admin",
            Statement::CanDo { .. } => "can ... do",
            Statement::CanReach { .. } => "can ... reach",
            Statement::Path { .. } => "path",
            Statement::WhatCanReach { .. } => "what can ... reach",
            Statement::WhatCanAccess { .. } => "what can ... LEVEL",
            Statement::WhatCanDo { .. } => "what can ... do",
            Statement::Show { .. } => "show",
            Statement::Diff { .. } => "diff",
            Statement::WhatCuts { .. } => "what cuts paths to",
        }
    }
}

// --- canonical printing ---------------------------------------------------------------------

fn quote_if_needed(text: &str, plain: impl Fn(char) -> bool) -> String {
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("\"{text}\"")
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.statement)?;
        for modifier in &self.modifiers {
            write!(f, " {modifier}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::WhoCanReach { target } => write!(f, "who can reach {target}"),
            Statement::WhoCanAccess { level, target } => {
                let of = if level.value == AccessLevel::PermissionsManagement {
                    " of"
                } else {
                    ""
                };
                write!(f, "who can {}{of} {target}", level_words(level.value))
            }
            Statement::WhoCanDo { request } => write!(f, "who can do {request}"),
            Statement::WhoIsAdmin { scope: None } => write!(f, "who is admin"),
            Statement::WhoIsAdmin { scope: Some(scope) } => write!(f, "who is admin {scope}"),
            Statement::CanDo { principal, request } => write!(f, "can {principal} do {request}"),
            Statement::CanReach { from, target } => write!(f, "can {from} reach {target}"),
            Statement::Path { from, target, mode } => {
                write!(f, "path from {from} to {target}")?;
                match mode {
                    Some(mode) => write!(f, " {mode}"),
                    None => Ok(()),
                }
            }
            Statement::WhatCanReach { from } => write!(f, "what can {from} reach"),
            Statement::WhatCanAccess { from, level } => {
                write!(f, "what can {from} {}", level_words(level.value))
            }
            Statement::WhatCanDo {
                principal,
                resource,
                context,
            } => {
                write!(f, "what can {principal} do on {resource}")?;
                write_context(f, context)
            }
            Statement::Show { node } => write!(f, "show {node}"),
            Statement::WhatCuts { target } => write!(f, "what cuts paths to {target}"),
            Statement::Diff {
                before,
                after,
                target,
            } => {
                write!(f, "diff {before} {after}")?;
                match target {
                    Some(target) => write!(f, " who can reach {target}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Admin { scope } => write!(f, "admin {scope}"),
            Target::Node { node } => node.fmt(f),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Account(id) => write!(f, "in account {id}"),
            Scope::Ou(name) => write!(
                f,
                "in ou {}",
                quote_if_needed(name, |c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            ),
            Scope::Org => write!(f, "in org"),
        }
    }
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Arn { arn } => arn.fmt(f),
            NodeRef::Anyone { .. } => write!(f, "*"),
            NodeRef::Named {
                kind,
                name,
                account,
            } => {
                let kind = match kind {
                    NamedKind::User => "user",
                    NamedKind::Role => "role",
                    NamedKind::Group => "group",
                };
                write!(f, "{kind}/{name}")?;
                match account {
                    Some(account) => write!(f, " in account {account}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for KeepItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeepItem::Node { node } => node.fmt(f),
            KeepItem::Policy { policy, statement } => {
                write!(f, "policy \"{policy}\"")?;
                match statement {
                    Some(index) => write!(f, " statement {index}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.action, self.resource)?;
        write_context(f, &self.context)
    }
}

/// A request context as ` with K=V, ...` (nothing when empty).
fn write_context(
    f: &mut fmt::Formatter<'_>,
    context: &[(Spanned<String>, Spanned<String>)],
) -> fmt::Result {
    for (index, (key, value)) in context.iter().enumerate() {
        // A bare value may hold a quote, just not begin with one (the grammar reads that as an
        // opening quote); a quoted one holds anything but a quote. Every parsed value fits one.
        let value = if value.value.starts_with('"') {
            format!("\"{}\"", value.value)
        } else {
            // The grammar's white space, not Unicode's: a vertical tab or a no-break space is
            // part of a bare value.
            quote_if_needed(&value.value, |c| {
                !matches!(c, ' ' | '\t' | '\r' | '\n' | ',')
            })
        };
        let lead = if index == 0 { " with " } else { ", " };
        write!(f, "{lead}{key}={value}")?;
    }
    Ok(())
}

/// An access level as the language writes it.
#[must_use]
pub fn level_words(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::List => "list",
        AccessLevel::Read => "read",
        AccessLevel::Write => "write",
        AccessLevel::PermissionsManagement => "manage permissions",
        AccessLevel::Tagging => "tag",
    }
}

impl fmt::Display for PathMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathMode::Shortest => write!(f, "shortest"),
            PathMode::All => write!(f, "all"),
            PathMode::K(k) => write!(f, "k {k}"),
        }
    }
}

impl fmt::Display for EdgeKindName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EdgeKindName::Assume => "assume",
            EdgeKindName::Privesc => "privesc",
            EdgeKindName::Member => "member",
            EdgeKindName::Permit => "permit",
            EdgeKindName::Sso => "sso",
        })
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Modifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Modifier::Via(kinds) => write!(f, "via {}", join(kinds)),
            Modifier::Without(kinds) => write!(f, "without {}", join(kinds)),
            Modifier::MaxHops(hops) => write!(f, "max hops {hops}"),
            Modifier::Limit(limit) => write!(f, "limit {limit}"),
            Modifier::FromAccounts(accounts) => write!(f, "from account {}", join(accounts)),
            Modifier::FromExternal => write!(f, "from external"),
            Modifier::DefiniteOnly => write!(f, "definite only"),
            Modifier::AtSnapshot(id) => write!(f, "at snapshot {id}"),
            Modifier::PeopleOnly => write!(f, "people only"),
            Modifier::Keep(items) => write!(f, "keep {}", join(items)),
            Modifier::Check => write!(f, "check"),
        }
    }
}
