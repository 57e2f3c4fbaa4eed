//! What an answer may miss: the snapshot's gaps (accounts without IAM data, files skipped as
//! invalid, calls the collector could not make) that touch the question, as warnings that travel
//! with the answer in every form. A gap in an account the question names (its scope, a node's
//! account) is told in full; gaps elsewhere, which can still hide paths from or through those
//! accounts, in one line; a question about the whole snapshot tells every gap.

use std::collections::BTreeSet;

use accessgraph_graph::Graph;

use crate::ast::{NodeRef, Query, Scope, Statement, Target};

/// Most accounts named in the line about gaps outside the question's accounts.
const NAMED_OTHERS: usize = 5;

/// The warnings of an answer to `query` on `graph`.
pub(crate) fn warnings(graph: &Graph, query: &Query) -> Vec<String> {
    let gaps = graph.gaps();
    if gaps.is_empty() {
        return Vec::new();
    }
    let scope = accounts_of(graph, query);
    let mut warnings = Vec::new();
    let mut others = BTreeSet::new();
    for gap in gaps {
        match &gap.account {
            None => warnings.push(format!(
                "the organization {}: this answer may miss what it would have shown",
                gap.what
            )),
            Some(account) if scope.as_ref().is_none_or(|scope| scope.contains(account)) => {
                warnings.push(format!(
                    "account {account} {}: this answer may miss principals, resources and paths \
                     there",
                    gap.what
                ));
            }
            Some(account) => {
                others.insert(account.as_str());
            }
        }
    }
    // An account's administrators are its own principals: gaps elsewhere cannot change them.
    let others_matter = !matches!(query.statement, Statement::WhoIsAdmin { scope: Some(_) });
    if others_matter && !others.is_empty() {
        let named: Vec<&str> = others.iter().take(NAMED_OTHERS).copied().collect();
        let more = if others.len() > NAMED_OTHERS {
            ", ..."
        } else {
            ""
        };
        warnings.push(format!(
            "{} other account(s) have incomplete data ({}{more}): paths from or through them may \
             be missing (`accessgraph snapshots show` lists what)",
            others.len(),
            named.join(", ")
        ));
    }
    warnings
}

/// The accounts a question names; `None` when it is about the whole snapshot (`in org`, no
/// scope, or what a principal can reach anywhere).
fn accounts_of(graph: &Graph, query: &Query) -> Option<BTreeSet<String>> {
    let mut accounts = BTreeSet::new();
    let whole = match &query.statement {
        Statement::WhoCanReach { target } | Statement::WhatCuts { target } => {
            target_accounts(graph, target, &mut accounts)
        }
        Statement::WhoCanAccess { target, .. } | Statement::Show { node: target } => {
            node_account(target, &mut accounts);
            false
        }
        Statement::WhoCanDo { request } => {
            arn_account(&request.resource.value, &mut accounts);
            false
        }
        Statement::WhoIsAdmin { scope } => match scope {
            Some(scope) => scope_accounts(graph, &scope.value, &mut accounts),
            None => true,
        },
        Statement::CanDo { principal, request } => {
            node_account(principal, &mut accounts);
            arn_account(&request.resource.value, &mut accounts);
            false
        }
        Statement::CanReach { from, target } | Statement::Path { from, target, .. } => {
            node_account(from, &mut accounts);
            target_accounts(graph, target, &mut accounts)
        }
        Statement::WhatCanReach { .. } | Statement::WhatCanAccess { .. } => true,
        Statement::WhatCanDo {
            principal,
            resource,
            ..
        } => {
            node_account(principal, &mut accounts);
            arn_account(&resource.value, &mut accounts);
            false
        }
        Statement::Diff { target, .. } => match target {
            Some(target) => target_accounts(graph, target, &mut accounts),
            None => true,
        },
    };
    (!whole).then_some(accounts)
}

/// Adds a target's accounts; whether it is the whole organization.
fn target_accounts(graph: &Graph, target: &Target, accounts: &mut BTreeSet<String>) -> bool {
    match target {
        Target::Admin { scope } => scope_accounts(graph, &scope.value, accounts),
        Target::Node { node } => {
            node_account(node, accounts);
            false
        }
    }
}

/// Adds a scope's accounts; whether it is the whole organization.
fn scope_accounts(graph: &Graph, scope: &Scope, accounts: &mut BTreeSet<String>) -> bool {
    match scope {
        Scope::Account(id) => {
            accounts.insert(id.clone());
            false
        }
        Scope::Org => true,
        Scope::Ou(name) => {
            let Some(org) = graph.organization() else {
                return false;
            };
            let top = org
                .ous
                .iter()
                .find(|ou| ou.id.eq_ignore_ascii_case(name) || ou.name.eq_ignore_ascii_case(name))
                .map(|ou| ou.id.as_str())
                .or_else(|| {
                    org.roots
                        .iter()
                        .find(|root| root.id == *name)
                        .map(|root| root.id.as_str())
                });
            for account in &org.accounts {
                let under = org.chain(&account.id).is_some_and(|chain| {
                    top.is_some_and(|top| chain.iter().any(|id| id.as_str() == top))
                });
                if under {
                    accounts.insert(account.id.clone());
                }
            }
            false
        }
    }
}

fn node_account(node: &NodeRef, accounts: &mut BTreeSet<String>) {
    match node {
        NodeRef::Arn { arn } => arn_account(&arn.value, accounts),
        NodeRef::Named {
            account: Some(account),
            ..
        } => {
            accounts.insert(account.value.clone());
        }
        NodeRef::Named { account: None, .. } | NodeRef::Anyone { .. } => {}
    }
}

fn arn_account(arn: &str, accounts: &mut BTreeSet<String>) {
    if let Some(parts) = accessgraph_policy::arn_components(arn) {
        if accessgraph_policy::is_account_id(parts[4]) {
            accounts.insert(parts[4].to_owned());
        }
    }
}
