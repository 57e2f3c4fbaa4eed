//! The one resource resolver (issue: `can ... do`, `who can do` and the graph give the same
//! answer, and AWS's): each rule on a small organization, with the simulator (`can ... do`) and
//! the graph agreeing, and the negative twin of each (one permission or one grant short).

use accessgraph_graph::{Filter, Graph, Simulator};
use accessgraph_model::{AclGrantee, Snapshot};
use accessgraph_policy::{Decision, DenyKind, RequestContext};
use serde_json::{Value, json};

use crate::fixture::{OrgBuilder, iam_arn};

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const MANAGEMENT: &str = "999999999999";
const CANONICAL_B: &str = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

fn allow(action: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": "*"})
}

fn decide(simulator: &Simulator, principal: &str, action: &str, resource: &str) -> Decision {
    decide_with(
        simulator,
        principal,
        action,
        resource,
        &RequestContext::new(),
    )
}

fn decide_with(
    simulator: &Simulator,
    principal: &str,
    action: &str,
    resource: &str,
    context: &RequestContext,
) -> Decision {
    simulator
        .evaluate(principal, action, resource, context)
        .map(|evaluation| evaluation.decision)
        .unwrap_or_else(|error| panic!("{principal} {action} {resource}: {error}"))
}

/// Whether the graph has an edge between two nodes (by ARN), and whether it is conditional.
fn edge(graph: &Graph, from: &str, to: &str) -> Option<bool> {
    let (from, to) = (graph.find(from)?, graph.find(to)?);
    graph
        .pair_hops()
        .into_iter()
        .filter(|hop| hop.from == from && hop.to == to)
        .map(|hop| {
            hop.edges
                .iter()
                .filter_map(|id| graph.edge(*id))
                .any(accessgraph_graph::Edge::is_conditional)
        })
        .min()
}

const CONDITIONAL: Decision = Decision::Conditional {
    deny_kind: DenyKind::Implicit,
};
const IMPLICIT_DENY: Decision = Decision::Deny(DenyKind::Implicit);

/// Item 1: the trust policy is the resource policy of `sts:AssumeRole*` (iam-semantics.md §4.2),
/// same-account and cross-account, and for SAML and web identity federation.
#[test]
fn trust_policy_decides_assume_role() {
    let mut org = OrgBuilder::default();
    let saml = iam_arn(A, "saml-provider", "Okta");
    let oidc = iam_arn(A, "oidc-provider", "token.actions.githubusercontent.com");
    org.user(A, "named", Value::Null, &[]);
    org.user(A, "unnamed", json!([allow("sts:AssumeRole")]), &[]);
    org.user(B, "cross", json!([allow("sts:AssumeRole")]), &[]);
    org.user(B, "cross-without-allow", Value::Null, &[]);
    org.role(
        A,
        "target",
        json!([
            {"Effect": "Allow", "Principal": {"AWS": [iam_arn(A, "user", "named"), B]}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"Federated": saml}, "Action": "sts:AssumeRoleWithSAML",
             "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}},
            {"Effect": "Allow", "Principal": {"Federated": oidc}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/infra:*"}}}
        ]),
        Value::Null,
    );
    let snapshot = org.build();
    let simulator = Simulator::new(&snapshot);
    let graph = Graph::build(&snapshot);
    let role = iam_arn(A, "role", "target");
    let cases = [
        // (principal, action, decision, rule)
        (
            iam_arn(A, "user", "named"),
            "sts:AssumeRole",
            Decision::Allow,
        ),
        // Negative twin: the trust policy does not name it, and an identity allow is not enough.
        (
            iam_arn(A, "user", "unnamed"),
            "sts:AssumeRole",
            IMPLICIT_DENY,
        ),
        (
            iam_arn(B, "user", "cross"),
            "sts:AssumeRole",
            Decision::Allow,
        ),
        // Negative twin: cross-account, the caller's own policies must allow too.
        (
            iam_arn(B, "user", "cross-without-allow"),
            "sts:AssumeRole",
            IMPLICIT_DENY,
        ),
        (saml.clone(), "sts:AssumeRoleWithSAML", Decision::Allow),
        (oidc.clone(), "sts:AssumeRoleWithWebIdentity", CONDITIONAL),
        // Negative twin: a provider the trust policy does not name.
        (
            iam_arn(A, "saml-provider", "Other"),
            "sts:AssumeRoleWithSAML",
            IMPLICIT_DENY,
        ),
    ];
    for (principal, action, expected) in &cases {
        let actual = decide(&simulator, principal, action, &role);
        assert_eq!(actual, *expected, "{principal} {action}");
        let has_edge = edge(&graph, principal, &role);
        assert_eq!(
            has_edge,
            expected
                .is_possible()
                .then_some(*expected != Decision::Allow),
            "graph edge {principal} -> role"
        );
    }
    // The federated claim, once given, settles the web identity request.
    let claims = RequestContext::new().with(
        "token.actions.githubusercontent.com:sub",
        "repo:acme/infra:ref:refs/heads/main",
    );
    assert_eq!(
        decide_with(
            &simulator,
            &oidc,
            "sts:AssumeRoleWithWebIdentity",
            &role,
            &claims
        ),
        Decision::Allow
    );
    let other_repo =
        RequestContext::new().with("token.actions.githubusercontent.com:sub", "repo:x/y:*");
    assert_eq!(
        decide_with(
            &simulator,
            &oidc,
            "sts:AssumeRoleWithWebIdentity",
            &role,
            &other_repo
        ),
        IMPLICIT_DENY
    );
}

/// Item 2: a bucket without a bucket policy, owned by another account (from `list-buckets`), is
/// out of reach cross-account (iam-semantics.md §3.6); a bucket no account lists has an unknown
/// owner, so an identity allow alone is conditional.
#[test]
fn bucket_owner_comes_from_the_bucket_list() {
    let mut org = OrgBuilder::default();
    org.user(A, "owner-user", json!([allow("s3:*")]), &[]);
    org.user(B, "other", json!([allow("s3:*")]), &[]);
    org.user(B, "without-allow", Value::Null, &[]);
    org.bucket(A, "a-data", true, None);
    let snapshot = org.build();
    let simulator = Simulator::new(&snapshot);
    let object = "arn:aws:s3:::a-data/report.csv";
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(A, "user", "owner-user"),
            "s3:GetObject",
            object
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(B, "user", "other"),
            "s3:GetObject",
            object
        ),
        IMPLICIT_DENY
    );
    let unknown = "arn:aws:s3:::somebody-elses/x";
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(B, "user", "other"),
            "s3:GetObject",
            unknown
        ),
        CONDITIONAL
    );
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(B, "user", "without-allow"),
            "s3:GetObject",
            unknown
        ),
        IMPLICIT_DENY
    );
    // The same bucket with a policy naming B's account is reachable from B.
    let mut org = OrgBuilder::default();
    org.user(B, "other", json!([allow("s3:*")]), &[]);
    org.bucket(
        A,
        "a-data",
        true,
        Some(json!({"Effect": "Allow", "Principal": {"AWS": B}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a-data/*"})),
    );
    let simulator = Simulator::new(&org.build());
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(B, "user", "other"),
            "s3:GetObject",
            object
        ),
        Decision::Allow
    );
}

/// Item 3: S3 ACLs are part of the resource side (S3 User Guide, ACL permissions; iam-semantics.md
/// §8b): `AllUsers` lets anyone list; `READ` lists but does not read objects; `WRITE` is not
/// `WRITE_ACP`; `BucketOwnerEnforced` disables every grant; a canonical id that is not the
/// grantee's gets nothing.
#[test]
fn acls_are_part_of_the_resource_side() {
    let build = |ownership: Option<&str>| {
        let mut org = OrgBuilder::default();
        org.canonical_id(
            A,
            "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0",
        );
        org.canonical_id(B, CANONICAL_B);
        org.canonical_id(
            C,
            "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
        );
        org.bucket(A, "shared", true, None);
        org.acl(
            A,
            "shared",
            &[
                (AclGrantee::AllUsers, "READ"),
                (AclGrantee::CanonicalUser(CANONICAL_B.into()), "WRITE"),
                (AclGrantee::CanonicalUser(CANONICAL_B.into()), "READ_ACP"),
            ],
            ownership,
        );
        org.user(B, "writer", json!([allow("s3:*")]), &[]);
        org.user(C, "stranger", json!([allow("s3:*")]), &[]);
        org.build()
    };
    let snapshot = build(None);
    let simulator = Simulator::new(&snapshot);
    let graph = Graph::build(&snapshot);
    let bucket = "arn:aws:s3:::shared";
    let object = "arn:aws:s3:::shared/k";
    let writer = iam_arn(B, "user", "writer");
    let stranger = iam_arn(C, "user", "stranger");
    assert_eq!(
        decide(&simulator, "*", "s3:ListBucket", bucket),
        Decision::Allow
    );
    assert_eq!(
        decide(&simulator, "*", "s3:GetObject", object),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide(&simulator, &writer, "s3:PutObject", object),
        Decision::Allow
    );
    assert_eq!(
        decide(&simulator, &writer, "s3:GetBucketAcl", bucket),
        Decision::Allow
    );
    assert_eq!(
        decide(&simulator, &writer, "s3:PutBucketAcl", bucket),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide(&simulator, &stranger, "s3:PutObject", object),
        IMPLICIT_DENY
    );
    // The stranger still lists it, as anyone does.
    assert_eq!(
        decide(&simulator, &stranger, "s3:ListBucket", bucket),
        Decision::Allow
    );
    assert_eq!(edge(&graph, "*", bucket), Some(false));
    assert_eq!(edge(&graph, &writer, bucket), Some(false));

    let enforced = build(Some("BucketOwnerEnforced"));
    let simulator = Simulator::new(&enforced);
    let graph = Graph::build(&enforced);
    assert_eq!(
        decide(&simulator, "*", "s3:ListBucket", bucket),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide(&simulator, &writer, "s3:PutObject", object),
        IMPLICIT_DENY
    );
    assert_eq!(edge(&graph, &writer, bucket), None);
}

/// Item 4: a `NotPrincipal` deny listing an account's ARN next to a user exempts that user and the
/// account principal, not the account's other users (IAM/reference_policies_elements_notprincipal.html).
#[test]
fn not_principal_exempts_only_the_listed_identities() {
    let mut org = OrgBuilder::default();
    org.user(A, "alice", json!([allow("s3:*")]), &[]);
    org.user(A, "bob", json!([allow("s3:*")]), &[]);
    org.bucket(
        A,
        "vault",
        true,
        Some(json!({"Effect": "Deny",
            "NotPrincipal": {"AWS": [iam_arn(A, "user", "alice"), format!("arn:aws:iam::{A}:root")]},
            "Action": "s3:*", "Resource": ["arn:aws:s3:::vault", "arn:aws:s3:::vault/*"]})),
    );
    let snapshot = org.build();
    let simulator = Simulator::new(&snapshot);
    let graph = Graph::build(&snapshot);
    let object = "arn:aws:s3:::vault/k";
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(A, "user", "alice"),
            "s3:GetObject",
            object
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &simulator,
            &iam_arn(A, "user", "bob"),
            "s3:GetObject",
            object
        ),
        Decision::Deny(DenyKind::Explicit)
    );
    assert_eq!(
        edge(&graph, &iam_arn(A, "user", "alice"), "arn:aws:s3:::vault"),
        Some(false)
    );
    assert_eq!(
        edge(&graph, &iam_arn(A, "user", "bob"), "arn:aws:s3:::vault"),
        None
    );
}

/// A role of `A` trusted by anyone in the organization only, and a role of member account `B`
/// that anyone may assume and that may assume roles; every member account has IAM data, so `*`
/// stands for principals outside the organization.
fn org_trust(organization: bool) -> Snapshot {
    let mut org = OrgBuilder::default();
    org.user(MANAGEMENT, "admin", json!([allow("*")]), &[]);
    org.role(
        A,
        "org-only",
        json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
               "Condition": {"StringEquals": {"aws:PrincipalOrgID": crate::fixture::ORG_ID}}}),
        Value::Null,
    );
    org.role(
        B,
        "public",
        json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        json!([allow("sts:AssumeRole")]),
    );
    let org = if organization {
        org.organization(&[MANAGEMENT, A, B])
    } else {
        org
    };
    org.build()
}

/// Item 5: an account outside a known organization is not a member (iam-semantics.md §4.3), so
/// `aws:PrincipalOrgID` is false for it, not unknown; `*` reaches the organization's role only
/// through a member account's role, in two hops.
#[test]
fn organization_conditions_for_principals_outside() {
    let snapshot = org_trust(true);
    let simulator = Simulator::new(&snapshot);
    let graph = Graph::build(&snapshot);
    let org_only = iam_arn(A, "role", "org-only");
    let public = iam_arn(B, "role", "public");
    let outsider = "arn:aws:iam::444444444444:role/x";
    assert_eq!(
        decide(&simulator, outsider, "sts:AssumeRole", &org_only),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide(&simulator, "*", "sts:AssumeRole", &org_only),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide(&simulator, &public, "sts:AssumeRole", &org_only),
        Decision::Allow
    );
    assert_eq!(edge(&graph, "*", &org_only), None, "no one-hop edge from *");
    let anyone = graph.find("*").expect("*");
    let target = graph.find(&org_only).expect("role");
    let path = graph
        .shortest_path(anyone, target, &Filter::default())
        .expect("a path through the member account's role");
    assert_eq!(path.hops.len(), 2);

    // Negative twin: without Organizations data membership is unknown, so the one hop is
    // conditional on the organization.
    let snapshot = org_trust(false);
    let simulator = Simulator::new(&snapshot);
    let graph = Graph::build(&snapshot);
    assert_eq!(
        decide(&simulator, outsider, "sts:AssumeRole", &org_only),
        CONDITIONAL
    );
    assert_eq!(edge(&graph, "*", &org_only), Some(true));
}

/// Item 6: `iam:AddUserToGroup` onto a group whose policies make members administrators (with
/// no members yet) makes the user an administrator in waiting, one hop (pathfinding.cloud
/// iam-013).
#[test]
fn joining_an_admin_group_reaches_admin() {
    let build = |group_policy: &str| {
        let mut org = OrgBuilder::default();
        org.managed(
            A,
            "arn:aws:iam::aws:policy/AdministratorAccess",
            json!(allow("*")),
        );
        org.managed(
            A,
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            json!(allow("s3:Get*")),
        );
        org.group(A, "Admins", Value::Null, &[group_policy]);
        org.user(
            A,
            "joiner",
            json!({"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": iam_arn(A, "group", "Admins")}),
            &[],
        );
        Graph::build(&org.build())
    };
    let graph = build("arn:aws:iam::aws:policy/AdministratorAccess");
    let joiner = graph.find(&iam_arn(A, "user", "joiner")).expect("joiner");
    let admins = graph.who_can_reach_admin(A, &Filter::default());
    let row = admins
        .iter()
        .find(|(node, _)| *node == joiner)
        .expect("the joiner reaches admin");
    assert_eq!(row.1.hops.len(), 1);
    assert!(
        admins.iter().all(|(node, _)| graph
            .node(*node)
            .is_some_and(|node| node.kind != accessgraph_graph::NodeKind::Group)),
        "a group is never the source of an answer"
    );
    assert!(
        graph.admins(A).is_empty(),
        "the group itself is not listed as an administrator"
    );

    // Negative twin: the group only reads.
    let graph = build("arn:aws:iam::aws:policy/ReadOnlyAccess");
    let joiner = graph.find(&iam_arn(A, "user", "joiner")).expect("joiner");
    assert!(
        graph
            .who_can_reach_admin(A, &Filter::default())
            .iter()
            .all(|(node, _)| *node != joiner)
    );
}

/// Item 7: a grant that only holds before the snapshot's collection time can never be used again
/// (iam-semantics.md §1.4 Date operators, §4.3): no allow, no edge; a grant that expires later
/// stays conditional and says until when.
#[test]
fn grants_expired_before_collection_are_no_grants() {
    let build = |until: &str| {
        let mut org = OrgBuilder::default();
        org.user(A, "temp", Value::Null, &[]);
        org.role(
            A,
            "temporary",
            json!({"Effect": "Allow", "Principal": {"AWS": iam_arn(A, "user", "temp")}, "Action": "sts:AssumeRole",
                   "Condition": {"DateLessThan": {"aws:CurrentTime": until}}}),
            Value::Null,
        );
        org.collected_at("2026-12-01T00:00:00Z").build()
    };
    let role = iam_arn(A, "role", "temporary");
    let temp = iam_arn(A, "user", "temp");
    let expired = build("2026-06-30T00:00:00Z");
    assert_eq!(
        decide(&Simulator::new(&expired), &temp, "sts:AssumeRole", &role),
        IMPLICIT_DENY
    );
    assert_eq!(edge(&Graph::build(&expired), &temp, &role), None);

    let later = build("2027-06-30T00:00:00Z");
    let simulator = Simulator::new(&later);
    let evaluation = simulator
        .evaluate(&temp, "sts:AssumeRole", &role, &RequestContext::new())
        .expect("evaluation");
    assert_eq!(evaluation.decision, CONDITIONAL);
    assert!(
        evaluation
            .conditions
            .iter()
            .any(|condition| condition.key == "aws:CurrentTime"
                && condition.values == ["2027-06-30T00:00:00Z"]),
        "{evaluation:?}"
    );
    assert_eq!(edge(&Graph::build(&later), &temp, &role), Some(true));
}

/// Issue 23 item 2: a session of a role of the snapshot is that role, whose path the snapshot
/// knows, so a policy naming the role ARN with its path names the session
/// (iam-semantics.md §1.3).
#[test]
fn a_session_is_its_role_with_the_path() {
    let mut org = OrgBuilder::default();
    let trust = json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    org.role(A, "svc/deploy", trust.clone(), json!([allow("s3:*")]));
    org.role(A, "other", trust, json!([allow("s3:*")]));
    org.bucket(
        A,
        "vault",
        true,
        Some(
            json!({"Effect": "Deny", "Principal": {"AWS": iam_arn(A, "role", "svc/deploy")},
                    "Action": "s3:*", "Resource": "arn:aws:s3:::vault/*"}),
        ),
    );
    let simulator = Simulator::new(&org.build());
    let object = "arn:aws:s3:::vault/k";
    let session = |role: &str| format!("arn:aws:sts::{A}:assumed-role/{role}/s1");
    assert_eq!(
        decide(&simulator, &session("deploy"), "s3:GetObject", object),
        Decision::Deny(DenyKind::Explicit)
    );
    assert_eq!(
        decide(&simulator, &session("other"), "s3:GetObject", object),
        Decision::Allow
    );
}

/// Issue 23 item 7: no administrator takes over a role whose policies and trust AWS manages
/// (service-linked, IAM Identity Center): on the example organization, every edge into one is a
/// sign-in or an assumption, never a takeover or an IAM change.
#[test]
fn aws_managed_roles_are_not_taken_over() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/org");
    let snapshot = accessgraph_ingest::ingest(&root, &accessgraph_ingest::IngestOptions::default())
        .expect("the example ingests")
        .snapshot;
    let graph = Graph::build(&snapshot);
    let mut managed = 0;
    for (id, node) in graph.nodes() {
        if node.kind != accessgraph_graph::NodeKind::Role
            || !accessgraph_policy::is_aws_managed_role(&node.arn)
        {
            continue;
        }
        managed += 1;
        for hop in graph.hops(id, true) {
            for edge in hop.edges.iter().filter_map(|edge| graph.edge(*edge)) {
                assert!(
                    !matches!(
                        edge.kind,
                        accessgraph_graph::EdgeKind::Takeover
                            | accessgraph_graph::EdgeKind::Privesc
                    ),
                    "{} <- {:?} {}",
                    node.arn,
                    edge.kind,
                    edge.technique
                );
            }
        }
    }
    assert!(
        managed >= 3,
        "the example has Identity Center and service-linked roles"
    );
}

/// Issue 23 item 9: a request that goes through a VPC endpoint of the snapshot (its context names
/// it in `aws:SourceVpce`) must also be allowed by the endpoint's policy (VPC User Guide, endpoint
/// policies); without the endpoint the same request is allowed.
#[test]
fn vpc_endpoint_policies_filter_requests_through_them() {
    let mut org = OrgBuilder::default();
    org.user(A, "analyst", json!([allow("s3:*")]), &[]);
    org.bucket(A, "data", true, None);
    org.bucket(A, "other", true, None);
    org.vpc_endpoint(
        A,
        "vpce-0123456789abcdef0",
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}),
    );
    let simulator = Simulator::new(&org.build());
    let analyst = iam_arn(A, "user", "analyst");
    let through = RequestContext::new().with("aws:SourceVpce", "vpce-0123456789abcdef0");
    let elsewhere = RequestContext::new().with("aws:SourceVpce", "vpce-0000000000000000f");
    assert_eq!(
        decide_with(
            &simulator,
            &analyst,
            "s3:GetObject",
            "arn:aws:s3:::data/k",
            &through
        ),
        Decision::Allow
    );
    assert_eq!(
        decide_with(
            &simulator,
            &analyst,
            "s3:GetObject",
            "arn:aws:s3:::other/k",
            &through
        ),
        IMPLICIT_DENY
    );
    assert_eq!(
        decide_with(
            &simulator,
            &analyst,
            "s3:GetObject",
            "arn:aws:s3:::other/k",
            &elsewhere
        ),
        Decision::Allow,
        "an endpoint the snapshot does not hold is not known to filter"
    );
    assert_eq!(
        decide(&simulator, &analyst, "s3:GetObject", "arn:aws:s3:::other/k"),
        Decision::Allow
    );
}

/// Issue 23 item 9, in the graph: a bucket that only accepts requests through an endpoint of the
/// snapshot (a deny unless `aws:SourceVpce` is its id) is reached only as far as that endpoint's
/// policy allows. The endpoint allows reading `data` but not `locked`: the analyst's path to
/// `locked` is gone (through the endpoint its policy denies, elsewhere the bucket policy does),
/// the one to `data` stays, conditional on coming through the endpoint.
#[test]
fn edges_needing_an_endpoint_carry_its_policy() {
    let endpoint = "vpce-0123456789abcdef0";
    let only_through = |bucket: &str| {
        Some(json!([{
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"StringNotEquals": {"aws:SourceVpce": endpoint}}
        }]))
    };
    let mut org = OrgBuilder::default();
    org.user(A, "analyst", json!([allow("s3:GetObject")]), &[]);
    org.bucket(A, "data", true, only_through("data"));
    org.bucket(A, "locked", true, only_through("locked"));
    org.vpc_endpoint(
        A,
        endpoint,
        json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}),
    );
    let snapshot = org.build();
    let simulator = Simulator::new(&snapshot);
    let analyst = iam_arn(A, "user", "analyst");
    let open = simulator
        .evaluate(
            &analyst,
            "s3:GetObject",
            "arn:aws:s3:::data/k",
            &RequestContext::new(),
        )
        .expect("evaluates");
    assert!(matches!(open.decision, Decision::Conditional { .. }));
    let formula = open
        .allowed_when
        .as_ref()
        .expect("a formula")
        .display(&open.conditions)
        .to_string();
    assert!(
        formula.contains("NOT aws:SourceVpce StringNotEquals"),
        "{formula}"
    );
    assert!(
        open.evidence
            .iter()
            .any(|citation| citation.policy.contains(endpoint)),
        "the endpoint's statement is evidence"
    );
    assert!(
        !decide(
            &simulator,
            &analyst,
            "s3:GetObject",
            "arn:aws:s3:::locked/k"
        )
        .is_possible(),
        "through the endpoint its policy denies; elsewhere the bucket policy does"
    );
    let graph = Graph::build(&snapshot);
    assert_eq!(edge(&graph, &analyst, "arn:aws:s3:::data"), Some(true));
    assert_eq!(edge(&graph, &analyst, "arn:aws:s3:::locked"), None);
}

/// The levels of the permit edge between two nodes (by ARN), each with whether it is conditional.
fn levels(graph: &Graph, from: &str, to: &str) -> Vec<(accessgraph_graph::AccessLevel, bool)> {
    let (Some(from), Some(to)) = (graph.find(from), graph.find(to)) else {
        return Vec::new();
    };
    graph
        .edges()
        .filter(|(source, target, edge)| {
            *source == from && *target == to && edge.kind == accessgraph_graph::EdgeKind::Permit
        })
        .flat_map(|(_, _, edge)| edge.access.iter())
        .map(|access| (access.level, access.conditional))
        .collect()
}

/// Issue 18, item 3: every route AWS allows into a resource. Within one account a request is
/// allowed when the identity policy or the resource policy allows it (iam-semantics.md §3.5),
/// so resources without a policy (a listed bucket, an inventoried function) are nodes and the
/// principals whose own policies allow an action reach them; administrators reach everything of
/// their account through one hop; an identity grant on an object pattern the bucket policy never
/// names (`home/${aws:username}/*`) is seen; a `*` statement limited to the organization's id
/// lets the organization's principals in, and no one else.
#[test]
fn every_route_into_a_resource() {
    use accessgraph_graph::AccessLevel::{Read, Write};
    let mut org = OrgBuilder::default();
    org.user(
        A,
        "admin",
        json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
        &[],
    );
    org.user(
        A,
        "reader",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::plain/*"}]),
        &[],
    );
    org.user(
        A,
        "homer",
        json!([{"Effect": "Allow", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::plain/home/${aws:username}/*"}]),
        &[],
    );
    org.user(A, "nobody", Value::Null, &[]);
    let function = format!("arn:aws:lambda:us-east-1:{A}:function:plain-fn");
    org.user(
        A,
        "invoker",
        json!([{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function}]),
        &[],
    );
    org.user(B, "member", json!([allow("s3:PutObject")]), &[]);
    org.user(C, "stranger", json!([allow("s3:PutObject")]), &[]);
    org.bucket(A, "plain", true, None);
    org.bucket(
        A,
        "shared",
        true,
        Some(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                     "Resource": "arn:aws:s3:::shared/*",
                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": crate::fixture::ORG_ID}}}])),
    );
    org.account(A)
        .compute
        .push(accessgraph_model::ComputeResource {
            service: accessgraph_model::ComputeService::Lambda,
            region: "us-east-1".into(),
            id: function.clone(),
            role_arn: None,
            instance_profile_arn: None,
            definition: None,
        });
    let snapshot = org.organization(&[A, B]).build();
    let graph = Graph::build(&snapshot);
    let simulator = Simulator::new(&snapshot);
    let user = |account: &str, name: &str| iam_arn(account, "user", name);
    let plain = "arn:aws:s3:::plain";

    // A bucket named only in the bucket list is a node; its readers are those whose own
    // policies allow, on any object they name.
    assert!(graph.find(plain).is_some(), "a listed bucket is a node");
    assert_eq!(
        levels(&graph, &user(A, "reader"), plain),
        vec![(Read, false)]
    );
    assert_eq!(
        levels(&graph, &user(A, "homer"), plain),
        vec![(Read, false)]
    );
    assert_eq!(
        decide(
            &simulator,
            &user(A, "homer"),
            "s3:GetObject",
            "arn:aws:s3:::plain/home/homer/notes.txt"
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &simulator,
            &user(A, "homer"),
            "s3:GetObject",
            "arn:aws:s3:::plain/x"
        ),
        IMPLICIT_DENY,
        "only under the user's own prefix"
    );
    assert!(levels(&graph, &user(A, "nobody"), plain).is_empty());

    // The administrator reaches it (and the function) in one hop, through the admin node.
    for resource in [plain, function.as_str()] {
        let target = graph.find(resource).expect("resource node");
        let admin = graph.find(&user(A, "admin")).expect("admin node");
        let hops = graph
            .who_can_reach(&[target], &Filter::default())
            .into_iter()
            .find(|(node, _)| *node == admin)
            .map(|(_, path)| path.hops.len());
        assert_eq!(hops, Some(1), "{resource}");
        assert!(
            levels(&graph, &user(A, "admin"), resource).is_empty(),
            "no edge per (administrator, resource)"
        );
    }

    // An inventoried function without a policy: its invoker writes to it (lambda:InvokeFunction
    // is a Write action in the catalog).
    assert_eq!(
        levels(&graph, &user(A, "invoker"), &function),
        vec![(Write, false)]
    );

    // `*` limited to the organization: the member's principal writes, the stranger does not.
    let shared = "arn:aws:s3:::shared";
    assert_eq!(
        levels(&graph, &user(B, "member"), shared),
        vec![(Write, false)]
    );
    assert!(levels(&graph, &user(C, "stranger"), shared).is_empty());
    assert_eq!(edge(&graph, "*", shared), None, "not public");
    assert_eq!(
        decide(
            &simulator,
            &user(C, "stranger"),
            "s3:PutObject",
            "arn:aws:s3:::shared/x"
        ),
        IMPLICIT_DENY
    );
}
