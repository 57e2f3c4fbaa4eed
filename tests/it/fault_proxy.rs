//! A fault injector in front of the AWS emulator: an HTTP/1.1 proxy on 127.0.0.1 that forwards
//! every request to moto except those it is told to refuse (an `AccessDenied` answer to one
//! account's `AssumeRole`), throttle (`Throttling` the first few times) or stall (to kill a
//! collection mid-way). It reads one request per connection and closes it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// What the proxy does to which request (matched on the request body, where the query
/// protocols of STS and IAM name the action).
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    /// `AssumeRole` into this account is answered `AccessDenied`.
    pub(crate) refuse_account: Option<String>,
    /// Requests whose body holds this text are answered `Throttling`, this many times.
    pub(crate) throttle: Option<(String, usize)>,
    /// Requests whose body holds this text wait a minute before they are forwarded.
    pub(crate) stall: Option<String>,
}

/// The running proxy and what it did.
pub(crate) struct FaultProxy {
    pub(crate) url: String,
    pub(crate) throttled: Arc<AtomicUsize>,
    pub(crate) refused: Arc<AtomicUsize>,
    pub(crate) stalled: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// Starts the proxy in front of `upstream` (`http://127.0.0.1:PORT`).
    pub(crate) fn start(upstream: &str, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let proxy = FaultProxy {
            url,
            throttled: Arc::default(),
            refused: Arc::default(),
            stalled: Arc::default(),
        };
        let counters = (
            Arc::clone(&proxy.throttled),
            Arc::clone(&proxy.refused),
            Arc::clone(&proxy.stalled),
        );
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let faults = faults.clone();
                let counters = counters.clone();
                std::thread::spawn(move || {
                    let _ = serve(client, &upstream, &faults, &counters);
                });
            }
        });
        proxy
    }
}

type Counters = (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicUsize>);

fn serve(
    mut client: TcpStream,
    upstream: &str,
    faults: &Faults,
    (throttled, refused, stalled): &Counters,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        head.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let text = String::from_utf8_lossy(&body);

    if let Some(account) = &faults.refuse_account {
        let role = format!("RoleArn=arn%3Aaws%3Aiam%3A%3A{account}%3A");
        if text.contains("Action=AssumeRole") && text.contains(&role) {
            refused.fetch_add(1, Ordering::SeqCst);
            return error(
                &mut client,
                403,
                "AccessDenied",
                "not authorized to perform: sts:AssumeRole",
            );
        }
    }
    if let Some((marker, times)) = &faults.throttle {
        if text.contains(marker.as_str()) && throttled.load(Ordering::SeqCst) < *times {
            throttled.fetch_add(1, Ordering::SeqCst);
            return error(&mut client, 400, "Throttling", "Rate exceeded");
        }
    }
    if let Some(marker) = &faults.stall {
        if text.contains(marker.as_str()) {
            stalled.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(60));
        }
    }

    let mut server = TcpStream::connect(upstream)?;
    for line in &head {
        server.write_all(line.as_bytes())?;
    }
    server.write_all(b"Connection: close\r\n\r\n")?;
    server.write_all(&body)?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer)?;
    client.write_all(&answer)
}

/// An AWS query-protocol error answer.
fn error(client: &mut TcpStream, status: u16, code: &str, message: &str) -> std::io::Result<()> {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    );
    write!(
        client,
        "HTTP/1.1 {status} Fault\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
