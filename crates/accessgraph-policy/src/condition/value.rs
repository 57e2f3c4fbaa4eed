//! Policy values compiled for their operator family, and the comparisons themselves.

use std::net::IpAddr;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use ipnet::IpNet;

use super::operator::{Comparison, Operator};
use crate::pattern::{ArnGlob, Resolved, Template, display_text};
use crate::request::{Env, Lookup};
use crate::tri::Tri;
use crate::wildcard::Glob;

/// Policy values in the form their operator compares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Compiled {
    /// String and ARN operators: templates that may hold policy variables.
    Templates(Vec<Template>),
    /// Numeric values; `None` for text that is not a number.
    Numbers(Vec<Option<f64>>),
    /// Dates as epoch milliseconds.
    Dates(Vec<Option<i64>>),
    /// `Bool` values, lowercased.
    Bools(Vec<String>),
    /// `BinaryEquals` values, decoded from base64 when possible.
    Binaries(Vec<Vec<u8>>),
    /// CIDR blocks.
    Networks(Vec<Option<IpNet>>),
    /// `Null` values: `true` means the key must be absent.
    Nulls(Vec<Option<bool>>),
    /// Unknown operator: nothing to compare.
    Nothing,
}

impl Compiled {
    pub(crate) fn new(operator: &Operator, values: &[String], variables: bool) -> Compiled {
        use Comparison as C;
        match operator.base {
            C::StringEquals | C::StringEqualsIgnoreCase | C::StringLike | C::ArnLike => {
                Compiled::Templates(
                    values
                        .iter()
                        .map(|value| Template::new(value, variables))
                        .collect(),
                )
            }
            C::NumericEquals
            | C::NumericLessThan
            | C::NumericLessThanEquals
            | C::NumericGreaterThan
            | C::NumericGreaterThanEquals => {
                Compiled::Numbers(values.iter().map(|v| parse_number(v)).collect())
            }
            C::DateEquals
            | C::DateLessThan
            | C::DateLessThanEquals
            | C::DateGreaterThan
            | C::DateGreaterThanEquals => {
                Compiled::Dates(values.iter().map(|v| parse_date(v)).collect())
            }
            C::Bool => Compiled::Bools(values.iter().map(|v| v.to_ascii_lowercase()).collect()),
            C::BinaryEquals => {
                Compiled::Binaries(values.iter().map(|v| decode_binary(v)).collect())
            }
            C::IpAddress => Compiled::Networks(values.iter().map(|v| parse_network(v)).collect()),
            C::Null => Compiled::Nulls(values.iter().map(|v| parse_bool(v)).collect()),
            C::Unknown => Compiled::Nothing,
        }
    }

    /// The first policy value that does not fit the operator, for strict validation.
    pub(crate) fn first_invalid<'a>(&self, values: &'a [String]) -> Option<&'a str> {
        let valid: Vec<bool> = match self {
            Compiled::Numbers(numbers) => numbers.iter().map(Option::is_some).collect(),
            Compiled::Dates(dates) => dates.iter().map(Option::is_some).collect(),
            Compiled::Networks(networks) => networks.iter().map(Option::is_some).collect(),
            Compiled::Nulls(nulls) => nulls.iter().map(Option::is_some).collect(),
            Compiled::Bools(bools) => bools.iter().map(|b| b == "true" || b == "false").collect(),
            Compiled::Templates(_) | Compiled::Binaries(_) | Compiled::Nothing => return None,
        };
        values
            .iter()
            .zip(valid)
            .find(|(_, ok)| !ok)
            .map(|(value, _)| value.as_str())
    }

    /// `Null`: `true` holds when the key is absent, `false` when it is present.
    pub(crate) fn null_test(&self, lookup: Lookup<'_>) -> Tri {
        let absent = match lookup {
            Lookup::Unknown
            | Lookup::NotBefore {
                may_be_absent: true,
                ..
            } => return Tri::Unknown,
            Lookup::NotBefore { .. } => false,
            Lookup::Absent => true,
            Lookup::Many(values) => values.is_empty(),
            Lookup::Single(_) => false,
        };
        let Compiled::Nulls(expected) = self else {
            return Tri::False;
        };
        Tri::from(expected.contains(&Some(absent)))
    }

    /// Whether any policy value matches one request value under the non-negated comparison.
    pub(crate) fn any_matches(&self, operator: &Operator, value: &str, env: &Env<'_>) -> Tri {
        match self {
            Compiled::Templates(templates) => templates.iter().fold(Tri::False, |acc, template| {
                if acc.is_true() {
                    return acc;
                }
                acc.or(template_matches(operator.base, template, value, env))
            }),
            Compiled::Numbers(numbers) => {
                let Some(actual) = parse_number(value) else {
                    return Tri::False;
                };
                Tri::from(
                    numbers
                        .iter()
                        .flatten()
                        .any(|expected| compare(operator.base, actual, *expected)),
                )
            }
            Compiled::Dates(dates) => {
                let Some(actual) = parse_date(value) else {
                    return Tri::False;
                };
                Tri::from(
                    dates
                        .iter()
                        .flatten()
                        .any(|expected| compare_dates(operator.base, actual, *expected)),
                )
            }
            Compiled::Bools(bools) => Tri::from(
                bools
                    .iter()
                    .any(|expected| expected.eq_ignore_ascii_case(value)),
            ),
            Compiled::Binaries(binaries) => {
                let actual = decode_binary(value);
                Tri::from(binaries.contains(&actual))
            }
            Compiled::Networks(networks) => {
                let Some(address) = parse_address(value) else {
                    return Tri::False;
                };
                Tri::from(
                    networks
                        .iter()
                        .flatten()
                        .any(|network| network.contains(&address)),
                )
            }
            Compiled::Nulls(_) | Compiled::Nothing => Tri::Unknown,
        }
    }

    /// Whether every policy value is a template whose variables have no value in this request
    /// (a principal tag the principal does not have, a key known to be absent): then no request
    /// value can equal or be like any of them (IAM/reference_policies_variables.html).
    pub(crate) fn all_values_absent(&self, env: &Env<'_>) -> bool {
        match self {
            Compiled::Templates(templates) => {
                !templates.is_empty()
                    && templates
                        .iter()
                        .all(|template| template.resolve(env) == Resolved::Absent)
            }
            _ => false,
        }
    }

    /// Whether any policy value matches a time known only to be at or after `earliest_ms`
    /// (epoch milliseconds), under the non-negated comparison: definite when every such time
    /// gives the same answer. Dates compare in milliseconds, numbers (`aws:EpochTime`) in seconds.
    pub(crate) fn any_matches_after(&self, operator: &Operator, earliest_ms: i64) -> Tri {
        let earliest = |expected_ms: i64| after(operator.base, earliest_ms, expected_ms);
        match self {
            Compiled::Dates(dates) => dates
                .iter()
                .flatten()
                .fold(Tri::False, |acc, expected| acc.or(earliest(*expected))),
            Compiled::Numbers(numbers) => numbers.iter().flatten().fold(Tri::False, |acc, secs| {
                // Seconds to milliseconds; a value out of range cannot be decided.
                let millis = secs * 1000.0;
                if millis.is_finite() && millis.abs() < 9.0e15 {
                    acc.or(earliest(millis.floor() as i64))
                } else {
                    acc.or(Tri::Unknown)
                }
            }),
            _ => Tri::Unknown,
        }
    }
}

/// `time OP expected` for every time at or after `earliest` (all in epoch milliseconds).
fn after(base: Comparison, earliest: i64, expected: i64) -> Tri {
    use Comparison as C;
    match base {
        // Equal, or below a bound: false once the bound is behind, unknown before.
        C::DateEquals | C::NumericEquals | C::DateLessThanEquals | C::NumericLessThanEquals
            if expected < earliest =>
        {
            Tri::False
        }
        C::DateLessThan | C::NumericLessThan if expected <= earliest => Tri::False,
        // Above a bound that is already behind: true ever after.
        C::DateGreaterThan | C::NumericGreaterThan if expected < earliest => Tri::True,
        C::DateGreaterThanEquals | C::NumericGreaterThanEquals if expected <= earliest => Tri::True,
        _ => Tri::Unknown,
    }
}

fn template_matches(base: Comparison, template: &Template, value: &str, env: &Env<'_>) -> Tri {
    let elems = match template.resolve(env) {
        Resolved::Elems(elems) => elems,
        // An unresolvable variable makes the value not match (§1.5).
        Resolved::Absent => return Tri::False,
        Resolved::Unknown(_) => return Tri::Unknown,
    };
    let matched = match base {
        // For the equality operators `*` and `?` are ordinary characters.
        Comparison::StringEquals => display_text(&elems) == value,
        Comparison::StringEqualsIgnoreCase => {
            display_text(&elems).to_lowercase() == value.to_lowercase()
        }
        Comparison::StringLike => Glob::from_elems(elems).matches(value),
        Comparison::ArnLike => ArnGlob::from_elems(elems).matches(value),
        _ => false,
    };
    Tri::from(matched)
}

fn compare(base: Comparison, actual: f64, expected: f64) -> bool {
    match base {
        Comparison::NumericEquals => actual == expected,
        Comparison::NumericLessThan => actual < expected,
        Comparison::NumericLessThanEquals => actual <= expected,
        Comparison::NumericGreaterThan => actual > expected,
        Comparison::NumericGreaterThanEquals => actual >= expected,
        _ => false,
    }
}

fn compare_dates(base: Comparison, actual: i64, expected: i64) -> bool {
    match base {
        Comparison::DateEquals => actual == expected,
        Comparison::DateLessThan => actual < expected,
        Comparison::DateLessThanEquals => actual <= expected,
        Comparison::DateGreaterThan => actual > expected,
        Comparison::DateGreaterThanEquals => actual >= expected,
        _ => false,
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// ISO 8601 (with or without zone, date only) or epoch seconds, as epoch milliseconds (UTC).
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .and_then(|seconds| seconds.checked_mul(1000));
    }
    if let Ok(date_time) = DateTime::parse_from_rfc3339(text) {
        return Some(date_time.timestamp_millis());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc().timestamp_millis())
}

fn decode_binary(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .unwrap_or_else(|_| text.as_bytes().to_vec())
}

/// A CIDR block, or a single address as a host-sized block.
fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<IpNet>().ok().map(|network| network.addr()))
}
