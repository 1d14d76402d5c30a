// DOM helpers shared by the list and the trace view. Span content is attacker-controlled:
// it only ever enters the page as text nodes (textContent), never as HTML.

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "title") node.title = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} m ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

export function fmtTokens(usage) {
  if (!usage) return "—";
  const total = usage.total_tokens ?? (usage.input_tokens || 0) + (usage.output_tokens || 0);
  return String(total);
}

export function tokensTitle(usage) {
  if (!usage) return "";
  return Object.entries(usage).map(([k, v]) => `${k}: ${v}`).join("\n");
}

// The span types the viewer has a colour and a badge for; any other string is "other".
const TYPES = {
  AGENT: "AG", CHAT_MODEL: "LLM", LLM: "LLM", TOOL: "TL", RETRIEVER: "RT",
  EMBEDDING: "EM", RERANKER: "RR", CHAIN: "CH", PARSER: "PA", MEMORY: "ME",
  WORKFLOW: "WF", TASK: "TA", GUARDRAIL: "GR", EVALUATOR: "EV", UNKNOWN: "·",
};

export function typeClass(type) {
  return Object.prototype.hasOwnProperty.call(TYPES, type) ? `sw-t-${type}` : "sw-t-other";
}

export function typeBadge(type) {
  const label = Object.prototype.hasOwnProperty.call(TYPES, type) ? TYPES[type] : "?";
  return el("span", { class: `sw-icon ${typeClass(type)}`, title: String(type), text: label });
}

// JSON as indented, coloured text (text nodes only). Long strings keep their newlines.
export function jsonView(value) {
  const pre = el("pre", { class: "sw-json" });
  let budget = 20000; // nodes; past it the rest is plain text
  const put = (text, cls) => {
    if (cls) pre.append(el("span", { class: cls, text }));
    else pre.append(document.createTextNode(text));
  };
  const walk = (v, indent) => {
    if (budget-- <= 0) {
      put(JSON.stringify(v, null, 2));
      return;
    }
    if (v === null) return put("null", "sw-j-null");
    if (Array.isArray(v)) {
      if (!v.length) return put("[]");
      put("[\n");
      v.forEach((item, i) => {
        put(indent + "  ");
        walk(item, indent + "  ");
        put(i < v.length - 1 ? ",\n" : "\n");
      });
      return put(indent + "]");
    }
    if (typeof v === "object") {
      const keys = Object.keys(v);
      if (!keys.length) return put("{}");
      put("{\n");
      keys.forEach((k, i) => {
        put(indent + "  ");
        put(JSON.stringify(k), "sw-j-key");
        put(": ");
        walk(v[k], indent + "  ");
        put(i < keys.length - 1 ? ",\n" : "\n");
      });
      return put(indent + "}");
    }
    if (typeof v === "string") return put(JSON.stringify(v), "sw-j-str");
    if (typeof v === "number") return put(String(v), "sw-j-num");
    return put(String(v), "sw-j-bool");
  };
  walk(value, "");
  return pre;
}

// A value as readable text: strings as they are, JSON strings parsed, the rest as JSON.
export function valueView(value) {
  if (typeof value === "string") {
    const trimmed = value.trim();
    if ((trimmed.startsWith("{") || trimmed.startsWith("[")) && trimmed.length > 1) {
      try {
        return jsonView(JSON.parse(trimmed));
      } catch (_) {
        /* not JSON: shown as text */
      }
    }
    return el("div", { class: "sw-text", text: value });
  }
  return jsonView(value);
}

export function section(title, content, open = true) {
  const details = el("details", { class: "sw-section" }, el("summary", { text: title }), content);
  details.open = open;
  return details;
}

export function kvTable(entries) {
  const rows = entries.map(([k, v]) =>
    el("tr", null, el("th", { text: k }), el("td", null,
      typeof v === "string" || typeof v === "number" || typeof v === "boolean"
        ? el("span", { class: "sw-text", text: String(v) })
        : jsonView(v))));
  return el("table", { class: "sw-kv" }, el("tbody", null, rows));
}

export async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    // No clipboard (plain http on another host, an old browser): select a textarea.
    const area = el("textarea", { class: "sw-offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  if (button) {
    const before = button.textContent;
    button.textContent = "copied";
    setTimeout(() => { button.textContent = before; }, 1200);
  }
}
