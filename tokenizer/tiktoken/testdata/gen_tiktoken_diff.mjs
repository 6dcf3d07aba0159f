// Differential reference for tokenizer/tiktoken: runs npm tiktoken 1.0.22 (WASM build of
// OpenAI's Rust crate) over seeded generated inputs and prints JSON.
// usage (in a folder holding the peers' node_modules and gen_inputs.mjs):
//   node gen_tiktoken_diff.mjs SEED COUNT [LONG_KB] > out.json   (LONG_KB: add two inputs of that many K UTF-16 units)
// The committed fixture: node gen_tiktoken_diff.mjs 7 250 0 | gzip -9 > tiktoken_diff.json.gz
import {get_encoding} from "tiktoken";
import {gen, long, rng} from "./gen_inputs.mjs";

const seed = Number(process.argv[2] ?? 1), count = Number(process.argv[3] ?? 100), longKB = Number(process.argv[4] ?? 0);
const inputs = gen(seed, count);
for (let i = 0; i < 2 && longKB > 0; i++) inputs.push(long(seed * 1000 + i, longKB * 1024));
// ignoreBOM: keep a leading U+FEFF, as Python's bytes.decode("utf-8", errors="replace") does.
const td = new TextDecoder("utf-8", {ignoreBOM: true});
const out = {tool: "tiktoken@1.0.22 (npm, WASM)", seed, count, longKB, inputs, encodings: {}};
for (const name of ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const specials = name === "cl100k_base" ? ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"]
    : name === "o200k_base" ? ["<|endoftext|>", "<|endofprompt|>"] : ["<|endoftext|>"];
  const specialIds = name === "cl100k_base" ? [100257, 100258, 100259, 100260, 100276] : name === "o200k_base" ? [199999, 200018] : [50256];
  const nRanks = {r50k_base: 50256, p50k_base: 50281, cl100k_base: 100256, o200k_base: 199998}[name];
  const r = rng(seed * 7 + name.length);
  const res = {ordinary: [], all: [], errDefault: [], errEOTAllowed: [], errNoneDisallowed: [], oneAllowed: [], decode: []};
  for (const s of inputs) {
    const ord = Array.from(enc.encode_ordinary(s));
    res.ordinary.push(ord);
    res.all.push(Array.from(enc.encode(s, "all")));
    let e = false; try { enc.encode(s); } catch { e = true; }
    res.errDefault.push(e);
    // allowed = {<|endoftext|>}, disallowed = "all" (every other special).
    e = false; try { enc.encode(s, ["<|endoftext|>"], "all"); } catch { e = true; }
    res.errEOTAllowed.push(e);
    // allowed = {}, disallowed = {} : encode with nothing special.
    const none = Array.from(enc.encode(s, [], []));
    res.errNoneDisallowed.push(JSON.stringify(none) !== JSON.stringify(ord));
    // allowed = {the last special token}, disallowed = {}: the others are text.
    res.oneAllowed.push(Array.from(enc.encode(s, [specials[specials.length - 1]], [])));
    // decode: a random window of the ordinary ids (often splitting a UTF-8 character), and a random id sequence.
    if (ord.length > 0) {
      const a = Math.floor(r() * ord.length), b = Math.min(ord.length, a + 1 + Math.floor(r() * 8));
      const w = ord.slice(a, b);
      res.decode.push({ids: w, text: td.decode(enc.decode(Uint32Array.from(w)))});
    }
    const k = 1 + Math.floor(r() * 6), ids = [];
    for (let j = 0; j < k; j++) {
      const q = r();
      ids.push(q < 0.08 ? specialIds[Math.floor(r() * specialIds.length)] : q < 0.5 ? 128 + Math.floor(r() * 128) /* byte-ish low ranks */ : Math.floor(r() * nRanks));
    }
    let t; try { t = td.decode(enc.decode(Uint32Array.from(ids))); } catch { t = null; }
    if (t !== null) res.decode.push({ids, text: t});
  }
  enc.free();
  out.encodings[name] = res;
}
process.stdout.write(JSON.stringify(out));
