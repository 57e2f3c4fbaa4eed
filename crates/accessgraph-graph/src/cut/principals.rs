//! Whether a trust or resource-policy statement names a caller itself or only its account, read
//! from the snapshot's documents, for the cut planner (`NamesCaller`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use accessgraph_model::Snapshot;
use accessgraph_policy::Citation;
use serde_json::Value;

use super::apply::policy_text;
use crate::model::Node;

/// A statement by its policy's label and its index.
type StatementKey = (Arc<str>, usize);

/// The `Principal` entries of the statements of a snapshot's policies, read on first use.
#[derive(Debug)]
pub struct StatementPrincipals<'s> {
    snapshot: &'s Snapshot,
    read: Mutex<HashMap<StatementKey, Option<Vec<String>>>>,
}

impl<'s> StatementPrincipals<'s> {
    /// Reads the statements of `snapshot`'s policies.
    #[must_use]
    pub fn new(snapshot: &'s Snapshot) -> StatementPrincipals<'s> {
        StatementPrincipals {
            snapshot,
            read: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the cited statement names `caller` itself (its ARN, or `*`: `Some(true)`), only
    /// its account (`Some(false)`), or neither as far as its text tells (`None`).
    pub fn names_caller(&self, citation: &Citation, caller: &Node) -> Option<bool> {
        let key = (citation.policy.clone(), citation.statement);
        let entries = {
            let mut read = self.read.lock().ok()?;
            read.entry(key)
                .or_insert_with(|| self.entries(&citation.policy, citation.statement))
                .clone()?
        };
        let account = caller.account.as_deref()?;
        let root = format!("arn:aws:iam::{account}:root");
        if entries
            .iter()
            .any(|entry| entry == "*" || *entry == caller.arn)
        {
            return Some(true);
        }
        if entries
            .iter()
            .any(|entry| entry == account || *entry == root)
        {
            return Some(false);
        }
        None
    }

    /// The `Principal.AWS` entries of a statement (`*` for `"Principal": "*"`); `None` when
    /// the statement cannot be read or names principals otherwise (`NotPrincipal`).
    fn entries(&self, policy: &str, statement: usize) -> Option<Vec<String>> {
        let document: Value = serde_json::from_str(policy_text(self.snapshot, policy)?).ok()?;
        let statement = match document.get("Statement")? {
            Value::Array(list) => list.get(statement)?,
            single @ Value::Object(_) if statement == 0 => single,
            _ => return None,
        };
        match statement.get("Principal")? {
            Value::String(star) if star == "*" => Some(vec!["*".to_owned()]),
            Value::Object(map) => match map.get("AWS") {
                Some(Value::String(one)) => Some(vec![one.clone()]),
                Some(Value::Array(list)) => Some(
                    list.iter()
                        .filter_map(|entry| entry.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => Some(Vec::new()),
            },
            _ => None,
        }
    }
}
