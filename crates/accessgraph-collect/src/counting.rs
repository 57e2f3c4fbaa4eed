//! Counting the HTTP requests every SDK client sends (retries included), for the summary and
//! the benchmarks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

/// An HTTP client that counts the requests sent through it.
#[derive(Debug, Clone)]
pub(crate) struct CountingClient {
    inner: SharedHttpClient,
    sent: Arc<AtomicUsize>,
}

impl CountingClient {
    pub(crate) fn new(inner: SharedHttpClient) -> CountingClient {
        CountingClient {
            inner,
            sent: Arc::default(),
        }
    }

    /// The counter, shared by every connector of this client.
    pub(crate) fn sent(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.sent)
    }
}

impl HttpClient for CountingClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(CountingConnector {
            inner: self.inner.http_connector(settings, components),
            sent: Arc::clone(&self.sent),
        })
    }
}

#[derive(Debug)]
struct CountingConnector {
    inner: SharedHttpConnector,
    sent: Arc<AtomicUsize>,
}

impl HttpConnector for CountingConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.inner.call(request)
    }
}
