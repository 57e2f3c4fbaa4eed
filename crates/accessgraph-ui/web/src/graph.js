// The graph view of the accessgraph page: an answer's paths drawn with cytoscape, laid out left
// to right by dagre (sources to targets). Bundled into ../assets/graph.js by `npm run build`;
// exposes `window.AccessGraphView`. Labels are cytoscape text (drawn on a canvas, never HTML);
// the SVG export builds its elements with the DOM and textContent.
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";

cytoscape.use(dagre);

// Above this many nodes the view shows accounts, not principals.
const COLLAPSE_ABOVE = 150;

const KIND_COLOURS = {
  user: "#cfe2ff",
  identity_center_user: "#cfe2ff",
  group: "#e2d9f3",
  identity_center_group: "#e2d9f3",
  role: "#d1e7dd",
  saml_provider: "#fff3cd",
  web_identity_provider: "#fff3cd",
  external_account: "#f8d7da",
  anyone: "#f8d7da",
  service: "#e9ecef",
  resource: "#ffffff",
  account: "#f6f8fa",
};

function edgeLabel(step) {
  if (step.edge === "sso" && step.technique) {
    return step.technique;
  }
  if ((step.edge === "privesc" || step.edge === "permit") && step.technique) {
    return step.edge + ": " + step.technique;
  }
  return step.edge;
}

// The nodes and edges of the union of an answer's paths (one edge per pair of nodes, a cut or
// conditional hop preferred so the picture shows it).
function principalElements(answer) {
  const nodes = new Map();
  const edges = new Map();
  const addNode = (id) => {
    if (!nodes.has(id)) {
      const info = answer.nodes[id] || {};
      nodes.set(id, {
        id,
        label: (info.name || id) + (info.account_name ? "\n" + info.account_name : ""),
        kind: info.kind || "resource",
        admin: Boolean(info.admin),
      });
    }
  };
  for (const row of answer.rows) {
    addNode(row.principal);
    for (const step of row.path) {
      addNode(step.from);
      addNode(step.to);
      const key = step.from + "\u0000" + step.to;
      const known = edges.get(key);
      if (!known || (step.cut && !known.step.cut)) {
        edges.set(key, { key, step });
      }
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

// The same answer by account: one node per account (or per kind of node outside accounts), one
// edge per pair of accounts with the number of hops between them.
function accountElements(answer, full) {
  const group = (id) => {
    const info = answer.nodes[id] || {};
    return info.account ? "account:" + info.account : "kind:" + (info.kind || "other");
  };
  const groupLabel = (id) => {
    const info = answer.nodes[id] || {};
    return info.account
      ? (info.account_name ? info.account_name + "\n" : "") + info.account
      : info.kind || "other";
  };
  const nodes = new Map();
  for (const node of full.nodes) {
    const key = group(node.id);
    const known = nodes.get(key) || {
      id: key,
      label: groupLabel(node.id),
      kind: "account",
      admin: false,
      members: 0,
    };
    known.members += 1;
    known.admin = known.admin || node.admin;
    nodes.set(key, known);
  }
  for (const node of nodes.values()) {
    node.label += "\n(" + node.members + " nodes)";
  }
  const edges = new Map();
  for (const { step } of full.edges) {
    const from = group(step.from);
    const to = group(step.to);
    if (from === to) {
      continue;
    }
    const key = from + "\u0000" + to;
    const known = edges.get(key) || {
      key,
      step: { edge: "hops", from, to, conditional: false, cut: false, evidence: [], conditions: [] },
      count: 0,
    };
    known.count += 1;
    known.step.cut = known.step.cut || Boolean(step.cut);
    edges.set(key, known);
  }
  for (const edge of edges.values()) {
    edge.label = edge.count + " hop" + (edge.count === 1 ? "" : "s");
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], collapsed: true };
}

let current = null;

// Draws `answer` in `container`; `onEdge(step)` and `onNode(id)` are called on clicks.
function draw(container, answer, onEdge, onNode) {
  if (current) {
    current.destroy();
    current = null;
  }
  const full = principalElements(answer);
  const shown = full.nodes.length > COLLAPSE_ABOVE ? accountElements(answer, full) : full;
  const elements = [];
  for (const node of shown.nodes) {
    elements.push({
      group: "nodes",
      data: { id: node.id, label: node.label, colour: KIND_COLOURS[node.kind] || "#ffffff" },
      classes: (node.admin ? "admin " : "") + node.kind,
    });
  }
  shown.edges.forEach((edge, index) => {
    elements.push({
      group: "edges",
      data: {
        id: "e" + index,
        source: edge.step.from,
        target: edge.step.to,
        label: edge.label || edgeLabel(edge.step),
        key: edge.key,
      },
      classes: (edge.step.conditional ? "conditional " : "") + (edge.step.cut ? "cut" : ""),
    });
  });
  const steps = new Map(shown.edges.map((edge) => [edge.key, edge.step]));
  current = cytoscape({
    container,
    elements,
    wheelSensitivity: 0.3,
    // A small answer is not blown up to fill the view.
    maxZoom: 1.5,
    minZoom: 0.05,
    style: [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          "background-color": "data(colour)",
          "border-width": 1,
          "border-color": "#57606a",
          label: "data(label)",
          "text-wrap": "wrap",
          "text-valign": "center",
          "font-size": 11,
          width: "label",
          height: "label",
          padding: "8px",
        },
      },
      // Shapes by kind: people round, roles rounded boxes, groups hexagons, providers diamonds,
      // principals outside the snapshot octagons, resources barrels.
      { selector: "node.user, node.identity_center_user", style: { shape: "ellipse" } },
      { selector: "node.group, node.identity_center_group", style: { shape: "hexagon" } },
      { selector: "node.saml_provider, node.web_identity_provider", style: { shape: "diamond" } },
      { selector: "node.external_account, node.anyone, node.service", style: { shape: "octagon" } },
      { selector: "node.resource", style: { shape: "barrel" } },
      { selector: "node.admin", style: { "border-width": 3, "border-color": "#b02a37" } },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "curve-style": "bezier",
          "target-arrow-shape": "triangle",
          "line-color": "#57606a",
          "target-arrow-color": "#57606a",
          label: "data(label)",
          "font-size": 9,
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.8,
        },
      },
      { selector: "edge.conditional", style: { "line-style": "dashed" } },
      {
        selector: "edge.cut",
        style: { width: 3, "line-color": "#b02a37", "target-arrow-color": "#b02a37", color: "#b02a37" },
      },
      { selector: ":selected", style: { "overlay-opacity": 0.15 } },
    ],
    layout: { name: "dagre", rankDir: "LR", nodeSep: 20, rankSep: 170, edgeSep: 10 },
  });
  current.on("tap", "edge", (event) => {
    const step = steps.get(event.target.data("key"));
    if (step && !shown.collapsed) {
      onEdge(step);
    }
  });
  current.on("tap", "node", (event) => {
    if (!shown.collapsed) {
      onNode(event.target.id());
    }
  });
  return { nodes: shown.nodes.length, edges: shown.edges.length, collapsed: Boolean(shown.collapsed) };
}

function png() {
  return current ? current.png({ full: true, scale: 2, bg: "#ffffff" }) : null;
}

// The drawn graph as SVG: the laid-out boxes, labels and edges, built as DOM elements.
function svg() {
  if (!current) {
    return null;
  }
  const ns = "http://www.w3.org/2000/svg";
  const box = current.elements().boundingBox();
  const root = document.createElementNS(ns, "svg");
  root.setAttribute("xmlns", ns);
  root.setAttribute("viewBox", [box.x1 - 10, box.y1 - 10, box.w + 20, box.h + 20].join(" "));
  root.setAttribute("font-family", "sans-serif");
  const defs = document.createElementNS(ns, "defs");
  const marker = document.createElementNS(ns, "marker");
  marker.setAttribute("id", "arrow");
  marker.setAttribute("viewBox", "0 0 10 10");
  marker.setAttribute("refX", "10");
  marker.setAttribute("refY", "5");
  marker.setAttribute("markerWidth", "6");
  marker.setAttribute("markerHeight", "6");
  marker.setAttribute("orient", "auto-start-reverse");
  const tip = document.createElementNS(ns, "path");
  tip.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
  marker.appendChild(tip);
  defs.appendChild(marker);
  root.appendChild(defs);
  current.edges().forEach((edge) => {
    const line = document.createElementNS(ns, "line");
    const from = edge.sourceEndpoint();
    const to = edge.targetEndpoint();
    line.setAttribute("x1", from.x);
    line.setAttribute("y1", from.y);
    line.setAttribute("x2", to.x);
    line.setAttribute("y2", to.y);
    line.setAttribute("stroke", edge.hasClass("cut") ? "#b02a37" : "#57606a");
    line.setAttribute("stroke-width", edge.hasClass("cut") ? "3" : "1.5");
    if (edge.hasClass("conditional")) {
      line.setAttribute("stroke-dasharray", "6 4");
    }
    line.setAttribute("marker-end", "url(#arrow)");
    root.appendChild(line);
    const label = document.createElementNS(ns, "text");
    label.setAttribute("x", (from.x + to.x) / 2);
    label.setAttribute("y", (from.y + to.y) / 2 - 3);
    label.setAttribute("font-size", "9");
    label.setAttribute("text-anchor", "middle");
    label.textContent = edge.data("label");
    root.appendChild(label);
  });
  current.nodes().forEach((node) => {
    const shape = node.boundingBox({ includeLabels: false });
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", shape.x1);
    rect.setAttribute("y", shape.y1);
    rect.setAttribute("width", shape.w);
    rect.setAttribute("height", shape.h);
    rect.setAttribute("rx", "4");
    rect.setAttribute("fill", node.data("colour"));
    rect.setAttribute("stroke", node.hasClass("admin") ? "#b02a37" : "#57606a");
    rect.setAttribute("stroke-width", node.hasClass("admin") ? "3" : "1");
    root.appendChild(rect);
    const lines = String(node.data("label")).split("\n");
    lines.forEach((text, index) => {
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", node.position("x"));
      label.setAttribute("y", node.position("y") + (index - (lines.length - 1) / 2) * 13 + 4);
      label.setAttribute("font-size", "11");
      label.setAttribute("text-anchor", "middle");
      label.textContent = text;
      root.appendChild(label);
    });
  });
  return new XMLSerializer().serializeToString(root);
}

// The cytoscape instance drawn, for automation (positions to click, in the browser test).
function graph() {
  return current;
}

window.AccessGraphView = { draw, png, svg, graph };
