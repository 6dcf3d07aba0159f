// Builds the differential cases: every model template x every scenario, plus the engine unit cases.
import fs from "node:fs";
const hf = JSON.parse(fs.readFileSync("hfjs_tests.json", "utf8"));
const extra = fs.existsSync("templates_extra.json") ? JSON.parse(fs.readFileSync("templates_extra.json", "utf8")) : [];
const weather = {type: "function", function: {name: "get_weather", description: "Get the weather. Ünïcode & <html> \"q\"",
  parameters: {type: "object", properties: {location: {type: "string", description: "City, e.g. Paris"},
    unit: {type: "string", enum: ["celsius", "fahrenheit"]}, days: {type: "integer", minimum: 1, maximum: 7},
    threshold: {type: "number", default: 0.25}}, required: ["location"]}}};
const search = {type: "function", function: {name: "search", description: "Search the web", parameters: {type: "object",
  properties: {query: {type: "string"}}, required: ["query"]}}};
const tricky = "  Ünïcödé café naïve 🙂👨‍👩‍👧 <|im_start|> </s> [INST] {{ x }} {% if %}\n\r\n\ttab 1.0 3.14 'q' \"dq\" \\ end  ";
const S = {
  basic: {messages: [{role: "user", content: "Hello, how are you?"}, {role: "assistant", content: "I'm doing great."}, {role: "user", content: "Tell me a joke."}], add_generation_prompt: true},
  system_noagp: {messages: [{role: "system", content: "You are a pirate."}, {role: "user", content: "Hi"}, {role: "assistant", content: "Arr!"}], add_generation_prompt: false},
  system_user: {messages: [{role: "system", content: "Be brief."}, {role: "user", content: "What is 2+2?"}], add_generation_prompt: true},
  single_user: {messages: [{role: "user", content: "Hi"}], add_generation_prompt: false},
  tricky: {messages: [{role: "system", content: tricky}, {role: "user", content: tricky}, {role: "assistant", content: " " + tricky}, {role: "user", content: "\n"}], add_generation_prompt: true},
  parts: {messages: [{role: "user", content: [{type: "text", text: "Describe "}, {type: "image"}, {type: "text", text: "this."}]}], add_generation_prompt: true},
  not_alternating: {messages: [{role: "user", content: "a"}, {role: "user", content: "b"}], add_generation_prompt: true},
  assistant_first: {messages: [{role: "assistant", content: "I start."}, {role: "user", content: "ok"}], add_generation_prompt: true},
  empty: {messages: [], add_generation_prompt: true},
  tools: {messages: [{role: "system", content: "You can call tools."}, {role: "user", content: "Weather in Paris?"}], tools: [weather, search], add_generation_prompt: true},
  tools_nosys: {messages: [{role: "user", content: "Weather in Paris?"}], tools: [weather], add_generation_prompt: true},
  tool_round_trip: {messages: [{role: "user", content: "Weather in Paris?"},
    {role: "assistant", content: "", tool_calls: [{id: "call_1abcdefg", type: "function", function: {name: "get_weather", arguments: {location: "Paris", unit: "celsius", days: 2, threshold: 0.5}}}]},
    {role: "tool", tool_call_id: "call_1abcdefg", name: "get_weather", content: "{\"temp\": 21.5}"},
    {role: "assistant", content: "It is 21.5 degrees."}, {role: "user", content: "Thanks"}], tools: [weather], add_generation_prompt: true},
  tool_call_string_args: {messages: [{role: "user", content: "Search"},
    {role: "assistant", content: null, tool_calls: [{id: "call_2abcdefg", type: "function", function: {name: "search", arguments: "{\"query\": \"go jinja\"}"}}]},
    {role: "tool", tool_call_id: "call_2abcdefg", name: "search", content: "result"}], tools: [search], add_generation_prompt: true},
  reasoning: {messages: [{role: "user", content: "2+2?"}, {role: "assistant", content: "<think>\nadd\n</think>\n\n4", reasoning_content: "Simple."}, {role: "user", content: "3+3?"}], add_generation_prompt: true, enable_thinking: false},
  thinking_on: {messages: [{role: "user", content: "Hi"}], add_generation_prompt: true, enable_thinking: true},
  date_string: {messages: [{role: "user", content: "What day is it?"}], add_generation_prompt: true, date_string: "26 Jul 2024", tools: [search]},
  custom_tokens: {messages: [{role: "user", content: "x"}, {role: "assistant", content: "y"}], add_generation_prompt: false, bos_token: "<BOS>", eos_token: "<EOS>"},
};
const cases = [];
const models = [...hf.models.map((m) => ({...m, prov: "hfjs-e2e"})), ...extra];
for (const m of models) {
  const base = {tools: null, documents: null, bos_token: "<s>", eos_token: "</s>"};
  if (m.data) cases.push({name: `model/${m.name}/own`, source: m.source, vars: m.data});
  for (const [sn, sv] of Object.entries(S))
    cases.push({name: `model/${m.name}/${sn}`, source: m.source, vars: {...base, ...(m.vars ?? {}), ...sv}});
}
for (const u of hf.unit) cases.push({name: `unit/${u.name}`, source: u.source, vars: u.data});
fs.writeFileSync(process.argv[2] ?? "cases.json", JSON.stringify({cases}));
console.error(cases.length, "cases");
