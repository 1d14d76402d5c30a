// A trace: its header (id, state, tags, metadata), the span tree with a timeline beside
// it, and the selected span's detail. Used by the page and by the notebook view.
import { spanDetail } from "./detail.js";
import { copyText, el, fmtDuration, fmtTime, fmtTokens, kvTable, section, tokensTitle, typeBadge, typeClass } from "./util.js";

const ROW = 24; // px, every span row

function buildTree(spans) {
  for (const s of spans) {
    // The server sends a value that is also an attribute once (see _present.py).
    if (s.inputs_from) s.inputs = s.attributes[s.inputs_from];
    if (s.outputs_from) s.outputs = s.attributes[s.outputs_from];
  }
  const byId = new Map(spans.map((s) => [s.span_id, { span: s, children: [], depth: 0 }]));
  const roots = [];
  for (const node of byId.values()) {
    const parent = node.span.parent_id && byId.get(node.span.parent_id);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  // Depth-first, children in start order (spans arrive sorted by start); a cycle in
  // hostile data cannot loop: each node is visited once.
  const order = [];
  const seen = new Set();
  const stack = roots.slice().reverse().map((n) => [n, 0]);
  while (stack.length) {
    const [node, depth] = stack.pop();
    if (seen.has(node)) continue;
    seen.add(node);
    node.depth = depth;
    order.push(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i], depth + 1]);
  }
  return order;
}

function ticks(total) {
  if (!(total > 0)) return [0];
  let unit = Math.pow(10, Math.floor(Math.log10(total / 8)));
  for (const m of [1, 2, 5, 10]) {
    if (total / (unit * m) <= 8) {
      unit *= m;
      break;
    }
  }
  const out = [];
  for (let t = 0; t <= total + 1e-9 && out.length < 12; t += unit) out.push(t);
  return out;
}

// The conversation (session) the trace is a turn of; a button that lists the
// conversation's traces where the page offers that (not in a notebook).
function conversation(id, onConversation) {
  if (id === null || id === undefined) return null;
  if (!onConversation) return el("span", { class: "sw-conv-id", text: `conversation ${id}` });
  return el("span", { class: "sw-conv-id" }, "conversation ",
    el("button", {
      class: "sw-link", type: "button", text: id, title: "list this conversation's traces",
      onclick: () => onConversation(id),
    }));
}

function header(data, options) {
  const idButton = el("button", { class: "sw-btn", type: "button", title: "copy the trace id", text: "copy id" });
  idButton.addEventListener("click", () => copyText(data.trace_id, idButton));
  const download = options.downloadUrl
    ? el("a", { class: "sw-btn", href: options.downloadUrl, download: `${data.trace_id}.json`, text: "download JSON" })
    : null;
  const tags = Object.entries(data.tags || {});
  const metadata = Object.entries(data.metadata || {});
  return el("div", { class: "sw-head" },
    el("div", { class: "sw-title" },
      el("span", { class: `sw-state sw-state-${["OK", "ERROR", "IN_PROGRESS"].includes(data.state) ? data.state : "other"}`, text: data.state }),
      el("span", { class: "sw-trace-name", text: data.name ?? "(no root span)" }),
      el("code", { class: "sw-trace-id", text: data.trace_id }), idButton, download),
    el("div", { class: "sw-facts" },
      el("span", { text: `started ${fmtTime(data.request_time)}` }),
      el("span", { text: `duration ${fmtDuration(data.duration_ms)}` }),
      el("span", { title: tokensTitle(data.token_usage), text: `tokens ${fmtTokens(data.token_usage)}` }),
      el("span", { text: `${data.spans.length} spans` }),
      data.service ? el("span", { text: `service ${data.service}` }) : null,
      conversation(data.conversation, options.onConversation)),
    tags.length ? el("div", { class: "sw-tags" }, tags.map(([k, v]) => el("span", { class: "sw-tag", text: `${k}=${v}` }))) : null,
    metadata.length ? section(`Metadata (${metadata.length})`, kvTable(metadata), false) : null);
}

export function renderTrace(container, data, options = {}) {
  const order = buildTree(data.spans || []);
  const end = order.reduce((m, n) => Math.max(m, n.span.end_us ?? n.span.start_us), 1);
  const rows = el("div", { class: "sw-rows" });
  const detail = el("div", { class: "sw-detail" }, el("div", { class: "sw-muted", text: "Select a span." }));
  const scroller = el("div", { class: "sw-spans", role: "tree" });
  const rowOf = new Map(); // rows are built when first scrolled into view
  let selected = null;
  let visible = order;

  // Only the rows in view (and a margin) are in the document: a trace of thousands of
  // spans costs what a screenful costs to lay out.
  const paint = () => {
    const top = scroller.scrollTop;
    const height = scroller.clientHeight || 800;
    const first = Math.max(0, Math.floor(top / ROW) - 30);
    const last = Math.min(visible.length, Math.ceil((top + height) / ROW) + 30);
    const shown = [];
    for (let i = first; i < last; i++) {
      const rowEl = rowFor(visible[i]);
      rowEl.style.top = `${i * ROW}px`;
      shown.push(rowEl);
    }
    rows.replaceChildren(...shown);
  };
  const relayout = () => {
    visible = [];
    let skipBelow = Infinity; // descendants of a collapsed span are hidden
    for (const node of order) {
      if (node.depth > skipBelow) continue;
      skipBelow = node.collapsed ? node.depth : Infinity;
      visible.push(node);
    }
    rows.style.height = `${visible.length * ROW}px`;
    paint();
  };
  const select = (node) => {
    if (selected) rowFor(selected).classList.remove("sw-selected");
    selected = node;
    rowFor(node).classList.add("sw-selected");
    detail.replaceChildren(spanDetail(node.span));
    if (options.onSelect) options.onSelect(node.span);
  };
  const rowFor = (node) => {
    const cached = rowOf.get(node);
    if (cached) return cached;
    const s = node.span;
    const isError = s.status === "ERROR";
    const stop = s.end_us ?? end;
    const toggle = el("span", { class: "sw-toggle", text: node.children.length ? (node.collapsed ? "▸" : "▾") : "" });
    const bar = el("div", { class: `sw-bar ${typeClass(s.span_type)}${isError ? " sw-bar-error" : ""}` });
    bar.style.left = `${(100 * s.start_us) / end}%`;
    bar.style.width = `${Math.max(0.2, (100 * (stop - s.start_us)) / end)}%`;
    const label = el("div", { class: "sw-label", title: s.name }, toggle, typeBadge(s.span_type),
      el("span", { class: "sw-name", text: s.name }),
      isError ? el("span", { class: "sw-err-mark", title: s.status_message || "error", text: "!" }) : null);
    label.style.paddingLeft = `${4 + node.depth * 14}px`;
    const lane = el("div", { class: "sw-lane" }, el("div", { class: "sw-track" }, bar),
      el("span", { class: "sw-dur", text: s.end_us === null ? "open" : fmtDuration((s.end_us - s.start_us) / 1000) }));
    const rowEl = el("div", { class: `sw-row${isError ? " sw-row-error" : ""}`, role: "treeitem" }, label, lane);
    rowEl.dataset.spanId = s.span_id;
    rowEl.addEventListener("click", () => select(node));
    toggle.addEventListener("click", (event) => {
      if (!node.children.length) return;
      event.stopPropagation();
      node.collapsed = !node.collapsed;
      toggle.textContent = node.collapsed ? "▸" : "▾";
      relayout();
    });
    rowOf.set(node, rowEl);
    return rowEl;
  };
  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      paint();
    });
  });
  const axis = el("div", { class: "sw-row sw-axis" }, el("div", { class: "sw-label", text: "span" }),
    el("div", { class: "sw-lane" }, el("div", { class: "sw-track" }, ticks(end / 1000).map((t) => {
      const mark = el("span", { class: "sw-tick", text: t ? fmtDuration(t) : "0" });
      mark.style.left = `${(100 * t * 1000) / end}%`;
      return mark;
    }))));
  const view = el("div", { class: "sw-trace" }, header(data, options),
    el("div", { class: "sw-body" }, scroller, detail));
  scroller.append(axis, rows);
  container.replaceChildren(view);
  relayout();
  const first = order.find((n) => n.span.status === "ERROR") || order[0];
  if (first && options.selectFirst !== false) {
    select(first);
    scroller.scrollTop = Math.max(0, visible.indexOf(first) * ROW - 2 * ROW);
  }
  return {
    select(spanId) {
      const node = order.find((n) => n.span.span_id === spanId);
      if (node) select(node);
    },
  };
}
