// llmpipe chat page: a client of the OpenAI-compatible API of the server
// that serves it. No framework; the conversation lives in `messages`.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log"), input = $("input"), sendBtn = $("send"), stopBtn = $("stop");
  const messages = []; // {role, content} of the conversation, system prompt excluded
  let model = null;     // from GET v1/models, when the server lists one
  let controller = null; // the AbortController of the request in flight
  let epoch = 0;         // counts "New chat" clicks: a reply from before one is dropped

  // addMessage appends a message bubble to the log and returns its parts.
  function addMessage(role, text) {
    const li = document.createElement("li");
    li.className = "msg " + role;
    const who = document.createElement("div");
    who.className = "role";
    who.textContent = role === "error" ? "error" : role;
    const body = document.createElement("p");
    body.className = "text";
    body.textContent = text;
    li.append(who, body);
    if (role === "error") li.setAttribute("role", "alert");
    log.append(li);
    li.scrollIntoView({ block: "end" });
    return { li, body };
  }

  function showError(message) {
    addMessage("error", message);
  }

  // apiError turns an OpenAI error object (or anything else) into a message.
  function apiError(obj, fallback) {
    const e = obj && obj.error;
    if (e && typeof e === "object" && e.message) return e.type ? `${e.message} (${e.type})` : String(e.message);
    if (typeof e === "string") return e;
    return fallback;
  }

  // numberField reads an optional number input: undefined when empty.
  function numberField(id, integer) {
    const el = $(id), v = el.value.trim();
    if (v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new Error(`${el.labels[0].textContent.trim()}: "${v}" is not ${integer ? "an integer" : "a number"}`);
    return n;
  }

  function requestBody() {
    const body = { messages: [], stream: true, stream_options: { include_usage: true } };
    if (model) body.model = model;
    const system = $("system").value.trim();
    if (system) body.messages.push({ role: "system", content: system });
    body.messages.push(...messages);
    const opts = { temperature: numberField("temperature"), top_p: numberField("top_p"),
      max_tokens: numberField("max_tokens", true), seed: numberField("seed", true) };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) body[k] = v;
    return body;
  }

  // sseEvents yields the data of each server-sent event of a fetch response.
  async function* sseEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      buf = buf.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const data = buf.slice(0, end).split("\n")
          .filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        buf = buf.slice(end + 2);
        if (data !== "") yield data;
      }
      if (done) {
        if (buf.trim() !== "") throw new Error("the stream ended in the middle of an event");
        return;
      }
    }
  }

  function formatStats(tokens, firstAt, lastAt, startAt) {
    const parts = [`${tokens} token${tokens === 1 ? "" : "s"}`];
    const secs = (lastAt - firstAt) / 1000;
    if (tokens > 1 && secs > 0) parts.push(`${((tokens - 1) / secs).toFixed(1)} tok/s`);
    if (firstAt) parts.push(`first token ${((firstAt - startAt) / 1000).toFixed(2)} s`);
    return parts.join(" · ");
  }

  async function send(text) {
    let body;
    try {
      body = requestBody();
    } catch (e) {
      showError(e.message);
      return;
    }
    const turn = epoch;
    body.messages.push({ role: "user", content: text });
    messages.push({ role: "user", content: text });
    const asked = addMessage("user", text);
    const reply = addMessage("assistant", "");
    reply.li.setAttribute("aria-busy", "true");
    const stats = document.createElement("p");
    stats.className = "stats";
    reply.li.append(stats);

    controller = new AbortController();
    sendBtn.disabled = true;
    stopBtn.disabled = false;
    let content = "", chunks = 0, usage = null, firstAt = 0, lastAt = 0, stopped = false, finish = null;
    const startAt = performance.now();
    try {
      const res = await fetch("v1/chat/completions", {
        method: "POST", headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
        body: JSON.stringify(body), signal: controller.signal,
      });
      if (!res.ok) {
        let obj = null;
        try { obj = await res.json(); } catch { /* not JSON */ }
        throw new Error(apiError(obj, `HTTP ${res.status} ${res.statusText}`));
      }
      for await (const data of sseEvents(res)) {
        if (data === "[DONE]") break;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(apiError(chunk, "error"));
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices && chunk.choices[0];
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        const delta = choice && choice.delta;
        if (delta && typeof delta.content === "string" && delta.content !== "") {
          const now = performance.now();
          if (!firstAt) firstAt = now;
          lastAt = now;
          chunks++;
          content += delta.content;
          reply.body.textContent = content;
          stats.textContent = formatStats(chunks, firstAt, lastAt, startAt);
          reply.li.scrollIntoView({ block: "end" });
        }
      }
    } catch (e) {
      if (e.name === "AbortError") stopped = true;
      else showError(e.message);
    } finally {
      controller = null;
      sendBtn.disabled = false;
      stopBtn.disabled = true;
      reply.li.setAttribute("aria-busy", "false");
    }
    if (turn !== epoch) return;
    const tokens = usage && Number.isInteger(usage.completion_tokens) ? usage.completion_tokens : chunks;
    stats.textContent = formatStats(tokens, firstAt, lastAt, startAt) +
      (stopped ? " · stopped" : finish === "length" ? " · cut at max tokens" : "");
    if (content !== "") messages.push({ role: "assistant", content });
    else { // nothing came back: drop the turn and give the text back to retry
      messages.pop();
      asked.li.remove();
      reply.li.remove();
      if (input.value === "") input.value = text;
    }
  }

  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (controller || text.trim() === "") return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      $("composer").requestSubmit();
    }
  });
  stopBtn.addEventListener("click", () => { if (controller) controller.abort(); });
  $("reset").addEventListener("click", () => {
    if (controller) controller.abort();
    epoch++;
    messages.length = 0;
    log.replaceChildren();
    input.focus();
  });

  fetch("v1/models").then((r) => (r.ok ? r.json() : null)).then((j) => {
    if (j && Array.isArray(j.data) && j.data.length > 0 && j.data[0].id) {
      model = j.data[0].id;
      $("model-name").textContent = model;
    }
  }).catch(() => { /* the page works without the model name */ });
  input.focus();
})();
