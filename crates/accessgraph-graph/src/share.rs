//! One copy of each distinct edge value: a large graph has millions of edges but few distinct
//! techniques, evidence lists, conditions and requirements, so edges hold shared references.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use accessgraph_policy::Conditions;

use crate::model::{Access, CitationId};

/// The distinct values handed out so far.
#[derive(Default)]
pub(crate) struct Shared {
    texts: HashSet<Arc<String>>,
    lists: HashSet<Arc<Vec<String>>>,
    evidence: HashSet<Arc<Vec<CitationId>>>,
    conditions: HashSet<Arc<Conditions>>,
    accesses: HashSet<Arc<Vec<Access>>>,
}

/// The shared copy of `value`.
fn intern<T: Hash + Eq>(set: &mut HashSet<Arc<T>>, value: T) -> Arc<T> {
    if let Some(shared) = set.get(&value) {
        return shared.clone();
    }
    let shared = Arc::new(value);
    set.insert(shared.clone());
    shared
}

impl Shared {
    pub(crate) fn text(&mut self, text: String) -> Arc<String> {
        intern(&mut self.texts, text)
    }

    pub(crate) fn list(&mut self, list: Vec<String>) -> Arc<Vec<String>> {
        intern(&mut self.lists, list)
    }

    pub(crate) fn evidence(&mut self, ids: Vec<CitationId>) -> Arc<Vec<CitationId>> {
        intern(&mut self.evidence, ids)
    }

    pub(crate) fn conditions(&mut self, conditions: Conditions) -> Arc<Conditions> {
        intern(&mut self.conditions, conditions)
    }

    pub(crate) fn access(&mut self, access: Vec<Access>) -> Arc<Vec<Access>> {
        intern(&mut self.accesses, access)
    }
}
