//! Tests of the technique definition files: the built-in ones, and errors with file and line.

use super::{BUILTIN, Category, builtin, parse_files};

/// Every built-in file parses and is compiled in: a file of `data/techniques/` missing from the
/// list, or one that does not parse, would silently lose its techniques.
#[test]
fn every_builtin_file_is_compiled_in_and_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/techniques");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
    assert_eq!(on_disk, listed);
    let parsed = parse_files(BUILTIN.iter().copied()).unwrap();
    assert_eq!(parsed.len(), builtin().len());
    assert!(parsed.len() >= 46, "{} techniques", parsed.len());
}

fn error_of(text: &str) -> String {
    parse_files([("team.toml", text)]).unwrap_err().to_string()
}

const GOOD: &str = r#"
[[technique]]
id = "team-001"
name = "Create a widget that runs as a passed role"
category = "new-passrole"
trusted_service = "lambda.amazonaws.com"
actions = ["lambda:CreateFunction"]
"#;

#[test]
fn a_team_definition_parses() {
    let parsed = parse_files([("team.toml", GOOD)]).unwrap();
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].id, "team-001");
    assert_eq!(parsed[0].category, Category::NewPassrole);
    assert_eq!(parsed[0].actions, ["lambda:CreateFunction"]);
}

/// Errors name the file and the line, and say what is wrong.
#[test]
fn bad_definitions_are_refused_with_file_and_line() {
    let cases: &[(&str, &str)] = &[
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"teleport\"\n\
             trusted_service = \"lambda.amazonaws.com\"\nactions = [\"lambda:CreateFunction\"]\n",
            "team.toml:4: unknown variant `teleport`, expected `new-passrole` or `existing-passrole`",
        ),
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"new-passrole\"\n\
             trusted_service = \"lambda.amazonaws.com\"\nactions = [\"lambda:CreateFunction\"]\n\
             colour = \"red\"\n",
            "team.toml:7: unknown field `colour`",
        ),
        (
            "[[technique]]\nid = \"x\"\ncategory = \"new-passrole\"\n\
             trusted_service = \"lambda.amazonaws.com\"\nactions = [\"lambda:CreateFunction\"]\n",
            "team.toml:1: missing field `name`",
        ),
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"new-passrole\"\n\
             trusted_service = \"lambda.amazonaws.com\"\n\
             actions = [\"lambda:CreateFunction\", \"lambda:CreateFuntion\"]\n",
            "team.toml:6: ",
        ),
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"new-passrole\"\n\
             trusted_service = \"lambda\"\nactions = [\"lambda:CreateFunction\"]\n",
            "team.toml:5: `lambda` is not a service principal",
        ),
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"existing-passrole\"\n\
             trusted_service = \"lambda.amazonaws.com\"\nactions = [\"lambda:UpdateFunctionCode\"]\n",
            "team.toml:1: technique `x` of category existing-passrole needs `resource`",
        ),
        (
            "[[technique]]\nid = \"x\"\nname = \"n\"\ncategory = \"new-passrole\"\n\
             trusted_service = \"lambda.amazonaws.com\"\nactions = []\n",
            "team.toml:6: a technique needs at least one action",
        ),
        ("[[technique]\n", "team.toml:1: "),
    ];
    for (text, expected) in cases {
        let error = error_of(text);
        assert!(error.starts_with(expected), "{error}\nexpected: {expected}");
    }
    // The misspelled action is named, with the closest real one.
    let misspelled = error_of(cases[3].0);
    assert!(misspelled.contains("lambda:CreateFuntion"), "{misspelled}");
    assert!(misspelled.contains("lambda:CreateFunction"), "{misspelled}");
    // The same id twice, here across two files.
    let twice = parse_files([("a.toml", GOOD), ("b.toml", GOOD)])
        .unwrap_err()
        .to_string();
    assert_eq!(twice, "b.toml:2: technique `team-001` is defined twice");
}

/// A team's directory: read with the built-in files; one without technique files, a file that is
/// not a regular file, or one over 1 MiB is refused naming it.
#[test]
fn a_team_directory_is_read_or_refused_naming_the_file() {
    use super::Techniques;
    let dir = std::env::temp_dir().join(format!("accessgraph-techniques-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let error = Techniques::with_dir(&dir).unwrap_err().to_string();
    assert!(
        error.ends_with("holds no technique file (`*.toml`)"),
        "{error}"
    );

    std::fs::write(dir.join("team.toml"), GOOD).unwrap();
    let techniques = Techniques::with_dir(&dir).unwrap();
    assert_eq!(techniques.len(), builtin().len() + 1);
    assert!(!techniques.is_builtin());

    std::fs::create_dir(dir.join("nested.toml")).unwrap();
    let error = Techniques::with_dir(&dir).unwrap_err().to_string();
    assert!(
        error.ends_with("nested.toml: is not a regular file"),
        "{error}"
    );
    std::fs::remove_dir(dir.join("nested.toml")).unwrap();

    let big = format!("{GOOD}\n#{}\n", "x".repeat(1024 * 1024));
    std::fs::write(dir.join("team.toml"), big).unwrap();
    let error = Techniques::with_dir(&dir).unwrap_err().to_string();
    assert!(
        error.ends_with("team.toml: is larger than 1 MiB"),
        "{error}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
