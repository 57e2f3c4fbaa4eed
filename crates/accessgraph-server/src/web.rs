//! The web page and its JSON API, on the server's TCP listener beside the gRPC service (HTTP/1.1,
//! as browsers speak it): `/ui/` serves the embedded page (`accessgraph-ui`), `/ui/api/query`
//! and `/ui/api/snapshots` answer it by calling the gRPC service's own methods (the same
//! authentication, limits and query code; answers in the JSON form of `--format json`).
//! Every response carries the page's Content Security Policy and the usual protective headers.

use accessgraph_proto::v1 as pb;
use accessgraph_proto::v1::access_graph_server::AccessGraph;
use accessgraph_query::{Format, render};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tonic::transport::server::TcpConnectInfo;
use tonic::{Code, Status};

use crate::convert;
use crate::service::Service;

/// A query asked by the page.
#[derive(Debug, Deserialize)]
struct ApiQuery {
    query: String,
    #[serde(default)]
    snapshot: Option<u64>,
    #[serde(default)]
    limit: Option<u64>,
}

/// The page's routes, calling `service`.
pub(crate) fn routes(service: Service) -> Router {
    let queries = service.clone();
    Router::new()
        .route("/", get(|| async { redirect("/ui/") }))
        .route("/ui", get(|| async { redirect("/ui/") }))
        .route("/ui/", get(|| async { asset("") }))
        .route(
            "/ui/{file}",
            get(|axum::extract::Path(file): axum::extract::Path<String>| async move {
                asset(&file)
            }),
        )
        .route(
            "/ui/api/query",
            post(move |request: Request| {
                let service = queries.clone();
                async move { query(&service, request).await }
            }),
        )
        .route(
            "/ui/api/snapshot/{id}",
            get({
                let service = service.clone();
                move |axum::extract::Path(id): axum::extract::Path<String>, request: Request| {
                    let service = service.clone();
                    async move { snapshot(&service, &id, &request.into_parts().0).await }
                }
            }),
        )
        .route(
            "/ui/api/complete",
            post({
                let service = service.clone();
                move |request: Request| {
                    let service = service.clone();
                    async move { complete(&service, request).await }
                }
            }),
        )
        .route(
            "/ui/api/snapshots",
            get(move |request: Request| {
                let service = service.clone();
                async move { snapshots(&service, &request.into_parts().0).await }
            }),
        )
}

/// The headers every response of the page carries.
fn protected(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(accessgraph_ui::CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    protected(response)
}

fn redirect(to: &'static str) -> Response {
    let mut response = respond(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", "");
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(to));
    response
}

fn asset(path: &str) -> Response {
    match accessgraph_ui::asset(path) {
        Some(asset) => respond(StatusCode::OK, asset.content_type, asset.body),
        None => respond(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "no such file",
        ),
    }
}

const JSON: &str = "application/json";

/// A service status as the page's error: `{"error": {"code", "message"}}` with the HTTP status
/// closest to the gRPC code.
fn failure(status: &Status) -> Response {
    let http = match status.code() {
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded | Code::Cancelled => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = serde_json::json!({
        "error": {"code": format!("{:?}", status.code()), "message": status.message()},
    });
    respond(http, JSON, body.to_string())
}

/// A request to the service carrying the page's `Authorization` header and its peer's address
/// (for the service's log of refused calls).
fn request<T>(message: T, page: &Parts) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(peer) = page.extensions.get::<TcpConnectInfo>() {
        request.extensions_mut().insert(peer.clone());
    }
    if let Some(value) = page
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A request's JSON body, at most the server's request size (memory stays bounded whatever is
/// sent); `shape` says what was expected.
async fn json_body<T: serde::de::DeserializeOwned>(body: Body, shape: &str) -> Result<T, Response> {
    let Ok(body) = axum::body::to_bytes(body, crate::MAX_REQUEST_BYTES).await else {
        return Err(failure(&Status::resource_exhausted(format!(
            "the request is more than this server's limit of {} bytes",
            crate::MAX_REQUEST_BYTES
        ))));
    };
    serde_json::from_slice(&body).map_err(|error| {
        failure(&Status::invalid_argument(format!(
            "the request is not {shape}: {error}"
        )))
    })
}

async fn query(service: &Service, page: Request) -> Response {
    let (parts, body) = page.into_parts();
    let asked: ApiQuery =
        match json_body(body, "{\"query\": TEXT, \"snapshot\": ID, \"limit\": N}").await {
            Ok(asked) => asked,
            Err(response) => return response,
        };
    let message = pb::QueryRequest {
        query: asked.query,
        snapshot: asked.snapshot,
        limit: asked.limit,
        ..pb::QueryRequest::default()
    };
    let stream = match service.query(request(message, &parts)).await {
        Ok(response) => response.into_inner(),
        Err(status) => return failure(&status),
    };
    match collect(stream).await {
        Ok(answer) => respond(StatusCode::OK, JSON, render(&answer, Format::Json, false)),
        Err(status) => failure(&status),
    }
}

/// An answer streamed by the service, whole.
async fn collect(
    stream: impl tokio_stream::Stream<Item = Result<pb::QueryRow, Status>>,
) -> Result<accessgraph_query::Answer, Status> {
    let mut answer = None;
    let mut stream = std::pin::pin!(stream);
    while let Some(message) = tokio_stream::StreamExt::next(&mut stream).await {
        convert::absorb(&mut answer, message?)
            .map_err(|error| Status::internal(error.to_string()))?;
    }
    answer.ok_or_else(|| Status::internal("the query ended without an answer"))
}

/// A completion asked by the page.
#[derive(Debug, Deserialize)]
struct ApiComplete {
    prefix: String,
    #[serde(default)]
    snapshot: Option<u64>,
}

/// The names that begin with a prefix (`Complete`).
async fn complete(service: &Service, page: Request) -> Response {
    let (parts, body) = page.into_parts();
    let asked: ApiComplete = match json_body(body, "{\"prefix\": TEXT, \"snapshot\": ID}").await {
        Ok(asked) => asked,
        Err(response) => return response,
    };
    let message = pb::CompleteRequest {
        prefix: asked.prefix,
        snapshot: asked.snapshot,
        limit: None,
    };
    match service.complete(request(message, &parts)).await {
        Ok(response) => respond(
            StatusCode::OK,
            JSON,
            serde_json::json!({"names": response.into_inner().names}).to_string(),
        ),
        Err(status) => failure(&status),
    }
}

/// One snapshot's accounts and OUs (names the page completes).
async fn snapshot(service: &Service, id: &str, page: &Parts) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return failure(&Status::invalid_argument(format!(
            "`{id}` is not a snapshot id"
        )));
    };
    match service
        .get_snapshot(request(pb::GetSnapshotRequest { id }, page))
        .await
    {
        Ok(response) => {
            let shown = response.into_inner();
            let named = |list: &[pb::NamedRef]| {
                list.iter()
                    .map(|named| serde_json::json!({"id": named.id, "name": named.name}))
                    .collect::<Vec<_>>()
            };
            let body = serde_json::json!({
                "id": id,
                "organization_id": shown.organization_id,
                "accounts": named(&shown.accounts),
                "ous": named(&shown.ous),
            });
            respond(StatusCode::OK, JSON, body.to_string())
        }
        Err(status) => failure(&status),
    }
}

async fn snapshots(service: &Service, page: &Parts) -> Response {
    match service
        .list_snapshots(request(pb::ListSnapshotsRequest {}, page))
        .await
    {
        Ok(response) => {
            let listed = response.into_inner();
            let body = serde_json::json!({
                "active": listed.active,
                "snapshots": listed.snapshots.iter().map(|snapshot| serde_json::json!({
                    "id": snapshot.id,
                    "label": snapshot.label,
                    "collected_at": snapshot.collected_at,
                    "ingested_at": snapshot.ingested_at,
                    "accounts": snapshot.accounts,
                })).collect::<Vec<_>>(),
            });
            respond(StatusCode::OK, JSON, body.to_string())
        }
        Err(status) => failure(&status),
    }
}
