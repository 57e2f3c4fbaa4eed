//! SARIF 2.1.0 (the static-analysis results format GitHub code scanning reads): the paths an
//! answer finds (for `diff`, the paths gained) and the changes of a `what cuts` plan, each a
//! result located at the authorization dump of the account it is about
//! (`accounts/ID/iam/get-account-authorization-details.json` in the snapshot layout), with the
//! principals and policies as logical locations.

use serde_json::{Value, json};

use super::{path_text, source_label};
use crate::answer::{Answer, Change, Row};
use crate::cuts::FixInfo;

/// The SARIF schema the log follows.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

const PATH_RULE: &str = "accessgraph/path-to-target";
const NEW_PATH_RULE: &str = "accessgraph/new-path-to-target";
const CUT_RULE: &str = "accessgraph/cut-paths";

/// Rule ids and their descriptions.
const RULES: [(&str, &str, &str); 3] = [
    (
        PATH_RULE,
        "A principal reaches the target of the question",
        "A chain of role assumptions, privilege escalations, group memberships or Identity Center sign-ins gives this principal the target's permissions (an administrator's, for `admin`).",
    ),
    (
        NEW_PATH_RULE,
        "A change opened a path to the target",
        "Between the two snapshots compared, this principal gained a path to the target (an administrator's permissions, for `admin`).",
    ),
    (
        CUT_RULE,
        "A change that cuts paths to the target",
        "One change of the plan that disconnects the principals reaching the target (accessgraph `what cuts`).",
    ),
];

/// The answer as a SARIF log.
pub(super) fn render(answer: &Answer, pretty: bool) -> String {
    let mut results = Vec::new();
    if let Some(cuts) = &answer.cuts {
        for change in &cuts.plan.changes {
            results.push(change_result(change));
        }
    } else {
        for row in &answer.rows {
            match row.change {
                Some(Change::Lost) => {}
                Some(Change::Gained) => results.push(row_result(answer, row, NEW_PATH_RULE)),
                None => results.push(row_result(answer, row, PATH_RULE)),
            }
        }
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "accessgraph",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": RULES.iter().map(|(id, short, full)| json!({
                    "id": id,
                    "shortDescription": {"text": short},
                    "fullDescription": {"text": full},
                })).collect::<Vec<_>>(),
            }},
            "properties": {"query": answer.query},
            "results": results,
        }],
    });
    let text = if pretty {
        serde_json::to_string_pretty(&log)
    } else {
        serde_json::to_string(&log)
    };
    text.unwrap_or_default()
}

/// The layout file of an account's IAM data, where a result about it is shown.
fn account_file(account: Option<&str>) -> Value {
    let uri = match account {
        Some(account) => format!("accounts/{account}/iam/get-account-authorization-details.json"),
        None => "organizations/describe-organization.json".to_owned(),
    };
    json!({"artifactLocation": {"uri": uri, "uriBaseId": "SNAPSHOT"}})
}

fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
}

fn row_result(answer: &Answer, row: &Row, rule_id: &str) -> Value {
    let source = source_label(answer, &row.principal);
    let path = if row.path.is_empty() {
        " is the target itself".to_owned()
    } else {
        path_text(answer, row)
    };
    let gained = if rule_id == NEW_PATH_RULE {
        "new: "
    } else {
        ""
    };
    let account = account_of(&row.target).or_else(|| account_of(&row.principal));
    json!({
        "ruleId": rule_id,
        "level": if row.conditional { "warning" } else { "error" },
        "message": {"text": format!("{gained}{source}{path}")},
        "locations": [{
            "physicalLocation": account_file(account),
            "logicalLocations": [
                {"fullyQualifiedName": row.principal, "kind": "principal"},
                {"fullyQualifiedName": row.target, "kind": "target"},
            ],
        }],
        "partialFingerprints": {"accessgraph/v1": format!("{}->{}", row.principal, row.target)},
        "properties": {"conditional": row.conditional, "hops": row.path.len()},
    })
}

fn change_result(change: &[FixInfo]) -> Value {
    let words: Vec<&str> = change.iter().map(|fix| fix.words.as_str()).collect();
    let account = change.iter().find_map(|fix| fix.account.as_deref());
    let names: Vec<Value> = change
        .iter()
        .map(|fix| {
            let name = serde_json::to_value(&fix.fix).unwrap_or(Value::Null);
            json!({"fullyQualifiedName": name.to_string(), "kind": "change"})
        })
        .collect();
    json!({
        "ruleId": CUT_RULE,
        "level": "warning",
        "message": {"text": words.join(" and ")},
        "locations": [{
            "physicalLocation": account_file(account),
            "logicalLocations": names,
        }],
        "partialFingerprints": {"accessgraph/v1": words.join(" and ")},
    })
}
