//! The kinds of access a permit edge decides, from the AWS service catalog: for each kind of
//! resource, every action of each access level (List, Read, Write, Permissions management,
//! Tagging) that applies to its resource types, the most telling ones first
//! (`data/resource-access.json` names them and the types; the catalog gives the rest).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use accessgraph_catalog::{AccessLevel, Catalog};
use accessgraph_model::ResourcePolicyKind;
use accessgraph_policy::Action;
use serde::Deserialize;

/// The data file: per kind, the service, the catalog's resource types (with whether their
/// actions act on objects under the resource) and the most telling actions.
const DATA: &str = include_str!("../data/resource-access.json");

#[derive(Deserialize)]
struct KindData {
    service: String,
    types: BTreeMap<String, bool>,
    first: Vec<String>,
}

/// One action a permit edge may decide.
#[derive(Debug, Clone)]
pub(crate) struct AccessAction {
    pub(crate) action: Action,
    /// Decided on objects (or methods) under the resource's ARN rather than on the ARN itself.
    pub(crate) on_objects: bool,
    /// One of the data file's most telling actions.
    pub(crate) telling: bool,
}

/// The actions of one access level on one kind of resource, the most telling first.
#[derive(Debug, Clone)]
pub(crate) struct LevelActions {
    pub(crate) level: AccessLevel,
    pub(crate) actions: Vec<AccessAction>,
}

/// Every access level of every kind, computed once from the data file and the catalog.
static KINDS: LazyLock<BTreeMap<ResourcePolicyKind, Vec<LevelActions>>> = LazyLock::new(|| {
    let data: BTreeMap<String, serde_json::Value> = serde_json::from_str(DATA).unwrap_or_default();
    data.into_iter()
        .filter_map(|(name, body)| {
            let kind: ResourcePolicyKind =
                serde_json::from_value(serde_json::Value::String(name)).ok()?;
            let body: KindData = serde_json::from_value(body).ok()?;
            Some((kind, levels(Catalog::embedded(), &body)))
        })
        .collect()
});

/// The levels of one kind: per level, the `first` actions that have it, then every other action
/// of the service with that level on one of the types, by name.
fn levels(catalog: &Catalog, data: &KindData) -> Vec<LevelActions> {
    let Some(service) = catalog.service(&data.service) else {
        return Vec::new();
    };
    let on_objects = |info: &accessgraph_catalog::ActionInfo| -> Option<bool> {
        let mut applies = info
            .resource_types
            .iter()
            .filter_map(|resource_type| data.types.get(&resource_type.name).copied());
        let first = applies.next()?;
        // An action on the resource itself is decided there even if it also takes objects.
        Some(first && applies.all(|objects| objects))
    };
    AccessLevel::ALL
        .into_iter()
        .map(|level| {
            let mut actions: Vec<(usize, String, bool)> = service
                .actions()
                .filter(|info| info.levels.contains(&level))
                .filter_map(|info| {
                    let full = format!("{}:{}", service.prefix, info.name);
                    let rank = data
                        .first
                        .iter()
                        .position(|name| name.eq_ignore_ascii_case(&full))
                        .unwrap_or(usize::MAX);
                    Some((rank, full, on_objects(info)?))
                })
                .collect();
            actions.sort();
            LevelActions {
                level,
                actions: actions
                    .into_iter()
                    .map(|(rank, name, on_objects)| AccessAction {
                        action: Action::new(&name),
                        on_objects,
                        telling: rank != usize::MAX,
                    })
                    .collect(),
            }
        })
        .filter(|level| !level.actions.is_empty())
        .collect()
}

/// The access levels of a kind of resource with their actions.
pub(crate) fn levels_of(kind: ResourcePolicyKind) -> &'static [LevelActions] {
    KINDS.get(&kind).map(Vec::as_slice).unwrap_or_default()
}

/// The catalog's name of an access action (for loading saved graphs), if it is one.
pub(crate) fn static_action(name: &str) -> Option<&'static str> {
    KINDS
        .values()
        .flatten()
        .flat_map(|level| &level.actions)
        .map(|action| action.action.as_str())
        .find(|candidate| *candidate == name)
}

/// Whether `action` is decided on objects of a resource of `kind`.
pub(crate) fn acts_on_objects(kind: ResourcePolicyKind, action: &Action) -> bool {
    levels_of(kind)
        .iter()
        .flat_map(|level| &level.actions)
        .any(|candidate| candidate.on_objects && candidate.action.lower() == action.lower())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_levels_from_the_catalog_and_its_first_actions_exist() {
        let data: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(DATA).expect("the data file parses");
        let catalog = Catalog::embedded();
        for (name, body) in data.iter().filter(|(name, _)| !name.starts_with('_')) {
            let kind: ResourcePolicyKind =
                serde_json::from_value(serde_json::Value::String(name.clone()))
                    .unwrap_or_else(|_| panic!("`{name}` is a resource kind"));
            let body: KindData =
                serde_json::from_value(body.clone()).expect("a kind's entry parses");
            let service = catalog.service(&body.service).expect("the service exists");
            for resource_type in body.types.keys() {
                assert!(
                    service.resource_arn(resource_type).is_some(),
                    "{name}: no resource type `{resource_type}` in {}",
                    body.service
                );
            }
            for first in &body.first {
                let (_, info) = catalog
                    .action(first)
                    .unwrap_or_else(|| panic!("{name}: `{first}` is not in the catalog"));
                assert!(
                    info.resource_types
                        .iter()
                        .any(|resource_type| body.types.contains_key(&resource_type.name)),
                    "{name}: `{first}` applies to none of its types"
                );
            }
            assert!(!levels_of(kind).is_empty(), "{name}: no levels");
        }
    }

    #[test]
    fn the_most_telling_action_comes_first_and_levels_follow_the_catalog() {
        let s3 = levels_of(ResourcePolicyKind::S3Bucket);
        let first = |level: AccessLevel| {
            s3.iter()
                .find(|candidate| candidate.level == level)
                .and_then(|candidate| candidate.actions.first())
                .map(|first| (first.action.as_str().to_owned(), first.on_objects))
        };
        assert_eq!(
            first(AccessLevel::Read),
            Some(("s3:GetObject".into(), true))
        );
        assert_eq!(
            first(AccessLevel::List),
            Some(("s3:ListBucket".into(), false))
        );
        assert_eq!(
            first(AccessLevel::Write),
            Some(("s3:PutObject".into(), true))
        );
        assert_eq!(
            first(AccessLevel::PermissionsManagement),
            Some(("s3:PutBucketPolicy".into(), false))
        );
        // The catalog classes kms:Decrypt as Write, and every Read action is there, not only the
        // named ones.
        let kms = levels_of(ResourcePolicyKind::KmsKey);
        let read: Vec<&str> = kms
            .iter()
            .filter(|candidate| candidate.level == AccessLevel::Read)
            .flat_map(|candidate| candidate.actions.iter().map(|a| a.action.as_str()))
            .collect();
        assert!(read.contains(&"kms:GetPublicKey"), "{read:?}");
        assert!(!read.contains(&"kms:Decrypt"));
        assert!(acts_on_objects(
            ResourcePolicyKind::S3Bucket,
            &Action::new("s3:GetObjectTagging")
        ));
        assert!(!acts_on_objects(
            ResourcePolicyKind::S3Bucket,
            &Action::new("s3:ListBucket")
        ));
    }
}
