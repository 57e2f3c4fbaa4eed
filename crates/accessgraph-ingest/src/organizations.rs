//! AWS Organizations outputs: organization, roots, OUs, accounts, SCPs/RCPs and their targets
//! (iam-semantics.md §7.2).

use accessgraph_model::{OrgAccount, OrgPolicy, OrgPolicyKind, OrganizationalUnit, Root};

use crate::error::IngestError;
use crate::fragment::{Documents, Fragment};
use crate::json::{Node, Result};

/// `describe-organization`.
pub(crate) fn organization(root: Node<'_>) -> Result<Fragment> {
    root.with_required("Organization", |org| {
        Ok(Fragment::Organization {
            id: org.str_field("Id")?,
            arn: org.opt_str("Arn")?.unwrap_or_default(),
            management_account_id: org.str_field("MasterAccountId")?,
            feature_set: org
                .opt_str("FeatureSet")?
                .unwrap_or_else(|| "ALL".to_owned()),
        })
    })
}

/// `list-roots`.
pub(crate) fn roots(root: Node<'_>) -> Result<Fragment> {
    let roots = root.with_required("Roots", |list| {
        list.items(|item| {
            let enabled_policy_types = item
                .each("PolicyTypes", |policy_type| {
                    let kind = policy_type.str_field("Type")?;
                    let status = policy_type.opt_str("Status")?.unwrap_or_default();
                    Ok((status == "ENABLED").then_some(kind))
                })?
                .into_iter()
                .flatten()
                .collect();
            Ok(Root {
                id: item.str_field("Id")?,
                name: item.opt_str("Name")?.unwrap_or_else(|| "Root".to_owned()),
                enabled_policy_types,
            })
        })
    })?;
    Ok(Fragment::Roots(roots))
}

fn account(item: &Node<'_>, parent_id: Option<String>) -> Result<OrgAccount> {
    let id = item.str_field("Id")?;
    if !accessgraph_policy::is_account_id(&id) {
        return Err(IngestError::at(
            item.file,
            format!("{}.Id", item.path()),
            format!("`{id}` is not a 12-digit account id"),
        ));
    }
    Ok(OrgAccount {
        id,
        name: item.opt_str("Name")?.unwrap_or_default(),
        email: item.opt_str("Email")?.unwrap_or_default(),
        status: item
            .opt_str("Status")?
            .or(item.opt_str("State")?)
            .unwrap_or_else(|| "ACTIVE".to_owned()),
        parent_id,
    })
}

/// `list-accounts`.
pub(crate) fn accounts(root: Node<'_>) -> Result<Fragment> {
    Ok(Fragment::OrgAccounts(
        root.with_required("Accounts", |list| list.items(|item| account(&item, None)))?,
    ))
}

/// `list-organizational-units-for-parent` (the parent is the file name).
pub(crate) fn ous(root: Node<'_>, parent: &str) -> Result<Fragment> {
    let ous = root.with_required("OrganizationalUnits", |list| {
        list.items(|item| {
            Ok(OrganizationalUnit {
                id: item.str_field("Id")?,
                name: item.opt_str("Name")?.unwrap_or_default(),
                arn: item.opt_str("Arn")?.unwrap_or_default(),
                parent_id: parent.to_owned(),
            })
        })
    })?;
    Ok(Fragment::Ous(ous))
}

/// `list-accounts-for-parent` (the parent is the file name).
pub(crate) fn children(root: Node<'_>, parent: &str) -> Result<Fragment> {
    let accounts =
        root.with_required("Accounts", |list| list.items(|item| item.str_field("Id")))?;
    Ok(Fragment::Children {
        parent: parent.to_owned(),
        accounts,
    })
}

/// `describe-policy` of an SCP or RCP; other policy types are `None`.
pub(crate) fn policy(root: Node<'_>, documents: &mut Documents) -> Result<Option<Fragment>> {
    root.with_required("Policy", |policy| {
        let (id, arn, name, kind, aws_managed) =
            policy.with_required("PolicySummary", |summary| {
                Ok((
                    summary.str_field("Id")?,
                    summary.opt_str("Arn")?.unwrap_or_default(),
                    summary.opt_str("Name")?.unwrap_or_default(),
                    summary.str_field("Type")?,
                    summary
                        .with_field("AwsManaged", |flag| flag.boolean())?
                        .unwrap_or(false),
                ))
            })?;
        let kind = match kind.as_str() {
            "SERVICE_CONTROL_POLICY" => OrgPolicyKind::Scp,
            "RESOURCE_CONTROL_POLICY" => OrgPolicyKind::Rcp,
            // Tag, backup, AI opt-out and other policy types do not authorize anything.
            _ => return Ok(None),
        };
        let document = policy
            .with_required("Content", |content| content.policy())?
            .ok_or_else(|| {
                IngestError::at(
                    policy.file,
                    format!("{}.Content", policy.path()),
                    "empty policy content",
                )
            })?;
        Ok(Some(Fragment::OrgPolicy(OrgPolicy {
            id,
            arn,
            name,
            kind,
            aws_managed,
            document: documents.keep(document),
            targets: Vec::new(),
        })))
    })
}

/// `list-targets-for-policy`.
pub(crate) fn targets(root: Node<'_>, policy_id: &str) -> Result<Fragment> {
    let mut targets = root.with_required("Targets", |list| {
        list.items(|item| item.str_field("TargetId"))
    })?;
    targets.sort();
    Ok(Fragment::Targets {
        policy_id: policy_id.to_owned(),
        targets,
    })
}
