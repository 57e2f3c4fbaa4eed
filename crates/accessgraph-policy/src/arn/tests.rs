//! ARN parsing and classification (iam-semantics.md §2).

use super::{Arn, ArnError, ResourceKind, chosen_arn, components, is_account_id, is_partition};
use crate::PolicyDocument;

fn kind_of(text: &str) -> ResourceKind<'static> {
    let arn: Arn = text.parse().expect(text);
    // Leak in tests only so the borrowed kind can outlive the local.
    let arn: &'static Arn = Box::leak(Box::new(arn));
    arn.kind()
}

#[test]
fn partitions() {
    for good in ["aws", "aws-cn", "aws-us-gov", "aws-iso-b"] {
        assert!(is_partition(good), "{good}");
    }
    for bad in ["", "aw", "awsx", "aws-", "aws--cn", "AWS", "aws-CN", "gcp"] {
        assert!(!is_partition(bad), "{bad}");
    }
}

#[test]
fn parse_round_trips_and_rejects() {
    for text in [
        "arn:aws:iam::123456789012:user/division/alice",
        "arn:aws-cn:s3:::bucket/key:with:colons",
        "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn:prod",
    ] {
        let arn: Arn = text.parse().unwrap();
        assert_eq!(arn.to_string(), text);
    }
    assert!(matches!(
        "arn:aws:iam".parse::<Arn>(),
        Err(ArnError::Shape(_))
    ));
    assert!(matches!(
        "urn:aws:iam::1:root".parse::<Arn>(),
        Err(ArnError::Shape(_))
    ));
    assert!(matches!(
        "arn:foo:iam::1:root".parse::<Arn>(),
        Err(ArnError::Partition(..))
    ));
    assert!(matches!(
        "arn:aws:::1:root".parse::<Arn>(),
        Err(ArnError::EmptyService(_))
    ));
    assert!(matches!(
        "arn:aws:iam::1:".parse::<Arn>(),
        Err(ArnError::EmptyResource(_))
    ));
}

#[test]
fn components_keep_colons_in_the_resource() {
    assert_eq!(
        components("arn:aws:logs:us-east-1:1:log-group:x:log-stream:y"),
        Some([
            "arn",
            "aws",
            "logs",
            "us-east-1",
            "1",
            "log-group:x:log-stream:y"
        ])
    );
    assert_eq!(components("*"), None);
}

#[test]
fn account_ids() {
    assert!(is_account_id("123456789012"));
    assert!(!is_account_id("12345678901"));
    assert!(!is_account_id("aws"));
    let managed: Arn = "arn:aws:iam::aws:policy/AdministratorAccess"
        .parse()
        .unwrap();
    assert_eq!(managed.account_id(), None);
    assert_eq!(managed.account(), "aws");
}

#[test]
fn classification_table() {
    use ResourceKind as K;
    let cases: Vec<(&str, ResourceKind<'static>)> = vec![
        ("arn:aws:iam::111122223333:root", K::AccountRoot),
        (
            "arn:aws:iam::111122223333:user/alice",
            K::User {
                path: "/",
                name: "alice",
            },
        ),
        (
            "arn:aws:iam::111122223333:user/division_abc/sub/JaneDoe",
            K::User {
                path: "/division_abc/sub/",
                name: "JaneDoe",
            },
        ),
        (
            "arn:aws:iam::111122223333:group/devs",
            K::Group {
                path: "/",
                name: "devs",
            },
        ),
        (
            "arn:aws:iam::111122223333:role/service-role/ci",
            K::Role {
                path: "/service-role/",
                name: "ci",
            },
        ),
        (
            "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
            K::Policy {
                path: "/job-function/",
                name: "ViewOnlyAccess",
            },
        ),
        (
            "arn:aws:iam::111122223333:instance-profile/web",
            K::InstanceProfile {
                path: "/",
                name: "web",
            },
        ),
        (
            "arn:aws:iam::111122223333:saml-provider/Okta",
            K::SamlProvider { name: "Okta" },
        ),
        (
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            K::OidcProvider {
                url: "token.actions.githubusercontent.com",
            },
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/Deploy/session-1",
            K::AssumedRole {
                role: "Deploy",
                session: "session-1",
            },
        ),
        (
            "arn:aws:sts::111122223333:federated-user/bob",
            K::FederatedUser { name: "bob" },
        ),
        ("arn:aws:s3:::payroll", K::S3Bucket { bucket: "payroll" }),
        (
            "arn:aws:s3:::payroll/2026/a.csv",
            K::S3Object {
                bucket: "payroll",
                key: "2026/a.csv",
            },
        ),
        (
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            K::KmsKey {
                id: "1234abcd-12ab-34cd-56ef-1234567890ab",
            },
        ),
        (
            "arn:aws:kms:us-east-1:111122223333:alias/app",
            K::KmsAlias { name: "app" },
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn",
            K::LambdaFunction {
                name: "fn",
                qualifier: None,
            },
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:fn:prod",
            K::LambdaFunction {
                name: "fn",
                qualifier: Some("prod"),
            },
        ),
        (
            "arn:aws:sqs:us-east-1:111122223333:jobs",
            K::SqsQueue { name: "jobs" },
        ),
        (
            "arn:aws:sns:us-east-1:111122223333:alerts",
            K::SnsTopic { name: "alerts" },
        ),
        (
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
            K::Secret { name: "db-AbCdEf" },
        ),
        ("arn:aws:ec2:us-east-1:111122223333:instance/i-1", K::Other),
    ];
    for (text, expected) in cases {
        assert_eq!(kind_of(text), expected, "{text}");
    }
}

proptest::proptest! {
    #[test]
    fn components_agree_with_splitn(text in "(arn:)?[a-z0-9:/*-]{0,30}") {
        let naive = {
            let parts: Vec<&str> = text.splitn(6, ':').collect();
            match parts.as_slice() {
                ["arn", a, b, c, d, e] => Some(["arn", *a, *b, *c, *d, *e]),
                _ => None,
            }
        };
        proptest::prop_assert_eq!(components(&text), naive);
    }
}

/// A name the caller chooses (issue 22, name-scoped creation): wildcards become neutral text,
/// a region or account of only `*` a real one, the caller's partition; policy variables and
/// non-ARNs give none.
#[test]
fn chosen_arns() {
    let cases = [
        (
            "arn:aws:iam::*:role/CodeStarWorker-*",
            Some("arn:aws:iam::111122223333:role/CodeStarWorker-accessgraph"),
        ),
        (
            "arn:aws:lambda:*:*:function:*sagemaker*",
            Some("arn:aws:lambda:us-east-1:111122223333:function:accessgraphsagemakeraccessgraph"),
        ),
        (
            "arn:aws:sagemaker:eu-west-?:*:training-job/AWSBatch*",
            Some("arn:aws:sagemaker:eu-west-a:111122223333:training-job/AWSBatchaccessgraph"),
        ),
        (
            "arn:aws:iam::444455556666:role/service-role/*",
            Some("arn:aws:iam::444455556666:role/service-role/accessgraph"),
        ),
        ("arn:aws:iam::*:role/${aws:username}", None),
        ("*", None),
    ];
    for (pattern, expected) in cases {
        assert_eq!(
            chosen_arn(pattern, "aws", "111122223333").as_deref(),
            expected,
            "{pattern}"
        );
    }
}

proptest::proptest! {
    /// The chosen ARN is one the pattern matches.
    #[test]
    fn a_chosen_arn_matches_its_pattern(
        service in "(s3|lambda|iam|ec2)",
        region in "(\\*|us-east-1|us-\\*|)",
        account in "(\\*|123456789012|)",
        resource in "[a-z*?/:-]{1,20}",
    ) {
        let pattern = format!("arn:aws:{service}:{region}:{account}:{resource}");
        let chosen = chosen_arn(&pattern, "aws", "111122223333");
        proptest::prop_assert!(chosen.is_some());
        let document = PolicyDocument::parse(&format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "{pattern}"}}]}}"#
        ));
        let document = document.map_err(|error| proptest::test_runner::TestCaseError::fail(error.to_string()))?;
        let statement = &document.statements()[0];
        let chosen = chosen.unwrap_or_default();
        proptest::prop_assert!(statement.might_match_resource(&chosen), "{} {}", pattern, chosen);
    }
}
