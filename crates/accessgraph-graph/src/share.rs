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
    texts: HashSet<Arc<str>>,
    lists: HashSet<Arc<[String]>>,
    evidence: HashSet<Arc<[CitationId]>>,
    conditions: HashSet<Arc<Conditions>>,
    accesses: HashSet<Arc<[Access]>>,
}

/// The shared copy of `value`, made by `make` the first time.
fn intern<T: ?Sized + Hash + Eq>(
    set: &mut HashSet<Arc<T>>,
    value: &T,
    make: impl FnOnce() -> Arc<T>,
) -> Arc<T> {
    if let Some(shared) = set.get(value) {
        return shared.clone();
    }
    let shared = make();
    set.insert(shared.clone());
    shared
}

impl Shared {
    pub(crate) fn text(&mut self, text: &str) -> Arc<str> {
        intern(&mut self.texts, text, || Arc::from(text))
    }

    pub(crate) fn list(&mut self, list: &[String]) -> Arc<[String]> {
        intern(&mut self.lists, list, || Arc::from(list))
    }

    pub(crate) fn evidence(&mut self, ids: &[CitationId]) -> Arc<[CitationId]> {
        intern(&mut self.evidence, ids, || Arc::from(ids))
    }

    pub(crate) fn conditions(&mut self, conditions: Conditions) -> Arc<Conditions> {
        if let Some(shared) = self.conditions.get(&conditions) {
            return shared.clone();
        }
        let shared = Arc::new(conditions);
        self.conditions.insert(shared.clone());
        shared
    }

    pub(crate) fn access(&mut self, access: &[Access]) -> Arc<[Access]> {
        intern(&mut self.accesses, access, || Arc::from(access))
    }
}
