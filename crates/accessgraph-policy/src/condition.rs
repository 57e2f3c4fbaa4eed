//! Condition clauses: every operator family, `IfExists`, `ForAllValues:` / `ForAnyValue:`,
//! evaluated in three-valued logic (iam-semantics.md §1.4).
//!
//! One [`Condition`] is one `operator -> key -> values` clause. Clauses are ANDed; the values of a
//! clause are ORed (NOR for negated operators). A key the snapshot cannot know gives `Unknown`.

mod operator;
mod value;

use serde::Serialize;

pub use self::operator::{Comparison, Operator, Qualifier};
use self::value::Compiled;
use crate::request::{Env, Lookup};
use crate::tri::Tri;

/// Parses a time as the date operators do (ISO 8601 with or without zone, a date, or epoch
/// seconds) into epoch milliseconds (UTC).
#[must_use]
pub fn parse_time(text: &str) -> Option<i64> {
    value::parse_date(text)
}

/// One compiled condition clause.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    operator: String,
    key: String,
    values: Vec<String>,
    #[serde(skip)]
    key_lower: String,
    #[serde(skip)]
    parsed: Operator,
    #[serde(skip)]
    compiled: Compiled,
}

/// Why a condition clause cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    /// The operator name is not one AWS defines.
    #[error("unknown condition operator `{0}`")]
    UnknownOperator(String),
    /// A value does not fit the operator (strict mode only).
    #[error("`{value}` is not a valid value for `{operator}`")]
    InvalidValue {
        /// The operator.
        operator: String,
        /// The offending value.
        value: String,
    },
}

impl Condition {
    /// Compiles one clause. Unknown operators and ill-typed values are errors in strict mode;
    /// otherwise an unknown operator evaluates to `Unknown` and an ill-typed value never matches.
    pub fn new(
        operator: &str,
        key: &str,
        values: Vec<String>,
        variables: bool,
        strict: bool,
    ) -> Result<Condition, ConditionError> {
        let parsed = Operator::parse(operator);
        if strict && parsed.is_unknown() {
            return Err(ConditionError::UnknownOperator(operator.to_owned()));
        }
        let compiled = Compiled::new(&parsed, &values, variables);
        if strict {
            if let Some(value) = compiled.first_invalid(&values) {
                return Err(ConditionError::InvalidValue {
                    operator: operator.to_owned(),
                    value: value.to_owned(),
                });
            }
        }
        Ok(Condition {
            operator: operator.to_owned(),
            key: key.to_owned(),
            key_lower: key.to_lowercase(),
            values,
            parsed,
            compiled,
        })
    }

    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    #[must_use]
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The condition key as written.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The policy values as strings.
    #[must_use]
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether the operator is one AWS defines.
    #[must_use]
    pub fn is_known_operator(&self) -> bool {
        !self.parsed.is_unknown()
    }

    /// Evaluates the clause against a request.
    pub(crate) fn evaluate(&self, env: &Env<'_>) -> Tri {
        if self.parsed.is_unknown() {
            return Tri::Unknown;
        }
        let lookup = env.lookup(&self.key_lower);
        if self.parsed.is_null() {
            return self.compiled.null_test(lookup);
        }
        let test = |value: &str| {
            let positive = self.compiled.any_matches(&self.parsed, value, env);
            if self.parsed.negated {
                !positive
            } else {
                positive
            }
        };
        let values = match lookup {
            // Policy values whose variables all have no value match no request value: a
            // positive comparison of a present key is false, a negated one true, whatever the
            // value (IAM/reference_policies_variables.html; iam-semantics.md §1.5). Decided when
            // that agrees with the answer for an absent key.
            Lookup::Unknown if self.compiled.all_values_absent(env) => {
                let present = Tri::from(self.parsed.negated);
                let absent = self.absent_result();
                return if present == absent {
                    present
                } else {
                    Tri::Unknown
                };
            }
            Lookup::Unknown => return Tri::Unknown,
            Lookup::NotBefore {
                epoch_ms,
                may_be_absent,
            } => {
                let positive = self.compiled.any_matches_after(&self.parsed, epoch_ms);
                let present = if self.parsed.negated {
                    !positive
                } else {
                    positive
                };
                // Every set qualifier reduces to testing the one value of a time key.
                return if may_be_absent && present != self.absent_result() {
                    Tri::Unknown
                } else {
                    present
                };
            }
            Lookup::Absent => return self.absent_result(),
            // With one request value every qualifier reduces to testing that value.
            Lookup::Single(value) => return test(value),
            Lookup::Many(values) => values,
        };
        match self.parsed.qualifier {
            Qualifier::ForAllValues => values
                .iter()
                .fold(Tri::True, |acc, value| acc.and(test(value))),
            Qualifier::ForAnyValue => values
                .iter()
                .fold(Tri::False, |acc, value| acc.or(test(value))),
            Qualifier::Single if values.is_empty() => self.absent_result(),
            // A multivalued key without a set qualifier: any request value may satisfy it.
            Qualifier::Single => values
                .iter()
                .fold(Tri::False, |acc, value| acc.or(test(value))),
        }
    }

    /// Result when the key is absent from the request.
    fn absent_result(&self) -> Tri {
        if self.parsed.if_exists {
            return Tri::True;
        }
        match self.parsed.qualifier {
            Qualifier::ForAnyValue => Tri::False,
            Qualifier::ForAllValues => Tri::True,
            Qualifier::Single => Tri::from(self.parsed.negated),
        }
    }
}

#[cfg(test)]
mod tests;
