// Integration test of `llmpipe serve` driven by the official openai npm
// package (installed by .ci/run into $LLMPIPE_OPENAI_NODE_DIR). Run by
// serve_openai_test.go: node serve_openai.mjs BASE_URL MODEL_ID.
// Asserts the protocol with node:assert, then prints one JSON object of what
// the Go test compares with our tokenizer and `llmpipe run`.
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(process.env.LLMPIPE_OPENAI_NODE_DIR + "/");
const { OpenAI, APIError } = require("openai");
const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "test-key", maxRetries: 0, timeout: 60000 });
const out = {};
const messages = [{ role: "user", content: "Tell me a story" }];

// models
const models = await client.models.list();
assert.deepEqual(models.data.map((m) => m.id), [model]);

// chat, non-streaming and streaming (greedy: the same text)
const chat = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0 });
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices.length, 1);
assert.equal(chat.choices[0].message.role, "assistant");
assert.ok(["stop", "length"].includes(chat.choices[0].finish_reason));
out.chat = { text: chat.choices[0].message.content, usage: chat.usage };
const chatStream = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0, stream: true, stream_options: { include_usage: true } });
let streamed = "", finish = null, usage = null;
for await (const chunk of chatStream) {
  assert.equal(chunk.object, "chat.completion.chunk");
  for (const c of chunk.choices) {
    streamed += c.delta.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(streamed, chat.choices[0].message.content);
assert.equal(finish, chat.choices[0].finish_reason);
// the same prompt again: the prefix cache holds all of it but its last id
const { prompt_tokens_details: cachedAgain, ...streamUsage } = usage;
const { prompt_tokens_details: cachedFirst, ...chatUsage } = chat.usage;
assert.deepEqual(streamUsage, chatUsage);
out.cached = [cachedFirst.cached_tokens, cachedAgain.cached_tokens];

// completions, non-streaming and streaming
const prompt = "Once upon a time";
const compl = await client.completions.create({ model, prompt, max_tokens: 40, temperature: 0 });
assert.equal(compl.object, "text_completion");
out.completion = { text: compl.choices[0].text, usage: compl.usage };
const complStream = await client.completions.create({ model, prompt, max_tokens: 40, temperature: 0, stream: true });
let ctext = "";
for await (const chunk of complStream) for (const c of chunk.choices) ctext += c.text;
assert.equal(ctext, compl.choices[0].text);

// n and seed reproducibility
const sampled = () => client.completions.create({ model, prompt, max_tokens: 24, temperature: 1, seed: 1234, n: 3 });
const s1 = await sampled(), s2 = await sampled();
assert.equal(s1.choices.length, 3);
assert.deepEqual(s1.choices.map((c) => c.text), s2.choices.map((c) => c.text));
assert.deepEqual(s1.choices.map((c) => c.index), [0, 1, 2]);
out.seeded = s1.choices[0].text;

// stop strings
const stopped = await client.completions.create({ model, prompt, max_tokens: 60, temperature: 0, stop: ["."] });
assert.ok(!stopped.choices[0].text.includes("."));
assert.equal(stopped.choices[0].finish_reason, "stop");
out.stopped = stopped.choices[0].text;

// logprobs
const lp = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3 });
const content = lp.choices[0].logprobs.content;
assert.equal(content.length, lp.usage.completion_tokens);
assert.equal(content.map((t) => t.token).join(""), lp.choices[0].message.content);
for (const t of content) {
  assert.ok(t.logprob <= 0);
  assert.equal(t.top_logprobs.length, 3);
  assert.ok(t.top_logprobs[0].logprob >= t.logprob - 1e-9);
}

// response_format json_schema: the output parses and validates
const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
const js = await client.chat.completions.create({ model, messages, max_tokens: 80, temperature: 0.7, seed: 5, response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } } });
const obj = JSON.parse(js.choices[0].message.content);
assert.deepEqual(Object.keys(obj).sort(), ["age", "name"]);
assert.equal(typeof obj.name, "string");
assert.ok(Number.isInteger(obj.age));
out.json = js.choices[0].message.content;

// an unsupported field is a 400 naming it
await assert.rejects(client.chat.completions.create({ model, messages, user: "someone" }), (e) => {
  assert.ok(e instanceof APIError);
  assert.equal(e.status, 400);
  assert.equal(e.param, "user");
  return true;
});
// an unknown model is a 404
await assert.rejects(client.chat.completions.create({ model: "gpt-nothing", messages }), (e) => e.status === 404);

// embeddings
const emb = await client.embeddings.create({ model, input: ["Once upon a time", "The dog"] });
assert.equal(emb.data.length, 2);
out.embeddingDims = emb.data[0].embedding.length;
out.embeddingUsage = emb.usage;

console.log(JSON.stringify(out));
