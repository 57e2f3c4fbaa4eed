//! Merging the fragments of every file into one snapshot, in path order.

use std::collections::BTreeMap;

use accessgraph_model::{Account, Organization, PolicyHash, Snapshot, SnapshotId, SnapshotMeta};

use crate::error::IngestError;
use crate::fragment::{Fragment, Parsed};

/// What the merge needs besides the fragments.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) source: String,
    pub(crate) label: Option<String>,
    pub(crate) collected_at: Option<String>,
    pub(crate) partition: String,
}

#[derive(Debug, Default)]
struct OrgParts {
    header: Option<(String, String, String, String)>,
    roots: Vec<accessgraph_model::Root>,
    ous: Vec<accessgraph_model::OrganizationalUnit>,
    accounts: Vec<accessgraph_model::OrgAccount>,
    parents: BTreeMap<String, String>,
    policies: Vec<accessgraph_model::OrgPolicy>,
    targets: BTreeMap<String, Vec<String>>,
    seen: bool,
}

fn account_entry<'a>(accounts: &'a mut BTreeMap<String, Account>, id: &str) -> &'a mut Account {
    accounts.entry(id.to_owned()).or_insert_with(|| Account {
        id: id.to_owned(),
        ..Account::default()
    })
}

/// Checks that the ARNs of an authorization file belong to the account of its folder.
fn check_owner(
    file: &str,
    account: &str,
    arns: impl IntoIterator<Item = String>,
) -> Result<(), IngestError> {
    for arn in arns {
        let owner = accessgraph_policy::arn_components(&arn).map(|parts| parts[4]);
        if owner.is_some_and(|owner| owner != account) {
            return Err(IngestError::file(
                file,
                format!("`{arn}` belongs to another account than `{account}`, the folder it is in"),
            ));
        }
    }
    Ok(())
}

/// Merges parsed fragments (already in path order).
pub(crate) fn merge(parsed: Vec<Parsed>, context: Context) -> Result<Snapshot, IngestError> {
    let mut documents: BTreeMap<PolicyHash, String> = BTreeMap::new();
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    let mut org = OrgParts::default();
    let mut warnings = Vec::new();
    let mut identity_center: Option<accessgraph_model::IdentityCenter> = None;
    let mut authorization_files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for Parsed {
        fragment,
        documents: found,
        warnings: found_warnings,
    } in parsed
    {
        documents.extend(found);
        warnings.extend(found_warnings);
        match fragment {
            Fragment::Organization {
                id,
                arn,
                management_account_id,
                feature_set,
            } => {
                org.header = Some((id, arn, management_account_id, feature_set));
                org.seen = true;
            }
            Fragment::Roots(roots) => {
                org.roots.extend(roots);
                org.seen = true;
            }
            Fragment::OrgAccounts(listed) => {
                org.accounts.extend(listed);
                org.seen = true;
            }
            Fragment::Ous(ous) => {
                org.ous.extend(ous);
                org.seen = true;
            }
            Fragment::Children {
                parent,
                accounts: children,
            } => {
                for child in children {
                    org.parents.insert(child, parent.clone());
                }
                org.seen = true;
            }
            Fragment::OrgPolicy(policy) => {
                org.policies.push(policy);
                org.seen = true;
            }
            Fragment::Targets { policy_id, targets } => {
                org.targets.entry(policy_id).or_default().extend(targets);
                org.seen = true;
            }
            Fragment::Authorization {
                file,
                account,
                users,
                groups,
                roles,
                policies,
            } => {
                let arns = users
                    .iter()
                    .map(|user| user.arn.clone())
                    .chain(groups.iter().map(|group| group.arn.clone()))
                    .chain(roles.iter().map(|role| role.arn.clone()));
                check_owner(&file, &account, arns)?;
                authorization_files
                    .entry(account.clone())
                    .or_default()
                    .push(file);
                let entry = account_entry(&mut accounts, &account);
                entry.users.extend(users);
                entry.groups.extend(groups);
                entry.roles.extend(roles);
                entry.managed_policies.extend(policies);
            }
            Fragment::SamlProviders { account, arns } => {
                let entry = account_entry(&mut accounts, &account);
                entry.saml_providers.extend(
                    arns.into_iter()
                        .map(|arn| accessgraph_model::SamlProvider { arn }),
                );
            }
            Fragment::OidcProviders { account, arns } => {
                let entry = account_entry(&mut accounts, &account);
                entry.oidc_providers.extend(
                    arns.into_iter()
                        .map(|arn| accessgraph_model::OidcProvider { arn }),
                );
            }
            Fragment::BucketList {
                account,
                canonical_id,
                buckets,
            } => {
                let entry = account_entry(&mut accounts, &account);
                entry.s3_canonical_id = canonical_id;
                entry.buckets = Some(buckets);
            }
            Fragment::ResourcePolicy { account, policy } => {
                let entry = account_entry(&mut accounts, &account);
                match policy {
                    Ok(policy) => entry.resource_policies.push(policy),
                    Err(resource) => entry.policyless_resources.push(resource),
                }
            }
            Fragment::Inventory {
                account,
                region,
                service,
                resources,
            } => {
                let entry = account_entry(&mut accounts, &account);
                entry.inventory_coverage.insert((service, region));
                entry.compute.extend(resources);
            }
            Fragment::VpcEndpoints { account, endpoints } => {
                let entry = account_entry(&mut accounts, &account);
                entry.vpc_endpoints.extend(endpoints);
                entry.vpc_endpoints.sort();
            }
            Fragment::BucketAcl { account, acl } => {
                let entry = account_entry(&mut accounts, &account);
                match entry
                    .bucket_acls
                    .iter_mut()
                    .find(|known| known.bucket == acl.bucket)
                {
                    Some(known) => {
                        known.owner = acl.owner;
                        known.grants = acl.grants;
                    }
                    None => entry.bucket_acls.push(acl),
                }
            }
            Fragment::BucketOwnership {
                account,
                bucket,
                ownership,
            } => {
                let entry = account_entry(&mut accounts, &account);
                match entry
                    .bucket_acls
                    .iter_mut()
                    .find(|known| known.bucket == bucket)
                {
                    Some(known) => known.ownership = ownership,
                    None => entry.bucket_acls.push(accessgraph_model::BucketAcl {
                        bucket,
                        ownership,
                        ..accessgraph_model::BucketAcl::default()
                    }),
                }
            }
            Fragment::SsoInstances(instances) => {
                identity_center
                    .get_or_insert_default()
                    .instances
                    .extend(instances);
            }
            Fragment::PermissionSet(set) => {
                identity_center
                    .get_or_insert_default()
                    .permission_sets
                    .push(set);
            }
            Fragment::SsoAssignments(assignments) => {
                identity_center
                    .get_or_insert_default()
                    .assignments
                    .extend(assignments);
            }
            Fragment::SsoUsers(users) => {
                identity_center.get_or_insert_default().users.extend(users)
            }
            Fragment::SsoGroups(groups) => {
                identity_center
                    .get_or_insert_default()
                    .groups
                    .extend(groups);
            }
            Fragment::SsoMemberships(memberships) => {
                identity_center
                    .get_or_insert_default()
                    .memberships
                    .extend(memberships);
            }
            Fragment::Nothing => {}
            Fragment::Unrecognised { warning, .. } => warnings.push(warning),
        }
    }
    for account in accounts.values_mut() {
        let conflicts = normalize(account);
        if let Some(arn) = conflicts.first() {
            let files = authorization_files
                .get(&account.id)
                .map(|files| files.join(", "))
                .unwrap_or_default();
            return Err(IngestError::file(
                files.split(", ").next().unwrap_or_default(),
                format!(
                    "account {}: `{arn}` (and {} other entit(ies)) differs between the account's \
                     authorization files ({files}): dumps taken at different times cannot be \
                     merged into one picture; keep one of them",
                    account.id,
                    conflicts.len() - 1
                ),
            ));
        }
    }
    let mut organization = build_organization(org, &mut warnings)?;
    if let Some(mut center) = identity_center {
        normalize_identity_center(&mut center);
        check_assignments(&center, &accounts, &mut warnings);
        match organization.as_mut() {
            Some(organization) => organization.identity_center = Some(center),
            None => warnings.push(
                "organizations/sso/: Identity Center files without Organizations data are ignored"
                    .to_owned(),
            ),
        }
    }
    Ok(Snapshot {
        meta: SnapshotMeta {
            id: SnapshotId(0),
            label: context.label,
            source: context.source,
            collected_at: context.collected_at,
            ingested_at: String::new(),
            partition: context.partition,
            counts: accessgraph_model::Counts::default(),
        },
        organization,
        accounts: accounts.into_values().collect(),
        documents,
        warnings,
        gaps: Vec::new(),
    })
}

/// Sorts `items` by ARN and drops repeats; an ARN repeated with different content is a conflict.
fn dedup_by_arn<T: PartialEq>(
    items: &mut Vec<T>,
    arn: impl Fn(&T) -> &str,
    conflicts: &mut Vec<String>,
) {
    items.sort_by(|a, b| arn(a).cmp(arn(b)));
    items.dedup_by(|later, kept| {
        let same = arn(later) == arn(kept);
        if same && later != kept {
            conflicts.push(arn(kept).to_owned());
        }
        same
    });
}

/// Sorts every list by its key and drops duplicates (pages may repeat an entity); returns the
/// ARNs of entities repeated with different content (two dumps of different times).
fn normalize(account: &mut Account) -> Vec<String> {
    let mut conflicts = Vec::new();
    dedup_by_arn(&mut account.users, |user| &user.arn, &mut conflicts);
    dedup_by_arn(&mut account.groups, |group| &group.arn, &mut conflicts);
    dedup_by_arn(&mut account.roles, |role| &role.arn, &mut conflicts);
    dedup_by_arn(
        &mut account.managed_policies,
        |policy| &policy.arn,
        &mut conflicts,
    );
    account.saml_providers.sort_by(|a, b| a.arn.cmp(&b.arn));
    account.saml_providers.dedup();
    account.oidc_providers.sort_by(|a, b| a.arn.cmp(&b.arn));
    account.oidc_providers.dedup();
    account.resource_policies.sort_by(|a, b| a.arn.cmp(&b.arn));
    account.policyless_resources.sort();
    account.compute.sort();
    account.bucket_acls.sort_by(|a, b| a.bucket.cmp(&b.bucket));
    conflicts
}

/// Sorts Identity Center lists and drops duplicates.
fn normalize_identity_center(center: &mut accessgraph_model::IdentityCenter) {
    center.instances.sort();
    center.instances.dedup();
    center.permission_sets.sort();
    center.permission_sets.dedup_by(|a, b| a.arn == b.arn);
    center.assignments.sort();
    center.assignments.dedup();
    center.users.sort();
    center.users.dedup_by(|a, b| a.id == b.id);
    center.groups.sort();
    center.groups.dedup_by(|a, b| a.id == b.id);
    center.memberships.sort();
    center.memberships.dedup();
}

/// Warns about assignments that give no path: their permission set has no file, or its provisioned
/// role (`AWSReservedSSO_<PermissionSetName>_*`) is not in the assigned account's IAM data.
fn check_assignments(
    center: &accessgraph_model::IdentityCenter,
    accounts: &BTreeMap<String, Account>,
    warnings: &mut Vec<String>,
) {
    for assignment in &center.assignments {
        let Some(set) = center.permission_set(&assignment.permission_set_arn) else {
            warnings.push(format!(
                "organizations/sso/assignments: permission set `{}` (assigned in {}) has no file in organizations/sso/permission-sets/",
                assignment.permission_set_arn, assignment.account
            ));
            continue;
        };
        let prefix = set.role_prefix();
        let provisioned = accounts.get(&assignment.account).is_some_and(|account| {
            account
                .roles
                .iter()
                .any(|role| role.name.starts_with(&prefix))
        });
        if !provisioned {
            warnings.push(format!(
                "organizations/sso/assignments: permission set `{}` is assigned in account {} but no role `{prefix}*` is in that account's IAM data: the assignment gives no path",
                set.name, assignment.account
            ));
        }
    }
}

fn build_organization(
    mut parts: OrgParts,
    warnings: &mut Vec<String>,
) -> Result<Option<Organization>, IngestError> {
    if !parts.seen {
        return Ok(None);
    }
    let Some((id, arn, management_account_id, feature_set)) = parts.header.take() else {
        return Err(IngestError::file(
            "organizations/describe-organization.json",
            "missing: the other files of `organizations/` need it",
        ));
    };
    for account in &mut parts.accounts {
        account.parent_id = parts.parents.get(&account.id).cloned();
    }
    for (child, parent) in &parts.parents {
        if !parts.accounts.iter().any(|account| &account.id == child) {
            warnings.push(format!(
                "organizations/children/{parent}.json: account `{child}` is not in list-accounts.json"
            ));
        }
    }
    for policy in &mut parts.policies {
        if let Some(mut targets) = parts.targets.remove(&policy.id) {
            targets.sort();
            targets.dedup();
            policy.targets = targets;
        }
    }
    for policy_id in parts.targets.keys() {
        warnings.push(format!(
            "organizations/targets/{policy_id}.json: no SCP or RCP `{policy_id}` in organizations/policies/"
        ));
    }
    parts.roots.sort_by(|a, b| a.id.cmp(&b.id));
    parts.ous.sort_by(|a, b| a.id.cmp(&b.id));
    parts.ous.dedup_by(|a, b| a.id == b.id);
    parts.accounts.sort_by(|a, b| a.id.cmp(&b.id));
    parts.accounts.dedup_by(|a, b| a.id == b.id);
    parts.policies.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Some(Organization {
        id,
        arn,
        management_account_id,
        feature_set,
        roots: parts.roots,
        ous: parts.ous,
        accounts: parts.accounts,
        policies: parts.policies,
        identity_center: None,
    }))
}
