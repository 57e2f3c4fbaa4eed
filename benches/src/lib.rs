//! Synthetic fixtures for the benchmarks: seeded, so every run measures the same inputs.

use std::sync::Arc;

use accessgraph_policy::{Action, Policy, Resource};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom as _;
use rand::{Rng as _, SeedableRng as _};

/// Services the synthetic policies and requests draw from.
const SERVICES: [&str; 10] = [
    "s3",
    "ec2",
    "iam",
    "sqs",
    "kms",
    "lambda",
    "dynamodb",
    "sns",
    "logs",
    "secretsmanager",
];

/// Verbs combined with nouns into action names.
const VERBS: [&str; 8] = [
    "Get", "List", "Describe", "Put", "Create", "Delete", "Update", "Tag",
];

/// Nouns combined with verbs into action names.
const NOUNS: [&str; 6] = ["Object", "Bucket", "Instance", "Role", "Queue", "Key"];

fn resource_pattern(rng: &mut StdRng, service: &str) -> String {
    match rng.random_range(0..4) {
        0 => "*".to_owned(),
        1 => format!("arn:aws:{service}:*:111122223333:*"),
        2 => format!(
            "arn:aws:{service}:us-east-1:111122223333:app-{}*",
            rng.random_range(0..20)
        ),
        _ => format!(
            "arn:aws:{service}:us-east-1:111122223333:app-{}/data",
            rng.random_range(0..20)
        ),
    }
}

fn statement(rng: &mut StdRng) -> String {
    let service = *SERVICES.choose(rng).unwrap_or(&"s3");
    let verb = *VERBS.choose(rng).unwrap_or(&"Get");
    let noun = *NOUNS.choose(rng).unwrap_or(&"Object");
    let action = match rng.random_range(0..3) {
        0 => format!("\"{service}:{verb}*\""),
        1 => format!("[\"{service}:{verb}{noun}\", \"{service}:List*\"]"),
        _ => format!("\"{service}:{verb}{noun}\""),
    };
    let effect = if rng.random_range(0..10) == 0 {
        "Deny"
    } else {
        "Allow"
    };
    let condition = match rng.random_range(0..5) {
        0 => r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}"#,
        1 => r#","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
        _ => "",
    };
    format!(
        r#"{{"Effect":"{effect}","Action":{action},"Resource":"{}"{condition}}}"#,
        resource_pattern(rng, service)
    )
}

/// `count` identity policies of `statements` statements each.
#[must_use]
pub fn identity_policies(seed: u64, count: usize, statements: usize) -> Vec<Arc<Policy>> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .filter_map(|idx| {
            let body: Vec<String> = (0..statements).map(|_| statement(&mut rng)).collect();
            let text = format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                body.join(",")
            );
            Policy::parse(format!("arn:aws:iam::111122223333:policy/p{idx}"), &text)
                .ok()
                .map(Arc::new)
        })
        .collect()
}

/// `count` random requests (action and resource) in the same services.
#[must_use]
pub fn requests(seed: u64, count: usize) -> Vec<(Action, Resource)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let service = *SERVICES.choose(&mut rng).unwrap_or(&"s3");
            let verb = *VERBS.choose(&mut rng).unwrap_or(&"Get");
            let noun = *NOUNS.choose(&mut rng).unwrap_or(&"Object");
            let action = Action::new(format!("{service}:{verb}{noun}"));
            let resource = Resource::new(format!(
                "arn:aws:{service}:us-east-1:111122223333:app-{}/data",
                rng.random_range(0..30)
            ));
            (action, resource)
        })
        .collect()
}
