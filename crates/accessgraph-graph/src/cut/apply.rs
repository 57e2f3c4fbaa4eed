//! Makes a plan's changes on a copy of a snapshot: statements removed from the policies that
//! hold them, AWS-managed policies detached, memberships and Identity Center assignments
//! deleted. The graph of the copy shows what the plan leaves.

use std::collections::BTreeMap;

use accessgraph_model::{Account, InlinePolicy, PolicyHash, Snapshot};
use serde_json::Value;

use super::change::Fix;

/// Why a change cannot be made on a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The policy, principal or group the change names is not in the snapshot.
    #[error("{0} is not in the snapshot")]
    NotFound(String),
    /// The policy has no statement with that index.
    #[error("policy `{policy}` has no statement {statement}")]
    NoStatement {
        /// The policy's label.
        policy: String,
        /// The index.
        statement: usize,
    },
    /// The stored document is not a policy document.
    #[error("the document of policy `{0}` is not a JSON object with a Statement")]
    Document(String),
}

/// A copy of `snapshot` with `fixes` made.
///
/// # Errors
/// When a fix names something the snapshot does not hold.
pub fn apply(snapshot: &Snapshot, fixes: &[Fix]) -> Result<Snapshot, ApplyError> {
    let mut changed = snapshot.clone();
    let mut removals: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for fix in fixes {
        match fix {
            Fix::RemoveStatement {
                policy, statement, ..
            } => removals.entry(policy).or_default().push(*statement),
            Fix::Detach { policy, from } => detach(&mut changed, policy, from)?,
            Fix::LeaveGroup { member, group } => leave(&mut changed, member, group)?,
            Fix::Unassign { principal, role } => unassign(&mut changed, principal, role)?,
        }
    }
    for (policy, statements) in removals {
        remove_statements(&mut changed, policy, statements)?;
    }
    changed.recount();
    Ok(changed)
}

fn remove_statements(
    snapshot: &mut Snapshot,
    policy: &str,
    statements: Vec<usize>,
) -> Result<(), ApplyError> {
    let place = locate(&snapshot.accounts, policy)
        .ok_or_else(|| ApplyError::NotFound(format!("policy `{policy}`")))?;
    let text = place
        .hash(&snapshot.accounts)
        .and_then(|hash| snapshot.documents.get(hash))
        .ok_or_else(|| ApplyError::NotFound(format!("the document of policy `{policy}`")))?;
    let text = without_statements(text, &statements).map_err(|error| match error {
        Edit::NotADocument => ApplyError::Document(policy.to_owned()),
        Edit::NoStatement(statement) => ApplyError::NoStatement {
            policy: policy.to_owned(),
            statement,
        },
    })?;
    let hash = PolicyHash::of(&text);
    snapshot.documents.insert(hash.clone(), text);
    if let Some(slot) = place.hash_mut(&mut snapshot.accounts) {
        *slot = hash;
    }
    Ok(())
}

/// Why a document cannot lose statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// Not a JSON object with a `Statement`.
    NotADocument,
    /// No statement with this index.
    NoStatement(usize),
}

/// A policy document's text without some of its statements (zero-based indices, as evidence
/// counts them; a single statement object counts as a list of one).
pub fn without_statements(text: &str, statements: &[usize]) -> Result<String, Edit> {
    let mut document: Value = serde_json::from_str(text).map_err(|_| Edit::NotADocument)?;
    let list = match document.get_mut("Statement") {
        Some(Value::Array(list)) => list,
        Some(single @ Value::Object(_)) => {
            *single = Value::Array(vec![single.take()]);
            match single {
                Value::Array(list) => list,
                _ => return Err(Edit::NotADocument),
            }
        }
        _ => return Err(Edit::NotADocument),
    };
    let mut statements = statements.to_vec();
    statements.sort_unstable();
    statements.dedup();
    for statement in statements.into_iter().rev() {
        if statement >= list.len() {
            return Err(Edit::NoStatement(statement));
        }
        list.remove(statement);
    }
    Ok(document.to_string())
}

/// The text of the policy a label names (a trust policy `ROLE#trust`, an inline policy
/// `ENTITY#inline/NAME`, a resource policy `RESOURCE#policy`, or a customer-managed policy's
/// default version by its ARN), if the snapshot holds it.
#[must_use]
pub fn policy_text<'s>(snapshot: &'s Snapshot, label: &str) -> Option<&'s str> {
    locate(&snapshot.accounts, label)?
        .hash(&snapshot.accounts)
        .and_then(|hash| snapshot.documents.get(hash))
        .map(String::as_str)
}

/// Where a policy's document reference lives in a snapshot's accounts.
#[derive(Debug, Clone, Copy)]
enum Place {
    Trust {
        account: usize,
        role: usize,
    },
    Resource {
        account: usize,
        policy: usize,
    },
    Inline {
        account: usize,
        owner: Owner,
        index: usize,
        policy: usize,
    },
    Managed {
        account: usize,
        policy: usize,
        version: usize,
    },
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    User,
    Group,
    Role,
}

/// Finds the policy a label names: a trust policy (`ROLE#trust`), an inline policy
/// (`ENTITY#inline/NAME`), a resource policy (`RESOURCE#policy`) or a customer-managed policy's
/// default version (its ARN).
fn locate(accounts: &[Account], label: &str) -> Option<Place> {
    // An IAM label names its account; accounts are sorted by id. A bucket's does not.
    let named = label
        .split(':')
        .nth(4)
        .filter(|account| !account.is_empty())
        .and_then(|account| {
            accounts
                .binary_search_by(|entry| entry.id.as_str().cmp(account))
                .ok()
        });
    let find = |pick: &dyn Fn(&Account) -> Option<usize>| match named {
        Some(account) => Some((account, pick(accounts.get(account)?)?)),
        None => accounts
            .iter()
            .enumerate()
            .find_map(|(account, entry)| Some((account, pick(entry)?))),
    };
    if let Some(arn) = label.strip_suffix("#trust") {
        let (account, role) = find(&|entry| entry.roles.iter().position(|role| role.arn == arn))?;
        return Some(Place::Trust { account, role });
    }
    if let Some(arn) = label.strip_suffix("#policy") {
        let (account, policy) = find(&|entry| {
            entry
                .resource_policies
                .iter()
                .position(|policy| policy.arn == arn)
        })?;
        return Some(Place::Resource { account, policy });
    }
    if let Some((arn, name)) = label.split_once("#inline/") {
        let inline = |list: &[InlinePolicy]| list.iter().position(|policy| policy.name == name);
        for (account, entry) in accounts.iter().enumerate() {
            if named.is_some_and(|named| named != account) {
                continue;
            }
            let owners = [
                (
                    Owner::User,
                    entry
                        .users
                        .iter()
                        .position(|user| user.arn == arn)
                        .and_then(|index| Some((index, &entry.users.get(index)?.inline_policies))),
                ),
                (
                    Owner::Group,
                    entry
                        .groups
                        .iter()
                        .position(|group| group.arn == arn)
                        .and_then(|index| Some((index, &entry.groups.get(index)?.inline_policies))),
                ),
                (
                    Owner::Role,
                    entry
                        .roles
                        .iter()
                        .position(|role| role.arn == arn)
                        .and_then(|index| Some((index, &entry.roles.get(index)?.inline_policies))),
                ),
            ];
            let Some((owner, (index, list))) = owners
                .into_iter()
                .find_map(|(owner, found)| Some((owner, found?)))
            else {
                continue;
            };
            let policy = inline(list)?;
            return Some(Place::Inline {
                account,
                owner,
                index,
                policy,
            });
        }
        return None;
    }
    let (account, policy) = find(&|entry| {
        entry
            .managed_policies
            .iter()
            .position(|policy| policy.arn == label)
    })?;
    let managed = accounts.get(account)?.managed_policies.get(policy)?;
    let version = managed
        .versions
        .iter()
        .position(|version| version.is_default)
        .or_else(|| {
            managed
                .versions
                .iter()
                .position(|version| version.version_id == managed.default_version)
        })?;
    Some(Place::Managed {
        account,
        policy,
        version,
    })
}

impl Place {
    fn hash(self, accounts: &[Account]) -> Option<&PolicyHash> {
        match self {
            Place::Trust { account, role } => accounts
                .get(account)?
                .roles
                .get(role)
                .map(|role| &role.trust_policy),
            Place::Resource { account, policy } => accounts
                .get(account)?
                .resource_policies
                .get(policy)
                .map(|policy| &policy.document),
            Place::Inline {
                account,
                owner,
                index,
                policy,
            } => {
                let entry = accounts.get(account)?;
                let list = match owner {
                    Owner::User => &entry.users.get(index)?.inline_policies,
                    Owner::Group => &entry.groups.get(index)?.inline_policies,
                    Owner::Role => &entry.roles.get(index)?.inline_policies,
                };
                list.get(policy).map(|policy| &policy.document)
            }
            Place::Managed {
                account,
                policy,
                version,
            } => accounts
                .get(account)?
                .managed_policies
                .get(policy)?
                .versions
                .get(version)
                .map(|version| &version.document),
        }
    }

    fn hash_mut(self, accounts: &mut [Account]) -> Option<&mut PolicyHash> {
        match self {
            Place::Trust { account, role } => accounts
                .get_mut(account)?
                .roles
                .get_mut(role)
                .map(|role| &mut role.trust_policy),
            Place::Resource { account, policy } => accounts
                .get_mut(account)?
                .resource_policies
                .get_mut(policy)
                .map(|policy| &mut policy.document),
            Place::Inline {
                account,
                owner,
                index,
                policy,
            } => {
                let entry = accounts.get_mut(account)?;
                let list = match owner {
                    Owner::User => &mut entry.users.get_mut(index)?.inline_policies,
                    Owner::Group => &mut entry.groups.get_mut(index)?.inline_policies,
                    Owner::Role => &mut entry.roles.get_mut(index)?.inline_policies,
                };
                list.get_mut(policy).map(|policy| &mut policy.document)
            }
            Place::Managed {
                account,
                policy,
                version,
            } => accounts
                .get_mut(account)?
                .managed_policies
                .get_mut(policy)?
                .versions
                .get_mut(version)
                .map(|version| &mut version.document),
        }
    }
}

fn detach(snapshot: &mut Snapshot, policy: &str, from: &str) -> Result<(), ApplyError> {
    for account in &mut snapshot.accounts {
        let attached = if let Some(user) = account.users.iter_mut().find(|user| user.arn == from) {
            &mut user.attached_policies
        } else if let Some(group) = account.groups.iter_mut().find(|group| group.arn == from) {
            &mut group.attached_policies
        } else if let Some(role) = account.roles.iter_mut().find(|role| role.arn == from) {
            &mut role.attached_policies
        } else {
            continue;
        };
        attached.retain(|arn| arn != policy);
        return Ok(());
    }
    Err(ApplyError::NotFound(format!("`{from}`")))
}

fn leave(snapshot: &mut Snapshot, member: &str, group: &str) -> Result<(), ApplyError> {
    if let Some(center) = snapshot
        .organization
        .as_mut()
        .and_then(|organization| organization.identity_center.as_mut())
        && let (Some(user), Some(group)) = (
            center
                .users
                .iter()
                .find(|user| user.node_id() == member)
                .map(|user| user.id.clone()),
            center
                .groups
                .iter()
                .find(|candidate| candidate.node_id() == group)
                .map(|group| group.id.clone()),
        )
    {
        center
            .memberships
            .retain(|membership| membership.user_id != user || membership.group_id != group);
        return Ok(());
    }
    let name = group.rsplit('/').next().unwrap_or(group);
    let user = snapshot
        .accounts
        .iter_mut()
        .flat_map(|account| account.users.iter_mut())
        .find(|user| user.arn == member)
        .ok_or_else(|| ApplyError::NotFound(format!("user `{member}`")))?;
    user.groups.retain(|joined| joined != name);
    Ok(())
}

fn unassign(snapshot: &mut Snapshot, principal: &str, role: &str) -> Result<(), ApplyError> {
    let account = role.split(':').nth(4).unwrap_or_default().to_owned();
    let role_name = role.rsplit('/').next().unwrap_or(role).to_owned();
    let center = snapshot
        .organization
        .as_mut()
        .and_then(|organization| organization.identity_center.as_mut())
        .ok_or_else(|| ApplyError::NotFound("IAM Identity Center".to_owned()))?;
    let id = principal.rsplit('/').next().unwrap_or(principal).to_owned();
    let sets: Vec<String> = center
        .permission_sets
        .iter()
        .filter(|set| role_name.starts_with(&set.role_prefix()))
        .map(|set| set.arn.clone())
        .collect();
    let before = center.assignments.len();
    center.assignments.retain(|assignment| {
        !(assignment.account == account
            && assignment.principal_id == id
            && sets.contains(&assignment.permission_set_arn))
    });
    if center.assignments.len() == before {
        return Err(ApplyError::NotFound(format!(
            "an assignment of `{principal}` provisioned as `{role}`"
        )));
    }
    Ok(())
}
