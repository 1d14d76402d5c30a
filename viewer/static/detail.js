// A span's detail: status, a model call as a conversation, request parameters, usage,
// latency, inputs/outputs, attributes, events, links, resource, scope.
import { el, fmtDuration, jsonView, kvTable, section, typeBadge, valueView } from "./util.js";

const A = {
  input: "gen_ai.input.messages",
  output: "gen_ai.output.messages",
  system: "gen_ai.system_instructions",
  tools: "gen_ai.tool.definitions",
  ttfc: "gen_ai.response.time_to_first_chunk",
  model: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  provider: "gen_ai.provider.name",
  finish: "gen_ai.response.finish_reasons",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
};

function asParsed(value) {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch (_) {
    return value;
  }
}

// gen_ai.*.messages in the conventions' parts format: [{role, parts: [...]}, ...].
function asMessages(value) {
  const parsed = asParsed(value);
  if (!Array.isArray(parsed) || !parsed.length) return null;
  const ok = parsed.every((m) => m && typeof m === "object" && Array.isArray(m.parts));
  return ok ? parsed : null;
}

function partView(part) {
  if (!part || typeof part !== "object") return valueView(part);
  switch (part.type) {
    case "text":
      return el("div", { class: "sw-text", text: part.content ?? "" });
    case "reasoning": {
      const box = el("details", { class: "sw-reasoning" },
        el("summary", { text: "reasoning" }), el("div", { class: "sw-text", text: part.content ?? "" }));
      return box;
    }
    case "tool_call":
      return el("div", { class: "sw-toolcall" },
        el("div", { class: "sw-part-head" }, "→ tool call ",
          el("b", { text: part.name ?? "" }), part.id ? el("code", { text: ` ${part.id}` }) : null),
        part.arguments !== undefined ? valueView(part.arguments) : null);
    case "tool_call_response":
      return el("div", { class: "sw-toolresult" },
        el("div", { class: "sw-part-head" }, "← tool result",
          part.id ? el("code", { text: ` ${part.id}` }) : null),
        valueView(part.response));
    case "blob":
    case "file":
    case "uri": {
      const what = [part.modality, part.mime_type, part.uri, part.file_id].filter(Boolean).join(" ");
      return el("div", { class: "sw-text sw-muted", text: `[${part.type}${what ? ": " + what : ""}]` });
    }
    default:
      return jsonView(part);
  }
}

function messageView(message) {
  const role = typeof message.role === "string" ? message.role : "?";
  const known = ["system", "user", "assistant", "tool"].includes(role) ? role : "other";
  const head = el("div", { class: "sw-role" }, role, message.name ? ` (${message.name})` : null,
    message.finish_reason ? el("span", { class: "sw-muted", text: ` · ${message.finish_reason}` }) : null);
  return el("div", { class: `sw-msg sw-msg-${known}` }, head, message.parts.map(partView));
}

function conversation(attrs, span) {
  const input = asMessages(attrs[A.input]) || (isModel(span) ? asMessages(span.inputs) : null);
  const output = asMessages(attrs[A.output]) || (isModel(span) ? asMessages(span.outputs) : null);
  let system = asParsed(attrs[A.system]);
  if (!input && !output && !system) return null;
  const items = [];
  if (Array.isArray(system) && system.length) {
    items.push(messageView({ role: "system", parts: system }));
  } else if (typeof system === "string") {
    items.push(messageView({ role: "system", parts: [{ type: "text", content: system }] }));
  }
  for (const m of input || []) items.push(messageView(m));
  if (output) {
    items.push(el("div", { class: "sw-divider", text: "response" }));
    for (const m of output) items.push(messageView(m));
  }
  return el("div", { class: "sw-conversation" }, items);
}

function isModel(span) {
  return span.span_type === "CHAT_MODEL" || span.span_type === "LLM";
}

function pick(attrs, prefix) {
  return Object.keys(attrs).filter((k) => k.startsWith(prefix)).sort().map((k) => [k.slice(prefix.length), attrs[k]]);
}

function eventView(event) {
  const attrs = event.attributes || {};
  const isError = event.name === "exception";
  const trace = attrs["exception.stacktrace"];
  return el("div", { class: `sw-event${isError ? " sw-event-error" : ""}` },
    el("div", { class: "sw-part-head" }, el("b", { text: event.name }),
      el("span", { class: "sw-muted", text: ` +${fmtDuration((event.time_us ?? 0) / 1000)}` })),
    Object.keys(attrs).length ? kvTable(Object.entries(attrs).filter(([k]) => k !== "exception.stacktrace")) : null,
    trace ? el("pre", { class: "sw-stack", text: String(trace) }) : null);
}

export function spanDetail(span) {
  const attrs = span.attributes || {};
  const duration = span.end_us === null ? null : (span.end_us - span.start_us) / 1000;
  const parts = [];
  parts.push(el("div", { class: "sw-detail-head" }, typeBadge(span.span_type),
    el("span", { class: "sw-detail-name", text: span.name }),
    el("span", { class: "sw-muted", text: ` ${span.span_type} · ${span.kind}` })));
  const facts = [
    ["span id", span.span_id],
    ["parent", span.parent_id || "—"],
    ["status", span.status + (span.status_message ? `: ${span.status_message}` : "")],
    ["start", `+${fmtDuration(span.start_us / 1000)}`],
    ["latency", duration === null ? "in progress" : fmtDuration(duration)],
  ];
  if (typeof attrs[A.ttfc] === "number") facts.push(["time to first token", fmtDuration(attrs[A.ttfc] * 1000)]);
  for (const key of [A.provider, A.model, A.responseModel, A.toolName, A.toolCallId]) {
    if (attrs[key] !== undefined) facts.push([key.replace("gen_ai.", ""), attrs[key]]);
  }
  parts.push(kvTable(facts));
  if (span.status === "ERROR") {
    parts.push(el("div", { class: "sw-error-box", text: `Error${span.status_message ? ": " + span.status_message : ""}` }));
  }
  const chat = conversation(attrs, span);
  if (chat) parts.push(section("Conversation", chat));
  const params = pick(attrs, "gen_ai.request.").filter(([k]) => k !== "model");
  if (params.length) parts.push(section("Request parameters", kvTable(params)));
  const usage = pick(attrs, "gen_ai.usage.");
  if (usage.length) parts.push(section("Usage", kvTable(usage)));
  if (attrs[A.tools] !== undefined) parts.push(section("Tool definitions", valueView(asParsed(attrs[A.tools])), false));
  if (span.inputs !== null && span.inputs !== undefined) parts.push(section("Inputs", valueView(span.inputs), !chat));
  if (span.outputs !== null && span.outputs !== undefined) parts.push(section("Outputs", valueView(span.outputs), !chat));
  const keys = Object.keys(attrs).sort();
  parts.push(section(`Attributes (${keys.length})`, kvTable(keys.map((k) => [k, attrs[k]])), !chat));
  if (span.events && span.events.length) parts.push(section(`Events (${span.events.length})`, el("div", null, span.events.map(eventView))));
  if (span.links && span.links.length) {
    parts.push(section(`Links (${span.links.length})`, el("div", null, span.links.map((l) =>
      kvTable([["trace", l.trace_id], ["span", l.span_id], ...Object.entries(l.attributes || {})])))));
  }
  if (span.resource) parts.push(section("Resource", kvTable(Object.entries(span.resource.attributes || {})), false));
  if (span.scope) parts.push(section("Scope", kvTable([["name", span.scope.name], ["version", span.scope.version || "—"]]), false));
  const dropped = Object.entries(span.dropped || {}).filter(([, n]) => n);
  if (dropped.length) parts.push(el("div", { class: "sw-muted", text: "dropped by the SDK: " + dropped.map(([k, n]) => `${n} ${k}`).join(", ") }));
  return el("div", { class: "sw-detail-body" }, parts);
}
