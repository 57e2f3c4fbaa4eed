//! Wildcard matcher tests: a table and property tests against a naive reference matcher.

use super::Glob;
use proptest::prelude::*;

/// Naive reference: recursive matching over chars (iam-semantics.md §1.7).
fn naive(pattern: &[char], text: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('*', rest)) => (0..=text.len()).any(|skip| naive(rest, &text[skip..])),
        Some(('?', rest)) => !text.is_empty() && naive(rest, &text[1..]),
        Some((literal, rest)) => text.first() == Some(literal) && naive(rest, &text[1..]),
    }
}

fn naive_str(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    naive(&pattern, &text)
}

#[test]
fn table() {
    // (pattern, text, expected)
    let cases = [
        ("*", "", true),
        ("*", "anything", true),
        ("", "", true),
        ("", "a", false),
        ("s3:getobject", "s3:getobject", true),
        ("s3:get*", "s3:getobject", true),
        ("s3:get*", "s3:putobject", false),
        ("*object", "s3:getobject", true),
        ("iam:*accesskey*", "iam:createaccesskey", true),
        ("iam:*accesskey*", "iam:createloginprofile", false),
        ("s3:?etobject", "s3:getobject", true),
        ("s3:?etobject", "s3:etobject", false),
        ("a?c", "aéc", true),
        ("bucket/*/test/*", "bucket/1/2/test/x.jpg", true),
        ("bucket/*/test/*", "bucket//test/x.jpg", true),
        ("bucket/*/test/*", "bucket/1-test/x.jpg", false),
        ("a*b*c", "abbbbc", true),
        ("a*b*c", "abbbb", false),
        ("**", "x", true),
        ("*?", "", false),
        ("*?", "é", true),
    ];
    for (pattern, text, expected) in cases {
        assert_eq!(
            Glob::new(pattern).matches(text),
            expected,
            "pattern {pattern:?} text {text:?}"
        );
        assert_eq!(
            naive_str(pattern, text),
            expected,
            "naive disagrees on {pattern:?} {text:?}"
        );
    }
}

#[test]
fn fast_paths_are_chosen() {
    assert_eq!(Glob::new("**"), Glob::Any);
    assert_eq!(Glob::new("abc"), Glob::Exact("abc".into()));
    assert_eq!(Glob::new("ab*"), Glob::Prefix("ab".into()));
    assert_eq!(Glob::new("*ab"), Glob::Suffix("ab".into()));
    assert!(matches!(Glob::new("a*b"), Glob::General(_)));
    assert!(matches!(Glob::new("ab?"), Glob::General(_)));
}

#[test]
fn ascii_lowercase_compiles_case_insensitively() {
    assert!(Glob::new_ascii_lowercase("IAM:List*").matches("iam:listroles"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_naive_on_small_alphabet(pattern in "[ab*?é:/]{0,10}", text in "[abé:/]{0,12}") {
        prop_assert_eq!(Glob::new(&pattern).matches(&text), naive_str(&pattern, &text));
    }

    #[test]
    fn agrees_with_naive_on_any_text(pattern in "\\PC{0,8}", text in "\\PC{0,10}") {
        prop_assert_eq!(Glob::new(&pattern).matches(&text), naive_str(&pattern, &text));
    }

    #[test]
    fn a_pattern_without_wildcards_matches_itself(text in "[^*?]{0,20}") {
        prop_assert!(Glob::new(&text).matches(&text));
    }
}
