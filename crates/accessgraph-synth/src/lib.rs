//! Writes a deterministic, realistically shaped synthetic organization in the snapshot layout
//! (the same files the AWS CLI would print): an OU tree with SCPs, per-account admin, read-only,
//! service and cross-account roles, users in groups, permissions boundaries, bucket policies, hub
//! accounts trusted by many (security, CI), and a sprinkling of privilege-escalation mistakes.
//!
//! The same [`SynthConfig`] always writes the same bytes. Used by benchmarks and scale tests.

#![warn(missing_docs)]

mod account;
mod organization;
mod resources;

use std::path::Path;

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of accounts (at least 3: management, security, CI).
    pub accounts: usize,
    /// IAM principals (users and roles) per account.
    pub principals: usize,
    /// Random seed.
    pub seed: u64,
    /// Also write resources of every kind the resource side knows (bucket lists, ACLs, KMS keys,
    /// queues, topics, secrets); off for the benchmark organizations, whose figures it would move.
    pub resources: bool,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Accounts.
    pub accounts: usize,
    /// Users.
    pub users: usize,
    /// Roles.
    pub roles: usize,
    /// Files written.
    pub files: usize,
}

/// Account id of the `index`-th account (`100000000000 + index`).
#[must_use]
pub fn account_id(index: usize) -> String {
    format!("{:012}", 100_000_000_000usize + index)
}

/// Writes the organization into `out` (created if needed).
pub fn generate(config: &SynthConfig, out: &Path) -> std::io::Result<SynthSummary> {
    let accounts = config.accounts.max(3);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut summary = SynthSummary {
        accounts,
        ..SynthSummary::default()
    };
    write(
        out,
        "snapshot.json",
        &json!({"collected_at": "2026-01-01T00:00:00Z", "source": "accessgraph synth", "partition": "aws"}),
        &mut summary,
    )?;
    for (path, value) in organization::files(accounts, config.seed) {
        write(out, &path, &value, &mut summary)?;
    }
    // Resources draw from their own generator, so the IAM data of a seed is the same with or
    // without them.
    let mut resource_rng = StdRng::seed_from_u64(config.seed ^ 0x005E_ED0F_2E50_u64);
    for index in 0..accounts {
        let mut files = account::files(index, accounts, config.principals, &mut rng, &mut summary);
        if config.resources {
            files.extend(resources::files(index, accounts, &mut resource_rng));
        }
        for (path, value) in files {
            write(out, &path, &value, &mut summary)?;
        }
    }
    Ok(summary)
}

fn write(
    out: &Path,
    relative: &str,
    value: &Value,
    summary: &mut SynthSummary,
) -> std::io::Result<()> {
    let path = out.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(path, text)?;
    summary.files += 1;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{SynthConfig, generate};

    #[test]
    fn deterministic_and_shaped() {
        let config = SynthConfig {
            accounts: 5,
            principals: 20,
            seed: 42,
            resources: true,
        };
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let summary = generate(&config, first.path()).unwrap();
        generate(&config, second.path()).unwrap();
        assert_eq!(summary.accounts, 5);
        assert_eq!(summary.users + summary.roles, 5 * 20);
        let read = |dir: &std::path::Path| {
            std::fs::read_to_string(
                dir.join("accounts/100000000003/iam/get-account-authorization-details.json"),
            )
            .unwrap()
        };
        assert_eq!(
            read(first.path()),
            read(second.path()),
            "same seed, same bytes"
        );
        assert!(
            first
                .path()
                .join("organizations/describe-organization.json")
                .exists()
        );
        assert!(
            first
                .path()
                .join("accounts/100000000003/us-east-1/sqs/synth-events.json")
                .exists()
        );
    }
}
