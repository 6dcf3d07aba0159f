// Extracts template sources + data from huggingface.js packages/jinja test files (e2e.test.js, templates.test.js).
import fs from "node:fs";
const strip = (s) => s.replace(/^import .*$/gm, "").replace(/^describe\([\s\S]*$/m, "");
const e2e = strip(fs.readFileSync("e2e.test.js", "utf8")).replace(/^function [\s\S]*$/m, "");
const e2eObj = new Function(e2e + "\nreturn {TEST_DEFAULT_TEMPLATES, TEST_CUSTOM_TEMPLATES};")();
const tt = strip(fs.readFileSync("templates.test.js", "utf8"));
const ttObj = new Function(tt + "\nreturn {TEST_STRINGS, TEST_CONTEXT, EXPECTED_OUTPUTS};")();
const out = {models: [], unit: []};
for (const [k, v] of Object.entries({...e2eObj.TEST_DEFAULT_TEMPLATES, ...e2eObj.TEST_CUSTOM_TEMPLATES}))
  out.models.push({name: k, source: v.chat_template, data: v.data});
for (const [k, src] of Object.entries(ttObj.TEST_STRINGS))
  if (ttObj.TEST_CONTEXT[k] !== undefined) out.unit.push({name: k, source: src, data: ttObj.TEST_CONTEXT[k]});
fs.writeFileSync("hfjs_tests.json", JSON.stringify(out));
console.log(out.models.length, out.unit.length);
