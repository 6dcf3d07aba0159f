// Generates hf_renders.json: chat-template renders by transformers.js
// (@huggingface/transformers apply_chat_template), the reference for
// chat/reference_test.go. See PROVENANCE.md for how it was run.
import {AutoTokenizer, env} from "@huggingface/transformers";
import fs from "node:fs";
import path from "node:path";

env.allowRemoteModels = false;
const D = process.argv[2]; // the shared data folder

const weather = {type: "function", function: {name: "get_weather", description: "Get the current weather in a city. Ünïcode & <html> \"quotes\"",
  parameters: {type: "object", properties: {location: {type: "string", description: "City name, e.g. Paris"},
    unit: {type: "string", enum: ["celsius", "fahrenheit"]}, days: {type: "integer", minimum: 1, maximum: 7, default: 1},
    threshold: {type: "number", default: 0.25}}, required: ["location"]}}};
const search = {type: "function", function: {name: "search", description: "Search the web", parameters: {type: "object",
  properties: {query: {type: "string"}}, required: ["query"]}}};

const cases = [
  {name: "qwen3/tools", model: "qwen3", tools: [weather, search], agp: true,
   messages: [{role: "system", content: "You are a weather bot."}, {role: "user", content: "Weather in Paris?"}]},
  {name: "qwen3/tools-no-system", model: "qwen3", tools: [search], agp: true,
   messages: [{role: "user", content: "Find Go jinja engines"}]},
  {name: "qwen3/enable-thinking-false", model: "qwen3", agp: true, extra: {enable_thinking: false},
   messages: [{role: "user", content: "Hi"}]},
  {name: "qwen3/enable-thinking-true", model: "qwen3", agp: true, extra: {enable_thinking: true},
   messages: [{role: "user", content: "Hi"}]},
  {name: "qwen3/tool-call-round-trip", model: "qwen3", tools: [weather], agp: true,
   messages: [{role: "user", content: "Weather in Paris and Tehran?"},
     {role: "assistant", content: "", reasoning_content: "The user wants two cities.\n",
      tool_calls: [{type: "function", function: {name: "get_weather", arguments: {location: "Paris", unit: "celsius"}}},
                   {type: "function", function: {name: "get_weather", arguments: "{\"location\": \"تهران\"}"}}]},
     {role: "tool", content: "{\"temp\": 21.5}"}, {role: "tool", content: "{\"temp\": 30}"}]},
  {name: "qwen3/reasoning-after-last-user", model: "qwen3", agp: false,
   messages: [{role: "user", content: "2+2?"}, {role: "assistant", content: "4", reasoning_content: "Simple sum."}]},
  {name: "qwen3/think-in-content-history", model: "qwen3", agp: true,
   messages: [{role: "user", content: "2+2?"}, {role: "assistant", content: "<think>\nadd them\n</think>\n\n4"},
     {role: "user", content: "3+3?"}]},
  {name: "qwen3/tool-call-with-text", model: "qwen3", agp: false,
   messages: [{role: "user", content: "Search"}, {role: "assistant", content: "Let me search.",
     tool_calls: [{id: "c1", type: "function", function: {name: "search", arguments: {query: "a \"b\" <c>", n: 3, exact: true, tags: null}}}]}]},
  {name: "qwen3/system-mid-conversation", model: "qwen3", agp: true,
   messages: [{role: "user", content: "Hi"}, {role: "system", content: "Be brief."}, {role: "user", content: "Bye"}]},
  {name: "llama3/no-system", model: "llama3", agp: true,
   messages: [{role: "user", content: "  Hello, world!\n\n"}, {role: "assistant", content: "\tHi there.  "}, {role: "user", content: "Ünïcödé 🙂"}]},
  {name: "llama3/no-generation-prompt", model: "llama3", agp: false,
   messages: [{role: "system", content: "sys"}, {role: "user", content: "q"}]},
];

const out = {generatedBy: "chat/testdata/gen_hf_renders.mjs", impl: "@huggingface/transformers@4.3.1 apply_chat_template(tokenize=false)", cases: []};
const toks = {};
for (const c of cases) {
  toks[c.model] ??= await AutoTokenizer.from_pretrained(path.join(D, "tokenizers/hf", c.model), {local_files_only: true});
  const opts = {tokenize: false, add_generation_prompt: c.agp, ...(c.tools ? {tools: c.tools} : {}), ...(c.extra ?? {})};
  const text = toks[c.model].apply_chat_template(c.messages, opts);
  out.cases.push({name: c.name, template_source: `tokenizers/hf/${c.model}/tokenizer_config.json`, messages: c.messages,
    ...(c.tools ? {tools: c.tools} : {}), add_generation_prompt: c.agp, ...(c.extra ? {extra: c.extra} : {}), text});
}
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
