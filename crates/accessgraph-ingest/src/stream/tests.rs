//! Streaming tests: recognition, account from ARNs, error paths, element bounds.

use serde_json::json;

use super::{Reading, Source, Streamed};
use crate::fragment::{Documents, Fragment};
use crate::source::Limits;

fn stream(text: &str, account: Option<&str>) -> Result<Streamed, String> {
    let reading = Reading {
        name: "f.json",
        source: Source::Bytes(text.as_bytes()),
        limits: Limits::with_memory(None),
    };
    reading
        .stream(account, &mut Documents::default())
        .map_err(|error| error.to_string())
}

fn account_of(text: &str) -> Result<String, String> {
    match stream(text, None)? {
        Streamed::Authorization(Fragment::Authorization { account, .. }) => Ok(account),
        Streamed::Authorization(_) => Err("not an authorization fragment".into()),
        Streamed::Sample(sample) => Err(format!("sampled: {sample}")),
    }
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;

#[test]
fn authorization_dump_by_its_lists_and_account_by_its_arns() {
    let dump = json!({
        "UserDetailList": [],
        "RoleDetailList": [{"Arn": "arn:aws:iam::111122223333:role/r", "RoleName": "r", "AssumeRolePolicyDocument": TRUST}],
        "Policies": [{"Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "PolicyVersionList": []}]
    });
    assert_eq!(account_of(&dump.to_string()), Ok("111122223333".into()));
    // A page holding only customer managed policies.
    let page = json!({"Policies": [{"Arn": "arn:aws:iam::444455556666:policy/p", "PolicyVersionList": []}]});
    assert_eq!(account_of(&page.to_string()), Ok("444455556666".into()));
    // Policies met before the lists are the dump's too.
    let late = json!({
        "Policies": [{"Arn": "arn:aws:iam::444455556666:policy/p"}],
        "UserDetailList": [],
    });
    assert_eq!(account_of(&late.to_string()), Ok("444455556666".into()));
    // `iam list-policies` has `Policies` too, without versions: sampled, first item only,
    // like every other array of a file that is not an authorization dump.
    let listed = json!({
        "Policies": [{"Arn": "arn:aws:iam::444455556666:policy/p"}, {"Arn": "x"}],
        "Accounts": [{"Id": "1"}, {"Id": "2"}, {"Id": "3"}],
        "Organization": {"Id": "o-1"},
    });
    let Ok(Streamed::Sample(sample)) = stream(&listed.to_string(), None) else {
        panic!("not sampled");
    };
    assert_eq!(
        sample,
        json!({"Policies": [{"Arn": "arn:aws:iam::444455556666:policy/p"}], "Accounts": [{"Id": "1"}], "Organization": {"Id": "o-1"}})
    );
}

#[test]
fn a_dump_of_two_accounts_is_an_error_naming_both_paths() {
    let mixed = json!({
        "UserDetailList": [{"Arn": "arn:aws:iam::111122223333:user/a", "UserName": "a"}],
        "RoleDetailList": [{"Arn": "arn:aws:iam::444455556666:role/r", "RoleName": "r", "AssumeRolePolicyDocument": TRUST}]
    });
    let error = account_of(&mixed.to_string()).unwrap_err();
    assert!(error.contains("$.RoleDetailList[0].Arn"), "{error}");
    assert!(error.contains("$.UserDetailList[0].Arn"), "{error}");
    let anonymous = json!({"UserDetailList": [], "RoleDetailList": []});
    assert!(account_of(&anonymous.to_string()).is_err());
}

#[test]
fn errors_name_the_element() {
    let bad_type =
        r#"{"UserDetailList": [{"Arn": "arn:aws:iam::111122223333:user/a", "UserName": 5}]}"#;
    let error = stream(bad_type, Some("111122223333"))
        .err()
        .unwrap_or_default();
    assert!(error.contains("$.UserDetailList[0].UserName"), "{error}");
    let not_a_list = r#"{"RoleDetailList": "no"}"#;
    let error = stream(not_a_list, Some("111122223333"))
        .err()
        .unwrap_or_default();
    assert!(
        error.contains("f.json: $.RoleDetailList: invalid type"),
        "{error}"
    );
    let truncated = "{\"UserDetailList\": [{\"Arn\": \"arn:aws:iam::111122223333:user/a\",\n \"UserName\": \"a\"}, {\"Arn\": ";
    let error = stream(truncated, Some("111122223333"))
        .err()
        .unwrap_or_default();
    assert!(
        error.contains("$.UserDetailList[1].Arn: invalid JSON"),
        "{error}"
    );
    let not_an_object = "[1, 2]";
    let error = stream(not_an_object, Some("111122223333"))
        .err()
        .unwrap_or_default();
    assert!(error.contains("expected an object"), "{error}");
    assert!(matches!(
        stream(not_an_object, None),
        Ok(Streamed::Sample(serde_json::Value::Null))
    ));
}

/// Reads `text` whole (like every output but an authorization dump) with an element bound.
fn whole(text: &str, element_bytes: u64) -> Result<serde_json::Value, String> {
    let reading = Reading {
        name: "f.json",
        source: Source::Bytes(text.as_bytes()),
        limits: Limits {
            memory: None,
            element_bytes,
        },
    };
    reading.value().map_err(|error| error.to_string())
}

#[test]
fn one_element_is_bounded_not_the_file() {
    let big = "x".repeat(2000);
    // Items of a top-level array are bounded one by one: many small ones are fine.
    let items: Vec<String> = (0..100).map(|n| format!("{{\"n\": {n}}}")).collect();
    let list = format!(
        "{{\"Functions\": [{}], \"NextToken\": null}}",
        items.join(",")
    );
    assert!(whole(&list, 1000).is_ok());
    for (text, path) in [
        (format!("{{\"Policy\": \"{big}\"}}"), "$.Policy"),
        (
            format!("{{\"Functions\": [1, \"{big}\"]}}"),
            "$.Functions[1]",
        ),
        (format!("[{{\"a\": 1}}, {{\"b\": \"{big}\"}}]"), "$[1]"),
    ] {
        let error = whole(&text, 1000).unwrap_err();
        assert!(
            error.contains(&format!("f.json: {path}: larger than 1000 bytes")),
            "{error}"
        );
        assert!(whole(&text, 4000).is_ok());
    }
    // An authorization dump's entries likewise.
    let dump = format!(
        r#"{{"UserDetailList": [{{"Arn": "arn:aws:iam::111122223333:user/a", "UserName": "a"}}, {{"UserName": "{}"}}]}}"#,
        "a".repeat(200)
    );
    let reading = Reading {
        name: "f.json",
        source: Source::Bytes(dump.as_bytes()),
        limits: Limits {
            memory: None,
            element_bytes: 100,
        },
    };
    let error = reading
        .stream(Some("111122223333"), &mut Documents::default())
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("$.UserDetailList[1]: larger than 100 bytes"),
        "{error}"
    );
}

#[test]
fn null_lists_are_empty_and_unknown_members_are_ignored() {
    let text =
        r#"{"UserDetailList": null, "IsTruncated": false, "Marker": null, "New": {"a": [1]}}"#;
    assert!(matches!(
        stream(text, Some("111122223333")),
        Ok(Streamed::Authorization(Fragment::Authorization { users, .. })) if users.is_empty()
    ));
}
