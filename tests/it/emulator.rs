//! The AWS emulator the collect tests run against (moto in server mode on 127.0.0.1), the real AWS
//! CLI on it, and the comparison of a collected file with the CLI's output.
//!
//! The tools come from `$ACCESSGRAPH_AWS_TOOLS` (a directory holding `moto_server` and `aws`;
//! `.ci/run` prepares it from `tests/aws/requirements.txt` and then requires the tests); without
//! it the tests say so and pass.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::accessgraph;

/// The emulator, stopped when dropped.
pub(crate) struct Emulator {
    pub(crate) url: String,
    pub(crate) tools: PathBuf,
    child: Child,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) const MANAGEMENT_KEYS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
];

impl Emulator {
    /// Starts moto on a free loopback port, or `None` (test skipped) without the tools.
    pub(crate) fn start() -> Option<Emulator> {
        let configured = std::env::var_os("ACCESSGRAPH_AWS_TOOLS").map(PathBuf::from);
        let required = configured.is_some();
        let tools = configured
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/awsenv/bin"));
        if !tools.join("moto_server").is_file() || !tools.join("aws").is_file() {
            assert!(!required, "no moto_server and aws in {}", tools.display());
            eprintln!(
                "skipped: no AWS emulator (set ACCESSGRAPH_AWS_TOOLS; see tests/aws/requirements.txt)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .unwrap();
        let child = Command::new(tools.join("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let emulator = Emulator {
            tools,
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(emulator)
    }

    /// Runs the AWS CLI with `keys` (the management account's unless given) and returns its JSON.
    pub(crate) fn aws_as(&self, keys: &[(&str, &str)], args: &[&str]) -> Value {
        let output = Command::new(self.tools.join("aws"))
            .args(["--endpoint-url", &self.url, "--output", "json"])
            .args(args)
            .envs(keys.iter().copied())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if output.stdout.iter().all(u8::is_ascii_whitespace) {
            return Value::Null;
        }
        serde_json::from_slice(&output.stdout).unwrap()
    }

    pub(crate) fn aws(&self, args: &[&str]) -> Value {
        self.aws_as(&MANAGEMENT_KEYS, args)
    }

    /// `accessgraph` with the emulator's endpoint and the management account's keys.
    pub(crate) fn accessgraph(&self) -> assert_cmd::Command {
        let mut command = accessgraph();
        command
            .envs(MANAGEMENT_KEYS)
            .env("AWS_ENDPOINT_URL", &self.url)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // The emulator answers HTTP 500 for what it does not implement: fail fast.
            .env("AWS_MAX_ATTEMPTS", "2")
            .env_remove("AWS_PROFILE");
        command
    }
}

/// Whether a member holds a timestamp.
fn is_time(key: &str) -> bool {
    ["Date", "Timestamp", "Time", "ValidUntil", "On", "At"]
        .iter()
        .any(|suffix| key.ends_with(suffix))
        || ["created", "lastModified", "LastModified"].contains(&key)
}

/// A JSON value as compared: timestamps as instants (whole seconds), since the CLI prints what
/// the wire carries (ISO 8601 for XML services, epoch seconds for JSON ones) and the collector
/// ISO 8601 always; `null` members (an empty element the CLI prints) left out. The `State` of an
/// Organizations account, which the emulator sends but this version of the SDK does not model,
/// is left out too: no collector can print what its SDK drops.
pub(crate) fn normalized(value: &Value, key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(member, value)| {
                    let unmodelled = member.as_str() == "State" && map.contains_key("JoinedMethod");
                    !(value.is_null() || unmodelled)
                })
                .map(|(key, value)| (key.clone(), normalized(value, key)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|item| normalized(item, key)).collect())
        }
        Value::String(text) if is_time(key) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|time| json!(time.timestamp()))
            .unwrap_or_else(|_| value.clone()),
        Value::Number(number) if is_time(key) => {
            json!(number.as_f64().unwrap_or_default().floor() as i64)
        }
        other => other.clone(),
    }
}

/// Where `part` is not contained in `whole` (each member of an object present with a contained
/// value, lists of the same length item by item), or `None`: inventory files keep a subset of
/// the CLI's members.
pub(crate) fn not_within(part: &Value, whole: &Value, path: &str) -> Option<String> {
    match (part, whole) {
        (Value::Object(part), Value::Object(whole)) => part.iter().find_map(|(key, value)| {
            let at = format!("{path}.{key}");
            match whole.get(key) {
                Some(other) => not_within(value, other, &at),
                None => Some(format!("{at}: not in the CLI's output")),
            }
        }),
        (Value::Array(part), Value::Array(whole)) if part.len() == whole.len() => part
            .iter()
            .zip(whole)
            .enumerate()
            .find_map(|(index, (part, whole))| {
                not_within(part, whole, &format!("{path}[{index}]"))
            }),
        _ if part == whole => None,
        _ => Some(format!("{path}: {part} where the CLI has {whole}")),
    }
}
