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
    for (const key of ["principal", "kind", "account", "path", "hops"]) {
      tr.appendChild(cell(values[key]));
    }
    tr.addEventListener("click", () => showRow(row));
    body.appendChild(tr);
  }
}

// The evidence of a row's hops, in the words of the JSON answer.
function showRow(row) {
  const lines = [];
  row.path.forEach((step, index) => {
    lines.push(
      index + 1 + ". " + label(step.from) + " -> " + label(step.to) + ": " + step.edge +
        (step.technique ? " " + step.technique : "") + (step.conditional ? " (conditional)" : ""),
    );
    for (const citation of step.evidence) {
      lines.push(
        "   " + citation.effect.toLowerCase() + " by " + citation.policy + ", statement " +
          citation.statement + (citation.sid ? " (Sid " + citation.sid + ")" : ""),
      );
    }
    for (const condition of step.conditions) {
      lines.push(
        "   holds only if " + condition.key + " " + condition.operator + " " +
          JSON.stringify(condition.values),
      );
    }
    for (const requirement of step.requirements || []) {
      lines.push("   requires: " + requirement);
    }
    for (const detail of step.details || []) {
      lines.push("   " + detail);
    }
  });
  const target = nodeInfo(row.target);
  if (target.administrator) {
    lines.push(label(row.target) + " is an administrator: " + target.administrator.reason);
  }
  $("detail-title").textContent = label(row.principal);
  $("detail-text").textContent = lines.join("\n");
  $("detail").hidden = false;
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
  const body = { query };
  const snapshot = $("snapshot").value;
  if (snapshot) {
    body.snapshot = Number(snapshot);
  }
  $("error").hidden = true;
  $("detail").hidden = true;
  try {
    state.answer = await api("api/query", body);
    renderSummary(state.answer);
    renderRows();
  } catch (error) {
    state.answer = null;
    renderRows();
    $("summary").replaceChildren();
    $("error-text").textContent = error.message;
    $("error").hidden = false;
  }
}

async function loadSnapshots() {
  try {
    const listed = await api("api/snapshots");
    const select = $("snapshot");
    select.replaceChildren();
    for (const snapshot of listed.snapshots) {
      const option = document.createElement("option");
      option.value = String(snapshot.id);
      option.textContent = snapshot.id + (snapshot.label ? " " + snapshot.label : "");
      option.selected = snapshot.id === listed.active;
      select.appendChild(option);
    }
  } catch (error) {
    $("error-text").textContent = error.message;
    $("error").hidden = false;
  }
}

function start() {
  $("ask").addEventListener("submit", run);
  $("filter").addEventListener("input", renderRows);
  $("forget").addEventListener("click", () => sessionStorage.removeItem(TOKEN_KEY));
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
