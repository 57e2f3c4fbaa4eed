//! Tests of evidence in words: policy labels, citations, and every condition operator family.

use std::sync::Arc;

use super::{citation, clause, policy};
use crate::{Citation, Effect, Layer, Unresolved};

fn cited(layer: Layer, label: &str, via: Option<&str>) -> Citation {
    Citation {
        layer,
        policy: label.into(),
        statement: 2,
        sid: Some("Why".into()),
        effect: Effect::Allow,
        conditional: false,
        via: via.map(Arc::from),
    }
}

/// Every label shape the graph gives policies is named in words; the group a user has a policy
/// through is named (issue 20: "group-inherited permissions name the group").
#[test]
fn policies_are_named_by_their_labels() {
    let group = "arn:aws:iam::111122223333:group/admins/OrgAdmins";
    let cases: &[(Layer, &str, Option<&str>, &str)] = &[
        (
            Layer::Identity,
            "arn:aws:iam::111122223333:user/contractors/eve#inline/manage-keys",
            None,
            "inline policy `manage-keys` of user `eve`",
        ),
        (
            Layer::Identity,
            "arn:aws:iam::111122223333:role/deploy#inline/ops",
            None,
            "inline policy `ops` of role `deploy`",
        ),
        (
            Layer::Identity,
            "arn:aws:iam::aws:policy/AdministratorAccess",
            Some(group),
            "AWS managed policy `AdministratorAccess` attached to group `OrgAdmins`",
        ),
        (
            Layer::Identity,
            "arn:aws:iam::111122223333:group/admins/OrgAdmins#inline/all",
            Some(group),
            "inline policy `all` of group `OrgAdmins`",
        ),
        (
            Layer::Identity,
            "arn:aws:iam::111122223333:policy/team/dev-tools",
            None,
            "managed policy `dev-tools`",
        ),
        (
            Layer::Boundary,
            "arn:aws:iam::111122223333:policy/dev-boundary",
            None,
            "permissions boundary `dev-boundary`",
        ),
        (
            Layer::Scp {
                target: "r-a1b2".into(),
            },
            "arn:aws:organizations::111122223333:policy/o-1/service_control_policy/p-guard",
            None,
            "SCP `p-guard` at `r-a1b2`",
        ),
        (
            Layer::Rcp {
                target: "ou-1".into(),
            },
            "arn:aws:organizations::111122223333:policy/o-1/resource_control_policy/p-r",
            None,
            "RCP `p-r` at `ou-1`",
        ),
        (
            Layer::Resource,
            "arn:aws:iam::111122223333:role/deploy#trust",
            None,
            "trust policy of role `deploy`",
        ),
        (
            Layer::Resource,
            "arn:aws:s3:::payroll#policy",
            None,
            "resource policy of `arn:aws:s3:::payroll`",
        ),
        (
            Layer::Resource,
            "arn:aws:s3:::payroll#acl",
            None,
            "ACL of bucket `arn:aws:s3:::payroll`",
        ),
        (
            Layer::VpcEndpoint,
            "vpce-1#vpc-endpoint-policy",
            None,
            "policy of VPC endpoint `vpce-1`",
        ),
        (Layer::Session, "session", None, "session policy"),
        (
            Layer::Identity,
            "(identity policies not in the snapshot)",
            None,
            "(identity policies not in the snapshot)",
        ),
    ];
    for (layer, label, via, expected) in cases {
        assert_eq!(
            policy(&cited(layer.clone(), label, *via)),
            *expected,
            "{label}"
        );
    }
}

#[test]
fn a_citation_names_its_statement_effect_and_conditions() {
    let mut cited = cited(
        Layer::Identity,
        "arn:aws:iam::aws:policy/AdministratorAccess",
        Some("arn:aws:iam::111122223333:group/OrgAdmins"),
    );
    assert_eq!(
        citation(&cited),
        "allowed by AWS managed policy `AdministratorAccess` attached to group `OrgAdmins`, \
         statement 2 (Sid `Why`)"
    );
    cited.effect = Effect::Deny;
    cited.sid = None;
    cited.conditional = true;
    assert_eq!(
        citation(&cited),
        "denied by AWS managed policy `AdministratorAccess` attached to group `OrgAdmins`, \
         statement 2, under conditions"
    );
}

fn unresolved(operator: &str, key: &str, values: &[&str]) -> Unresolved {
    Unresolved {
        citation: cited(Layer::Identity, "p", None),
        operator: operator.to_owned(),
        key: key.to_owned(),
        values: values.iter().map(|value| (*value).to_owned()).collect(),
    }
}

/// Each operator family in words, as it holds and as its negation (iam-semantics.md §4: the
/// condition operators; a deny's clause appears negated in `allowed_when`).
#[test]
fn clauses_read_as_what_the_request_must_be() {
    let cases: &[(&str, &str, &[&str], &str, &str)] = &[
        (
            "Bool",
            "aws:MultiFactorAuthPresent",
            &["true"],
            "`aws:MultiFactorAuthPresent` is `true`",
            "`aws:MultiFactorAuthPresent` is not `true`",
        ),
        (
            "StringNotEquals",
            "aws:RequestedRegion",
            &["us-east-1", "eu-west-1"],
            "`aws:RequestedRegion` is none of `us-east-1`, `eu-west-1`",
            "`aws:RequestedRegion` is one of `us-east-1`, `eu-west-1`",
        ),
        (
            "StringEquals",
            "aws:PrincipalTag/team",
            &["ops"],
            "`aws:PrincipalTag/team` is `ops`",
            "`aws:PrincipalTag/team` is not `ops`",
        ),
        (
            "StringLike",
            "s3:prefix",
            &["home/*"],
            "`s3:prefix` matches `home/*`",
            "`s3:prefix` does not match `home/*`",
        ),
        (
            "ArnNotLike",
            "aws:SourceArn",
            &["arn:aws:sns:*", "arn:aws:sqs:*"],
            "`aws:SourceArn` matches none of `arn:aws:sns:*`, `arn:aws:sqs:*`",
            "`aws:SourceArn` matches one of `arn:aws:sns:*`, `arn:aws:sqs:*`",
        ),
        (
            "NumericLessThan",
            "s3:max-keys",
            &["10"],
            "`s3:max-keys` is less than `10`",
            "`s3:max-keys` is at least `10`",
        ),
        (
            "NumericGreaterThanEquals",
            "n",
            &["3"],
            "`n` is at least `3`",
            "`n` is less than `3`",
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            &["2027-01-01T00:00:00Z"],
            "`aws:CurrentTime` is before `2027-01-01T00:00:00Z`",
            "`aws:CurrentTime` is at or after `2027-01-01T00:00:00Z`",
        ),
        (
            "DateGreaterThan",
            "t",
            &["x"],
            "`t` is after `x`",
            "`t` is at or before `x`",
        ),
        (
            "IpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8"],
            "`aws:SourceIp` is in `10.0.0.0/8`",
            "`aws:SourceIp` is not in `10.0.0.0/8`",
        ),
        (
            "NotIpAddress",
            "aws:SourceIp",
            &["10.0.0.0/8"],
            "`aws:SourceIp` is not in `10.0.0.0/8`",
            "`aws:SourceIp` is in `10.0.0.0/8`",
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            &["true"],
            "`aws:TokenIssueTime` is absent",
            "`aws:TokenIssueTime` is present",
        ),
        (
            "Null",
            "aws:TokenIssueTime",
            &["false"],
            "`aws:TokenIssueTime` is present",
            "`aws:TokenIssueTime` is absent",
        ),
        (
            "StringEqualsIfExists",
            "aws:RequestTag/env",
            &["dev"],
            "`aws:RequestTag/env` is `dev` (or is absent)",
            "`aws:RequestTag/env` is not `dev` (and is present)",
        ),
        (
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["owner"],
            "some value of `aws:TagKeys` is `owner`",
            "no value of `aws:TagKeys` is `owner`",
        ),
        (
            "ForAllValues:StringLike",
            "aws:TagKeys",
            &["team-*"],
            "every value of `aws:TagKeys` matches `team-*`",
            "some value of `aws:TagKeys` does not match `team-*`",
        ),
        (
            "Principal",
            "session name",
            &["alice"],
            "the session name matches `alice`",
            "the session name matches none of `alice`",
        ),
        (
            "Resource",
            "${aws:username}",
            &["arn:aws:s3:::home/${aws:username}/*"],
            "the resource matches `arn:aws:s3:::home/${aws:username}/*` with `${aws:username}` \
             filled in",
            "the resource matches none of `arn:aws:s3:::home/${aws:username}/*` with \
             `${aws:username}` filled in",
        ),
        (
            "NotResource",
            "the requested resources",
            &["arn:aws:s3:::a/*"],
            "the requested resources match none of `arn:aws:s3:::a/*`",
            "the requested resources match `arn:aws:s3:::a/*`",
        ),
        (
            "SomeFutureOperator",
            "k",
            &["v"],
            "`k` SomeFutureOperator `v`",
            "NOT `k` SomeFutureOperator `v`",
        ),
    ];
    for (operator, key, values, holds, fails) in cases {
        let clause_of = unresolved(operator, key, values);
        assert_eq!(clause(&clause_of, false), *holds, "{operator}");
        assert_eq!(clause(&clause_of, true), *fails, "NOT {operator}");
    }
}

/// One SCP statement allowing at every level of the chain is one line naming the levels; a
/// different statement stays apart.
#[test]
fn an_scp_cited_at_several_levels_is_one_line() {
    let at = |target: &str, statement: usize| Citation {
        statement,
        sid: None,
        ..cited(
            Layer::Scp {
                target: target.into(),
            },
            "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
            None,
        )
    };
    let identity = cited(Layer::Identity, "arn:aws:iam::111122223333:policy/p", None);
    let lines = super::citations(&[
        identity,
        at("r-1", 0),
        at("ou-2", 0),
        at("333344445555", 0),
        at("ou-2", 1),
    ]);
    assert_eq!(
        lines,
        [
            "allowed by managed policy `p`, statement 2 (Sid `Why`)",
            "allowed by SCP `p-FullAWSAccess` at `r-1`, `ou-2`, `333344445555`, statement 0",
            "allowed by SCP `p-FullAWSAccess` at `ou-2`, statement 1",
        ]
    );
}
