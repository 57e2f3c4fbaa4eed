//! End-to-end tests of the gRPC service over loopback with a tonic client: every call, streaming,
//! errors and their status codes, tokens, TLS and mutual TLS, health, reflection, the hot swap of
//! the served snapshot under concurrent queries, deadlines and cancellation, limits.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use accessgraph_db::StoreCatalog;
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_proto::v1 as pb;
use accessgraph_server::client::{Client, ClientError, ClientOptions, collect, connect, query};
use accessgraph_server::{Limits, Options, ServeError, TlsFiles, Tokens, serve};
use accessgraph_store::Store;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use tonic::Code;

use crate::ingest::data;

/// A server on an ephemeral loopback port, stopped when dropped.
pub(crate) struct TestServer {
    pub(crate) url: String,
    pub(crate) runtime: Runtime,
    shutdown: Option<oneshot::Sender<()>>,
    has_snapshots: bool,
    _store: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A store holding the example org before the sandbox SCP (snapshot 1) and as it is (2).
pub(crate) fn example_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    let before = crate::query_golden::before_sandbox_scp();
    for path in [before.path(), &data("../examples/org")] {
        let snapshot = ingest(path, &IngestOptions::default()).unwrap().snapshot;
        store.put(&snapshot).unwrap();
    }
    drop(store);
    dir
}

/// A server on `store`, once it serves the store's newest snapshot (at once if it has none; a
/// TLS server's queries wait through the client's retries instead).
pub(crate) fn start_with(store: tempfile::TempDir, options: Options) -> TestServer {
    let plaintext = options.tls.is_none();
    let server = spawn_server(store, options);
    if server.has_snapshots && plaintext {
        server.wait_until_serving();
    }
    server
}

/// A server on `store`, returned as soon as it is spawned (it may still be loading a graph).
fn spawn_server(store: tempfile::TempDir, options: Options) -> TestServer {
    let runtime = Runtime::new().unwrap();
    let catalog = StoreCatalog::new(Store::open(&store.path().join("db")).unwrap());
    let has_snapshots = catalog.store().latest().unwrap().is_some();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    runtime.spawn(async move {
        let _ = serve(listener, catalog, options, async {
            let _ = stopped.await;
        })
        .await;
    });
    // The server is ready when its port accepts and health answers.
    let url = format!("{scheme}://localhost:{}", address.port());
    TestServer {
        url,
        runtime,
        shutdown: Some(shutdown),
        has_snapshots,
        _store: store,
    }
}

const SERVING: i32 = tonic_health::pb::health_check_response::ServingStatus::Serving as i32;
const NOT_SERVING: i32 = tonic_health::pb::health_check_response::ServingStatus::NotServing as i32;

pub(crate) fn tokens() -> Tokens {
    Tokens::new(Some("read-token"), Some("admin-token"))
}

fn start() -> TestServer {
    start_with(
        example_store(),
        Options {
            tokens: tokens(),
            ..Options::default()
        },
    )
}

impl TestServer {
    /// The service's health status (no token needed), once the port accepts.
    fn health(&self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let checked = self.runtime.block_on(async {
                let channel = tonic::transport::Endpoint::from_shared(self.url.clone())
                    .map_err(|error| error.to_string())?
                    .connect()
                    .await
                    .map_err(|error| error.to_string())?;
                tonic_health::pb::health_client::HealthClient::new(channel)
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: accessgraph_server::SERVICE_NAME.into(),
                    })
                    .await
                    .map_err(|status| status.to_string())
            });
            match checked {
                Ok(response) => return response.into_inner().status,
                Err(error) if Instant::now() > deadline => panic!("{error}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn wait_until_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.health() != SERVING {
            assert!(Instant::now() < deadline, "the server never served");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn client(&self, token: Option<&str>) -> Client {
        self.client_with(ClientOptions {
            url: self.url.clone(),
            token: token.map(str::to_owned),
            ..ClientOptions::default()
        })
    }

    fn client_with(&self, options: ClientOptions) -> Client {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.runtime.block_on(connect(&options)) {
                Ok(client) => return client,
                Err(error) if Instant::now() > deadline => panic!("{error}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn ask(
        &self,
        client: &mut Client,
        text: &str,
    ) -> Result<accessgraph_query::Answer, ClientError> {
        self.runtime.block_on(query(
            client,
            pb::QueryRequest {
                query: text.into(),
                ..pb::QueryRequest::default()
            },
        ))
    }
}

fn code(error: ClientError) -> (Code, String) {
    match error {
        ClientError::Status(status) => (status.code(), status.message().to_owned()),
        other => panic!("not a status: {other}"),
    }
}

#[test]
fn every_call_answers() {
    let server = start();
    let mut client = server.client(Some("read-token"));
    let runtime = &server.runtime;

    let listed = runtime
        .block_on(client.list_snapshots(pb::ListSnapshotsRequest {}))
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots.len(), 2);
    assert_eq!(listed.active, Some(2));

    // Query streams a header, one message per row, and a summary.
    let mut stream = runtime
        .block_on(client.query(pb::QueryRequest {
            query: "who can reach admin in account 222222222222".into(),
            ..pb::QueryRequest::default()
        }))
        .unwrap()
        .into_inner();
    let mut kinds = Vec::new();
    while let Some(message) = runtime.block_on(stream.message()).unwrap() {
        kinds.push(match message.item.unwrap() {
            pb::query_row::Item::Header(_) => "header",
            pb::query_row::Item::Row(_) => "row",
            pb::query_row::Item::Summary(_) => "summary",
        });
    }
    assert_eq!(kinds.first(), Some(&"header"));
    assert_eq!(kinds.last(), Some(&"summary"));
    assert_eq!(kinds.iter().filter(|kind| **kind == "row").count(), 8);

    // The rebuilt answer renders exactly as a local one, explained too: why each target is an
    // administrator and the group a statement comes through (issue 20) travel with it.
    for question in [
        "who can reach admin in account 555555555555",
        "who is admin in account 111111111111",
        "what cuts paths to admin in org keep role/OrganizationAccountAccessRole in account 555555555555 check",
    ] {
        let remote = server.ask(&mut client, question).unwrap();
        let local = accessgraph_query::run(question, crate::query_golden::catalog()).unwrap();
        assert_eq!(remote.query, local.query);
        assert_eq!(remote.rows, local.rows);
        assert_eq!(remote.nodes, local.nodes);
        assert_eq!(remote.cuts, local.cuts);
        for format in [
            accessgraph_query::Format::Table,
            accessgraph_query::Format::Explained,
        ] {
            assert_eq!(
                accessgraph_query::render(&remote, format, true),
                accessgraph_query::render(&local, format, true)
            );
        }
    }
    let admins = server
        .ask(&mut client, "who is admin in account 111111111111")
        .unwrap();
    let alice = admins
        .rows
        .iter()
        .find(|row| row.principal.ends_with(":user/alice"))
        .unwrap();
    assert_eq!(
        alice.evidence[0].via.as_deref(),
        Some("arn:aws:iam::111111111111:group/OrgAdmins")
    );

    // Complete: names by prefix, case aside, sorted.
    let names = runtime
        .block_on(client.complete(pb::CompleteRequest {
            prefix: "ROLE/ec2".into(),
            ..pb::CompleteRequest::default()
        }))
        .unwrap()
        .into_inner()
        .names;
    assert_eq!(names, ["role/ec2-admin"]);
    let arns = runtime
        .block_on(client.complete(pb::CompleteRequest {
            prefix: "arn:aws:iam::222222222222:user/".into(),
            limit: Some(1),
            ..pb::CompleteRequest::default()
        }))
        .unwrap()
        .into_inner()
        .names;
    assert_eq!(arns, ["arn:aws:iam::222222222222:user/dana"]);

    // ChokePoints streams the ranked choke points one by one, then the rest of the answer; the
    // same as the query `what cuts` answers.
    let mut stream = runtime
        .block_on(client.choke_points(pb::ChokePointsRequest {
            target: "admin in org".into(),
            keep: vec!["role/OrganizationAccountAccessRole in account 555555555555".into()],
            check: true,
            ..pb::ChokePointsRequest::default()
        }))
        .unwrap()
        .into_inner();
    let mut points = Vec::new();
    let mut whole = None;
    while let Some(message) = runtime.block_on(stream.message()).unwrap() {
        match message.item.unwrap() {
            pb::choke_points_reply::Item::ChokePoint(point) => {
                assert!(whole.is_none(), "choke points come before the answer");
                points.push(accessgraph_server::convert::choke_point_from(&point).unwrap());
            }
            pb::choke_points_reply::Item::Answer(answer) => whole = Some(answer),
        }
    }
    let local = accessgraph_query::run(
        "what cuts paths to admin in org keep role/OrganizationAccountAccessRole in account 555555555555 check",
        crate::query_golden::catalog(),
    )
    .unwrap();
    let local_cuts = local.cuts.clone().unwrap();
    assert_eq!(points, local_cuts.choke_points);
    let mut remote = accessgraph_server::convert::answer_from(&whole.unwrap()).unwrap();
    let remote_cuts = remote.cuts.as_mut().unwrap();
    assert!(remote_cuts.choke_points.is_empty());
    remote_cuts.choke_points = points;
    assert_eq!(remote.cuts, local.cuts);
    assert_eq!(remote.rows, local.rows);
    assert!(local_cuts.plan.check.unwrap().disconnected);
    let refused = runtime
        .block_on(client.choke_points(pb::ChokePointsRequest {
            target: "admin in acount 555555555555".into(),
            ..pb::ChokePointsRequest::default()
        }))
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Code::InvalidArgument,
        "{}",
        refused.message()
    );

    // Access levels and `what can ... do` (issue 18) travel with their level.
    for question in [
        "who can read arn:aws:s3:::acme-prod-a-reports",
        "what can role/partner-reports do on arn:aws:s3:::acme-prod-a-reports",
    ] {
        let remote = server.ask(&mut client, question).unwrap();
        let local = accessgraph_query::run(question, crate::query_golden::catalog()).unwrap();
        assert!(!remote.rows.is_empty(), "{question}");
        assert!(
            remote.rows.iter().all(|row| row.level.is_some()),
            "{question}"
        );
        assert_eq!(remote.rows, local.rows, "{question}");
    }

    let decision = server
        .ask(
            &mut client,
            "can arn:aws:iam::999999999999:root do s3:GetObject on arn:aws:s3:::acme-security-logs/findings/x.json with aws:SecureTransport=true",
        )
        .unwrap();
    assert_eq!(decision.decision.unwrap().decision, "conditional");

    let explained = runtime
        .block_on(client.explain(pb::ExplainRequest {
            query: "WHO can reach admin in account 555555555555 definite only".into(),
            snapshot: None,
        }))
        .unwrap()
        .into_inner();
    assert_eq!(
        explained.canonical,
        "who can reach admin in account 555555555555 definite only"
    );
    assert!(
        explained
            .parse_tree_json
            .contains("\"statement\": \"who_can_reach\"")
    );
    assert!(
        explained.plan.contains("definite_only: true"),
        "{}",
        explained.plan
    );

    let node = runtime
        .block_on(client.get_node(pb::GetNodeRequest {
            arn: "arn:aws:iam::222222222222:user/dana".into(),
            snapshot: None,
        }))
        .unwrap()
        .into_inner();
    let detail = node.header.unwrap().node.unwrap();
    assert_eq!(detail.outgoing.len(), 9, "the golden show-dana lists them");
    assert!(
        detail
            .policies
            .iter()
            .any(|policy| policy.name == "assume-audit")
    );

    let diff = runtime
        .block_on(client.diff(pb::DiffRequest {
            before: 1,
            after: 2,
            question: Some("who can reach admin in account 666666666666".into()),
        }))
        .unwrap()
        .into_inner();
    let diff = runtime.block_on(collect(diff)).unwrap();
    assert_eq!(diff.rows.len(), 8);
    assert!(
        diff.rows
            .iter()
            .all(|row| row.change == Some(accessgraph_query::Change::Lost))
    );

    // Admin calls: choose snapshot 1, then ingest a third, which becomes the served one.
    let mut admin = server.client(Some("admin-token"));
    let chosen = runtime
        .block_on(admin.set_active_snapshot(pb::SetActiveSnapshotRequest { id: 1 }))
        .unwrap()
        .into_inner();
    assert_eq!(chosen.snapshot.unwrap().id, 1);
    let answer = server
        .ask(&mut client, "who is admin in account 666666666666")
        .unwrap();
    assert_eq!(answer.snapshot.unwrap().id, 1);
    assert_eq!(
        answer.rows.len(),
        3,
        "the sandbox SCP did not exist in snapshot 1"
    );
    let ingested = runtime
        .block_on(admin.ingest(pb::IngestRequest {
            path: data("../examples/org").display().to_string(),
            label: Some("third".into()),
            ..pb::IngestRequest::default()
        }))
        .unwrap()
        .into_inner();
    // Snapshot 2 holds the same data: nothing is stored, and snapshot 2 is served.
    assert!(ingested.identical);
    assert_eq!(ingested.snapshot.unwrap().id, 2);
    let ingested = runtime
        .block_on(admin.ingest(pb::IngestRequest {
            path: data("../examples/org").display().to_string(),
            label: Some("third".into()),
            force: true,
            ..pb::IngestRequest::default()
        }))
        .unwrap()
        .into_inner();
    assert!(!ingested.identical);
    assert_eq!(ingested.snapshot.unwrap().id, 3);
    let answer = server
        .ask(&mut client, "who is admin in account 666666666666")
        .unwrap();
    assert_eq!(answer.snapshot.unwrap().label.as_deref(), Some("third"));
    assert_eq!(answer.rows.len(), 1);
}

#[test]
fn errors_map_to_status_codes() {
    let server = start();
    let mut client = server.client(Some("read-token"));
    let (status, message) = code(server.ask(&mut client, "who can reech admin").unwrap_err());
    assert_eq!(status, Code::InvalidArgument);
    assert!(
        message.contains("(line 1, column 9)") && message.contains("did you mean `reach`?"),
        "{message}"
    );
    let (status, message) = code(
        server
            .ask(&mut client, "who can reach admin in account 123456789012")
            .unwrap_err(),
    );
    assert_eq!(status, Code::NotFound);
    assert!(
        message.contains("unknown account 123456789012"),
        "{message}"
    );
    let (status, _) = code(
        server
            .ask(&mut client, "who can reach admin in account 1234")
            .unwrap_err(),
    );
    assert_eq!(
        status,
        Code::InvalidArgument,
        "an invalid id is not a missing one"
    );
    for missing in [
        "who can reach role/nobody in account 555555555555",
        "who can reach admin in ou Nowhere",
    ] {
        let (status, message) = code(server.ask(&mut client, missing).unwrap_err());
        assert_eq!(status, Code::NotFound, "{missing}: {message}");
    }
    let (status, _) = code(
        server
            .ask(&mut client, "show arn:aws:iam::555555555555:root")
            .unwrap_err(),
    );
    assert_eq!(
        status,
        Code::InvalidArgument,
        "an account root is not a missing node"
    );
    let status = server
        .runtime
        .block_on(client.get_node(pb::GetNodeRequest {
            arn: "arn:aws:iam::555555555555:user/nobody".into(),
            snapshot: None,
        }))
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let (status, _) = code(
        server
            .ask(&mut client, "who is admin at snapshot 9")
            .unwrap_err(),
    );
    assert_eq!(status, Code::NotFound);
    let mut admin = server.client(Some("admin-token"));
    let status = server
        .runtime
        .block_on(admin.set_active_snapshot(pb::SetActiveSnapshotRequest { id: 9 }))
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = server
        .runtime
        .block_on(admin.ingest(pb::IngestRequest {
            path: "/nonexistent/snapshot".into(),
            label: None,
            ..pb::IngestRequest::default()
        }))
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("/nonexistent/snapshot"));
    // A memory limit below what the server already holds: refused as it starts reading.
    let status = server
        .runtime
        .block_on(admin.ingest(pb::IngestRequest {
            path: data("../examples/org").display().to_string(),
            max_memory: Some(1024 * 1024),
            ..pb::IngestRequest::default()
        }))
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("--max-memory"), "{status:?}");
    // The failed ingests left the served snapshot alone.
    let answer = server.ask(&mut client, "who is admin").unwrap();
    assert_eq!(answer.snapshot.unwrap().id, 2);
}

#[test]
fn tokens_are_checked() {
    let server = start();
    let mut anonymous = server.client(None);
    let (status, _) = code(server.ask(&mut anonymous, "who is admin").unwrap_err());
    assert_eq!(status, Code::Unauthenticated);
    let mut wrong = server.client(Some("not-the-token"));
    let (status, _) = code(server.ask(&mut wrong, "who is admin").unwrap_err());
    assert_eq!(status, Code::Unauthenticated);
    let mut reader = server.client(Some("read-token"));
    assert!(server.ask(&mut reader, "who is admin").is_ok());
    let status = server
        .runtime
        .block_on(reader.set_active_snapshot(pb::SetActiveSnapshotRequest { id: 1 }))
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let mut admin = server.client(Some("admin-token"));
    assert!(server.ask(&mut admin, "who is admin").is_ok());

    // Health needs no token.
    let channel = server
        .runtime
        .block_on(
            tonic::transport::Endpoint::from_shared(server.url.clone())
                .unwrap()
                .connect(),
        )
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = server
        .runtime
        .block_on(health.check(tonic_health::pb::HealthCheckRequest {
            service: accessgraph_server::SERVICE_NAME.into(),
        }))
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[test]
fn reflection_lists_the_service() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = start();
    let _ = server.client(None);
    let channel = server
        .runtime
        .block_on(
            tonic::transport::Endpoint::from_shared(server.url.clone())
                .unwrap()
                .connect(),
        )
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = server
        .runtime
        .block_on(reflection.server_reflection_info(tokio_stream::iter(vec![request])))
        .unwrap()
        .into_inner();
    let response = server
        .runtime
        .block_on(responses.message())
        .unwrap()
        .unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a service list");
    };
    let names: Vec<String> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    assert!(
        names.contains(&"accessgraph.v1.AccessGraph".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
}

/// A certificate authority, and server and client certificates it signed.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let issue = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = issue(vec!["localhost".into()]);
    let (client_cert, client_key) = issue(vec!["client.accessgraph.test".into()]);
    Pki {
        ca: ca.pem(),
        server_cert,
        server_key,
        client_cert,
        client_key,
    }
}

#[test]
fn tls_and_mutual_tls() {
    let pki = pki();
    let server = start_with(
        example_store(),
        Options {
            tls: Some(TlsFiles {
                cert: pki.server_cert.clone().into_bytes(),
                key: pki.server_key.clone().into_bytes(),
                client_ca: Some(pki.ca.clone().into_bytes()),
            }),
            ..Options::default()
        },
    );
    assert!(server.url.starts_with("https://"));
    let with_identity = ClientOptions {
        url: server.url.clone(),
        ca: Some(pki.ca.clone().into_bytes()),
        identity: Some((pki.client_cert.into_bytes(), pki.client_key.into_bytes())),
        ..ClientOptions::default()
    };
    let mut client = server.client_with(with_identity);
    let answer = server
        .ask(&mut client, "who is admin in account 111111111111")
        .unwrap();
    assert_eq!(answer.rows.len(), 2);
    // Without a client certificate the handshake (or the first call) fails.
    let without_identity = ClientOptions {
        url: server.url.clone(),
        ca: Some(pki.ca.into_bytes()),
        ..ClientOptions::default()
    };
    let refused = server.runtime.block_on(async {
        let mut client = connect(&without_identity).await?;
        query(
            &mut client,
            pb::QueryRequest {
                query: "who is admin".into(),
                ..pb::QueryRequest::default()
            },
        )
        .await
    });
    assert!(refused.is_err());
    // Plaintext to a TLS port fails too.
    let plaintext = ClientOptions {
        url: server.url.replace("https://", "http://"),
        ..ClientOptions::default()
    };
    let refused = server.runtime.block_on(async {
        let mut client = connect(&plaintext).await?;
        query(
            &mut client,
            pb::QueryRequest {
                query: "who is admin".into(),
                ..pb::QueryRequest::default()
            },
        )
        .await
    });
    assert!(refused.is_err());
}

#[test]
fn plaintext_on_a_network_address_is_refused() {
    let runtime = Runtime::new().unwrap();
    let store = example_store();
    let catalog = StoreCatalog::new(Store::open(&store.path().join("db")).unwrap());
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
        serve(listener, catalog, Options::default(), async {}).await
    });
    assert!(
        matches!(result, Err(ServeError::PlaintextOnNetwork(_))),
        "{result:?}"
    );
}

#[test]
fn an_empty_store_is_unavailable_until_an_ingest() {
    let store = tempfile::tempdir().unwrap();
    drop(Store::open(&store.path().join("db")).unwrap());
    let server = start_with(
        store,
        Options {
            tokens: tokens(),
            ..Options::default()
        },
    );
    let mut client = server.client(Some("read-token"));
    let (status, _) = code(server.ask(&mut client, "who is admin").unwrap_err());
    assert_eq!(status, Code::Unavailable);
    ingest_the_example(&server, false);
    assert_eq!(
        server.ask(&mut client, "who is admin").unwrap().rows.len(),
        11
    );
}

/// Ingests the example organization through the admin call (`force`: even if a snapshot holds
/// the same data).
fn ingest_the_example(server: &TestServer, force: bool) {
    let mut admin = server.client(Some("admin-token"));
    server
        .runtime
        .block_on(admin.ingest(pb::IngestRequest {
            path: data("../examples/org").display().to_string(),
            force,
            ..pb::IngestRequest::default()
        }))
        .unwrap();
}

/// A server answers as soon as it starts: while the newest snapshot's graph is built (nothing is
/// cached yet), health says NOT_SERVING, a query or an explanation on it gets UNAVAILABLE with a
/// `grpc-retry-pushback-ms` hint, calls that do not need the graph answer, and this crate's
/// client waits as the hint says and gets the answer (issue 13, server restart).
#[test]
fn a_starting_server_answers_unavailable_with_a_retry_hint_while_it_loads() {
    let server = spawn_server(
        synthetic_store_of(60, 100, false),
        Options {
            tokens: tokens(),
            ..Options::default()
        },
    );
    assert_eq!(
        server.health(),
        NOT_SERVING,
        "the build took no time at all"
    );
    let mut client = server.client(Some("read-token"));
    let status = refusal(&server, &mut client, "who is admin");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("is being loaded"), "{status:?}");
    let pause: u64 = status
        .metadata()
        .get("grpc-retry-pushback-ms")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pause > 0 && pause <= 1000, "{pause}");
    let status = server
        .runtime
        .block_on(client.explain(pb::ExplainRequest {
            query: "who is admin".into(),
            ..pb::ExplainRequest::default()
        }))
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    let listed = server
        .runtime
        .block_on(client.list_snapshots(pb::ListSnapshotsRequest {}))
        .unwrap()
        .into_inner();
    assert_eq!(listed.snapshots.len(), 1);

    let answer = server.ask(&mut client, "who is admin").unwrap();
    assert!(!answer.rows.is_empty());
    assert_eq!(server.health(), SERVING);
}

/// The status a query is refused with, asked once (no retry).
fn refusal(server: &TestServer, client: &mut Client, text: &str) -> tonic::Status {
    server
        .runtime
        .block_on(client.query(pb::QueryRequest {
            query: text.into(),
            ..pb::QueryRequest::default()
        }))
        .unwrap_err()
}

/// A newest snapshot that cannot be loaded does not stop the server: queries on it say why,
/// without a retry hint, and an ingest serves a new one.
#[test]
fn a_snapshot_that_cannot_be_loaded_is_reported_and_replaced() {
    let store = example_store();
    std::fs::write(store.path().join("db/snapshots/2.json"), b"{ damaged").unwrap();
    let server = spawn_server(
        store,
        Options {
            tokens: tokens(),
            ..Options::default()
        },
    );
    let mut client = server.client(Some("read-token"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = refusal(&server, &mut client, "who is admin");
        if !status.message().contains("is being loaded") || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(
        status.message().contains("snapshot 2 cannot be loaded"),
        "{status:?}"
    );
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_none());
    assert_eq!(server.health(), NOT_SERVING);
    // The older snapshot is still there to ask explicitly.
    let answer = server
        .runtime
        .block_on(query(
            &mut client,
            pb::QueryRequest {
                query: "who is admin".into(),
                snapshot: Some(1),
                ..pb::QueryRequest::default()
            },
        ))
        .unwrap();
    assert!(!answer.rows.is_empty());
    ingest_the_example(&server, true);
    assert_eq!(
        server.ask(&mut client, "who is admin").unwrap().rows.len(),
        11
    );
    assert_eq!(server.health(), SERVING);
}

/// Queries run while the served snapshot flips between 1 and 2: every answer is exactly the
/// answer of one snapshot, never a mix, and none fails.
#[test]
fn hot_swap_under_concurrent_queries() {
    let server = Arc::new(start());
    let question = "who can reach admin in account 666666666666";
    let expected: Vec<(u64, usize)> = vec![(1, 14), (2, 6)];
    let mut admin = server.client(Some("admin-token"));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || {
                let mut client = server.client(Some("read-token"));
                let mut seen = Vec::new();
                for _ in 0..40 {
                    let answer = server.ask(&mut client, question).unwrap();
                    seen.push((answer.snapshot.unwrap().id, answer.rows.len(), answer.total));
                }
                seen
            })
        })
        .collect();
    for round in 0..20 {
        let id = 1 + (round % 2);
        server
            .runtime
            .block_on(admin.set_active_snapshot(pb::SetActiveSnapshotRequest { id }))
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut snapshots = std::collections::BTreeSet::new();
    for worker in workers {
        for (id, rows, total) in worker.join().unwrap() {
            assert!(
                expected.contains(&(id, rows)),
                "snapshot {id} answered {rows} rows"
            );
            assert_eq!(rows, total);
            snapshots.insert(id);
        }
    }
    assert!(!snapshots.is_empty());
}

/// A synthetic organization dense enough that enumerating every path is hopeless.
pub(crate) fn synthetic_store() -> tempfile::TempDir {
    synthetic_store_of(20, 60, false)
}

/// A store holding one synthetic organization (with buckets, keys, queues, ... if `resources`).
fn synthetic_store_of(accounts: usize, principals: usize, resources: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let snapshot_dir = dir.path().join("snapshot");
    accessgraph_synth::generate(
        &accessgraph_synth::SynthConfig {
            accounts,
            principals,
            seed: 3,
            resources,
        },
        &snapshot_dir,
    )
    .unwrap();
    let store = Store::open(&dir.path().join("db")).unwrap();
    store
        .put(
            &ingest(&snapshot_dir, &IngestOptions::default())
                .unwrap()
                .snapshot,
        )
        .unwrap();
    drop(store);
    dir
}

/// A pathological query (every path of up to 12 hops between two principals of a dense graph)
/// ends with DEADLINE_EXCEEDED at the server's limit, a client that goes away frees its slot,
/// and the server keeps answering.
#[test]
fn deadlines_and_cancellation_stop_pathological_queries() {
    let server = start_with(
        synthetic_store(),
        Options {
            limits: Limits {
                max_query_time: Duration::from_millis(700),
                max_concurrent: 1,
                ..Limits::default()
            },
            ..Options::default()
        },
    );
    let mut client = server.client(None);
    let heavy = format!(
        "path from role/OrganizationAccountAccessRole in account {} to admin in account {} all max hops 12",
        accessgraph_synth::account_id(0),
        accessgraph_synth::account_id(11)
    );
    let started = Instant::now();
    let (status, _) = code(server.ask(&mut client, &heavy).unwrap_err());
    assert_eq!(status, Code::DeadlineExceeded);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(server.ask(&mut client, "who is admin limit 3").is_ok());

    // Cancellation: with one query slot, a client that gives up on the heavy query frees it.
    let mut patient = server.client_with(ClientOptions {
        url: server.url.clone(),
        timeout: Some(Duration::from_millis(150)),
        ..ClientOptions::default()
    });
    let (status, _) = code(server.ask(&mut patient, &heavy).unwrap_err());
    assert!(
        matches!(status, Code::Cancelled | Code::DeadlineExceeded),
        "{status:?}"
    );
    let started = Instant::now();
    assert!(server.ask(&mut client, "who is admin limit 3").is_ok());
    assert!(
        started.elapsed() < Duration::from_millis(650),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn limits_bound_hops_and_rows() {
    let server = start_with(
        example_store(),
        Options {
            limits: Limits {
                max_rows: 3,
                max_hops: 4,
                ..Limits::default()
            },
            ..Options::default()
        },
    );
    let mut client = server.client(None);
    let (status, message) = code(
        server
            .ask(&mut client, "who can reach admin in org max hops 9")
            .unwrap_err(),
    );
    assert_eq!(status, Code::ResourceExhausted);
    assert!(message.contains("cap of 4"), "{message}");
    let answer = server
        .ask(&mut client, "who can reach admin in org")
        .unwrap();
    assert_eq!((answer.rows.len(), answer.total), (3, 17));
    let answer = server
        .ask(&mut client, "who can reach admin in org limit 2")
        .unwrap();
    assert_eq!(answer.rows.len(), 2);
}

/// Large answers stream (issue 13): `who can reach` and `who can LEVEL` rows leave the server as
/// they are written. Over a synthetic organization of tens of thousands of rows, the streamed
/// answer is the answer the query engine gives locally, row for row and in the same order, with
/// the same total and node labels; with `limit`, the same first rows; a client that reads the
/// header and one row and goes away leaves the server answering.
#[test]
fn large_answers_stream_the_rows_the_engine_writes() {
    let store = synthetic_store_of(20, 100, true);
    let snapshot = Store::open(&store.path().join("db"))
        .unwrap()
        .load(accessgraph_model::SnapshotId(1))
        .unwrap();
    let graph = std::sync::Arc::new(accessgraph_graph::Graph::build(&snapshot));
    let catalog = accessgraph_query::MemoryCatalog::new(vec![std::sync::Arc::new(
        accessgraph_query::View::new(1, None, graph, Box::new(move || Ok(snapshot.clone()))),
    )]);
    let server = start_with(
        store,
        Options {
            limits: Limits {
                max_concurrent: 1,
                ..Limits::default()
            },
            ..Options::default()
        },
    );
    let mut client = server.client(None);
    let account = accessgraph_synth::account_id(4);
    for question in [
        format!("who can reach admin in account {account}"),
        format!("who can reach admin in account {account} limit 7"),
        "who can reach admin in org limit 500".to_owned(),
    ] {
        let local = accessgraph_query::run(&question, &catalog).unwrap();
        let remote = server.ask(&mut client, &question).unwrap();
        assert!(remote.rows.len() > 5, "{question}: {}", remote.rows.len());
        assert_eq!(remote.total, local.total, "{question}");
        assert_eq!(remote.nodes.len(), local.nodes.len(), "{question}");
        let key = |row: &accessgraph_query::Row| {
            (row.principal.clone(), row.target.clone(), row.path.len())
        };
        assert_eq!(
            remote.rows.iter().map(key).collect::<Vec<_>>(),
            local.rows.iter().map(key).collect::<Vec<_>>(),
            "{question}"
        );
    }
    // Past a page, a source is counted without its path when the search's own hop count is
    // within `max hops`: the total is the total of the answer built whole.
    for hops in 1..=4 {
        for question in [
            format!("who can reach admin in org max hops {hops}"),
            format!("who can read arn:aws:s3:::synth-data-{account} max hops {hops}"),
        ] {
            let whole = accessgraph_query::run(&question, &catalog).unwrap();
            let paged = accessgraph_query::run(&format!("{question} limit 3"), &catalog).unwrap();
            assert_eq!(paged.total, whole.total, "{question}");
            assert_eq!(whole.rows.len(), whole.total, "{question}");
        }
    }
    // A client that takes the header and a row, then drops the call.
    let question = format!("who can reach admin in account {account}");
    server.runtime.block_on(async {
        let mut stream = client
            .query(pb::QueryRequest {
                query: question.clone(),
                ..pb::QueryRequest::default()
            })
            .await
            .unwrap()
            .into_inner();
        let header = stream.message().await.unwrap().unwrap();
        assert!(matches!(header.item, Some(pb::query_row::Item::Header(_))));
        let row = stream.message().await.unwrap().unwrap();
        assert!(matches!(row.item, Some(pb::query_row::Item::Row(_))));
    });
    assert!(server.ask(&mut client, "who is admin limit 1").is_ok());
}

/// `--max-hops` bounds every search, not only queries that say `max hops` (issue 19).
#[test]
fn the_hop_cap_bounds_queries_that_do_not_name_it() {
    let question = "who can reach admin in account 555555555555";
    let longest = |max_hops| {
        let server = start_with(
            example_store(),
            Options {
                limits: Limits {
                    max_hops,
                    ..Limits::default()
                },
                ..Options::default()
            },
        );
        let mut client = server.client(None);
        let answer = server.ask(&mut client, question).unwrap();
        answer
            .rows
            .iter()
            .map(|row| row.path.len())
            .max()
            .unwrap_or(0)
    };
    assert!(
        longest(12) > 2,
        "the example has paths of more than two hops"
    );
    assert_eq!(longest(2), 2);
}

/// Status codes and bounded errors at the edges (issue 19): a long query's error is an excerpt,
/// the connection survives it; an oversized request is RESOURCE_EXHAUSTED; `Diff` of an unknown
/// snapshot is NOT_FOUND like `Query`; the `bearer` scheme is case-insensitive (RFC 6750).
#[test]
fn edge_statuses_and_bounded_errors() {
    let server = start();
    let mut client = server.client(Some("read-token"));
    let long = format!("who can reach admin in org via {}", "x-".repeat(2_000));
    let (status, message) = code(
        server
            .ask(&mut client, &format!("{long} oops"))
            .unwrap_err(),
    );
    assert_eq!(status, Code::InvalidArgument, "{message}");
    assert!(message.len() < 2_000, "{} bytes", message.len());
    assert!(message.contains('^'), "{message}");
    assert!(
        server.ask(&mut client, "who is admin").is_ok(),
        "the connection survives"
    );

    let huge = format!("who is admin {}", " ".repeat(100 * 1024));
    let (status, message) = code(server.ask(&mut client, &huge).unwrap_err());
    assert_eq!(status, Code::ResourceExhausted, "{message}");

    let status = server
        .runtime
        .block_on(client.diff(pb::DiffRequest {
            before: 1,
            after: 9,
            question: None,
        }))
        .err()
        .or_else(|| {
            server
                .runtime
                .block_on(async {
                    let stream = client
                        .diff(pb::DiffRequest {
                            before: 1,
                            after: 9,
                            question: None,
                        })
                        .await
                        .ok()?
                        .into_inner();
                    collect(stream).await.err()
                })
                .and_then(|error| match error {
                    ClientError::Status(status) => Some(status),
                    _ => None,
                })
        })
        .unwrap();
    assert_eq!(status.code(), Code::NotFound, "{}", status.message());

    let channel = server
        .runtime
        .block_on(
            tonic::transport::Endpoint::from_shared(server.url.clone())
                .unwrap()
                .connect(),
        )
        .unwrap();
    let mut lower = pb::access_graph_client::AccessGraphClient::new(channel);
    let mut request = tonic::Request::new(pb::ListSnapshotsRequest {});
    request
        .metadata_mut()
        .insert("authorization", "bearer read-token".parse().unwrap());
    assert!(
        server
            .runtime
            .block_on(lower.list_snapshots(request))
            .is_ok()
    );
}

/// The Python example client (stubs generated at test time with grpcio-tools) lists snapshots,
/// runs a query and checks health through the same service. It runs where a Python with
/// `grpcio-tools` is available: `$ACCESSGRAPH_PYTHON` (set by `.ci/run`, which then requires it),
/// else `python3` if it has the packages.
#[test]
fn the_python_client_talks_to_the_server() {
    let python = std::env::var("ACCESSGRAPH_PYTHON").ok();
    let required = python.is_some();
    let python = python.unwrap_or_else(|| "python3".into());
    let has_tools = std::process::Command::new(&python)
        .args(["-c", "import grpc, grpc_tools"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_tools {
        assert!(!required, "`{python}` lacks grpcio-tools");
        eprintln!("skipped: no Python with grpcio-tools (see clients/python/README.md)");
        return;
    }
    let server = start();
    let _ = server.client(None);
    let address = server.url.trim_start_matches("http://").to_owned();
    let script = data("../clients/python/accessgraph_client.py");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .args(["--server", &address, "--token", "read-token"])
        .arg("who can reach admin in account 222222222222")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("health: SERVING"), "{stdout}");
    assert!(stdout.contains("snapshots: 1, 2 (active 2)"), "{stdout}");
    assert!(
        stdout.contains("arn:aws:iam::222222222222:user/dana -> arn:aws:iam::222222222222:role/incident-responder (1 hop, conditional)"),
        "{stdout}"
    );
    assert!(stdout.contains("8 rows"), "{stdout}");
    // The ChokePoints call: the choke points stream, then the plan, checked by a rebuild.
    let cuts = std::process::Command::new(&python)
        .arg(&script)
        .args(["--server", &address, "--token", "read-token"])
        .args(["--choke-points", "--check", "admin in account 222222222222"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&cuts.stdout);
    let stderr = String::from_utf8_lossy(&cuts.stderr);
    assert!(cuts.status.success(), "{stdout}\n{stderr}");
    for line in [
        "1. remove trust policy of role `OrganizationAccountAccessRole`, statement 0: cuts off 5",
        "remove trust policy of role `incident-responder`, statement 0 (Sid `OnCallWithMfa`): cuts off 1",
        "plan (exact): 2 changes",
        "check: disconnected=true, still reaching 0",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    // A refused token and a server that is down: one line and exit code 2, no traceback.
    let refused = std::process::Command::new(&python)
        .arg(&script)
        .args(["--server", &address, "--token", "wrong"])
        .arg("who is admin")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("UNAUTHENTICATED: "), "{stderr}");
    assert!(!stderr.contains("Traceback"), "{stderr}");
    let down = std::process::Command::new(&python)
        .arg(&script)
        .args(["--server", "127.0.0.1:1"])
        .arg("who is admin")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert_eq!(down.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("UNAVAILABLE: "), "{stderr}");
}
