// The accessgraph page: asks the server's JSON API (the same service as the gRPC calls) and shows
// the answer. Every value from an answer is written with textContent, never parsed as HTML.
"use strict";

const TOKEN_KEY = "accessgraph.token";
const state = { answer: null, sortKey: null, sortUp: true };

function $(id) {
  return document.getElementById(id);
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function askToken() {
  return new Promise((resolve) => {
    const dialog = $("login");
    $("token").value = "";
    dialog.addEventListener(
      "close",
      () => {
        const value = $("token").value.trim();
        if (value) {
          sessionStorage.setItem(TOKEN_KEY, value);
        }
        resolve(Boolean(value));
      },
      { once: true },
    );
    dialog.showModal();
  });
}

// Calls the API; asks for a token once when the server refuses the call without one.
async function api(path, body) {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const headers = { "Content-Type": "application/json" };
    if (token()) {
      headers.Authorization = "Bearer " + token();
    }
    const response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (response.status === 401 && attempt === 0) {
      sessionStorage.removeItem(TOKEN_KEY);
      if (await askToken()) {
        continue;
      }
    }
    if (!response.ok) {
      throw new Error(data.error ? data.error.message : response.statusText);
    }
    return data;
  }
  throw new Error("no token");
}

function label(id) {
  const node = state.answer && state.answer.nodes[id];
  if (!node) {
    return id;
  }
  return node.display_name && node.display_name !== node.name
    ? node.name + " (" + node.display_name + ")"
    : node.name;
}

function nodeInfo(id) {
  return (state.answer && state.answer.nodes[id]) || {};
}

function hopText(step) {
  let how = step.edge;
  if (step.edge === "sso" && step.technique) {
    how = step.technique;
  } else if (step.technique && step.edge !== "assume" && step.edge !== "member") {
    how += ":" + step.technique;
  }
  if (step.conditional) {
    how += "?";
  }
  if (step.cut) {
    how += " (cut)";
  }
  return " --" + how + "--> " + label(step.to);
}

function rowValues(row) {
  const info = nodeInfo(row.principal);
  return {
    change: row.change === "gained" ? "+" : row.change === "lost" ? "-" : "",
    principal: label(row.principal),
    kind: info.kind || "",
    account: info.account_name ? info.account_name + " " + info.account : info.account || "",
    path: row.path.map(hopText).join("") || (info.admin ? "(admin)" : ""),
    hops: row.path.length,
  };
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = String(text);
  return td;
}

function renderRows() {
  const body = $("rows").tBodies[0];
  body.replaceChildren();
  if (!state.answer) {
    return;
  }
  const filter = $("filter").value.trim().toLowerCase();
  let rows = state.answer.rows.map((row) => ({ row, values: rowValues(row) }));
  if (filter) {
    rows = rows.filter(({ values }) =>
      [values.principal, values.kind, values.account].some((text) =>
        String(text).toLowerCase().includes(filter),
      ),
    );
  }
  if (state.sortKey) {
    const key = state.sortKey;
    rows.sort((a, b) => {
      const order = a.values[key] < b.values[key] ? -1 : a.values[key] > b.values[key] ? 1 : 0;
      return state.sortUp ? order : -order;
    });
  }
  for (const { row, values } of rows) {
    const tr = document.createElement("tr");
    tr.dataset.principal = row.principal;
    for (const key of ["change", "principal", "kind", "account", "path", "hops"]) {
      tr.appendChild(cell(values[key]));
    }
    if (row.change) {
      tr.classList.add(row.change);
    }
    tr.addEventListener("click", () => showRow(row));
    body.appendChild(tr);
  }
}

// The evidence of one hop, in the words of the JSON answer.
function stepLines(step, number) {
  const lines = [
    (number ? number + ". " : "") + label(step.from) + " -> " + label(step.to) + ": " + step.edge +
      (step.technique ? " " + step.technique : "") + (step.catalog_id ? " (" + step.catalog_id + ")" : "") +
      (step.conditional ? " (conditional)" : "") + (step.cut ? " (the plan removes it)" : ""),
  ];
  for (const citation of step.evidence || []) {
    lines.push(
      "   " + citation.effect.toLowerCase() + " by " + citation.policy + ", statement " +
        citation.statement + (citation.sid ? " (Sid " + citation.sid + ")" : "") +
        (citation.via ? " through group " + citation.via : ""),
    );
  }
  if (step.allowed_when) {
    lines.push("   holds only if: " + formula(step.allowed_when, step.conditions || []));
  }
  for (const condition of step.conditions || []) {
    lines.push("   open condition: " + clause(condition) + " (" + condition.citation.policy +
      ", statement " + condition.citation.statement + ")");
  }
  for (const requirement of step.requirements || []) {
    lines.push("   requires: " + requirement);
  }
  for (const detail of step.details || []) {
    lines.push("   " + detail);
  }
  for (const alternative of step.alternatives || []) {
    lines.push("   also by: " + alternative);
  }
  return lines;
}

// A JSON value as highlighted text: keys, strings and numbers in spans, written as text.
function highlighted(value) {
  const out = document.createElement("code");
  const put = (text, kind) => {
    if (kind) {
      const span = document.createElement("span");
      span.className = "json-" + kind;
      span.textContent = text;
      out.appendChild(span);
    } else {
      out.appendChild(document.createTextNode(text));
    }
  };
  const walk = (item, indent) => {
    const pad = "  ".repeat(indent);
    if (Array.isArray(item)) {
      put("[\n");
      item.forEach((element, index) => {
        put(pad + "  ");
        walk(element, indent + 1);
        put(index + 1 < item.length ? ",\n" : "\n");
      });
      put(pad + "]");
    } else if (item !== null && typeof item === "object") {
      const keys = Object.keys(item);
      put("{\n");
      keys.forEach((key, index) => {
        put(pad + "  ");
        put(JSON.stringify(key), "key");
        put(": ");
        walk(item[key], indent + 1);
        put(index + 1 < keys.length ? ",\n" : "\n");
      });
      put(pad + "}");
    } else if (typeof item === "string") {
      put(JSON.stringify(item), "string");
    } else {
      put(JSON.stringify(item), "literal");
    }
  };
  walk(value, 0);
  return out;
}

// A condition clause as the policy writes it.
function clause(condition) {
  const values = (condition.values || []).map((value) => "`" + value + "`").join(", ");
  return "`" + condition.key + "` " + condition.operator + " " + values;
}

// The formula under which a hop holds, over its conditions (a deny's clauses negated).
function formula(expr, conditions) {
  if (expr.const !== undefined) {
    return expr.const ? "always" : "never";
  }
  if (expr.term) {
    const condition = conditions[expr.term.term];
    const text = condition ? clause(condition) : "condition " + expr.term.term;
    return (expr.term.negated ? "NOT " : "") + text;
  }
  if (expr.fact) {
    return (expr.fact.negated ? "NOT " : "") + expr.fact.fact;
  }
  const parts = expr.all || expr.any || [];
  const joined = parts.map((part) => formula(part, conditions)).join(expr.all ? " AND " : " OR ");
  return parts.length > 1 ? "(" + joined + ")" : joined;
}

function showDetail(title, lines, actions) {
  $("detail-title").textContent = title;
  $("detail-text").textContent = lines.join("\n");
  const box = $("detail-actions");
  box.replaceChildren();
  for (const [text, query] of actions || []) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.addEventListener("click", () => {
      $("query").value = query;
      run();
    });
    box.appendChild(button);
  }
  $("detail").hidden = false;
}

// The evidence of a row's hops.
function showRow(row) {
  const lines = [];
  row.path.forEach((step, index) => lines.push(...stepLines(step, index + 1)));
  const target = nodeInfo(row.target);
  if (target.administrator) {
    lines.push(label(row.target) + " is an administrator: " + target.administrator.reason);
  }
  showDetail(label(row.principal), lines, nodeActions(row.principal));
}

// What to ask next about a node.
function nodeActions(id) {
  const info = nodeInfo(id);
  const actions = [
    ["who can reach this", "who can reach " + id],
    ["what can this reach", "what can " + id + " reach"],
  ];
  if (info.account) {
    actions.push(["path to admin", "path from " + id + " to admin in account " + info.account]);
  }
  return actions;
}

// `show NODE`: its policies, why it is an administrator, and what to ask next.
async function showNode(id) {
  const saved = state.answer;
  try {
    const shown = await api("api/query", { query: "show " + id, snapshot: selectedSnapshot() });
    const lines = [];
    const info = shown.nodes[id] || {};
    if (info.administrator) {
      lines.push("administrator: " + info.administrator.reason);
    }
    const detail = shown.node || { policies: [], outgoing: [] };
    const groups = detail.outgoing.filter((step) => step.edge === "member").map((step) => {
      const group = shown.nodes[step.to];
      return group ? group.name : step.to;
    });
    if (groups.length) {
      lines.push("member of: " + groups.join(", "));
    }
    state.answer = saved;
    showDetail(label(id), lines, nodeActions(id));
    const text = $("detail-text");
    for (const policy of detail.policies) {
      text.appendChild(document.createTextNode("\n" + policy.kind + " policy " + policy.name + ":\n"));
      text.appendChild(highlighted(policy.document));
    }
  } catch (error) {
    showDetail(label(id), [error.message], []);
  }
}

function renderSummary(answer) {
  const parts = [];
  if (answer.decision) {
    parts.push("decision: " + answer.decision);
  }
  if (answer.reachable !== undefined) {
    parts.push(answer.reachable ? "reachable" : "not reachable");
  }
  if (answer.cuts) {
    parts.push(answer.cuts.sources + " principals reach the targets");
    parts.push("plan: " + answer.cuts.plan.changes.length + " changes (" + answer.cuts.plan.method + ")");
  }
  parts.push(answer.rows.length + " of " + answer.total + " rows");
  const summary = $("summary");
  summary.replaceChildren();
  const line = document.createElement("p");
  line.textContent = parts.join("; ");
  summary.appendChild(line);
  for (const warning of answer.warnings || []) {
    const item = document.createElement("p");
    item.className = "warning";
    item.textContent = "warning: " + warning;
    summary.appendChild(item);
  }
}

async function run(event) {
  if (event) {
    event.preventDefault();
  }
  const query = $("query").value.trim();
  if (!query) {
    return;
  }
  const compare = $("compare").value;
  // With a snapshot to compare with, the question becomes a diff of the two.
  const reach = query.match(/^who\s+can\s+reach\s+(.+)$/i);
  const asked =
    compare && selectedSnapshot() !== undefined && reach
      ? "diff " + compare + " " + selectedSnapshot() + " who can reach " + reach[1]
      : query;
  const body = { query: asked };
  if (selectedSnapshot() !== undefined) {
    body.snapshot = selectedSnapshot();
  }
  $("error").hidden = true;
  $("detail").hidden = true;
  // The link reproduces the question (never the token).
  $("link").href = "#q=" + encodeURIComponent(query);
  try {
    state.answer = await api("api/query", body);
    learn(state.answer);
    renderSummary(state.answer);
    renderCuts(state.answer);
    renderRows();
    renderGraph();
  } catch (error) {
    state.answer = null;
    renderRows();
    $("cuts").hidden = true;
    $("summary").replaceChildren();
    $("error-text").textContent = error.message;
    $("error").hidden = false;
  }
}

// The choke points and plan of a `what cuts` answer.
function renderCuts(answer) {
  const cuts = answer.cuts;
  $("cuts").hidden = !cuts;
  if (!cuts) {
    return;
  }
  const words = (change) => change.map((fix) => fix.words).join(" and ");
  const points = $("cuts-points");
  points.replaceChildren();
  for (const point of cuts.choke_points) {
    const item = document.createElement("li");
    item.textContent =
      words(point.change) + ": cuts off " + point.disconnects + " of " + cuts.sources +
      ", on " + point.shortest_paths + " shortest paths";
    points.appendChild(item);
  }
  $("cuts-plan-title").textContent =
    "plan (" + cuts.plan.method + "): " + cuts.plan.changes.length + " changes";
  const plan = $("cuts-plan");
  plan.replaceChildren();
  for (const change of cuts.plan.changes.slice(0, 100)) {
    const item = document.createElement("li");
    item.textContent = words(change);
    plan.appendChild(item);
  }
  const check = cuts.plan.check;
  $("cuts-check").textContent = check
    ? check.disconnected
      ? "check: the graph rebuilt with the plan made has no path left from these principals"
      : "check: still reaching: " + check.still_reaching.join(", ")
    : "";
}

// Completion: the language's keywords, and the names and accounts of the answers seen.
const KEYWORDS = [
  "who", "can", "reach", "admin", "in", "account", "ou", "org", "organization", "do", "on",
  "with", "is", "path", "from", "to", "shortest", "all", "what", "cuts", "paths", "keep",
  "check", "show", "diff", "via", "without", "max", "hops", "limit", "external", "definite",
  "only", "at", "snapshot", "people", "read", "write", "list", "tag", "manage", "permissions",
  "of", "assume", "privesc", "member", "permit", "sso", "policy", "statement",
];
const known = new Set();

function learn(answer) {
  for (const [id, node] of Object.entries(answer.nodes || {})) {
    if (node.kind === "user" || node.kind === "role" || node.kind === "group") {
      known.add(node.kind + "/" + node.name);
    }
    known.add(id);
    if (node.account) {
      known.add(node.account);
    }
  }
}

let chosen = 0;

function currentWord() {
  const box = $("query");
  const before = box.value.slice(0, box.selectionStart);
  const start = before.search(/\S*$/);
  return { start, word: before.slice(start) };
}

// Names of the snapshot that begin with a prefix (`user/ev`, `arn:...`), from the server.
async function serverNames(word) {
  if (!/^(user\/|role\/|group\/|arn:)/i.test(word)) {
    return [];
  }
  try {
    const body = { prefix: word };
    if (selectedSnapshot() !== undefined) {
      body.snapshot = selectedSnapshot();
    }
    return (await api("api/complete", body)).names;
  } catch (error) {
    return [];
  }
}

async function suggest() {
  const { word } = currentWord();
  const lower = word.toLowerCase();
  const local = [...KEYWORDS, ...known].filter(
    (candidate) => word && candidate.toLowerCase().startsWith(lower) && candidate !== word,
  );
  showSuggestions(local);
  const names = await serverNames(word);
  // Only if the word is still the one typed.
  if (names.length && currentWord().word === word) {
    showSuggestions([...new Set([...local, ...names])].filter((name) => name !== word));
  }
}

function showSuggestions(candidates) {
  const list = $("suggestions");
  list.replaceChildren();
  chosen = 0;
  const matches = candidates.slice(0, 8);
  for (const match of matches) {
    const item = document.createElement("li");
    item.textContent = match;
    item.addEventListener("mousedown", (event) => {
      event.preventDefault();
      complete(match);
    });
    list.appendChild(item);
  }
  list.hidden = matches.length === 0;
  if (matches.length) {
    list.firstChild.classList.add("chosen");
  }
}

function complete(text) {
  const box = $("query");
  const { start } = currentWord();
  const after = box.value.slice(box.selectionStart);
  box.value = box.value.slice(0, start) + text + " " + after.replace(/^\S*/, "").trimStart();
  const caret = start + text.length + 1;
  box.setSelectionRange(caret, caret);
  $("suggestions").hidden = true;
}

function onKey(event) {
  const list = $("suggestions");
  if (event.key === "Enter" && !event.shiftKey && list.hidden) {
    event.preventDefault();
    run();
    return;
  }
  if (list.hidden) {
    return;
  }
  const items = [...list.children];
  if (event.key === "Tab" || event.key === "Enter") {
    event.preventDefault();
    complete(items[chosen].textContent);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    items[chosen].classList.remove("chosen");
    chosen = (chosen + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items[chosen].classList.add("chosen");
  } else if (event.key === "Escape") {
    list.hidden = true;
  }
}

function selectedSnapshot() {
  const value = $("snapshot").value;
  return value ? Number(value) : undefined;
}

function renderGraph() {
  const note = $("graph-note");
  if (!state.answer || !window.AccessGraphView || $("graph").hidden) {
    return;
  }
  const drawn = window.AccessGraphView.draw(
    $("canvas"),
    state.answer,
    (step) => showDetail(label(step.from) + " -> " + label(step.to), stepLines(step), []),
    (id) => showNode(id),
  );
  note.textContent = drawn.collapsed
    ? drawn.nodes + " accounts (the answer is large: shown by account; the table lists every row)"
    : drawn.nodes + " nodes, " + drawn.edges + " edges; dashed: conditional; red: removed by the plan";
}

function showView(graph) {
  $("graph").hidden = !graph;
  $("answer").hidden = graph;
  $("show-graph").classList.toggle("active", graph);
  $("show-table").classList.toggle("active", !graph);
  renderGraph();
}

function download(name, href) {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

async function loadSnapshots() {
  try {
    const listed = await api("api/snapshots");
    const select = $("snapshot");
    select.replaceChildren();
    const compare = $("compare");
    compare.replaceChildren(compare.options[0]);
    for (const snapshot of listed.snapshots) {
      const text = snapshot.id + (snapshot.label ? " " + snapshot.label : "");
      const option = document.createElement("option");
      option.value = String(snapshot.id);
      option.textContent = text;
      option.selected = snapshot.id === listed.active;
      select.appendChild(option);
      const other = document.createElement("option");
      other.value = String(snapshot.id);
      other.textContent = text;
      compare.appendChild(other);
    }
    await loadNames();
  } catch (error) {
    $("error-text").textContent = error.message;
    $("error").hidden = false;
  }
}

// The accounts and OUs of the chosen snapshot, for completion.
async function loadNames() {
  const id = selectedSnapshot();
  if (id === undefined) {
    return;
  }
  const shown = await api("api/snapshot/" + id);
  for (const account of shown.accounts) {
    known.add(account.id);
  }
  for (const ou of shown.ous) {
    known.add(/^[\w.-]+$/.test(ou.name) ? ou.name : '"' + ou.name + '"');
    known.add(ou.id);
  }
}

function start() {
  $("ask").addEventListener("submit", run);
  $("filter").addEventListener("input", renderRows);
  $("forget").addEventListener("click", () => sessionStorage.removeItem(TOKEN_KEY));
  $("show-table").addEventListener("click", () => showView(false));
  $("show-graph").addEventListener("click", () => showView(true));
  $("export-png").addEventListener("click", () => {
    showView(true);
    const png = window.AccessGraphView && window.AccessGraphView.png();
    if (png) {
      download("accessgraph.png", png);
    }
  });
  $("export-svg").addEventListener("click", () => {
    showView(true);
    const svg = window.AccessGraphView && window.AccessGraphView.svg();
    if (svg) {
      download("accessgraph.svg", URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" })));
    }
  });
  $("snapshot").addEventListener("change", () => {
    loadNames().catch(() => {});
    run();
  });
  $("compare").addEventListener("change", () => run());
  $("query").addEventListener("input", suggest);
  $("query").addEventListener("keydown", onKey);
  $("query").addEventListener("blur", () => {
    $("suggestions").hidden = true;
  });
  for (const th of $("rows").tHead.rows[0].cells) {
    th.addEventListener("click", () => {
      state.sortUp = state.sortKey === th.dataset.key ? !state.sortUp : true;
      state.sortKey = th.dataset.key;
      renderRows();
    });
  }
  // A link carries the query (never the token): #q=...
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("q")) {
    $("query").value = hash.get("q");
  }
  loadSnapshots().then(() => run());
}

document.addEventListener("DOMContentLoaded", start);
