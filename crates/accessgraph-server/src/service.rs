//! The `accessgraph.v1.AccessGraph` service: queries on the served snapshot, with limits, and the
//! admin calls that change what is served.
//!
//! A new service answers at once: the newest snapshot's graph is loaded (or built) in the
//! background, while health says NOT_SERVING and queries on it get UNAVAILABLE with a
//! `grpc-retry-pushback-ms` hint, which this crate's client follows.
//!
//! The served snapshot is an `ArcSwapOption<View>`: a query takes the view once when it starts and
//! answers from it to the end, so a swap (after an ingest, or `SetActiveSnapshot`) never mixes two
//! snapshots in one answer, and in-flight queries finish on the graph they started with. Query
//! work runs on blocking threads; a deadline and a cancellation flag stop it between rows and
//! inside path enumeration. The rows of `who can reach` and `who can LEVEL` are sent as the engine
//! writes them (after the header, before the summary); other answers are computed whole, then
//! sent the same way. An error before the header is the call's status.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use accessgraph_db::StoreCatalog;
use accessgraph_graph::Stop;
use accessgraph_ingest::{IngestOptions, ingest};
use accessgraph_model::SnapshotId;
use accessgraph_proto::v1 as pb;
use accessgraph_proto::v1::access_graph_server::AccessGraph;
use accessgraph_query::{
    Catalog, CatalogError, ErrorKind, Modifier, NodeRef, PathMode, Query, QueryError, Span,
    Spanned, Statement, View, applies, execute_streaming, parse, plan, snapshot_of,
};
use arc_swap::ArcSwapOption;
use tokio::sync::{Mutex, Semaphore};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::auth::{Access, Tokens};
use crate::convert::{self, snapshot_info};

/// Graphs up to this many nodes answer path-free queries on the I/O thread (a breadth-first
/// search over them takes well under a millisecond).
const INLINE_MAX_NODES: usize = 20_000;

/// The service name health checks report on.
pub const SERVICE_NAME: &str = "accessgraph.v1.AccessGraph";

/// Bounds on the work one query may cause.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest a query may run (a client's shorter `grpc-timeout` wins).
    pub max_query_time: Duration,
    /// Most rows an answer returns (a query's `limit` is capped to it).
    pub max_rows: usize,
    /// Largest `max hops` (and `k`) a query may ask for.
    pub max_hops: usize,
    /// Queries running at once; more wait for a slot until their deadline.
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_query_time: Duration::from_secs(30),
            max_rows: 100_000,
            max_hops: 12,
            max_concurrent: 64,
        }
    }
}

/// Everything the service holds.
pub(crate) struct State {
    catalog: Arc<StoreCatalog>,
    active: ArcSwapOption<View>,
    tokens: Tokens,
    limits: Limits,
    permits: Arc<Semaphore>,
    health: HealthReporter,
    /// Held by whatever changes the store or the served snapshot: an ingest, a deletion, the
    /// first load.
    ingesting: Arc<Mutex<()>>,
    /// The first load of the newest snapshot.
    first_load: std::sync::Mutex<FirstLoad>,
}

/// Where the first load of the newest snapshot stands.
#[derive(Debug, Clone)]
enum FirstLoad {
    /// Running since then.
    Running(u64, Instant),
    /// Failed, for this reason.
    Failed(u64, String),
    /// Done, or nothing to load.
    Done,
}

/// Messages of an answer buffered between the query's thread and the network.
const STREAM_BUFFER: usize = 256;

/// How long a client is told to wait before asking again while the first load runs.
const RETRY_PUSHBACK: Duration = Duration::from_millis(200);

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field(
                "active",
                &self.active.load().as_ref().map(|view| view.snapshot_ref()),
            )
            .field("tokens", &self.tokens)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The service.
#[derive(Debug, Clone)]
pub struct Service {
    state: Arc<State>,
}

/// A catalog whose default is the request's snapshot, else the view a query started with.
struct Pinned {
    catalog: Arc<StoreCatalog>,
    active: Option<Arc<View>>,
    /// The request's snapshot (`QueryRequest.snapshot`): a default that the query's own
    /// `at snapshot` overrides, and that does not change the query's text.
    default: Option<u64>,
}

impl Catalog for Pinned {
    fn view(&self, id: Option<u64>) -> Result<Arc<View>, CatalogError> {
        match (id.or(self.default), &self.active) {
            (None, Some(active)) => Ok(active.clone()),
            (Some(id), Some(active)) if active.snapshot_ref().id == id => Ok(active.clone()),
            (None, None) => Err(CatalogError::Empty),
            (id, _) => self.catalog.view(id),
        }
    }
}

fn query_status(error: &QueryError, text: &str, stop: Option<&Stop>) -> Status {
    match error.kind {
        ErrorKind::Interrupted => match stop {
            Some(stop) if !stop.deadline_passed() => Status::cancelled(error.message.clone()),
            _ => Status::deadline_exceeded(error.message.clone()),
        },
        ErrorKind::NotFound => Status::not_found(error.render(text)),
        ErrorKind::Unavailable => Status::unavailable(error.message.clone()),
        ErrorKind::Syntax | ErrorKind::Semantic => Status::invalid_argument(error.render(text)),
    }
}

/// Parses a `grpc-timeout` header value (`100m`, `5S`, ...).
fn grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at_checked(value.len().checked_sub(1)?)?;
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

fn internal(error: impl std::fmt::Display) -> Status {
    Status::internal(error.to_string())
}

/// A store error as a status: an unknown snapshot is NOT_FOUND, with the store's own message.
fn store_status(error: accessgraph_store::StoreError) -> Status {
    match error {
        accessgraph_store::StoreError::NotFound(_) => Status::not_found(error.to_string()),
        other => internal(other),
    }
}

fn message(item: pb::query_row::Item) -> pb::QueryRow {
    pb::QueryRow { item: Some(item) }
}

/// Where a query's messages go: the header first (rows made before it wait), then each row; a
/// send that fails (the client went away) raises the cancellation flag and ends the sending.
struct Outbox<'a> {
    send: &'a mut dyn FnMut(Result<pb::QueryRow, Status>) -> bool,
    flag: &'a AtomicBool,
    gone: bool,
    header_sent: bool,
    pending: Vec<pb::QueryRow>,
    rows: usize,
}

impl Outbox<'_> {
    fn deliver(&mut self, message: Result<pb::QueryRow, Status>) {
        if !self.gone && !(self.send)(message) {
            self.gone = true;
            self.flag.store(true, Ordering::Relaxed);
        }
    }

    /// Sends the header, once, then the rows that waited for it.
    fn header(&mut self, answer: &accessgraph_query::Answer) {
        if self.header_sent {
            return;
        }
        self.header_sent = true;
        self.deliver(Ok(message(pb::query_row::Item::Header(convert::header(
            answer,
        )))));
        for row in std::mem::take(&mut self.pending) {
            self.deliver(Ok(row));
        }
    }

    fn row(&mut self, row: accessgraph_query::Row) {
        self.rows += 1;
        let row = message(pb::query_row::Item::Row(convert::row(row)));
        if self.header_sent {
            self.deliver(Ok(row));
        } else {
            self.pending.push(row);
        }
    }
}

/// Raises a flag when dropped: a call dropped before its work ends (the client went away, or its
/// deadline passed) stops the query working for it.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

type AnswerStream = Pin<Box<dyn Stream<Item = Result<pb::QueryRow, Status>> + Send>>;

impl Service {
    /// A service over `catalog`, which will serve its newest snapshot: its graph is loaded (or
    /// built and saved) in the background, so the service answers at once, with UNAVAILABLE
    /// and a retry hint for queries on that snapshot until it is loaded. An ingest or a
    /// deletion waits for the load; a snapshot chosen meanwhile (`SetActiveSnapshot`) wins.
    pub async fn new(
        catalog: StoreCatalog,
        tokens: Tokens,
        limits: Limits,
        health: HealthReporter,
    ) -> Service {
        health
            .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
            .await;
        let permits = Arc::new(Semaphore::new(limits.max_concurrent.max(1)));
        let ingesting = Arc::new(Mutex::new(()));
        // Taken now, before any call can arrive, so no change to the store overtakes the load.
        let first_load = ingesting.clone().try_lock_owned().ok();
        let catalog = Arc::new(catalog);
        let newest = {
            let catalog = catalog.clone();
            tokio::task::spawn_blocking(move || catalog.store().latest())
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
                .map(|meta| meta.id.0)
        };
        let service = Service {
            state: Arc::new(State {
                catalog,
                active: ArcSwapOption::empty(),
                tokens,
                limits,
                permits,
                health,
                ingesting,
                first_load: std::sync::Mutex::new(
                    newest.map_or(FirstLoad::Done, |id| FirstLoad::Running(id, Instant::now())),
                ),
            }),
        };
        if let Some(id) = newest {
            let loader = service.clone();
            tokio::spawn(async move {
                let _one_at_a_time = first_load;
                loader.load_first(id).await;
            });
        }
        service
    }

    /// Loads snapshot `id` and serves it, unless another was chosen meanwhile.
    async fn load_first(&self, id: u64) {
        let started = Instant::now();
        tracing::info!(snapshot = id, "loading the newest snapshot's graph");
        let catalog = self.state.catalog.clone();
        let loaded = tokio::task::spawn_blocking(move || catalog.view(Some(id))).await;
        let outcome = match loaded {
            Ok(Ok(view)) => {
                let previous = self
                    .state
                    .active
                    .compare_and_swap(&None::<Arc<View>>, Some(view));
                let elapsed_ms = started.elapsed().as_millis() as u64;
                if previous.is_none() {
                    self.state
                        .health
                        .set_service_status(SERVICE_NAME, ServingStatus::Serving)
                        .await;
                    tracing::info!(snapshot = id, elapsed_ms, "loaded; serving");
                } else {
                    tracing::info!(
                        snapshot = id,
                        elapsed_ms,
                        "loaded; another snapshot was chosen meanwhile"
                    );
                }
                FirstLoad::Done
            }
            Ok(Err(error)) => FirstLoad::Failed(id, error.to_string()),
            Err(error) => FirstLoad::Failed(id, error.to_string()),
        };
        if let FirstLoad::Failed(id, error) = &outcome {
            tracing::error!(snapshot = id, %error, "the newest snapshot cannot be loaded");
        }
        if let Ok(mut first_load) = self.state.first_load.lock() {
            *first_load = outcome;
        }
    }

    /// UNAVAILABLE when a query on snapshot `id` (or on the served one, for `None`) meets the
    /// first load: with a retry hint while it runs, with its error if it failed.
    fn still_loading(&self, id: Option<u64>) -> Result<(), Status> {
        let first_load = self
            .state
            .first_load
            .lock()
            .map_or(FirstLoad::Done, |first_load| first_load.clone());
        let concerned =
            |loading: u64| id.map_or_else(|| self.active().is_none(), |id| id == loading);
        match first_load {
            FirstLoad::Running(loading, since) if concerned(loading) => {
                let mut status = Status::unavailable(format!(
                    "snapshot {loading} is being loaded ({:.1} s so far); try again shortly",
                    since.elapsed().as_secs_f64()
                ));
                if let Ok(value) = RETRY_PUSHBACK.as_millis().to_string().parse() {
                    status
                        .metadata_mut()
                        .insert("grpc-retry-pushback-ms", value);
                }
                Err(status)
            }
            FirstLoad::Failed(failed, error) if id.is_none() && concerned(failed) => Err(
                Status::unavailable(format!("snapshot {failed} cannot be loaded: {error}")),
            ),
            _ => Ok(()),
        }
    }

    /// Authenticates a call and checks its size: requests over [`MAX_REQUEST_BYTES`] are
    /// `RESOURCE_EXHAUSTED` (the transport refuses only much larger ones, with `OUT_OF_RANGE`).
    fn admit<T: prost::Message>(&self, request: &Request<T>, access: Access) -> Result<(), Status> {
        self.state
            .tokens
            .check_request(request, access)
            .inspect_err(|status| refused(&peer(request), status))?;
        let size = request.get_ref().encoded_len();
        if size > crate::MAX_REQUEST_BYTES {
            return Err(Status::resource_exhausted(format!(
                "the request is {size} bytes, more than this server's limit of {} bytes",
                crate::MAX_REQUEST_BYTES
            )));
        }
        Ok(())
    }

    /// The snapshot served by default.
    #[must_use]
    pub fn active(&self) -> Option<u64> {
        self.state
            .active
            .load()
            .as_ref()
            .map(|view| view.snapshot_ref().id)
    }

    fn deadline<T>(&self, request: &Request<T>) -> Instant {
        let client = request
            .metadata()
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(grpc_timeout);
        let allowed = match client {
            Some(client) => client.min(self.state.limits.max_query_time),
            None => self.state.limits.max_query_time,
        };
        Instant::now() + allowed
    }

    /// A query a call composed from its request's fields, parsed and bounded by the server's
    /// caps, with the most rows its answer may hold.
    fn composed(&self, text: &str) -> Result<(Query, usize), Status> {
        let mut query = parse_status(text)?;
        let max_rows = self.bound(
            &mut query,
            &pb::QueryRequest {
                query: text.to_owned(),
                ..pb::QueryRequest::default()
            },
        )?;
        Ok((query, max_rows))
    }

    /// Applies the request's options to a parsed query and checks the server's caps; returns the
    /// most rows the answer may hold.
    fn bound(&self, query: &mut Query, request: &pb::QueryRequest) -> Result<usize, Status> {
        let limits = &self.state.limits;
        let has = |query: &Query, wanted: fn(&Modifier) -> bool| {
            query
                .modifiers
                .iter()
                .any(|modifier| wanted(&modifier.value))
        };
        let at = |value| Spanned::new(value, Span::default());
        if request.definite_only && !has(query, |modifier| *modifier == Modifier::DefiniteOnly) {
            query.modifiers.push(at(Modifier::DefiniteOnly));
        }
        let max_rows = limits.max_rows as u64;
        for modifier in &query.modifiers {
            if let Modifier::MaxHops(hops) = modifier.value
                && hops > limits.max_hops as u64
            {
                return Err(Status::resource_exhausted(format!(
                    "`max hops {hops}` exceeds this server's cap of {}",
                    limits.max_hops
                )));
            }
        }
        if let Statement::Path {
            mode: Some(mode), ..
        } = &query.statement
            && let PathMode::K(k) = mode.value
            && k > max_rows
        {
            return Err(Status::resource_exhausted(format!(
                "`k {k}` exceeds this server's cap of {max_rows} rows"
            )));
        }
        let rows = request.limit.unwrap_or(max_rows).min(max_rows);
        Ok(usize::try_from(rows).unwrap_or(usize::MAX))
    }

    /// Runs a query on a blocking thread and streams its answer.
    async fn answer(
        &self,
        query: Query,
        text: String,
        deadline: Instant,
        max_rows: usize,
        default: Option<u64>,
    ) -> Result<AnswerStream, Status> {
        let state = self.state.clone();
        let max_hops = state.limits.max_hops;
        if !matches!(query.statement, Statement::Diff { .. }) {
            self.still_loading(snapshot_of(&query).map(|at| at.value).or(default))?;
        }
        let active = state.active.load_full();
        if active.is_none()
            && default.is_none()
            && snapshot_of(&query).is_none()
            && !matches!(query.statement, Statement::Diff { .. })
        {
            return Err(Status::unavailable(
                "no snapshot is being served: ingest one (the Ingest call) or choose one (SetActiveSnapshot)",
            ));
        }
        let permit = match state.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let wait = deadline.saturating_duration_since(Instant::now());
                tokio::time::timeout(wait, state.permits.clone().acquire_owned())
                    .await
                    .map_err(|_| {
                        Status::resource_exhausted("too many queries running; try again later")
                    })?
                    .map_err(internal)?
            }
        };
        let cancelled = Arc::new(AtomicBool::new(false));
        // Raised if this call is dropped (the client went away or gave up) before the work ends.
        let guard = CancelOnDrop(cancelled.clone());
        let flag = cancelled.clone();
        let started = Instant::now();
        // Small work runs on this thread: a query that cannot enumerate paths, on a small graph,
        // is bounded by the graph's size and costs less than the hand-off to a blocking thread.
        let inline = active
            .as_ref()
            .is_some_and(|view| view.graph().node_count() <= INLINE_MAX_NODES)
            && snapshot_of(&query).is_none()
            && default.is_none()
            && !matches!(
                query.statement,
                Statement::Path { .. }
                    | Statement::Diff { .. }
                    | Statement::WhoCanDo { .. }
                    | Statement::CanDo { .. }
            );
        // Sends the answer's messages as they are made; a send that fails (the client went
        // away) stops the work.
        let work = move |send: &mut dyn FnMut(Result<pb::QueryRow, Status>) -> bool| {
            let _permit = permit;
            let stop = Stop::new(Some(deadline), Some(flag.clone()));
            let catalog = Pinned {
                catalog: state.catalog.clone(),
                active,
                default,
            };
            let out = std::cell::RefCell::new(Outbox {
                send,
                flag: &flag,
                gone: false,
                header_sent: false,
                pending: Vec::new(),
                rows: 0,
            });
            let outcome = (|| -> Result<accessgraph_query::Answer, QueryError> {
                let at = snapshot_of(&query);
                let view = catalog
                    .view(at.as_ref().map(|at| at.value))
                    .map_err(|error| {
                        QueryError::from_catalog(&error, at.map_or(Span::default(), |at| at.span))
                    })?;
                let mut planned = plan(&query, &view)?;
                planned.filter.stop = stop.clone();
                // `what cuts` ranks its limit's changes (a default of its own when none).
                planned.limit = match (&query.statement, planned.limit) {
                    (Statement::WhatCuts { .. }, limit) => limit.map(|limit| limit.min(max_rows)),
                    (_, limit) => Some(limit.unwrap_or(usize::MAX).min(max_rows)),
                };
                // `--max-hops` bounds every search, not only those that name `max hops`.
                if applies(&query.statement, &Modifier::MaxHops(0)) {
                    let cap = max_hops;
                    planned.filter.max_hops =
                        Some(planned.filter.max_hops.map_or(cap, |hops| hops.min(cap)));
                }
                let answer = execute_streaming(
                    &planned,
                    &view,
                    &catalog,
                    &mut |header| out.borrow_mut().header(header),
                    &mut |row| out.borrow_mut().row(row),
                )?;
                // Statements computed whole: the header after their rows were made.
                out.borrow_mut().header(&answer);
                Ok(answer)
            })();
            let mut out = out.into_inner();
            match outcome {
                Ok(answer) => {
                    tracing::debug!(
                        query = %text,
                        rows = out.rows,
                        total = answer.total,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "query answered"
                    );
                    out.deliver(Ok(message(pb::query_row::Item::Summary(convert::summary(
                        &answer,
                    )))));
                }
                Err(error) => {
                    let status = query_status(&error, &text, Some(&stop));
                    tracing::info!(query = %text, code = code_name(status.code()), "query failed");
                    out.deliver(Err(status));
                }
            }
        };
        if inline {
            let mut messages = Vec::new();
            work(&mut |message| {
                messages.push(message);
                true
            });
            // An error before any message is the call's status.
            if let Some(Err(status)) = messages.first() {
                return Err(status.clone());
            }
            return Ok(Box::pin(tokio_stream::iter(messages)));
        }
        let (sender, mut receiver) = tokio::sync::mpsc::channel(STREAM_BUFFER);
        tokio::task::spawn_blocking(move || {
            work(&mut |message| sender.blocking_send(message).is_ok());
        });
        // An error before any message (an unknown node, an interrupted search) is the call's
        // status; after the header, rows stream as they are written.
        let first = match receiver.recv().await {
            Some(Ok(first)) => first,
            Some(Err(status)) => return Err(status),
            None => return Err(internal("the query ended without an answer")),
        };
        let rest = tokio_stream::wrappers::ReceiverStream::new(receiver);
        // The guard lives as long as the response: dropping it (the client went away) stops the
        // work.
        let stream = tokio_stream::StreamExt::map(
            tokio_stream::StreamExt::chain(tokio_stream::once(Ok(first)), rest),
            move |message| {
                let _ = &guard;
                message
            },
        );
        Ok(Box::pin(stream))
    }

    async fn blocking<T: Send + 'static>(
        work: impl FnOnce() -> Result<T, Status> + Send + 'static,
    ) -> Result<T, Status> {
        tokio::task::spawn_blocking(work).await.map_err(internal)?
    }

    async fn serve_view(&self, view: Arc<View>) {
        self.state.active.store(Some(view));
        self.state
            .health
            .set_service_status(SERVICE_NAME, ServingStatus::Serving)
            .await;
    }
}

type ChokeStream = Pin<Box<dyn Stream<Item = Result<pb::ChokePointsReply, Status>> + Send>>;

/// A snapshot's accounts by id: those with IAM data and those Organizations lists, with their
/// names.
fn snapshot_accounts(snapshot: &accessgraph_model::Snapshot) -> Vec<pb::NamedRef> {
    let mut accounts: std::collections::BTreeMap<String, Option<String>> = snapshot
        .accounts
        .iter()
        .map(|account| (account.id.clone(), None))
        .collect();
    for listed in snapshot.organization.iter().flat_map(|org| &org.accounts) {
        accounts.insert(listed.id.clone(), Some(listed.name.clone()));
    }
    accounts
        .into_iter()
        .map(|(id, name)| pb::NamedRef { id, name })
        .collect()
}

/// The `what cuts` query a ChokePoints request asks.
fn cuts_query(message: &pb::ChokePointsRequest) -> String {
    let mut text = format!("what cuts paths to {}", message.target);
    if !message.keep.is_empty() {
        text.push_str(" keep ");
        text.push_str(&message.keep.join(", "));
    }
    if !message.from_accounts.is_empty() {
        text.push_str(" from account ");
        text.push_str(&message.from_accounts.join(", "));
    }
    if message.from_external {
        text.push_str(" from external");
    }
    if message.definite_only {
        text.push_str(" definite only");
    }
    if let Some(limit) = message.limit {
        text.push_str(&format!(" limit {limit}"));
    }
    if message.check {
        text.push_str(" check");
    }
    text
}

fn parse_status(text: &str) -> Result<Query, Status> {
    parse(text).map_err(|error| query_status(&error, text, None))
}

#[tonic::async_trait]
impl AccessGraph for Service {
    type QueryStream = AnswerStream;
    type DiffStream = AnswerStream;
    type ChokePointsStream = ChokeStream;

    async fn query(
        &self,
        request: Request<pb::QueryRequest>,
    ) -> Result<Response<Self::QueryStream>, Status> {
        self.admit(&request, Access::Read)?;
        let deadline = self.deadline(&request);
        let from = peer(&request);
        let message = request.into_inner();
        let mut query =
            parse_status(&message.query).inspect_err(|status| refused(&from, status))?;
        let max_rows = self.bound(&mut query, &message)?;
        let stream = self
            .answer(query, message.query, deadline, max_rows, message.snapshot)
            .await?;
        Ok(Response::new(stream))
    }

    async fn diff(
        &self,
        request: Request<pb::DiffRequest>,
    ) -> Result<Response<Self::DiffStream>, Status> {
        self.admit(&request, Access::Read)?;
        let deadline = self.deadline(&request);
        let message = request.into_inner();
        let text = match &message.question {
            Some(question) => format!("diff {} {} {question}", message.before, message.after),
            None => format!("diff {} {}", message.before, message.after),
        };
        let (query, max_rows) = self.composed(&text)?;
        let stream = self.answer(query, text, deadline, max_rows, None).await?;
        Ok(Response::new(stream))
    }

    async fn choke_points(
        &self,
        request: Request<pb::ChokePointsRequest>,
    ) -> Result<Response<Self::ChokePointsStream>, Status> {
        self.admit(&request, Access::Read)?;
        let deadline = self.deadline(&request);
        let message = request.into_inner();
        let text = cuts_query(&message);
        let (query, max_rows) = self.composed(&text)?;
        let stream = self
            .answer(query, text, deadline, max_rows, message.snapshot)
            .await?;
        // The answer is computed whole: its choke points go out one by one, then the rest.
        let messages: Vec<Result<pb::QueryRow, Status>> =
            tokio_stream::StreamExt::collect(stream).await;
        let mut replies = Vec::new();
        let mut whole = pb::Answer::default();
        for message in messages {
            match message?.item {
                Some(pb::query_row::Item::Header(mut header)) => {
                    if let Some(cuts) = header.cuts.as_mut() {
                        for point in std::mem::take(&mut cuts.choke_points) {
                            replies.push(Ok(pb::ChokePointsReply {
                                item: Some(pb::choke_points_reply::Item::ChokePoint(point)),
                            }));
                        }
                    }
                    whole.header = Some(header);
                }
                Some(pb::query_row::Item::Row(row)) => whole.rows.push(row),
                Some(pb::query_row::Item::Summary(summary)) => whole.summary = Some(summary),
                None => {}
            }
        }
        replies.push(Ok(pb::ChokePointsReply {
            item: Some(pb::choke_points_reply::Item::Answer(whole)),
        }));
        Ok(Response::new(Box::pin(tokio_stream::iter(replies))))
    }

    async fn explain(
        &self,
        request: Request<pb::ExplainRequest>,
    ) -> Result<Response<pb::ExplainResponse>, Status> {
        self.admit(&request, Access::Read)?;
        let message = request.into_inner();
        let query = parse_status(&message.query)?;
        self.still_loading(snapshot_of(&query).map(|at| at.value).or(message.snapshot))?;
        let catalog = Pinned {
            catalog: self.state.catalog.clone(),
            active: self.state.active.load_full(),
            default: message.snapshot,
        };
        let text = message.query.clone();
        let response = Service::blocking(move || {
            let at = snapshot_of(&query);
            let view = catalog
                .view(at.map(|at| at.value))
                .map_err(|error| Status::unavailable(error.to_string()))?;
            let planned = plan(&query, &view).map_err(|error| query_status(&error, &text, None))?;
            Ok(pb::ExplainResponse {
                canonical: query.to_string(),
                parse_tree_json: serde_json::to_string_pretty(&query).map_err(internal)?,
                plan: format!(
                    "snapshot: {}\nop: {:#?}\nfilter: {:#?}\nlimit: {:?}\npeople only: {}",
                    view.snapshot_ref().id,
                    planned.op,
                    planned.filter,
                    planned.limit,
                    planned.people_only
                ),
            })
        })
        .await?;
        Ok(Response::new(response))
    }

    async fn list_snapshots(
        &self,
        request: Request<pb::ListSnapshotsRequest>,
    ) -> Result<Response<pb::ListSnapshotsResponse>, Status> {
        self.admit(&request, Access::Read)?;
        let catalog = self.state.catalog.clone();
        let snapshots = Service::blocking(move || catalog.store().list().map_err(internal)).await?;
        Ok(Response::new(pb::ListSnapshotsResponse {
            snapshots: snapshots.iter().map(snapshot_info).collect(),
            active: self.active(),
        }))
    }

    async fn complete(
        &self,
        request: Request<pb::CompleteRequest>,
    ) -> Result<Response<pb::CompleteResponse>, Status> {
        self.admit(&request, Access::Read)?;
        let message = request.into_inner();
        self.still_loading(message.snapshot)?;
        let catalog = Pinned {
            catalog: self.state.catalog.clone(),
            active: self.state.active.load_full(),
            default: message.snapshot,
        };
        let names = Service::blocking(move || {
            let view = catalog
                .view(None)
                .map_err(|error| QueryError::from_catalog(&error, Span::default()))
                .map_err(|error| query_status(&error, "", None))?;
            let limit = message.limit.map_or(20, |limit| limit as usize);
            Ok(accessgraph_query::complete(&view, &message.prefix, limit))
        })
        .await?;
        Ok(Response::new(pb::CompleteResponse { names }))
    }

    async fn get_node(
        &self,
        request: Request<pb::GetNodeRequest>,
    ) -> Result<Response<pb::Answer>, Status> {
        self.admit(&request, Access::Read)?;
        let deadline = self.deadline(&request);
        let message = request.into_inner();
        let node = if message.arn == "*" {
            NodeRef::Anyone {
                at: Spanned::new((), Span::default()),
            }
        } else {
            NodeRef::Arn {
                arn: Spanned::new(message.arn.clone(), Span::default()),
            }
        };
        let query = Query {
            statement: Statement::Show { node },
            modifiers: Vec::new(),
        };
        let text = query.to_string();
        let mut stream = self
            .answer(
                query,
                text,
                deadline,
                self.state.limits.max_rows,
                message.snapshot,
            )
            .await?;
        let mut answer: Option<accessgraph_query::Answer> = None;
        while let Some(item) = tokio_stream::StreamExt::next(&mut stream).await {
            convert::absorb(&mut answer, item?).map_err(internal)?;
        }
        let answer = answer.ok_or_else(|| internal("no answer"))?;
        Ok(Response::new(convert::answer(&answer)))
    }

    async fn ingest(
        &self,
        request: Request<pb::IngestRequest>,
    ) -> Result<Response<pb::IngestResponse>, Status> {
        self.admit(&request, Access::Admin)?;
        let message = request.into_inner();
        let _one_at_a_time = self.state.ingesting.lock().await;
        let catalog = self.state.catalog.clone();
        let started = Instant::now();
        let (meta, view, warnings, skipped, identical) = Service::blocking(move || {
            let path = std::path::PathBuf::from(&message.path);
            let defaults = IngestOptions::default();
            let options = IngestOptions {
                label: message.label.clone(),
                skip_invalid: message.skip_invalid,
                allow_empty: message.allow_empty,
                max_file_bytes: message.max_file_bytes.unwrap_or(defaults.max_file_bytes),
                follow_links: message.follow_links,
                max_memory: message.max_memory.or(defaults.max_memory),
            };
            let ingested = ingest(&path, &options).map_err(|error| {
                let message = format!("cannot ingest `{}`: {error}", message.path);
                if error.is_exhausted() {
                    Status::resource_exhausted(message)
                } else {
                    Status::invalid_argument(message)
                }
            })?;
            let warnings = ingested.snapshot.warnings.clone();
            let skipped = ingested.skipped.iter().map(ToString::to_string).collect();
            let store = catalog.store();
            let put = store
                .put_new(&ingested.snapshot, message.force)
                .map_err(internal)?;
            let (meta, identical) = (put.meta().clone(), put.is_identical());
            let view = catalog
                .view(Some(meta.id.0))
                .map_err(|error| Status::internal(error.to_string()))?;
            Ok((meta, view, warnings, skipped, identical))
        })
        .await?;
        self.serve_view(view).await;
        tracing::info!(
            snapshot = meta.id.0,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ingested and serving"
        );
        Ok(Response::new(pb::IngestResponse {
            snapshot: Some(snapshot_info(&meta)),
            warnings,
            skipped,
            identical,
        }))
    }

    async fn set_active_snapshot(
        &self,
        request: Request<pb::SetActiveSnapshotRequest>,
    ) -> Result<Response<pb::SetActiveSnapshotResponse>, Status> {
        self.admit(&request, Access::Admin)?;
        let id = request.into_inner().id;
        let catalog = self.state.catalog.clone();
        let (meta, view) = Service::blocking(move || {
            let view = catalog.view(Some(id)).map_err(|error| match error {
                CatalogError::Unknown { .. } => Status::not_found(error.to_string()),
                other => Status::internal(other.to_string()),
            })?;
            let meta = catalog.store().meta(SnapshotId(id)).map_err(internal)?;
            Ok((meta, view))
        })
        .await?;
        self.serve_view(view).await;
        tracing::info!(snapshot = id, "serving");
        Ok(Response::new(pb::SetActiveSnapshotResponse {
            snapshot: Some(snapshot_info(&meta)),
        }))
    }

    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::GetSnapshotResponse>, Status> {
        self.admit(&request, Access::Read)?;
        let id = SnapshotId(request.into_inner().id);
        let catalog = self.state.catalog.clone();
        let snapshot =
            Service::blocking(move || catalog.store().load(id).map_err(store_status)).await?;
        Ok(Response::new(pb::GetSnapshotResponse {
            snapshot: Some(snapshot_info(&snapshot.meta)),
            organization_id: snapshot.organization.as_ref().map(|org| org.id.clone()),
            management_account_id: snapshot
                .organization
                .as_ref()
                .map(|org| org.management_account_id.clone()),
            accounts: snapshot_accounts(&snapshot),
            ous: snapshot
                .organization
                .iter()
                .flat_map(|org| &org.ous)
                .map(|ou| pb::NamedRef {
                    id: ou.id.clone(),
                    name: Some(ou.name.clone()),
                })
                .collect(),
            warnings: snapshot.warnings,
        }))
    }

    async fn delete_snapshot(
        &self,
        request: Request<pb::DeleteSnapshotRequest>,
    ) -> Result<Response<pb::DeleteSnapshotResponse>, Status> {
        self.admit(&request, Access::Admin)?;
        let id = request.into_inner().id;
        // One change of the store at a time: an ingest in flight may be about to serve.
        let _one_at_a_time = self.state.ingesting.lock().await;
        let catalog = self.state.catalog.clone();
        let served = self.active() == Some(id);
        let replacement = Service::blocking(move || {
            catalog
                .store()
                .delete(SnapshotId(id))
                .map_err(store_status)?;
            catalog.forget(id);
            if !served {
                return Ok(None);
            }
            match catalog.view(None) {
                Ok(view) => Ok(Some(view)),
                Err(CatalogError::Empty) => Ok(None),
                Err(error) => Err(Status::internal(error.to_string())),
            }
        })
        .await?;
        if served {
            match replacement {
                Some(view) => self.serve_view(view).await,
                None => {
                    self.state.active.store(None);
                    self.state
                        .health
                        .set_service_status(SERVICE_NAME, ServingStatus::NotServing)
                        .await;
                }
            }
        }
        tracing::info!(snapshot = id, serving = %shown(self.active()), "deleted");
        Ok(Response::new(pb::DeleteSnapshotResponse {
            active: self.active(),
        }))
    }
}

/// Who made a call: its address, or the local socket.
fn peer<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map_or_else(|| "local socket".to_owned(), |address| address.to_string())
}

/// Logs a refused call (a wrong token, a query that does not parse) with its peer, never the
/// token.
fn refused(peer: &str, status: &Status) {
    tracing::info!(peer, code = code_name(status.code()), "call refused");
}

/// A status code as gRPC names it (`INVALID_ARGUMENT`).
fn code_name(code: tonic::Code) -> String {
    let mut name = String::new();
    for (index, letter) in format!("{code:?}").chars().enumerate() {
        if letter.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(letter.to_ascii_uppercase());
    }
    name
}

/// A snapshot id for a log line (`none` when nothing is served).
pub(crate) fn shown(id: Option<u64>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::grpc_timeout;
    use std::time::Duration;

    #[test]
    fn grpc_timeouts_parse() {
        assert_eq!(grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(grpc_timeout("x"), None);
        assert_eq!(grpc_timeout(""), None);
        assert_eq!(grpc_timeout("12"), None);
    }
}
