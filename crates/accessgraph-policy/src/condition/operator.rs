//! Condition operator names: family, negation, `IfExists` and set qualifiers.

/// The comparison a condition operator performs, without negation or modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `StringEquals`, `StringNotEquals`.
    StringEquals,
    /// `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`.
    StringEqualsIgnoreCase,
    /// `StringLike`, `StringNotLike`.
    StringLike,
    /// `NumericEquals`, `NumericNotEquals`.
    NumericEquals,
    /// `NumericLessThan`.
    NumericLessThan,
    /// `NumericLessThanEquals`.
    NumericLessThanEquals,
    /// `NumericGreaterThan`.
    NumericGreaterThan,
    /// `NumericGreaterThanEquals`.
    NumericGreaterThanEquals,
    /// `DateEquals`, `DateNotEquals`.
    DateEquals,
    /// `DateLessThan`.
    DateLessThan,
    /// `DateLessThanEquals`.
    DateLessThanEquals,
    /// `DateGreaterThan`.
    DateGreaterThan,
    /// `DateGreaterThanEquals`.
    DateGreaterThanEquals,
    /// `Bool`.
    Bool,
    /// `BinaryEquals`.
    BinaryEquals,
    /// `IpAddress`, `NotIpAddress`.
    IpAddress,
    /// `ArnEquals`, `ArnLike`, `ArnNotEquals`, `ArnNotLike` (equals and like behave the same).
    ArnLike,
    /// `Null`.
    Null,
    /// An operator AWS does not define.
    Unknown,
}

/// `ForAnyValue:` / `ForAllValues:` or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    /// No set qualifier.
    Single,
    /// `ForAnyValue:`: some request value satisfies the operator; false when the key is absent.
    ForAnyValue,
    /// `ForAllValues:`: every request value satisfies it; true when the key is absent or empty.
    ForAllValues,
}

/// A parsed operator name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// The comparison.
    pub base: Comparison,
    /// Negated operators match when no policy value matches.
    pub negated: bool,
    /// `...IfExists`: true when the key is absent.
    pub if_exists: bool,
    /// Set qualifier.
    pub qualifier: Qualifier,
}

/// Operator names (lowercase) with their comparison and negation.
const NAMES: [(&str, Comparison, bool); 27] = [
    ("stringequals", Comparison::StringEquals, false),
    ("stringnotequals", Comparison::StringEquals, true),
    (
        "stringequalsignorecase",
        Comparison::StringEqualsIgnoreCase,
        false,
    ),
    (
        "stringnotequalsignorecase",
        Comparison::StringEqualsIgnoreCase,
        true,
    ),
    ("stringlike", Comparison::StringLike, false),
    ("stringnotlike", Comparison::StringLike, true),
    ("numericequals", Comparison::NumericEquals, false),
    ("numericnotequals", Comparison::NumericEquals, true),
    ("numericlessthan", Comparison::NumericLessThan, false),
    (
        "numericlessthanequals",
        Comparison::NumericLessThanEquals,
        false,
    ),
    ("numericgreaterthan", Comparison::NumericGreaterThan, false),
    (
        "numericgreaterthanequals",
        Comparison::NumericGreaterThanEquals,
        false,
    ),
    ("dateequals", Comparison::DateEquals, false),
    ("datenotequals", Comparison::DateEquals, true),
    ("datelessthan", Comparison::DateLessThan, false),
    ("datelessthanequals", Comparison::DateLessThanEquals, false),
    ("dategreaterthan", Comparison::DateGreaterThan, false),
    (
        "dategreaterthanequals",
        Comparison::DateGreaterThanEquals,
        false,
    ),
    ("bool", Comparison::Bool, false),
    ("binaryequals", Comparison::BinaryEquals, false),
    ("ipaddress", Comparison::IpAddress, false),
    ("notipaddress", Comparison::IpAddress, true),
    ("arnequals", Comparison::ArnLike, false),
    ("arnlike", Comparison::ArnLike, false),
    ("arnnotequals", Comparison::ArnLike, true),
    ("arnnotlike", Comparison::ArnLike, true),
    ("null", Comparison::Null, false),
];

impl Operator {
    /// Parses an operator name such as `ForAnyValue:StringNotLikeIfExists` (case-insensitive).
    #[must_use]
    pub fn parse(text: &str) -> Operator {
        let lower = text.to_ascii_lowercase();
        let (qualifier, rest) = if let Some(rest) = lower.strip_prefix("foranyvalue:") {
            (Qualifier::ForAnyValue, rest)
        } else if let Some(rest) = lower.strip_prefix("forallvalues:") {
            (Qualifier::ForAllValues, rest)
        } else {
            (Qualifier::Single, lower.as_str())
        };
        let (rest, if_exists) = match rest.strip_suffix("ifexists") {
            Some(stripped) if stripped != "null" => (stripped, true),
            _ => (rest, false),
        };
        let unknown = Operator {
            base: Comparison::Unknown,
            negated: false,
            if_exists: false,
            qualifier,
        };
        NAMES
            .iter()
            .find(|(name, _, _)| *name == rest)
            .map_or(unknown, |(_, base, negated)| Operator {
                base: *base,
                negated: *negated,
                if_exists,
                qualifier,
            })
    }

    /// Whether the operator is not one AWS defines.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        self.base == Comparison::Unknown
    }

    /// Whether this is `Null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        self.base == Comparison::Null
    }
}

#[cfg(test)]
mod tests {
    use super::{Comparison, Operator, Qualifier};

    #[test]
    fn parses_modifiers() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists");
        assert_eq!(op.base, Comparison::StringLike);
        assert!(op.negated && op.if_exists);
        assert_eq!(op.qualifier, Qualifier::ForAnyValue);
        let op = Operator::parse("forallvalues:arnequals");
        assert_eq!(
            (op.base, op.qualifier),
            (Comparison::ArnLike, Qualifier::ForAllValues)
        );
        assert!(Operator::parse("StringEqualz").is_unknown());
        assert!(
            Operator::parse("NullIfExists").is_unknown(),
            "IfExists is not allowed on Null"
        );
        assert!(Operator::parse("Null").is_null());
        assert!(Operator::parse("NotIpAddressIfExists").negated);
    }
}
