// Generates engine_diff.json: seeded random expression templates over
// tricky values, rendered by @huggingface/jinja (see PROVENANCE.md).
import { Template } from "@huggingface/jinja";

let seed = 20251128;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rnd() * a.length)];

const strings = ["", " ", "a b  c", "  lead", "trail \n", "Hello, World!", "x,y,,z", "ÜNÏCÖDÉ café", "e\u0301", "日本語テキスト",
  "😀👨‍👩‍👧", "<|im_start|>user", "</s>", "line1\nline2\n\nline4", "tab\there", "\u00a0nbsp\u00a0", "It's", "DON’T", "٣٤ عربي", "CRLF\r\nx", "A".repeat(50)];
const vals = {
  s: () => JSON.stringify(pick(strings)),
  n: () => pick(["0", "1", "-3", "7", "2.5", "-0.5", "10", "3.0"]),
  l: () => pick(["[1, 2, 3]", "['b', 'a', 'C']", "[]", "[none, 1]", "['x']", "[[1, 2], [3]]", "[true, false]"]),
  d: () => pick(["{'a': 1, 'b': 'x'}", "{}", "{'k': [1, 2], 'z': none}", "{'B': 2, 'a': 1}"]),
  v: () => pick(["msg", "msg.content", "msg.role", "msg.missing", "items", "cfg", "nothing", "cfg.deep", "items[0]", "items[-1]", "items[5]"]),
};
const any = () => vals[pick(Object.keys(vals))]();
const exprs = [
  () => `${vals.s()} ~ ${any()}`,
  () => `${vals.s()} + ${any()}`,
  () => `${any()} == ${any()}`,
  () => `${any()} != ${any()}`,
  () => `${any()} in ${any()}`,
  () => `${any()} is ${pick(["none", "defined", "undefined", "string", "number", "integer", "mapping", "iterable", "sequence", "true", "false", "boolean", "lower", "upper", "callable", "odd", "even"])}`,
  () => `${any()} | ${pick(["length", "upper", "lower", "title", "capitalize", "trim", "first", "last", "reverse", "sort", "join", "string", "int", "float", "abs", "tojson", "list", "items", "unique", "indent", "safe", "bool", "keys", "values", "dictsort"])}`,
  () => `${any()} | ${pick(["default('dflt')", "default('x', true)", "join(', ')", "tojson(indent=2)", "tojson(sort_keys=true)", "tojson(ensure_ascii=true)", "replace('a', 'A')", "indent(2)", "indent(2, true)", "int(5)", "sort(reverse=true)", "map(attribute='a')", "selectattr('a')", "batch(2)"])}`,
  () => `${vals.s()}.${pick(["strip()", "lstrip()", "rstrip()", "upper()", "split()", "split(',')", "split(' ', 1)", "startswith('a')", "endswith('\\n')", "replace(' ', '_')", "title()", "capitalize()", "length", "splitlines()", "find('a')", "count('a')"])}`,
  () => `${any()}[${pick(["0", "-1", "1:", ":2", "::-1", "1:3", "'a'", "::2"])}]`,
  () => `${vals.n()} ${pick(["+", "-", "*", "/", "//", "%", "**", "<", ">=", "~"])} ${pick([vals.n(), vals.s(), "true", "none"])}`,
  () => `${any()} if ${any()} else ${any()}`,
  () => `not ${any()}`,
  () => `${any()} and ${any()}`,
  () => `${any()} or ${any()}`,
  () => `(${any()}, ${any()})`,
  () => `-${vals.n()} | abs`,
  () => `range(${pick(["3", "0", "1, 4", "5, 0, -2"])}) | list`,
  () => `namespace(a=${any()}).a`,
  () => `${vals.d()}.get('a', 'no')`,
  () => `${vals.d()}.items() | list`,
];
const stmts = [
  () => `{% for x in ${any()} %}[{{ x }}|{{ loop.index }}{{ ',' if not loop.last }}]{% else %}empty{% endfor %}`,
  () => `{% for k, v in ${vals.d()}.items() %}{{ k }}={{ v }};{% endfor %}`,
  () => `{% set a, b = ${pick(["[1, 2]", "'xy'", "(3, 4)", "[1]"])} %}{{ a }}{{ b }}`,
  () => `{% macro m(a, b=${any()}) %}<{{ a }}|{{ b }}>{% endmacro %}{{ m(${any()}) }}{{ m(1, b=2) }}`,
  () => `{% if ${any()} %}T{% elif ${any()} %}E{% else %}F{% endif %}`,
  () => `  {%- if true %}\n  x {{ ${any()} }}  \n  {% endif -%}\n  y`,
  () => `{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}`,
  () => `{%- filter upper %}abc {{ ${any()} }}{% endfilter %}`,
];

const context = {
  msg: { role: "user", content: "Hi there", tool_calls: [{ function: { name: "f", arguments: { a: 1 } } }] },
  items: ["one", "two", "three"],
  cfg: { deep: { er: [1, 2] }, flag: false },
  messages: [{ role: "user", content: "x" }],
};
const cases = [];
for (let i = 0; i < 700; i++) {
  const src = rnd() < 0.75 ? `{{ ${pick(exprs)()} }}` : pick(stmts)();
  let text = null, error = null;
  try {
    text = new Template(src).render(context);
  } catch (e) {
    error = String(e && e.message || e);
  }
  cases.push({ source: src, text, error });
}
process.stdout.write(JSON.stringify({ context, cases }, null, 0));
