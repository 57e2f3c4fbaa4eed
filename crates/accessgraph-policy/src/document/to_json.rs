//! [`PolicyDocument`] -> AWS policy JSON, preserving element forms so that parsing the output
//! gives the same document.

use serde_json::{Map, Value, json};

use super::{Matchers, PolicyDocument, PrincipalSet, Statement, Version};
use crate::condition::Condition;

fn strings<'a>(was_list: bool, values: impl ExactSizeIterator<Item = &'a str>) -> Value {
    let mut values: Vec<Value> = values.map(|text| Value::String(text.to_owned())).collect();
    match (was_list, values.len()) {
        (false, 1) => values.pop().unwrap_or(Value::Null),
        _ => Value::Array(values),
    }
}

fn matchers<P>(
    map: &mut Map<String, Value>,
    names: (&str, &str),
    set: &Matchers<P>,
    text: fn(&P) -> &str,
) {
    let name = if set.negated { names.1 } else { names.0 };
    map.insert(
        name.to_owned(),
        strings(set.was_list, set.patterns.iter().map(text)),
    );
}

fn principals(set: &PrincipalSet) -> Value {
    if set.bare_star {
        return Value::String("*".into());
    }
    let mut by_key: Map<String, Value> = Map::new();
    for entry in &set.entries {
        let slot = by_key
            .entry(entry.key().to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = slot {
            items.push(Value::String(entry.as_str().to_owned()));
        }
    }
    for value in by_key.values_mut() {
        if let Value::Array(items) = value {
            if items.len() == 1 {
                *value = items.pop().unwrap_or(Value::Null);
            }
        }
    }
    Value::Object(by_key)
}

fn conditions(clauses: &[Condition]) -> Value {
    let mut by_operator: Map<String, Value> = Map::new();
    for clause in clauses {
        let slot = by_operator
            .entry(clause.operator().to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(keys) = slot {
            let values = clause.values();
            let value = match values {
                [single] => Value::String(single.clone()),
                many => Value::Array(many.iter().cloned().map(Value::String).collect()),
            };
            keys.insert(clause.key().to_owned(), value);
        }
    }
    Value::Object(by_operator)
}

impl Statement {
    /// This statement as AWS policy JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(sid) = &self.sid {
            map.insert("Sid".into(), json!(&**sid));
        }
        map.insert(
            "Effect".into(),
            json!(match self.effect {
                super::Effect::Allow => "Allow",
                super::Effect::Deny => "Deny",
            }),
        );
        if let Some(set) = &self.principals {
            let name = if set.negated {
                "NotPrincipal"
            } else {
                "Principal"
            };
            map.insert(name.into(), principals(set));
        }
        matchers(
            &mut map,
            ("Action", "NotAction"),
            &self.actions,
            |pattern| pattern.as_str(),
        );
        if let Some(resources) = &self.resources {
            matchers(
                &mut map,
                ("Resource", "NotResource"),
                resources,
                |pattern| pattern.as_str(),
            );
        }
        if !self.conditions.is_empty() {
            map.insert("Condition".into(), conditions(&self.conditions));
        }
        Value::Object(map)
    }
}

impl PolicyDocument {
    /// The document as AWS policy JSON.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if let Some(version) = self.version {
            let text = match version {
                Version::V2008 => "2008-10-17",
                Version::V2012 => "2012-10-17",
            };
            map.insert("Version".into(), json!(text));
        }
        if let Some(id) = &self.id {
            map.insert("Id".into(), json!(id));
        }
        let statements: Vec<Value> = self.statements.iter().map(Statement::to_json).collect();
        let statement = match (self.statement_was_object, statements.as_slice()) {
            (true, [single]) => single.clone(),
            _ => Value::Array(statements),
        };
        map.insert("Statement".into(), statement);
        Value::Object(map)
    }
}
