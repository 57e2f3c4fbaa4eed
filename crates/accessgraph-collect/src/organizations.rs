//! Organizations: the organization, its roots, accounts, OU tree (with each parent's accounts),
//! and its SCPs and RCPs with their targets, each file in the JSON shape the AWS CLI prints,
//! under the names of the snapshot layout (`organizations/...`).

use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::{
    Account, OrganizationalUnit, PolicySummary, PolicyType, PolicyTypeSummary, Root,
};
use serde_json::{Value, json};

use crate::error::{CallError, failed};
use crate::json::Object;

/// The files of the organization, as (path in the layout, content), and its accounts.
pub(crate) struct Collected {
    pub(crate) files: Vec<(String, Value)>,
    pub(crate) accounts: Vec<String>,
    /// Per parent (root or OU): its OUs and its accounts.
    pub(crate) tree: std::collections::BTreeMap<String, (Vec<String>, Vec<String>)>,
}

impl Collected {
    /// The accounts under `parents` (roots or OUs, at any depth), and the parents the
    /// organization does not have.
    pub(crate) fn accounts_under(&self, parents: &[String]) -> (Vec<String>, Vec<String>) {
        let unknown = parents
            .iter()
            .filter(|parent| !self.tree.contains_key(*parent))
            .cloned()
            .collect();
        let mut pending: Vec<&String> = parents.iter().collect();
        let mut accounts = Vec::new();
        while let Some(parent) = pending.pop() {
            if let Some((units, children)) = self.tree.get(parent) {
                accounts.extend(children.iter().cloned());
                pending.extend(units);
            }
        }
        accounts.sort();
        accounts.dedup();
        (accounts, unknown)
    }
}

/// Whether an error means the caller's account is not in an organization, or may not read it:
/// the collection falls back to the caller's own account.
pub(crate) fn means_no_organization(error: &CallError) -> bool {
    matches!(
        error.code.as_deref(),
        Some(
            "AWSOrganizationsNotInUseException"
                | "AccessDeniedException"
                | "AccessDenied"
                | "AccessDeniedForDependencyException"
        )
    )
}

/// Reads the organization.
pub(crate) async fn collect(client: &Client) -> Result<Collected, CallError> {
    let organization = client
        .describe_organization()
        .send()
        .await
        .map_err(failed("organizations:DescribeOrganization"))?;
    let mut files = Vec::new();
    files.push((
        "organizations/describe-organization.json".to_owned(),
        json!({"Organization": organization.organization.as_ref().map(|org| {
            Object::new()
                .text("Id", org.id.as_deref())
                .text("Arn", org.arn.as_deref())
                .text("FeatureSet", org.feature_set.as_ref().map(|set| set.as_str()))
                .text("MasterAccountArn", org.master_account_arn.as_deref())
                .text("MasterAccountId", org.master_account_id.as_deref())
                .text("MasterAccountEmail", org.master_account_email.as_deref())
                .list("AvailablePolicyTypes", org.available_policy_types.as_deref(), policy_type)
                .done()
        })}),
    ));

    let mut roots = Vec::new();
    let mut pages = client.list_roots().into_paginator().send();
    while let Some(page) = pages.next().await {
        roots.extend(
            page.map_err(failed("organizations:ListRoots"))?
                .roots
                .unwrap_or_default(),
        );
    }
    files.push((
        "organizations/list-roots.json".to_owned(),
        json!({"Roots": roots.iter().map(root).collect::<Vec<_>>()}),
    ));

    let mut accounts = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        accounts.extend(
            page.map_err(failed("organizations:ListAccounts"))?
                .accounts
                .unwrap_or_default(),
        );
    }
    files.push((
        "organizations/list-accounts.json".to_owned(),
        json!({"Accounts": accounts.iter().map(account).collect::<Vec<_>>()}),
    ));

    // The OU tree, breadth first from the roots: each parent's OUs and accounts.
    let mut tree = std::collections::BTreeMap::new();
    let mut parents: Vec<String> = roots.iter().filter_map(|root| root.id.clone()).collect();
    while let Some(parent) = parents.pop() {
        let mut units = Vec::new();
        let mut pages = client
            .list_organizational_units_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            units.extend(
                page.map_err(failed("organizations:ListOrganizationalUnitsForParent"))?
                    .organizational_units
                    .unwrap_or_default(),
            );
        }
        let mut children = Vec::new();
        let mut pages = client
            .list_accounts_for_parent()
            .parent_id(&parent)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            children.extend(
                page.map_err(failed("organizations:ListAccountsForParent"))?
                    .accounts
                    .unwrap_or_default(),
            );
        }
        let unit_ids: Vec<String> = units.iter().filter_map(|unit| unit.id.clone()).collect();
        parents.extend(unit_ids.iter().cloned());
        tree.insert(
            parent.clone(),
            (
                unit_ids,
                children
                    .iter()
                    .filter_map(|account| account.id.clone())
                    .collect(),
            ),
        );
        files.push((
            format!("organizations/ous/{parent}.json"),
            json!({"OrganizationalUnits": units.iter().map(unit).collect::<Vec<_>>()}),
        ));
        files.push((
            format!("organizations/children/{parent}.json"),
            json!({"Accounts": children.iter().map(account).collect::<Vec<_>>()}),
        ));
    }

    for kind in [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ] {
        let mut summaries: Vec<PolicySummary> = Vec::new();
        let mut pages = client
            .list_policies()
            .filter(kind.clone())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => summaries.extend(page.policies.unwrap_or_default()),
                // A policy type the organization never enabled (or an emulator without it).
                Err(error) => {
                    let error = CallError::of("organizations:ListPolicies", &error);
                    if kind == PolicyType::ResourceControlPolicy {
                        tracing::warn!("{error}: resource control policies not collected");
                        break;
                    }
                    return Err(error);
                }
            }
        }
        for summary in &summaries {
            let Some(id) = summary.id.as_deref() else {
                continue;
            };
            let policy = client
                .describe_policy()
                .policy_id(id)
                .send()
                .await
                .map_err(failed("organizations:DescribePolicy"))?;
            files.push((
                format!("organizations/policies/{id}.json"),
                json!({"Policy": policy.policy.as_ref().map(|policy| {
                    Object::new()
                        .value("PolicySummary", policy.policy_summary.as_ref().map(policy_summary))
                        .text("Content", policy.content.as_deref())
                        .done()
                })}),
            ));
            let mut targets = Vec::new();
            let mut pages = client
                .list_targets_for_policy()
                .policy_id(id)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                targets.extend(
                    page.map_err(failed("organizations:ListTargetsForPolicy"))?
                        .targets
                        .unwrap_or_default(),
                );
            }
            files.push((
                format!("organizations/targets/{id}.json"),
                json!({"Targets": targets.iter().map(|target| {
                    Object::new()
                        .text("TargetId", target.target_id.as_deref())
                        .text("Arn", target.arn.as_deref())
                        .text("Name", target.name.as_deref())
                        .text("Type", target.r#type.as_ref().map(|kind| kind.as_str()))
                        .done()
                }).collect::<Vec<_>>()}),
            ));
        }
    }
    Ok(Collected {
        files,
        accounts: accounts
            .iter()
            .filter_map(|account| account.id.clone())
            .collect(),
        tree,
    })
}

/// Turns an SDK error of `call` into a [`CallError`].
fn policy_type(summary: &PolicyTypeSummary) -> Value {
    Object::new()
        .text("Type", summary.r#type.as_ref().map(|kind| kind.as_str()))
        .text(
            "Status",
            summary.status.as_ref().map(|status| status.as_str()),
        )
        .done()
}

fn root(root: &Root) -> Value {
    Object::new()
        .text("Id", root.id.as_deref())
        .text("Arn", root.arn.as_deref())
        .text("Name", root.name.as_deref())
        .list("PolicyTypes", root.policy_types.as_deref(), policy_type)
        .done()
}

fn account(account: &Account) -> Value {
    Object::new()
        .text("Id", account.id.as_deref())
        .text("Arn", account.arn.as_deref())
        .text("Email", account.email.as_deref())
        .text("Name", account.name.as_deref())
        .text(
            "Status",
            account.status.as_ref().map(|status| status.as_str()),
        )
        .text(
            "JoinedMethod",
            account.joined_method.as_ref().map(|method| method.as_str()),
        )
        .time("JoinedTimestamp", account.joined_timestamp.as_ref())
        .done()
}

fn unit(unit: &OrganizationalUnit) -> Value {
    Object::new()
        .text("Id", unit.id.as_deref())
        .text("Arn", unit.arn.as_deref())
        .text("Name", unit.name.as_deref())
        .done()
}

fn policy_summary(summary: &PolicySummary) -> Value {
    Object::new()
        .text("Id", summary.id.as_deref())
        .text("Arn", summary.arn.as_deref())
        .text("Name", summary.name.as_deref())
        .text("Description", summary.description.as_deref())
        .text("Type", summary.r#type.as_ref().map(|kind| kind.as_str()))
        .value("AwsManaged", Some(Value::Bool(summary.aws_managed)))
        .done()
}
