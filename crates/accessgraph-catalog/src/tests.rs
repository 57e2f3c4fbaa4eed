//! The embedded catalog answers what the Service Authorization Reference says.

use super::{AccessLevel, ActionCheck, Catalog};

#[test]
fn the_embedded_data_parses_and_names_its_source() {
    let catalog = Catalog::embedded();
    assert!(catalog.services().count() > 400, "every AWS service");
    assert!(catalog.source().contains("iam-data"));
    assert!(catalog.source().contains("MIT License"));
}

#[test]
fn actions_have_levels_resource_types_and_keys() {
    let catalog = Catalog::embedded();
    let (s3, get) = catalog.action("S3:GETOBJECT").expect("s3:GetObject");
    assert_eq!(get.name, "GetObject");
    assert_eq!(get.levels, [AccessLevel::Read]);
    // An object, or an object through an access point: neither alone is required.
    assert!(get.resource_types.iter().any(|kind| kind.name == "object"));
    assert!(
        get.condition_keys
            .iter()
            .any(|key| key.starts_with("s3:ExistingObjectTag/"))
    );
    let (_, put_role_policy) = catalog.action("iam:PutRolePolicy").expect("iam");
    assert!(
        put_role_policy
            .resource_types
            .iter()
            .any(|kind| kind.name == "role" && kind.required)
    );
    assert!(
        s3.resource_arn("object")
            .is_some_and(|arn| arn.contains("${BucketName}/${ObjectName}"))
    );
    let (_, list) = catalog.action("s3:ListBucket").expect("s3:ListBucket");
    assert_eq!(list.levels, [AccessLevel::List]);
    let (_, put_policy) = catalog.action("s3:PutBucketPolicy").expect("policy");
    assert!(
        put_policy
            .levels
            .contains(&AccessLevel::PermissionsManagement)
    );
    let (_, tag) = catalog.action("iam:TagRole").expect("iam:TagRole");
    assert!(tag.levels.contains(&AccessLevel::Tagging));
    let (iam, _) = catalog.action("iam:PassRole").expect("iam:PassRole");
    assert!(
        iam.condition_keys()
            .iter()
            .any(|(key, _)| key == "iam:PassedToService")
    );
}

#[test]
fn unknown_names_get_the_closest_known_one() {
    let catalog = Catalog::embedded();
    assert_eq!(catalog.check_action("s3:GetObject"), ActionCheck::Known);
    assert_eq!(
        catalog.check_action("s3:GetObjekt"),
        ActionCheck::UnknownAction {
            suggestion: Some("s3:GetObject".into())
        }
    );
    assert_eq!(
        catalog.check_action("iam:PasRole"),
        ActionCheck::UnknownAction {
            suggestion: Some("iam:PassRole".into())
        }
    );
    assert_eq!(
        catalog.check_action("lambdaa:InvokeFunction"),
        ActionCheck::UnknownService {
            suggestion: Some("lambda".into())
        }
    );
    assert_eq!(
        catalog.check_action("zzqx:Nothing"),
        ActionCheck::UnknownService { suggestion: None }
    );
    assert_eq!(catalog.check_action("GetObject"), ActionCheck::Malformed);
}

#[test]
fn typed_actions_are_diagnosed_with_a_suggestion() {
    let catalog = Catalog::embedded();
    assert_eq!(catalog.diagnose("s3:GetObject"), None);
    assert_eq!(catalog.diagnose("s3:Get*"), None);
    let (message, suggestion) = catalog.diagnose("s3:GetObjekt").expect("a typo");
    assert!(message.contains("not an action of `s3`"), "{message}");
    assert_eq!(suggestion.as_deref(), Some("s3:GetObject"));
    assert!(
        catalog.diagnose("s3:Frobnicate*").is_some(),
        "names no action"
    );
    let (_, suggestion) = catalog.diagnose("lambdaa:InvokeFunction").expect("a typo");
    assert_eq!(suggestion.as_deref(), Some("lambda:InvokeFunction"));
    assert_eq!(
        catalog.diagnose("quantumwidgets:Frob"),
        None,
        "a service newer than the catalog passes"
    );
    assert!(catalog.diagnose("GetObject").is_some());
    let (message, first) = catalog.diagnose_request("s3:GetObjec?").expect("a pattern");
    assert!(message.contains("naming 1 action:"), "{message}");
    assert_eq!(first.as_deref(), Some("s3:GetObject"));
    assert_eq!(catalog.diagnose_request("s3:GetObject"), None);
}

#[test]
fn condition_keys_of_services_are_checked() {
    let catalog = Catalog::embedded();
    for key in [
        "s3:prefix",
        "S3:ExistingObjectTag/team",
        "kms:EncryptionContext:aws:s3:arn",
        "iam:PassedToService",
        "aws:SourceIp",
        "aws:PrincipalTag/team",
        "saml:aud",
        "sts:ExternalId",
        "ec2:ResourceTag/owner",
    ] {
        assert_eq!(catalog.diagnose_condition_key(key), None, "{key}");
    }
    let (message, suggestion) = catalog
        .diagnose_condition_key("iam:PasedToService")
        .expect("a typo");
    assert!(
        message.contains("not a condition key of `iam`"),
        "{message}"
    );
    assert_eq!(suggestion.as_deref(), Some("iam:PassedToService"));
}

#[test]
fn wildcards_expand_to_the_actions_they_name() {
    let catalog = Catalog::embedded();
    let gets = catalog.expand("s3:Get*");
    assert!(gets.iter().any(|action| action == "s3:GetObject"));
    assert!(gets.iter().all(|action| action.starts_with("s3:Get")));
    let users = catalog.expand("iam:*user*");
    assert!(users.iter().any(|action| action == "iam:CreateUser"));
    assert!(!users.iter().any(|action| action == "iam:CreateRole"));
    assert!(
        catalog.expand("*").len() > 15_000,
        "every action of every service"
    );
    assert_eq!(catalog.expand("s3:GetObjec?"), ["s3:GetObject"]);
    assert!(catalog.expand("s3").is_empty(), "not an action pattern");
}

#[test]
fn malformed_data_is_an_error() {
    assert!(Catalog::parse("{}").is_err());
    assert!(Catalog::parse("not json").is_err());
    let catalog =
        Catalog::parse(r#"{"services": {"x": {"actions": {"Do": ["RW", ["thing!"], [0, "k2"]]}, "keys": [["x:k", "String"]]}}}"#)
            .expect("parses");
    let (_, action) = catalog.action("x:do").expect("x:Do");
    assert_eq!(action.levels, [AccessLevel::Read, AccessLevel::Write]);
    assert_eq!(action.condition_keys, ["x:k", "k2"]);
    assert!(action.resource_types[0].required);
}

#[test]
fn actions_apply_to_the_resource_types_whose_arn_format_fits() {
    let catalog = Catalog::embedded();
    let bucket = "arn:aws:s3:::reports";
    let object = "arn:aws:s3:::reports/2026/q1.csv";
    assert_eq!(catalog.applies_to("s3:ListBucket", bucket), Some(true));
    assert_eq!(catalog.applies_to("s3:ListBucket", object), Some(false));
    assert_eq!(catalog.applies_to("s3:GetObject", object), Some(true));
    assert_eq!(catalog.applies_to("s3:GetObject", bucket), Some(false));
    assert_eq!(
        catalog.applies_to(
            "iam:PassRole",
            "arn:aws:iam::123456789012:role/service/deploy"
        ),
        Some(true)
    );
    assert_eq!(
        catalog.applies_to(
            "kms:Decrypt",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd"
        ),
        Some(true)
    );
    // An action on `*` only, and an action the catalog does not know.
    assert_eq!(catalog.applies_to("s3:ListAllMyBuckets", bucket), None);
    assert_eq!(catalog.applies_to("s3:GetObjekt", object), None);
}

#[test]
fn a_secret_name_may_hold_slashes() {
    assert_eq!(
        Catalog::embedded().applies_to(
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/password-AbCdEf"
        ),
        Some(true)
    );
}

#[test]
fn global_keys_are_known_and_their_near_misses_are_typos() {
    let catalog = Catalog::embedded();
    for key in [
        "aws:SourceIp",
        "AWS:SOURCEIP",
        "aws:PrincipalTag/team",
        "aws:ResourceTag/cost-center",
        "aws:PrincipalOrgID",
    ] {
        assert_eq!(catalog.diagnose_condition_key(key), None, "{key}");
    }
    let (message, suggestion) = catalog
        .diagnose_condition_key("aws:SoruceIp")
        .expect("a near miss is a typo");
    assert!(message.contains("global condition key"), "{message}");
    assert_eq!(suggestion.as_deref(), Some("aws:SourceIp"));
    // A key far from every known one may be newer than the list: it passes.
    assert_eq!(
        catalog.diagnose_condition_key("aws:SomeFutureContextKey"),
        None
    );
}
