// The page: the trace list (search, sort, pages, live) and, at #trace=<id>, one trace.
import { renderTrace } from "./trace.js";
import { el, fmtDuration, fmtTime, fmtTokens, tokensTitle } from "./util.js";

const POLL_MS = 2000;
const PAGE_SIZE = 50;
const $ = (id) => document.getElementById(id);

const state = {
  filter: "",
  order: "timestamp_ms DESC",
  tokens: [null], // page tokens of the pages visited: back pages by popping
  lastBody: "",
  timer: null,
};

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const body = await response.text();
  let data = null;
  try {
    data = JSON.parse(body);
  } catch (_) {
    data = { error: body || response.statusText };
  }
  return { ok: response.ok, status: response.status, data, body };
}

function showFilterError(message, position) {
  const box = $("filter-error");
  const input = $("filter");
  if (message === null) {
    box.hidden = true;
    input.classList.remove("invalid");
    input.removeAttribute("aria-invalid");
    return;
  }
  input.classList.add("invalid");
  input.setAttribute("aria-invalid", "true");
  const lines = [el("div", { class: "msg", text: message.split("\n")[0] })];
  if (typeof position === "number") {
    const text = input.value;
    lines.push(el("pre", { class: "caret", text: `${text}\n${" ".repeat(position)}^` }));
    if (document.activeElement === input) input.setSelectionRange(position, Math.min(text.length, position + 1));
  }
  box.replaceChildren(...lines);
  box.hidden = false;
}

// The filter that lists one conversation's traces (a value quoted for the grammar).
function conversationFilter(id) {
  return `conversation.id = '${String(id).replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function showConversation(id) {
  $("filter").value = conversationFilter(id);
  state.filter = $("filter").value;
  state.tokens = [null];
  state.lastBody = "";
  if (location.hash && location.hash !== "#") location.hash = ""; // route() loads the list
  else loadList();
}

function listRow(t) {
  const open = () => { location.hash = `trace=${encodeURIComponent(t.trace_id)}`; };
  const tags = Object.entries(t.tags || {});
  const stateClass = ["OK", "ERROR", "IN_PROGRESS"].includes(t.state) ? t.state : "other";
  const row = el("tr", { class: `trace-row${t.state === "ERROR" ? " error" : ""}`, tabindex: "0" },
    el("td", { class: "name" }, el("a", { href: `#trace=${encodeURIComponent(t.trace_id)}`, text: t.name ?? "(no root span)" }),
      el("div", { class: "id", text: t.trace_id }),
      t.conversation === null || t.conversation === undefined ? null : el("button", {
        class: "sw-link conversation", type: "button", text: `conversation ${t.conversation}`,
        title: "list this conversation's traces", onclick: () => showConversation(t.conversation),
      })),
    el("td", null, el("span", { class: `sw-state sw-state-${stateClass}`, text: t.state })),
    el("td", { class: "num", text: fmtTime(t.request_time) }),
    el("td", { class: "num", text: fmtDuration(t.duration_ms) }),
    el("td", { class: "num", title: tokensTitle(t.token_usage), text: fmtTokens(t.token_usage) }),
    el("td", { class: "tags" }, tags.map(([k, v]) => el("span", { class: "sw-tag", text: `${k}=${v}` }))),
    el("td", { text: t.service ?? "" }));
  row.addEventListener("keydown", (event) => { if (event.key === "Enter") open(); });
  return row;
}

async function loadList({ quiet = false } = {}) {
  const token = state.tokens[state.tokens.length - 1];
  const params = new URLSearchParams({ page_size: String(PAGE_SIZE), order_by: state.order });
  if (state.filter.trim()) params.set("filter", state.filter);
  if (token) params.set("page_token", token);
  const { ok, data, body } = await api(`api/traces?${params}`);
  if (!ok) {
    if (data && "position" in data) showFilterError(data.error, data.position);
    else $("status").textContent = data.error || "error";
    return;
  }
  showFilterError(null);
  if (quiet && body === state.lastBody) return;
  state.lastBody = body;
  const rows = data.traces.map(listRow);
  $("rows").replaceChildren(...rows);
  $("empty").hidden = rows.length > 0;
  const page = state.tokens.length;
  $("page").textContent = `page ${page}`;
  $("newer").disabled = page === 1;
  $("older").disabled = !data.next_page_token;
  $("older").dataset.token = data.next_page_token || "";
  if (data.total !== null && data.total !== undefined) $("status").textContent = `${data.total} traces in the store`;
}

function schedulePoll() {
  clearTimeout(state.timer);
  state.timer = setTimeout(async () => {
    // Live on the first page only: later pages stay put while the user reads them.
    if (!document.hidden && !$("list").hidden && state.tokens.length === 1 && $("live").checked) {
      try {
        await loadList({ quiet: true });
      } catch (_) {
        /* the server is away for a moment: try again next time */
      }
    }
    schedulePoll();
  }, POLL_MS);
}

async function showTrace(traceId) {
  $("list").hidden = true;
  const view = $("trace");
  view.hidden = false;
  view.replaceChildren(el("div", { class: "sw-muted", text: "loading…" }));
  const path = `api/traces/${encodeURIComponent(traceId)}`;
  const { ok, data } = await api(path);
  if (!ok) {
    view.replaceChildren(el("div", { class: "notice", text: data.error || "error" }));
    return;
  }
  const holder = el("div");
  view.replaceChildren(el("a", { class: "back", href: "#", text: "← traces" }), holder);
  renderTrace(holder, data, { downloadUrl: `${path}/json`, onConversation: showConversation });
  document.title = `${data.name ?? data.trace_id} · spanwise`;
}

function route() {
  const match = /^#trace=(.+)$/.exec(location.hash);
  if (match) {
    showTrace(decodeURIComponent(match[1]));
  } else {
    $("trace").hidden = true;
    $("trace").replaceChildren();
    $("list").hidden = false;
    document.title = "spanwise traces";
    loadList();
  }
}

function search() {
  state.filter = $("filter").value;
  state.order = $("order").value;
  state.tokens = [null];
  state.lastBody = "";
  loadList();
}

function init() {
  let typing = null;
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    search();
  });
  $("filter").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(search, 400);
  });
  $("order").addEventListener("change", search);
  $("older").addEventListener("click", () => {
    state.tokens.push($("older").dataset.token);
    loadList();
  });
  $("newer").addEventListener("click", () => {
    if (state.tokens.length > 1) state.tokens.pop();
    loadList();
  });
  window.addEventListener("hashchange", route);
  route();
  schedulePoll();
}

init();
