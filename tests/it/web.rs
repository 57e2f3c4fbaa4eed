//! The web page of `accessgraph serve` (issue 21): its files and headers, its JSON API (the gRPC
//! service's own calls, tokens and errors) over plain HTTP/1.1, and the page in a real headless
//! Chromium driven over WebDriver (`chromedriver`), when the machine has it (`.ci/run` installs
//! Debian's `chromium` and `chromium-driver` and sets `ACCESSGRAPH_BROWSER`, which makes the
//! browser test mandatory).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use accessgraph_server::Options;
use serde_json::{Value, json};

use crate::grpc::{TestServer, example_store, start_with, tokens};

/// A response: status, headers (lowercase names), body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// One HTTP/1.1 request on a new connection (`Connection: close`).
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let auth = token.map_or_else(String::new, |token| {
        format!("Authorization: Bearer {token}\r\n")
    });
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let text = String::from_utf8_lossy(&read_response(&mut stream)).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(key, value)| key == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked {
        unchunk(rest)
    } else {
        rest.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Reads one response: to its length, the end of its chunks, or the end of the connection (a
/// peer may keep it open despite `Connection: close`).
fn read_response(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let read = stream.read(&mut buffer).unwrap();
        if read == 0 {
            return raw;
        }
        raw.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&raw);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let head = head.to_lowercase();
        let length = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|length| length.trim().parse::<usize>().ok());
        match length {
            Some(length) if body.len() >= length => return raw,
            None if head.contains("transfer-encoding: chunked") && body.ends_with("0\r\n\r\n") => {
                return raw;
            }
            _ => {}
        }
    }
}

/// The body of a chunked response.
fn unchunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        body.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    body
}

fn port(server: &TestServer) -> u16 {
    server
        .url
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap()
}

fn start_ui() -> TestServer {
    start_ui_on(example_store())
}

/// A server with the page on `store`, with the test tokens.
fn start_ui_on(store: tempfile::TempDir) -> TestServer {
    start_with(
        store,
        Options {
            tokens: tokens(),
            ui: true,
            ..Options::default()
        },
    )
}

#[test]
fn the_page_and_its_api_answer_over_http() {
    let server = start_ui();
    let port = port(&server);

    // The page: its files, with a Content Security Policy that allows its own files only.
    let page = http(port, "GET", "/ui/", None, "");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(policy.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(page.body.contains("<script src=\"app.js\" defer></script>"));
    let script = http(port, "GET", "/ui/app.js", None, "");
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(http(port, "GET", "/ui/nothing.js", None, "").status, 404);
    let root = http(port, "GET", "/", None, "");
    assert_eq!((root.status, root.header("location")), (303, Some("/ui/")));

    // The API: the same tokens as gRPC.
    let question = json!({"query": "who can reach admin in account 555555555555"}).to_string();
    let refused = http(port, "POST", "/ui/api/query", None, &question);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["error"]["code"], "Unauthenticated");
    let wrong = http(port, "POST", "/ui/api/query", Some("wrong"), &question);
    assert_eq!(wrong.status, 401);

    // The answer is the JSON a local query prints.
    let answered = http(port, "POST", "/ui/api/query", Some("read-token"), &question);
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert_eq!(answered.header("content-type"), Some("application/json"));
    let local = accessgraph_query::run(
        "who can reach admin in account 555555555555",
        crate::query_golden::catalog(),
    )
    .unwrap();
    let local: Value = serde_json::from_str(&accessgraph_query::render(
        &local,
        accessgraph_query::Format::Json,
        false,
    ))
    .unwrap();
    let remote = answered.json();
    assert_eq!(remote["rows"], local["rows"]);
    assert_eq!(remote["nodes"], local["nodes"]);
    assert_eq!(remote["total"], 11);

    // Errors: the command line's message with its caret, a bad body, an oversized one.
    let typo = http(
        port,
        "POST",
        "/ui/api/query",
        Some("read-token"),
        &json!({"query": "who can reech admin in org"}).to_string(),
    );
    assert_eq!(typo.status, 400);
    let message = typo.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("^^^^^ did you mean `reach`?"), "{message}");
    let garbage = http(port, "POST", "/ui/api/query", Some("read-token"), "{nope");
    assert_eq!(garbage.status, 400);
    let huge = format!("{{\"query\": \"{}\"}}", "a".repeat(100_000));
    assert_eq!(
        http(port, "POST", "/ui/api/query", Some("read-token"), &huge).status,
        429
    );
    let unknown = http(
        port,
        "POST",
        "/ui/api/query",
        Some("read-token"),
        &json!({"query": "show user/nobody"}).to_string(),
    );
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // The snapshots, for the page's selector.
    let listed = http(port, "GET", "/ui/api/snapshots", Some("read-token"), "");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["active"], 2);
    assert_eq!(listed.json()["snapshots"].as_array().unwrap().len(), 2);
    let completed = http(
        port,
        "POST",
        "/ui/api/complete",
        Some("read-token"),
        &json!({"prefix": "user/"}).to_string(),
    );
    assert_eq!(completed.status, 200, "{}", completed.body);
    let names = completed.json()["names"].clone();
    assert!(
        names
            .as_array()
            .unwrap()
            .contains(&json!("user/eve-contractor")),
        "{names}"
    );
    assert!(
        names
            .as_array()
            .unwrap()
            .contains(&json!("user/jane@acme.example")),
        "{names}"
    );
    let one = http(port, "GET", "/ui/api/snapshot/2", Some("read-token"), "");
    assert_eq!(one.status, 200, "{}", one.body);
    let names = one.json();
    assert!(
        names["accounts"]
            .as_array()
            .unwrap()
            .contains(&json!({"id": "555555555555", "name": "acme-dev"}))
    );
    assert!(
        names["ous"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ou| ou["name"] == "Sandbox")
    );
    assert_eq!(
        http(port, "GET", "/ui/api/snapshot/9", Some("read-token"), "").status,
        404
    );
    assert_eq!(
        http(port, "GET", "/ui/api/snapshot/x", Some("read-token"), "").status,
        400
    );
    assert_eq!(
        http(port, "GET", "/ui/api/snapshot/2", None, "").status,
        401
    );
}

#[test]
fn without_the_ui_only_grpc_answers() {
    let server = start_with(
        example_store(),
        Options {
            tokens: tokens(),
            ..Options::default()
        },
    );
    let port = port(&server);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /ui/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    assert!(
        !String::from_utf8_lossy(&raw).contains("<html"),
        "the page is served without ui"
    );
}

/// A chromedriver process, stopped when dropped (also when a test fails before its session).
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A WebDriver session on a chromedriver of this machine: the W3C protocol's JSON over HTTP.
/// Dropping it closes the browser, then stops the driver.
struct Browser {
    port: u16,
    session: String,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let port = self.port;
        let _ = std::panic::catch_unwind(move || webdriver(port, "DELETE", &path, None));
    }
}

/// A WebDriver call; its `value`.
fn webdriver(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let reply = http(port, method, path, None, &body);
    let value: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    assert!(
        reply.status == 200,
        "WebDriver {method} {path}: {} {}",
        reply.status,
        reply.body
    );
    value["value"].clone()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (the flags keep it off the network).
    fn start(chromedriver: &str) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Driver(
            std::process::Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let started = std::time::Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let chromium = std::env::var("ACCESSGRAPH_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let created = webdriver(port, "POST", "/session", Some(capabilities));
        let session = created["sessionId"].as_str().unwrap().to_owned();
        Browser {
            port,
            session,
            _driver: driver,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        webdriver(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    fn open(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Waits until `script` returns something truthy; returns it.
    fn until(&self, what: &str, script: &str) -> Value {
        let started = std::time::Instant::now();
        loop {
            let value = self.script(script);
            if !matches!(value, Value::Null | Value::Bool(false))
                && value != json!(0)
                && value != json!("")
            {
                return value;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        found["element-6066-11e4-a52e-4f735466cecf"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.call(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        );
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    /// A real pointer click at a point of the viewport.
    fn click_at(&self, x: f64, y: f64) {
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{
                "type": "pointer",
                "id": "mouse",
                "parameters": {"pointerType": "mouse"},
                "actions": [
                    {"type": "pointerMove", "x": x.round() as i64, "y": y.round() as i64, "origin": "viewport"},
                    {"type": "pointerDown", "button": 0},
                    {"type": "pointerUp", "button": 0},
                ],
            }]})),
        );
        self.call("DELETE", "/actions", None);
    }

    /// Answers the page's token dialog with the test server's read token.
    fn sign_in(&self) {
        self.until(
            "the token dialog",
            "return document.getElementById('login').open",
        );
        self.type_into("#token", "read-token");
        self.click("#login-form button");
    }

    /// The first completion offered.
    fn first_suggestion(&self, what: &str) -> Value {
        self.until(
            what,
            "const list = document.getElementById('suggestions'); return !list.hidden && list.firstChild.textContent",
        )
    }

    fn click(&self, css: &str) {
        let element = self.element(css);
        self.call(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    /// Saves a PNG screenshot under `target/ui-screenshots/` for a reviewer.
    fn screenshot(&self, name: &str) {
        use base64::Engine as _;
        let encoded = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

/// The chromedriver to use: `ACCESSGRAPH_BROWSER` (then the test is mandatory), else the
/// machine's if it has one.
fn chromedriver() -> Option<String> {
    if let Ok(path) = std::env::var("ACCESSGRAPH_BROWSER") {
        return Some(path);
    }
    std::path::Path::new("/usr/bin/chromedriver")
        .exists()
        .then(|| "/usr/bin/chromedriver".to_owned())
}

#[test]
fn the_page_works_in_a_real_browser() {
    let Some(chromedriver) = chromedriver() else {
        eprintln!("skipped: no chromedriver (Debian's chromium-driver; .ci/run installs it)");
        return;
    };
    let server = start_ui();
    let browser = Browser::start(&chromedriver);
    let base = format!("http://127.0.0.1:{}/ui/", port(&server));

    // The link carries the query; the token is asked for once and kept for the tab.
    let started = std::time::Instant::now();
    browser.open(&format!(
        "{base}#q=who%20can%20reach%20admin%20in%20account%20555555555555"
    ));
    browser.sign_in();
    let rows = browser.until(
        "the answer's rows",
        "return document.querySelectorAll('#rows tbody tr').length",
    );
    let first_paint = started.elapsed();
    assert_eq!(rows, json!(11));
    eprintln!(
        "first paint of the README's answer (token typed by the driver included): {} ms",
        first_paint.as_millis()
    );
    let summary = browser.script("return document.getElementById('summary').textContent");
    assert!(
        summary.as_str().unwrap().contains("11 of 11 rows"),
        "{summary}"
    );
    assert_eq!(
        browser.script("return sessionStorage.getItem('accessgraph.token')"),
        json!("read-token")
    );
    assert!(
        !browser
            .script("return location.href")
            .as_str()
            .unwrap()
            .contains("read-token")
    );
    browser.screenshot("answer");

    // Loaded again in the same tab (the token kept): from navigation to the answer's rows.
    browser.open("about:blank");
    let reloaded = std::time::Instant::now();
    browser.open(&format!(
        "{base}#q=who%20can%20reach%20admin%20in%20account%20555555555555"
    ));
    browser.until(
        "the answer after a reload",
        "return document.querySelectorAll('#rows tbody tr').length === 11",
    );
    eprintln!(
        "first paint of the README's answer, a new page load with the token kept in the tab: {} ms",
        reloaded.elapsed().as_millis()
    );

    // A conditional row's evidence: bob's PassRole needs a region the SCP allows.
    browser.click("#rows tbody tr[data-principal='arn:aws:iam::555555555555:user/bob']");
    let detail = browser.until(
        "bob's evidence",
        "return !document.getElementById('detail').hidden && document.getElementById('detail-text').textContent",
    );
    let detail = detail.as_str().unwrap().to_owned();
    assert!(detail.contains("launch-instances"), "{detail}");
    // The condition as a formula: the region guard's deny, negated.
    assert!(
        detail.contains(
            "holds only if: NOT `aws:RequestedRegion` StringNotEquals `us-east-1`, `eu-west-1`"
        ),
        "{detail}"
    );
    browser.screenshot("evidence");

    // Filter and sort the table.
    browser.type_into("#filter", "acme-management");
    assert_eq!(
        browser.script("return document.querySelectorAll('#rows tbody tr').length"),
        json!(3)
    );
    browser.type_into("#filter", "");

    // A parse error shows the caret; text that looks like HTML stays text.
    browser.type_into("#query", "who can reech admin <img src=x id=injected>");
    browser.click("#run");
    let error = browser.until(
        "the parse error",
        "return !document.getElementById('error').hidden && document.getElementById('error-text').textContent",
    );
    let error = error.as_str().unwrap().to_owned();
    assert!(error.contains("^^^^^ did you mean `reach`?"), "{error}");
    assert_eq!(
        browser.script("return document.getElementById('injected') === null"),
        json!(true)
    );
    browser.screenshot("error");

    // The graph, laid out left to right by dagre: a real click on bob's conditional edge shows
    // its evidence; the SVG export holds the drawing.
    browser.type_into("#query", "who can reach admin in account 555555555555");
    browser.click("#run");
    browser.until(
        "the answer again",
        "return document.getElementById('error').hidden && document.querySelectorAll('#rows tbody tr').length === 11",
    );
    browser.click("#show-graph");
    let nodes = browser.until(
        "the graph",
        "const cy = window.AccessGraphView.graph(); return cy && cy.nodes().length",
    );
    assert_eq!(
        nodes,
        json!(11),
        "the 11 principals (the administrators reached among them)"
    );
    let point = browser.script(BOB_EDGE);
    let (x, y) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    browser.click_at(x, y);
    let detail = browser.until(
        "the edge's evidence",
        "return !document.getElementById('detail').hidden && document.getElementById('detail-text').textContent",
    );
    assert!(
        detail.as_str().unwrap().contains("aws:RequestedRegion"),
        "{detail}"
    );
    // A real click on a node: `show NODE`, its policies and why it is an administrator, with the
    // next questions as buttons.
    let point = browser.script(
        "const node = window.AccessGraphView.graph().getElementById('arn:aws:iam::555555555555:user/carol');
         const at = node.renderedPosition();
         const box = document.getElementById('canvas').getBoundingClientRect();
         return [box.left + at.x, box.top + at.y];",
    );
    browser.click_at(point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    let shown = browser.until(
        "carol's policies",
        "const text = document.getElementById('detail-text').textContent; return text.includes('maintain-dev-shared') && text",
    );
    assert!(
        shown.as_str().unwrap().contains("administrator: "),
        "{shown}"
    );
    let keys = browser.script("return document.querySelectorAll('#detail-text .json-key').length");
    assert!(
        keys.as_u64().unwrap() > 3,
        "the policies are highlighted: {keys}"
    );
    assert_eq!(
        browser.script("return [...document.querySelectorAll('#detail-actions button')].map((b) => b.textContent)"),
        json!(["who can reach this", "what can this reach", "path to admin"])
    );
    let svg = browser.script("return window.AccessGraphView.svg()");
    let svg = svg.as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains(">bob<"), "{svg}");
    let png = browser.script("return window.AccessGraphView.png()");
    assert!(png.as_str().unwrap().starts_with("data:image/png;base64,"));
    browser.screenshot("graph");

    // Choke points: the plan's hops red in the graph, the plan and its check listed.
    browser.type_into(
        "#query",
        "what cuts paths to admin in account 555555555555 keep role/OrganizationAccountAccessRole in account 555555555555 check",
    );
    browser.click("#run");
    let check = browser.until(
        "the plan's check",
        "return !document.getElementById('cuts').hidden && document.getElementById('cuts-check').textContent",
    );
    assert!(check.as_str().unwrap().contains("no path left"), "{check}");
    let plan = browser.script(
        "return [...document.querySelectorAll('#cuts-plan li')].map((li) => li.textContent)",
    );
    assert_eq!(
        plan,
        json!([
            "remove inline policy `launch-instances` of group `Developers`, statement 0 (Sid `RunAndPass`)",
            "remove inline policy `manage-keys` of user `eve-contractor`, statement 0 (Sid `KeyRotationHelper`)",
        ])
    );
    browser.until(
        "the cut hops",
        "const cy = window.AccessGraphView.graph(); return cy && cy.edges('.cut').length === 2",
    );
    browser.screenshot("cuts");

    // A diff: the same question compared with the snapshot before the sandbox SCP.
    browser.click("#show-table");
    browser.type_into("#query", "who can reach admin in account 666666666666");
    browser.click("#compare option[value='1']");
    let lost = browser.until(
        "the diff's rows",
        "return document.querySelectorAll('#rows tbody tr.lost').length",
    );
    assert_eq!(lost, json!(8));
    browser.click("#compare option[value='']");

    // Completion: keywords, then names seen in answers; Tab takes the first.
    browser.type_into("#query", "who can rea");
    let first = browser.first_suggestion("a suggestion");
    assert_eq!(first, json!("reach"));
    let query = browser.element("#query");
    browser.call(
        "POST",
        &format!("/element/{query}/value"),
        Some(json!({"text": "\u{E004}"})),
    );
    assert_eq!(
        browser.script("return document.getElementById('query').value"),
        json!("who can reach ")
    );
    browser.type_into("#query", "can user/ev");
    let name = browser.first_suggestion("a name from an answer");
    assert_eq!(name, json!("user/eve-contractor"));
    // Names never seen in an answer come from the server (Complete).
    browser.type_into("#query", "show role/sandbox-a");
    let role = browser.first_suggestion("a role from the server");
    assert_eq!(role, json!("role/sandbox-admin"));
    // OUs and accounts come from the snapshot (GetSnapshot).
    browser.type_into("#query", "who can reach admin in ou Sand");
    let ou = browser.first_suggestion("an OU");
    assert_eq!(ou, json!("Sandbox"));
    browser.type_into("#query", "who can reach admin in account 4444");
    let account = browser.first_suggestion("an account");
    assert_eq!(account, json!("444444444444"));
    drop(browser);
    drop(server);
}

/// Where to click bob's edge: its rendered midpoint in the viewport.
const BOB_EDGE: &str = "const cy = window.AccessGraphView.graph();
const edge = cy.edges().filter((e) => e.source().id() === 'arn:aws:iam::555555555555:user/bob')[0];
const middle = edge.renderedMidpoint();
const box = document.getElementById('canvas').getBoundingClientRect();
return [box.left + middle.x, box.top + middle.y];";

/// The example organization with a statement `Sid` that looks like HTML and script.
fn hostile_store() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    crate::ingest_errors::copy_dir(&crate::ingest::data("../examples/org"), copy.path());
    let file = copy
        .path()
        .join("accounts/555555555555/iam/get-account-authorization-details.json");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "\"Sid\": \"RunAndPass\"",
        "\"Sid\": \"<img src=x id=hostile onerror=document.title='pwned'><script>document.title='pwned'</script>\"",
    );
    std::fs::write(&file, text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = accessgraph_store::Store::open(&dir.path().join("db")).unwrap();
    let snapshot =
        accessgraph_ingest::ingest(copy.path(), &accessgraph_ingest::IngestOptions::default())
            .unwrap()
            .snapshot;
    store.put(&snapshot).unwrap();
    dir
}

#[test]
fn hostile_policy_text_stays_text() {
    let Some(chromedriver) = chromedriver() else {
        eprintln!("skipped: no chromedriver (Debian's chromium-driver; .ci/run installs it)");
        return;
    };
    let server = start_ui_on(hostile_store());
    let browser = Browser::start(&chromedriver);
    browser.open(&format!(
        "http://127.0.0.1:{}/ui/#q=path%20from%20user%2Fbob%20to%20admin%20in%20account%20555555555555",
        port(&server)
    ));
    browser.sign_in();
    browser.until(
        "bob's path",
        "return document.querySelectorAll('#rows tbody tr').length",
    );
    browser.click("#rows tbody tr");
    let detail = browser.until(
        "the evidence",
        "return !document.getElementById('detail').hidden && document.getElementById('detail-text').textContent",
    );
    assert!(
        detail
            .as_str()
            .unwrap()
            .contains("(Sid <img src=x id=hostile onerror=document.title='pwned'><script>"),
        "{detail}"
    );
    browser.click("#show-graph");
    browser.until(
        "the graph",
        "const cy = window.AccessGraphView.graph(); return cy && cy.nodes().length",
    );
    let point = browser.script(BOB_EDGE);
    browser.click_at(point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    browser.until(
        "the edge's evidence",
        "return document.getElementById('detail-text').textContent.includes('hostile')",
    );
    assert_eq!(
        browser.script("return document.getElementById('hostile') === null && document.querySelectorAll('#detail script, #rows script').length === 0 && document.title"),
        json!("accessgraph")
    );
}

#[test]
fn large_answers_are_drawn_by_account() {
    let Some(chromedriver) = chromedriver() else {
        eprintln!("skipped: no chromedriver (Debian's chromium-driver; .ci/run installs it)");
        return;
    };
    let server = start_ui_on(crate::grpc::synthetic_store());
    let browser = Browser::start(&chromedriver);
    browser.open(&format!(
        "http://127.0.0.1:{}/ui/#q=who%20can%20reach%20admin%20in%20org",
        port(&server)
    ));
    browser.sign_in();
    let rows = browser.until(
        "the answer",
        "return document.querySelectorAll('#rows tbody tr').length",
    );
    assert!(rows.as_u64().unwrap() > 150, "{rows}");
    browser.click("#show-graph");
    let note = browser.until(
        "the graph by account",
        "return window.AccessGraphView.graph() && document.getElementById('graph-note').textContent",
    );
    assert!(
        note.as_str().unwrap().contains("shown by account"),
        "{note}"
    );
    // One node per account (20 generated ones), and per kind of node outside accounts.
    let nodes = browser.script("return window.AccessGraphView.graph().nodes().length");
    let nodes = nodes.as_u64().unwrap();
    assert!((20..=30).contains(&nodes), "{nodes} nodes");
    browser.screenshot("by-account");
}
