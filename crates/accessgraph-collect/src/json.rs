//! Building the JSON the AWS CLI prints from SDK values: member names as the API writes them,
//! absent members left out, timestamps in the API's ISO 8601 form, policy documents decoded (the
//! raw IAM API URL-encodes them; the CLI prints them as JSON).

use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};
use serde_json::{Map, Value};

/// A JSON object under construction; `None` members are left out, as the CLI leaves out members
/// the response does not carry.
#[derive(Debug, Default)]
pub(crate) struct Object(Map<String, Value>);

impl Object {
    pub(crate) fn new() -> Object {
        Object::default()
    }

    /// A member, if present.
    pub(crate) fn value(mut self, key: &str, value: Option<Value>) -> Object {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value);
        }
        self
    }

    /// A string member, if present.
    pub(crate) fn text(self, key: &str, value: Option<&str>) -> Object {
        self.value(key, value.map(|text| Value::String(text.to_owned())))
    }

    /// A timestamp member, if present.
    pub(crate) fn time(self, key: &str, value: Option<&DateTime>) -> Object {
        self.value(key, value.and_then(timestamp))
    }

    /// A policy document member, if present.
    pub(crate) fn document(self, key: &str, value: Option<&str>) -> Object {
        self.value(key, value.map(document))
    }

    /// A list member, if present, each item converted.
    pub(crate) fn list<T>(
        self,
        key: &str,
        items: Option<&[T]>,
        each: impl Fn(&T) -> Value,
    ) -> Object {
        self.value(
            key,
            items.map(|items| Value::Array(items.iter().map(each).collect())),
        )
    }

    /// A list of strings, if present.
    pub(crate) fn texts(self, key: &str, items: Option<&[String]>) -> Object {
        self.list(key, items, |text| Value::String(text.clone()))
    }

    pub(crate) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A map of strings (attributes, tags) as a JSON object.
pub(crate) fn strings<K: Into<String>, V: Into<String>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(key, value)| (key.into(), Value::String(value.into())))
            .collect(),
    )
}

/// A timestamp as the API writes it (ISO 8601, UTC).
pub(crate) fn timestamp(time: &DateTime) -> Option<Value> {
    time.fmt(DateTimeFormat::DateTime).ok().map(Value::String)
}

/// A policy document as the CLI prints it: URL-decoded, then parsed as JSON (a document that is
/// not JSON stays a string, for ingest to report).
pub(crate) fn document(text: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .unwrap_or_else(|_| text.to_owned());
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(text))
        .unwrap_or(Value::String(decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_decoded_and_parsed() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(
            document(encoded),
            serde_json::json!({"Version": "2012-10-17", "Statement": []})
        );
        assert_eq!(
            document(r#"{"Statement":[]}"#),
            serde_json::json!({"Statement": []})
        );
        assert_eq!(document("not json"), Value::String("not json".into()));
    }

    #[test]
    fn absent_members_are_left_out() {
        let object = Object::new()
            .text("A", Some("a"))
            .text("B", None)
            .texts("C", Some(&[]))
            .done();
        assert_eq!(object, serde_json::json!({"A": "a", "C": []}));
    }
}
