// The openai npm package's stream helper against a server whose model
// streams tool calls split at awkward token boundaries. Run by
// toolstream_test.go: node tools_stream.mjs BASE_URL.
// Asserts that the helper's final message equals the non-streamed one, then
// prints what it saw as JSON.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(process.env.LLMPIPE_OPENAI_NODE_DIR + "/");
const { OpenAI } = require("openai");
const [baseURL] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "none", maxRetries: 0, timeout: 60000 });
const req = {
  model: "script",
  messages: [{ role: "user", content: "weather?" }],
  max_tokens: 100,
  temperature: 0,
  tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
};

const plain = await client.chat.completions.create(req);
const stream = client.chat.completions.stream(req);
const fragments = [];
const done = [];
let content = "";
stream.on("content.delta", (e) => { content += e.delta; });
stream.on("tool_calls.function.arguments.delta", (e) => fragments.push([e.index, e.arguments_delta]));
stream.on("tool_calls.function.arguments.done", (e) => done.push([e.index, e.name, e.arguments]));
const final = await stream.finalChatCompletion();

const want = plain.choices[0];
const got = final.choices[0];
assert.equal(want.finish_reason, "tool_calls");
assert.equal(got.finish_reason, "tool_calls");
assert.equal(got.message.tool_calls.length, want.message.tool_calls.length);
for (const [i, c] of got.message.tool_calls.entries()) {
  const w = want.message.tool_calls[i];
  assert.equal(c.type, "function");
  assert.ok(c.id.startsWith("call_"));
  assert.equal(c.function.name, w.function.name);
  assert.equal(c.function.arguments, w.function.arguments);
  assert.deepEqual(done[i], [i, w.function.name, w.function.arguments]);
}
assert.equal(content, want.message.content ?? "");
console.log(JSON.stringify({ fragments, calls: got.message.tool_calls.map((c) => c.function), content }));
