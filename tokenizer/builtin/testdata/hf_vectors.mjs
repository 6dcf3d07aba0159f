// Encodes reference inputs with the built-in tokenizer.json in Hugging Face
// tokenizers (native Rust via @anush008/tokenizers 0.6.0 = tokenizers 0.22.2)
// and writes the ids as JSON: the strings of reference/tokenizer_vectors.json
// (ids, tokens, decode), and for whole corpora the id count and the sha256 of
// the ids joined by ",".
//
// Usage (from a folder where the peers are installed, see
// ../shared/peers/README.md):
//   node hf_vectors.mjs TOKENIZER_JSON SHARED_DATA_DIR OUT_JSON
import { Tokenizer } from "@anush008/tokenizers";
import { readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";

const [tokPath, data, out] = process.argv.slice(2);
const tok = Tokenizer.fromFile(tokPath);
const vectors = JSON.parse(readFileSync(join(data, "reference/tokenizer_vectors.json"), "utf8"));
const result = { tokenizer_sha256: createHash("sha256").update(readFileSync(tokPath)).digest("hex"), strings: [], corpora: {} };
for (const s of vectors.strings) {
  const enc = await tok.encode(s, null, { addSpecialTokens: false });
  const ids = enc.getIds();
  result.strings.push({ ids, tokens: enc.getTokens(), decoded: await tok.decode(ids, false) });
}
for (const name of ["corpora/tinyshakespeare.txt", "corpora/tinystories_sample_2MiB.txt", "corpora/wikitext-2-raw-test.hfrows.crlf.txt"]) {
  const text = readFileSync(join(data, name), "utf8");
  const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
  result.corpora[name] = { count: ids.length, sha256: createHash("sha256").update(ids.join(",")).digest("hex") };
}
writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
