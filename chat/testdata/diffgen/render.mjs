// Renders chat templates through @huggingface/jinja's Template (the engine of transformers.js apply_chat_template).
// Usage: node render.mjs INPUT.json > OUT.json ; INPUT = {cases:[{name, source, vars}]}
import {Template} from "@huggingface/jinja";
import fs from "node:fs";
const FIXED = Date.UTC(2025, 6, 10, 12, 0, 0);
const RealDate = Date;
globalThis.Date = class extends RealDate { constructor(...a) { super(...(a.length ? a : [FIXED])); } static now() { return FIXED; } };
const inp = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = [];
for (const c of inp.cases) {
  const r = {...c};
  try {
    const t = new Template(c.source);
    r.text = t.render(JSON.parse(JSON.stringify(c.vars)));
  } catch (e) { r.error = String(e.message ?? e).slice(0, 300); }
  out.push(r);
}
process.stdout.write(JSON.stringify({cases: out}, null, 0) + "\n");
