//! Tests of the resource resolver's pieces: ACLs as policies, owners, outside principals.

use std::collections::HashMap;

use accessgraph_model::{AclGrant, AclGrantee, BucketAcl};
use accessgraph_policy::{Action, OrgMembership, RequestContext};

use super::{SAML_SIGNIN_AUDIENCE, acl_policy};

fn acl(grants: &[(AclGrantee, &str)], ownership: Option<&str>) -> BucketAcl {
    BucketAcl {
        bucket: "b".into(),
        owner: Some("owner-id".into()),
        grants: grants
            .iter()
            .map(|(grantee, permission)| AclGrant {
                grantee: grantee.clone(),
                permission: (*permission).into(),
            })
            .collect(),
        ownership: ownership.map(str::to_owned),
    }
}

fn accounts() -> HashMap<String, String> {
    HashMap::from([("grantee-id".to_owned(), "222222222222".to_owned())])
}

/// S3 User Guide, ACL permissions: each grant is one allow statement of the right actions; the
/// owner's own grant adds nothing and is left out.
#[test]
fn acl_grants_become_statements() {
    let policy = acl_policy(
        &acl(
            &[
                (AclGrantee::CanonicalUser("owner-id".into()), "FULL_CONTROL"),
                (AclGrantee::CanonicalUser("grantee-id".into()), "READ"),
                (AclGrantee::CanonicalUser("stranger-id".into()), "WRITE"),
                (AclGrantee::AuthenticatedUsers, "READ_ACP"),
                (AclGrantee::Other("log-delivery".into()), "WRITE"),
            ],
            None,
        ),
        "aws",
        &accounts(),
    )
    .expect("a policy");
    assert_eq!(&**policy.label(), "arn:aws:s3:::b#acl");
    let json = policy.document().to_json().to_string();
    let statements = policy.document().statements();
    assert_eq!(statements.len(), 3, "{json}");
    assert!(
        json.contains(r#""AWS":"arn:aws:iam::222222222222:root""#),
        "{json}"
    );
    assert!(json.contains(r#""CanonicalUser":"stranger-id""#), "{json}");
    assert!(json.contains(r#""s3:ListBucket""#) && json.contains(r#""s3:PutObject""#));
    assert!(
        json.contains(r#""arn:aws:s3:::b/*""#),
        "WRITE acts on objects: {json}"
    );
    assert!(
        json.contains("Anonymous"),
        "AuthenticatedUsers excludes anonymous callers: {json}"
    );
    assert!(!json.contains("owner-id"), "{json}");
}

/// `BucketOwnerEnforced` disables every ACL; an ACL granting nothing is no policy.
#[test]
fn disabled_or_empty_acls_are_no_policy() {
    let public = [(AclGrantee::AllUsers, "READ")];
    assert!(
        acl_policy(
            &acl(&public, Some("BucketOwnerEnforced")),
            "aws",
            &accounts()
        )
        .is_none()
    );
    assert!(
        acl_policy(
            &acl(&public, Some("BucketOwnerPreferred")),
            "aws",
            &accounts()
        )
        .is_some()
    );
    let owner_only = [(AclGrantee::CanonicalUser("owner-id".into()), "FULL_CONTROL")];
    assert!(acl_policy(&acl(&owner_only, None), "aws", &accounts()).is_none());
}

/// The resolver on a snapshot: owners of listed and unlisted buckets, outside principals'
/// organizations, the SAML audience and the earliest request time.
#[test]
fn owners_organizations_and_request_context() {
    use accessgraph_model::{OrgAccount, Organization, Snapshot, SnapshotId, SnapshotMeta};
    let member = |id: &str| OrgAccount {
        id: id.into(),
        name: id.into(),
        email: String::new(),
        status: "ACTIVE".into(),
        parent_id: None,
    };
    let snapshot = Snapshot {
        meta: SnapshotMeta {
            id: SnapshotId(1),
            label: None,
            source: "test".into(),
            collected_at: Some("2026-12-01T00:00:00Z".into()),
            ingested_at: String::new(),
            partition: "aws".into(),
            counts: Default::default(),
        },
        organization: Some(Organization {
            id: "o-test".into(),
            arn: String::new(),
            management_account_id: "111111111111".into(),
            feature_set: "ALL".into(),
            roots: vec![],
            ous: vec![],
            accounts: vec![member("111111111111"), member("222222222222")],
            policies: vec![],
            identity_center: None,
        }),
        accounts: vec![accessgraph_model::Account {
            id: "111111111111".into(),
            buckets: Some(vec!["listed".into()]),
            s3_canonical_id: Some("cid".into()),
            ..Default::default()
        }],
        documents: Default::default(),
        warnings: vec![],
        gaps: vec![],
    };
    let context = crate::context::Context::new(&snapshot);
    let resolver = &context.resolver;
    let get = Action::new("s3:GetObject");
    let listed = context.resolve("arn:aws:s3:::listed/key", &get);
    assert_eq!(listed.resource.account(), Some("111111111111"));
    let unlisted = context.resolve("arn:aws:s3:::unlisted/key", &get);
    assert!(unlisted.resource.owner_unknown());
    assert_eq!(
        *resolver.org_of("999999999999"),
        OrgMembership::None,
        "an account missing from a known organization is not a member"
    );
    assert!(matches!(
        *resolver.org_of("222222222222"),
        OrgMembership::Member { .. }
    ));
    assert_eq!(
        *resolver.outsider().org(),
        OrgMembership::Unknown,
        "222222222222 has no IAM data: `*` may be one of its principals"
    );
    let root = resolver
        .principal("arn:aws:iam::111111111111:root")
        .expect("principal");
    assert_eq!(root.canonical_id(), Some("cid"));
    let empty = RequestContext::new();
    let saml = resolver
        .request_context(&Action::new("sts:AssumeRoleWithSAML"), &empty)
        .into_owned();
    assert_eq!(
        saml,
        RequestContext::new()
            .with("SAML:aud", SAML_SIGNIN_AUDIENCE)
            .with_earliest_time(1_796_083_200_000)
    );
    let given = RequestContext::new().with("saml:aud", "https://other.example/saml");
    assert_eq!(
        resolver
            .request_context(&Action::new("sts:AssumeRoleWithSAML"), &given)
            .into_owned(),
        given.clone().with_earliest_time(1_796_083_200_000),
        "a given audience wins"
    );
}

/// S3 ARNs of every partition name their bucket (`aws-cn`, `aws-us-gov`).
#[test]
fn buckets_of_every_partition() {
    assert_eq!(super::bucket_name("arn:aws:s3:::b/k"), Some("b/k"));
    assert_eq!(super::bucket_name("arn:aws-cn:s3:::b"), Some("b"));
    assert_eq!(
        super::bucket_name("arn:aws-us-gov:s3:::b/x/y"),
        Some("b/x/y")
    );
    assert_eq!(super::bucket_name("arn:aws:sqs:us-east-1:1:q"), None);
    assert_eq!(super::bucket_name("b"), None);
}
