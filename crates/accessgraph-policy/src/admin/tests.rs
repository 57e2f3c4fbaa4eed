//! Admin predicates (iam-semantics.md §6).

use std::sync::Arc;

use super::{AdminReason, Group, Subject, Technique, full_admin, self_escalating_admin};
use crate::policy::{OrgLevel, Policy, PolicySet};
use crate::request::Principal;
use crate::tri::Tri;

const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const POWER_USER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization"],"Resource":"*"}]}"#;

fn policy(label: &str, text: &str) -> Arc<Policy> {
    Arc::new(Policy::parse(label, text).unwrap())
}

fn user() -> Principal {
    Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap()
}

fn check(principal: &Principal, policies: PolicySet<'_>) -> (Tri, Tri) {
    let subject = Subject {
        principal,
        policies,
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    (
        full_admin(&subject).status,
        self_escalating_admin(&subject).status,
    )
}

#[test]
fn administrator_access_is_full_admin() {
    let identity = [policy("arn:aws:iam::aws:policy/AdministratorAccess", ADMIN)];
    let principal = user();
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &identity,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    let result = full_admin(&subject);
    assert_eq!(result.status, Tri::True);
    assert_eq!(result.reason, Some(AdminReason::FullAccess));
    assert_eq!(
        &*result.evidence[0].policy,
        "arn:aws:iam::aws:policy/AdministratorAccess"
    );
}

#[test]
fn power_user_is_not_admin() {
    let identity = [policy(
        "arn:aws:iam::aws:policy/PowerUserAccess",
        POWER_USER,
    )];
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &identity,
                ..PolicySet::default()
            }
        ),
        (Tri::False, Tri::False)
    );
}

#[test]
fn an_scp_denying_iam_removes_full_admin() {
    let identity = [policy("admin", ADMIN)];
    let scps = [
        OrgLevel {
            target: "r-root".into(),
            policies: vec![policy("FullAWSAccess", ADMIN)],
        },
        OrgLevel {
            target: "111122223333".into(),
            policies: vec![
                policy("FullAWSAccess", ADMIN),
                policy(
                    "deny-iam",
                    r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}"#,
                ),
            ],
        },
    ];
    let (full, escalating) = check(
        &user(),
        PolicySet {
            identity: &identity,
            scps: Some(&scps),
            ..PolicySet::default()
        },
    );
    assert_eq!(full, Tri::False);
    assert_eq!(
        escalating,
        Tri::False,
        "every IAM technique is denied by the SCP"
    );
}

#[test]
fn a_conditional_deny_makes_admin_conditional() {
    let identity = [
        policy("admin", ADMIN),
        policy(
            "mfa",
            r#"{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
        ),
    ];
    let principal = user();
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &identity,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    let result = full_admin(&subject);
    assert_eq!(result.status, Tri::Unknown);
    assert_eq!(result.conditions.list[0].key, "aws:MultiFactorAuthPresent");
    // Admin when the deny does not apply: its clause, negated.
    assert_eq!(
        result.conditions.display().to_string(),
        "NOT aws:MultiFactorAuthPresent BoolIfExists `false` [identity policies]"
    );
}

#[test]
fn a_boundary_caps_full_admin() {
    let identity = [policy("admin", ADMIN)];
    let boundary = policy(
        "boundary",
        r#"{"Statement":{"Effect":"Allow","Action":["s3:*","iam:Get*"],"Resource":"*"}}"#,
    );
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &identity,
                boundary: Some(&boundary),
                ..PolicySet::default()
            }
        ),
        (Tri::False, Tri::False)
    );
}

#[test]
fn put_user_policy_on_itself_is_self_escalation() {
    let identity = [policy(
        "self",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
    )];
    let identity_2012 = [policy(
        "self",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"arn:aws:iam::111122223333:user/${aws:username}"}}"#,
    )];
    let principal = user();
    assert_eq!(
        check(
            &principal,
            PolicySet {
                identity: &identity,
                ..PolicySet::default()
            }
        )
        .1,
        Tri::False,
        "variables are literal under 2008-10-17"
    );
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &identity_2012,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    let result = self_escalating_admin(&subject);
    assert_eq!(result.status, Tri::True);
    assert!(matches!(
        result.reason,
        Some(AdminReason::SelfEscalation {
            technique: Technique::PutUserPolicy,
            ..
        })
    ));
}

#[test]
fn attach_needs_the_admin_policy_arn_to_pass_conditions() {
    let restricted = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}}}"#,
    )];
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &restricted,
                ..PolicySet::default()
            }
        )
        .1,
        Tri::False
    );
    let open = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"}}"#,
    )];
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &open,
                ..PolicySet::default()
            }
        )
        .1,
        Tri::True
    );
}

#[test]
fn group_and_policy_version_techniques() {
    let principal = user();
    let groups = [Group {
        arn: "arn:aws:iam::111122223333:group/devs".into(),
        attached_policies: vec!["arn:aws:iam::111122223333:policy/dev".into()],
    }];
    let on_group = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:PutGroupPolicy","Resource":"arn:aws:iam::111122223333:group/devs"}}"#,
    )];
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &on_group,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &groups,
        earliest_time: None,
    };
    assert!(matches!(
        self_escalating_admin(&subject).reason,
        Some(AdminReason::SelfEscalation {
            technique: Technique::PutGroupPolicy,
            ..
        })
    ));
    let version = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::111122223333:policy/dev"}}"#,
    )];
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &version,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &groups,
        earliest_time: None,
    };
    let result = self_escalating_admin(&subject);
    assert_eq!(result.status, Tri::True);
    assert!(
        matches!(result.reason, Some(AdminReason::SelfEscalation { technique: Technique::CreatePolicyVersion, ref target }) if target == "arn:aws:iam::111122223333:policy/dev")
    );
    let subject = Subject {
        principal: &principal,
        policies: PolicySet {
            identity: &version,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    assert_eq!(
        self_escalating_admin(&subject).status,
        Tri::False,
        "the policy is not attached to this user"
    );
}

#[test]
fn create_role_and_attach() {
    let role = Principal::parse("arn:aws:iam::111122223333:role/builder").unwrap();
    let both = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],"Resource":"*"}}"#,
    )];
    let subject = Subject {
        principal: &role,
        policies: PolicySet {
            identity: &both,
            ..PolicySet::default()
        },
        attached_policies: &[],
        groups: &[],
        earliest_time: None,
    };
    let result = self_escalating_admin(&subject);
    assert!(
        matches!(
            result.reason,
            Some(AdminReason::SelfEscalation {
                technique: Technique::AttachRolePolicy,
                ..
            })
        ),
        "{result:?}"
    );
    let create_only = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"}}"#,
    )];
    assert_eq!(
        check(
            &role,
            PolicySet {
                identity: &create_only,
                ..PolicySet::default()
            }
        )
        .1,
        Tri::False
    );
    let forced_boundary = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":["iam:CreateRole","iam:PutRolePolicy"],"Resource":"arn:aws:iam::111122223333:role/accessgraph-*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::111122223333:policy/b"}}}}"#,
    )];
    assert_eq!(
        check(
            &role,
            PolicySet {
                identity: &forced_boundary,
                ..PolicySet::default()
            }
        )
        .1,
        Tri::False,
        "a required boundary caps the new role"
    );
}

#[test]
fn a_boundary_defeats_put_policy_on_itself_unless_it_can_be_deleted() {
    let identity = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*"}}"#,
    )];
    let boundary = policy(
        "b",
        r#"{"Statement":{"Effect":"Allow","Action":["iam:PutUserPolicy","s3:*"],"Resource":"*"}}"#,
    );
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &identity,
                boundary: Some(&boundary),
                ..PolicySet::default()
            }
        )
        .1,
        Tri::False
    );
    let identity = [policy(
        "p",
        r#"{"Statement":{"Effect":"Allow","Action":["iam:PutUserPolicy","iam:DeleteUserPermissionsBoundary"],"Resource":"*"}}"#,
    )];
    let boundary = policy(
        "b",
        r#"{"Statement":{"Effect":"Allow","Action":["iam:PutUserPolicy","iam:DeleteUserPermissionsBoundary"],"Resource":"*"}}"#,
    );
    assert_eq!(
        check(
            &user(),
            PolicySet {
                identity: &identity,
                boundary: Some(&boundary),
                ..PolicySet::default()
            }
        )
        .1,
        Tri::True
    );
}

#[test]
fn root_user_is_admin_unless_scps_restrict() {
    let root = Principal::parse("arn:aws:iam::111122223333:root").unwrap();
    assert_eq!(check(&root, PolicySet::default()).0, Tri::True);
    let scps = [OrgLevel {
        target: "r-root".into(),
        policies: vec![
            policy("FullAWSAccess", ADMIN),
            policy(
                "deny",
                r#"{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#,
            ),
        ],
    }];
    assert_eq!(
        check(
            &root,
            PolicySet {
                scps: Some(&scps),
                ..PolicySet::default()
            }
        )
        .0,
        Tri::False
    );
}

/// §6 with §1.4 Date operators: administrator access that expired before the earliest request
/// time makes no administrator; access that expires later is conditional.
#[test]
fn expired_administrator_access_is_no_admin() {
    let until = |date: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:CurrentTime":"{date}"}}}}}}]}}"#
        )
    };
    let principal = user();
    let status = |text: &str, earliest_time: Option<i64>| {
        let identity = [policy("temporary-admin", text)];
        let subject = Subject {
            principal: &principal,
            policies: PolicySet {
                identity: &identity,
                ..PolicySet::default()
            },
            attached_policies: &[],
            groups: &[],
            earliest_time,
        };
        (
            full_admin(&subject).status,
            self_escalating_admin(&subject).status,
        )
    };
    // 2026-12-01T00:00:00Z
    let collected = Some(1_796_083_200_000);
    assert_eq!(
        status(&until("2026-06-30T00:00:00Z"), collected),
        (Tri::False, Tri::False)
    );
    assert_eq!(
        status(&until("2027-06-30T00:00:00Z"), collected),
        (Tri::Unknown, Tri::Unknown)
    );
    assert_eq!(
        status(&until("2026-06-30T00:00:00Z"), None),
        (Tri::Unknown, Tri::Unknown),
        "without a time the condition stays open"
    );
}
