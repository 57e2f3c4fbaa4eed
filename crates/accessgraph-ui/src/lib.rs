//! The web page `accessgraph serve` shows, embedded in the binary so that it works offline (no
//! CDN, nothing fetched at run time): the files of `assets/`, each with its content type.
//! The page talks to the server only through its JSON API (`/ui/api/...`), which runs the same
//! service code as the gRPC calls.

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The path under `/ui/` it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static str,
}

/// Every file of the page; the first is the page itself (`/ui/`). `graph.js` is built from
/// `web/` (cytoscape and its dagre layout, bundled by esbuild: `npm ci && npm run build` there)
/// and committed, so building the project needs no npm.
pub const ASSETS: [Asset; 4] = [
    Asset {
        path: "index.html",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../assets/index.html"),
    },
    Asset {
        path: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/app.js"),
    },
    Asset {
        path: "graph.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/graph.js"),
    },
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/app.css"),
    },
];

/// The asset served at `/ui/PATH` (`index.html` for `/ui/`).
#[must_use]
pub fn asset(path: &str) -> Option<&'static Asset> {
    let path = if path.is_empty() { "index.html" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

/// The Content Security Policy of the page: its own scripts and styles only (no inline script,
/// nothing from elsewhere), requests to its own server only, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[cfg(test)]
mod tests {
    use super::{ASSETS, asset};

    #[test]
    fn the_page_loads_only_its_own_files() {
        let page = asset("").map(|asset| asset.body).unwrap_or_default();
        assert!(page.contains("<script src=\"app.js\" defer></script>"));
        assert!(page.contains("href=\"app.css\""));
        // No inline script or handler, nothing from another origin.
        assert!(!page.contains("<script>"));
        assert!(!page.contains(" onclick="));
        // The bundle names its libraries' licences by URL; the page's own files name nothing.
        for file in ASSETS.iter().filter(|file| file.path != "graph.js") {
            assert!(!file.body.contains("http://"), "{}", file.path);
            assert!(!file.body.contains("https://"), "{}", file.path);
        }
    }

    #[test]
    fn the_script_never_writes_html_from_data() {
        let script = asset("app.js").map(|asset| asset.body).unwrap_or_default();
        let graph = include_str!("../web/src/graph.js");
        let bundle = asset("graph.js")
            .map(|asset| asset.body)
            .unwrap_or_default();
        // Nothing in the bundle evaluates text as code (the page's CSP would refuse it).
        assert!(!bundle.contains("new Function"));
        assert!(!bundle.contains("eval("));
        assert!(!graph.contains("innerHTML"));
        assert!(!script.contains("innerHTML"));
        assert!(!script.contains("outerHTML"));
        assert!(!script.contains("insertAdjacentHTML"));
        assert!(!script.contains("document.write"));
        assert!(!script.contains("eval("));
    }
}
