//! Document parsing: every accepted form, every rejection, and round-tripping
//! (iam-semantics.md §1.1-§1.4, §7.1).

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ParseOptions, PolicyDocument, PolicyError, PolicyKind};

fn parse(value: Value) -> Result<PolicyDocument, PolicyError> {
    PolicyDocument::parse(&value.to_string())
}

fn strict(value: Value, kind: Option<PolicyKind>) -> Result<PolicyDocument, PolicyError> {
    let options = ParseOptions {
        strict: true,
        kind,
        ..ParseOptions::default()
    };
    PolicyDocument::parse_with(&value.to_string(), &options)
}

const SIMPLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;

#[test]
fn accepts_object_json_string_and_url_encoded_forms() {
    let object = PolicyDocument::parse(SIMPLE).unwrap();
    let as_string = PolicyDocument::parse(&Value::String(SIMPLE.into()).to_string()).unwrap();
    let encoded: String =
        percent_encoding::utf8_percent_encode(SIMPLE, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    let url_encoded = PolicyDocument::parse(&encoded).unwrap();
    assert_eq!(object, as_string);
    assert_eq!(object, url_encoded);
    assert_eq!(object.statements().len(), 1);
}

#[test]
fn statement_as_object_or_list_and_single_values_or_lists() {
    let listed = parse(
        json!({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]}),
    )
    .unwrap();
    let single =
        parse(json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}))
            .unwrap();
    assert_eq!(
        listed.statements()[0].actions().patterns()[0].as_str(),
        "s3:GetObject"
    );
    assert_eq!(
        single.statements()[0].actions().patterns()[0].as_str(),
        "s3:GetObject"
    );
    assert_eq!(single.version(), None, "absent Version means 2008-10-17");
}

#[test]
fn keeps_index_and_sid() {
    let doc = parse(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "First", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::x"}
    ]}))
    .unwrap();
    assert_eq!(doc.statements()[0].sid().map(|sid| &**sid), Some("First"));
    assert_eq!(doc.statements()[1].index(), 1);
    assert!(doc.statements()[1].actions().is_negated());
    assert!(doc.statements()[1].resources().unwrap().is_negated());
}

#[test]
fn principal_forms() {
    let doc = parse(json!({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": ["111122223333", "arn:aws:iam::444455556666:root",
            "arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:role/r",
            "arn:aws:sts::111122223333:assumed-role/r/s", "arn:aws:sts::111122223333:federated-user/f",
            "AROADBQP57FF2AEXAMPLE", "arn:aws:iam::111122223333:role/*"],
            "Service": "ec2.amazonaws.com", "Federated": "cognito-identity.amazonaws.com",
            "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
         "Action": "sts:AssumeRole"}
    ]}))
    .unwrap();
    use super::AwsPrincipal as A;
    let entries = doc.statements()[1].principals().unwrap().entries();
    let targets: Vec<_> = entries
        .iter()
        .filter_map(|entry| match entry {
            super::PrincipalEntry::Aws { target, .. } => Some(std::mem::discriminant(target)),
            _ => None,
        })
        .collect();
    let expected = [
        A::Account(String::new()),
        A::Account(String::new()),
        A::User(String::new()),
        A::Role(String::new()),
        A::AssumedRole {
            account: String::new(),
            role: String::new(),
            session: String::new(),
        },
        A::FederatedUser(String::new()),
        A::UniqueId(String::new()),
        A::Invalid(String::new()),
    ]
    .map(|target| std::mem::discriminant(&target));
    assert_eq!(targets, expected);
    assert_eq!(entries.len(), 11);
    assert!(doc.statements()[0].principals().unwrap().entries()[0].is_everyone());
}

/// (document, JSON path of the error, statement index, message fragment)
#[test]
fn rejections_name_the_path() {
    let cases = [
        (
            json!({"Statement": [{"Action": "s3:*", "Resource": "*"}]}),
            "$.Statement[0]",
            Some(0),
            "missing required element `Effect`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            "$.Statement[0]",
            Some(0),
            "one of `Action` or `NotAction`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "NotAction": "a:c", "Resource": "*"}]}),
            "$.Statement[0]",
            Some(0),
            "`Action` and `NotAction` cannot both",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "NotResource": "*"}]}),
            "$.Statement[0]",
            Some(0),
            "`Resource` and `NotResource`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Principal": "*", "NotPrincipal": {"AWS": "*"}}]}),
            "$.Statement[0]",
            Some(0),
            "`Principal` and `NotPrincipal`",
        ),
        (
            json!({"Statement": [{}, {"Effect": "Permit", "Action": "a:b", "Resource": "*"}]}),
            "$.Statement[0]",
            Some(0),
            "Effect",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*"}, {"Effect": "Permit", "Action": "a:b", "Resource": "*"}]}),
            "$.Statement[1].Effect",
            Some(1),
            "expected `Allow` or `Deny`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": 5, "Resource": "*"}]}),
            "$.Statement[0].Action",
            Some(0),
            "expected a string or an array of strings, found number `5`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": ["a:b", null], "Resource": "*"}]}),
            "$.Statement[0].Action[1]",
            Some(0),
            "expected a string",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Principal": "me"}]}),
            "$.Statement[0].Principal",
            Some(0),
            "expected `\"*\"` or an object",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Principal": {"Group": "g"}}]}),
            "$.Statement[0].Principal.Group",
            Some(0),
            "`AWS`, `Service`",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEquals": "x"}}]}),
            "$.Statement[0].Condition.StringEquals",
            Some(0),
            "an object of condition keys",
        ),
        (
            json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": {"x": 1}}}}]}),
            "$.Statement[0].Condition.Bool.aws:SecureTransport",
            Some(0),
            "a string, number or boolean",
        ),
        (
            json!({"Version": "2013-01-01", "Statement": []}),
            "$.Version",
            None,
            "unknown version",
        ),
        (
            json!({"Version": "2012-10-17"}),
            "$",
            None,
            "missing required element `Statement`",
        ),
        (
            json!({"Statement": "Allow"}),
            "$.Statement",
            None,
            "an object or an array",
        ),
        (
            json!(["not", "a", "document"]),
            "$",
            None,
            "a policy document object",
        ),
    ];
    for (document, path, statement, fragment) in cases {
        let error = parse(document.clone()).expect_err(&document.to_string());
        assert_eq!(error.path(), path, "{document}");
        assert_eq!(error.statement(), statement, "{document}");
        assert!(
            error.to_string().contains(fragment),
            "{error} should contain {fragment}"
        );
    }
}

#[test]
fn errors_name_the_sid() {
    let error = parse(json!({"Statement": [{"Sid": "ReadOnly", "Effect": "allowed", "Action": "a:b", "Resource": "*"}]})).unwrap_err();
    assert_eq!(
        error.to_string(),
        "in `$.Statement[0].Effect` (Sid `ReadOnly`): expected `Allow` or `Deny`, found string `\"allowed\"`"
    );
}

#[test]
fn strict_mode_rejects_what_lenient_mode_warns_about() {
    let unknown_operator = json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}});
    let lenient = parse(unknown_operator.clone()).unwrap();
    assert_eq!(lenient.warnings().len(), 1);
    let error = strict(unknown_operator, None).unwrap_err();
    assert_eq!(error.path(), "$.Statement.Condition.StringEqualz.k");
    assert!(
        error
            .to_string()
            .contains("unknown condition operator `StringEqualz`")
    );

    let lowercase_effect =
        json!({"Statement": {"Effect": "allow", "Action": "a:b", "Resource": "*"}});
    assert!(parse(lowercase_effect.clone()).is_ok());
    assert!(strict(lowercase_effect, None).is_err());

    let unknown_element =
        json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Extra": 1}});
    assert!(parse(unknown_element.clone()).is_ok());
    assert!(
        strict(unknown_element, None)
            .unwrap_err()
            .to_string()
            .contains("unknown element `Extra`")
    );

    let bad_number = json!({"Statement": {"Effect": "Allow", "Action": "a:b", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}});
    assert!(parse(bad_number.clone()).is_ok());
    assert!(
        strict(bad_number, None)
            .unwrap_err()
            .to_string()
            .contains("`ten` is not a valid value")
    );

    let empty = json!({"Statement": {"Effect": "Allow", "Action": [], "Resource": "*"}});
    assert!(parse(empty.clone()).is_ok());
    assert!(strict(empty, None).is_err());
}

#[test]
fn strict_mode_checks_principal_by_policy_kind() {
    let with_principal = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}});
    let without =
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}});
    assert!(
        strict(with_principal.clone(), Some(PolicyKind::Identity))
            .unwrap_err()
            .to_string()
            .contains("`Principal` is not allowed in a identity policy")
    );
    assert!(strict(with_principal.clone(), Some(PolicyKind::Scp)).is_err());
    assert!(strict(with_principal, Some(PolicyKind::Resource)).is_ok());
    assert!(
        strict(without.clone(), Some(PolicyKind::Trust))
            .unwrap_err()
            .to_string()
            .contains("missing required element `Principal`")
    );
    assert!(strict(without, Some(PolicyKind::Identity)).is_ok());
    let trust = json!({"Statement": {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}});
    assert!(
        strict(trust, Some(PolicyKind::Trust)).is_ok(),
        "trust policies have no Resource"
    );
}

#[test]
fn limits_are_enforced() {
    let options = ParseOptions {
        limits: super::Limits {
            max_bytes: 64,
            ..super::Limits::default()
        },
        ..ParseOptions::default()
    };
    let error = PolicyDocument::parse_with(
        &format!("{{\"Statement\": [], \"Id\": \"{}\"}}", "x".repeat(100)),
        &options,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("more than the limit of 64"),
        "{error}"
    );
    // The same bound holds for a document given as a JSON object (the AWS CLI's form), as for
    // text: a huge condition value is refused, not kept.
    let object = json!({"Statement": [], "Id": "x".repeat(100)});
    let error = PolicyDocument::from_value(&object, &options).unwrap_err();
    assert!(
        error.to_string().contains("more than the limit of 64"),
        "{error}"
    );
    let huge = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x".repeat(2 * 1024 * 1024)}}}});
    assert!(PolicyDocument::from_value(&huge, &ParseOptions::default()).is_err());
    let options = ParseOptions {
        limits: super::Limits {
            max_statements: 2,
            ..super::Limits::default()
        },
        ..ParseOptions::default()
    };
    let three = json!({"Statement": [{"Effect": "Allow", "Action": "a:b", "Resource": "*"}, {"Effect": "Allow", "Action": "a:b", "Resource": "*"}, {"Effect": "Allow", "Action": "a:b", "Resource": "*"}]});
    assert!(PolicyDocument::parse_with(&three.to_string(), &options).is_err());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(
        PolicyDocument::parse(&format!("{{\"Statement\": {deep}}}")).is_err(),
        "deep nesting is an error, not a stack overflow"
    );
    assert!(PolicyDocument::parse("not json").is_err());
}

#[test]
fn round_trips_through_json() {
    let documents = [
        json!({"Version": "2012-10-17", "Id": "x", "Statement": {"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::b/${aws:username}/*"]}}),
        json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root", "111122223333"], "Service": "s3.amazonaws.com"}, "NotAction": ["iam:*"], "NotResource": "*",
               "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}, "Bool": {"aws:MultiFactorAuthPresent": "false"}}}]}),
        json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]}),
    ];
    for document in documents {
        let parsed = parse(document.clone()).unwrap();
        assert_eq!(parsed.to_json(), document);
        assert_eq!(
            PolicyDocument::parse(&parsed.to_json().to_string()).unwrap(),
            parsed
        );
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("Allow".to_owned()),
            Just("Deny".to_owned()),
            Just("*".to_owned()),
            Just("2012-10-17".to_owned()),
            Just("s3:Get*".to_owned()),
            Just("arn:aws:iam::111122223333:root".to_owned()),
            Just("${aws:username}".to_owned()),
            "\\PC{0,12}",
        ]
        .prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("Statement"),
        Just("Effect"),
        Just("Action"),
        Just("NotAction"),
        Just("Resource"),
        Just("NotResource"),
        Just("Principal"),
        Just("NotPrincipal"),
        Just("Condition"),
        Just("AWS"),
        Just("Service"),
        Just("Sid"),
        Just("Version"),
        Just("StringLike"),
        Just("ForAllValues:ArnLike"),
        Just("NumericLessThanIfExists"),
        Just("aws:SourceIp"),
        Just("IpAddress"),
        Just("DateGreaterThan"),
        Just("Null"),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..5).prop_map(|entries| Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn parser_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        let text = value.to_string();
        let _ = PolicyDocument::parse(&text);
        let options = ParseOptions { strict: true, kind: Some(PolicyKind::Resource), ..ParseOptions::default() };
        let _ = PolicyDocument::parse_with(&text, &options);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = PolicyDocument::parse(&text);
    }

    #[test]
    fn accepted_documents_round_trip(value in arbitrary_json()) {
        if let Ok(parsed) = PolicyDocument::parse(&value.to_string()) {
            // Unknown elements are dropped on output, so only the warnings may differ.
            let again = PolicyDocument::parse(&parsed.to_json().to_string()).unwrap();
            prop_assert_eq!(again.statements(), parsed.statements());
            prop_assert_eq!(again.to_json(), parsed.to_json());
        }
    }
}

#[test]
fn might_match_resource_is_a_safe_prefilter() {
    let doc = parse(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111122223333:user/alice"},
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::111122223333:user/${aws:username}"},
        {"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": "arn:aws:iam::111122223333:user/alice"},
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}
    ]}))
    .unwrap();
    let statements = doc.statements();
    assert!(statements[0].might_match_resource("arn:aws:iam::111122223333:user/alice"));
    assert!(!statements[0].might_match_resource("arn:aws:iam::111122223333:user/bob"));
    assert!(
        statements[1].might_match_resource("arn:aws:iam::111122223333:user/bob"),
        "variables may match anything"
    );
    assert!(
        statements[2].might_match_resource("arn:aws:iam::111122223333:user/alice"),
        "NotResource is left to evaluation"
    );
    assert!(
        statements[3].might_match_resource("anything"),
        "no Resource element"
    );
}
