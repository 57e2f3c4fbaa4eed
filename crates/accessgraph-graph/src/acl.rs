//! Permit edges from S3 bucket ACLs (the third way to share a bucket, after bucket policies and
//! roles; iam-semantics.md, S3 ACLs): a grant to another account's canonical user id lets that
//! account's principals whose own policies allow the matching action act on the bucket (the
//! cross-account rule: the ACL stands for the resource side); `AllUsers` and `AuthenticatedUsers`
//! grants reach `*`. A bucket whose ownership controls say `BucketOwnerEnforced` has ACLs
//! disabled: no edge.

use accessgraph_model::{AclGrantee, BucketAcl};
use accessgraph_policy::{
    Action, Decision, DenyKind, Policy, PolicyDocument, RequestContext, Resource,
};

use crate::build::{Draft, EdgeSpec, NodeKey};
use crate::context::Context;
use crate::model::EdgeKind;

/// The actions an ACL permission grants, with the access group each belongs to and whether it
/// acts on objects.
fn actions(permission: &str) -> &'static [(&'static str, &'static str, bool)] {
    const READ: (&str, &str, bool) = ("read", "s3:ListBucket", false);
    const WRITE: (&str, &str, bool) = ("write", "s3:PutObject", true);
    const READ_ACP: (&str, &str, bool) = ("read", "s3:GetBucketAcl", false);
    const WRITE_ACP: (&str, &str, bool) = ("permissions", "s3:PutBucketAcl", false);
    match permission {
        "READ" => &[READ],
        "WRITE" => &[WRITE],
        "READ_ACP" => &[READ_ACP],
        "WRITE_ACP" => &[WRITE_ACP],
        "FULL_CONTROL" => &[READ, WRITE, READ_ACP, WRITE_ACP],
        _ => &[],
    }
}

/// A resource policy standing for an ACL grant to `account`.
fn grant_policy(bucket_arn: &str, account: &str, action: &str) -> Option<Policy> {
    // Bucket names, account ids and action names hold no characters that need JSON escaping.
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"{action}","Resource":["{bucket_arn}","{bucket_arn}/*"]}}]}}"#
    );
    PolicyDocument::parse(&text)
        .ok()
        .map(|document| Policy::new(format!("{bucket_arn}#acl"), document))
}

/// The permit edges of every bucket ACL of `account`.
pub(crate) fn edges(context: &Context<'_>, account: &str) -> Vec<EdgeSpec> {
    let Some(owner) = context
        .snapshot
        .account(account)
        .filter(|owner| !owner.bucket_acls.is_empty())
    else {
        return Vec::new();
    };
    owner
        .bucket_acls
        .iter()
        .filter(|acl| acl.ownership.as_deref() != Some("BucketOwnerEnforced"))
        .flat_map(|acl| bucket_edges(context, account, acl))
        .collect()
}

fn bucket_edges(context: &Context<'_>, account: &str, acl: &BucketAcl) -> Vec<EdgeSpec> {
    let bucket_arn = format!("arn:aws:s3:::{}", acl.bucket);
    let to = NodeKey::Resource(bucket_arn.clone(), account.to_owned());
    let bucket_policy = context
        .snapshot
        .account(account)
        .and_then(|owner| {
            owner
                .resource_policies
                .iter()
                .find(|policy| policy.arn == bucket_arn)
        })
        .and_then(|policy| {
            context
                .docs
                .policy(&format!("{bucket_arn}#policy"), &policy.document)
        });
    let mut specs = Vec::new();
    for grant in &acl.grants {
        let granted = actions(&grant.permission);
        let technique = |action: &str, group: &str| {
            format!("{group} ({action}) by ACL grant {}", grant.permission)
        };
        match &grant.grantee {
            AclGrantee::AllUsers | AclGrantee::AuthenticatedUsers => {
                for (group, action, _) in granted {
                    specs.push(EdgeSpec {
                        from: NodeKey::Anyone,
                        to: to.clone(),
                        edge: Draft::new(EdgeKind::Permit, technique(action, group)),
                    });
                }
            }
            AclGrantee::CanonicalUser(id) if acl.owner.as_deref() == Some(id.as_str()) => {}
            AclGrantee::CanonicalUser(id) => match context.account_by_canonical_id.get(id) {
                Some(grantee) => {
                    specs.extend(account_edges(
                        context,
                        account,
                        grantee,
                        &bucket_arn,
                        granted,
                        &grant.permission,
                        bucket_policy.as_deref(),
                    ));
                }
                None => {
                    for (group, action, _) in granted {
                        specs.push(EdgeSpec {
                            from: NodeKey::CanonicalUser(id.clone()),
                            to: to.clone(),
                            edge: Draft::new(EdgeKind::Permit, technique(action, group)),
                        });
                    }
                }
            },
            AclGrantee::Other(_) => {}
        }
    }
    specs
}

/// Edges from the principals of `grantee` whose own policies allow an action the grant gives.
fn account_edges(
    context: &Context<'_>,
    owner: &str,
    grantee: &str,
    bucket_arn: &str,
    granted: &[(&str, &str, bool)],
    permission: &str,
    bucket_policy: Option<&Policy>,
) -> Vec<EdgeSpec> {
    let to = NodeKey::Resource(bucket_arn.to_owned(), owner.to_owned());
    let none = RequestContext::new();
    let mut specs = Vec::new();
    for actor in context.account_actors(grantee) {
        let mut allowed = Vec::new();
        let mut evidence = Vec::new();
        let mut conditions = Vec::new();
        for (group, action_name, objects) in granted {
            let action = Action::new(*action_name);
            if !Context::might_allow(actor, &action) {
                continue;
            }
            let target_arn = if *objects {
                format!("{bucket_arn}/*")
            } else {
                bucket_arn.to_owned()
            };
            let target = Resource::new(target_arn).with_account(owner);
            let Some(grant) = grant_policy(bucket_arn, grantee, action_name) else {
                continue;
            };
            let evaluation = context.evaluate(actor, &action, &target, Some(&grant), &none);
            if !evaluation.decision.is_possible() {
                continue;
            }
            // The bucket policy still applies: its explicit denies win over the ACL.
            if let Some(policy) = bucket_policy {
                let with_policy = context.evaluate(actor, &action, &target, Some(policy), &none);
                if with_policy.decision == Decision::Deny(DenyKind::Explicit) {
                    continue;
                }
            }
            allowed.push(format!("{group} ({action_name})"));
            evidence.extend(evaluation.evidence);
            if matches!(evaluation.decision, Decision::Conditional { .. }) {
                conditions.extend(evaluation.conditions);
            }
        }
        if !allowed.is_empty() {
            let mut draft = Draft::new(
                EdgeKind::Permit,
                format!(
                    "{} by ACL grant {permission} to account {grantee}",
                    allowed.join(", ")
                ),
            );
            draft.evidence = evidence;
            draft.conditions = conditions;
            specs.push(EdgeSpec {
                from: NodeKey::Actor(actor.index),
                to: to.clone(),
                edge: draft,
            });
        }
    }
    specs
}
