// Differential reference for tokenizer/spm: real SentencePiece (C++ compiled to wasm,
// @agnai/sentencepiece-js 1.1.1) on Llama 2's tokenizer.model over seeded generated inputs.
// usage (in a folder holding the peers' node_modules and gen_inputs.mjs from tokenizer/tiktoken/testdata):
//   node gen_spm_diff.mjs MODEL SEED COUNT [LONG_KB] > out.json
// The committed fixture: node gen_spm_diff.mjs $D/tokenizers/llama2-sentencepiece/tokenizer.model 11 600 10 | gzip -9 > spm_diff.json.gz
import {createRequire} from "node:module";
import {gen, long, rng} from "./gen_inputs.mjs";
const {SentencePieceProcessor} = createRequire(import.meta.url)("@agnai/sentencepiece-js");

const model = process.argv[2], seed = Number(process.argv[3] ?? 1), count = Number(process.argv[4] ?? 100), longKB = Number(process.argv[5] ?? 0);
const spp = new SentencePieceProcessor();
await spp.load(model);
const inputs = gen(seed, count);
for (let i = 0; i < 2 && longKB > 0; i++) inputs.push(long(seed * 1000 + i, longKB * 1024));
const out = {tool: "@agnai/sentencepiece-js@1.1.1 (SentencePiece C++ as wasm)", seed, count, longKB, inputs, ids: [], pieces: [], decoded: [], decode: []};
const r = rng(seed * 13 + 5);
const VOCAB = 32000;
// Byte sequences that are not (or not only) valid UTF-8.
const BAD = [[0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xED, 0xA0, 0x80],
  [0xED, 0xBF, 0xBF], [0xEF, 0xBF, 0xBE], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x9F, 0x98], [0xF4, 0x90, 0x80, 0x80],
  [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
  [0x00], [0x20], [0x0A], [0x41, 0x80, 0x42], [0xF0, 0x9F, 0x98, 0x80], [0xE4, 0xB8, 0xAD], [0xC3, 0xA9, 0xA9]];
const byteID = b => b + 3;
for (const s of inputs) {
  const ids = spp.encodeIds(s);
  out.ids.push(ids);
  out.pieces.push(spp.encodePieces(s));
  out.decoded.push(spp.decodeIds(ids));
  // decode of a window of the ids, and of a random sequence mixing <unk>, <s>, </s>, byte pieces and pieces.
  if (ids.length > 0) {
    const a = Math.floor(r() * ids.length), b = Math.min(ids.length, a + 1 + Math.floor(r() * 8));
    const w = ids.slice(a, b);
    out.decode.push({ids: w, text: spp.decodeIds(w)});
  }
  const k = 1 + Math.floor(r() * 6), seq = [];
  for (let j = 0; j < k; j++) {
    const q = r();
    if (q < 0.12) seq.push(Math.floor(r() * 3));
    else if (q < 0.5) for (const b of BAD[Math.floor(r() * BAD.length)]) seq.push(byteID(b));
    else if (q < 0.6) seq.push(byteID(Math.floor(r() * 256)));
    else seq.push(3 + 256 + Math.floor(r() * (VOCAB - 259)));
  }
  out.decode.push({ids: seq, text: spp.decodeIds(seq)});
}
process.stdout.write(JSON.stringify(out));
