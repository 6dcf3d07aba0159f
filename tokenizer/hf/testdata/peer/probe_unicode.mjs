// probe_unicode.mjs: which code points the native HF tokenizers library
// (@anush008/tokenizers 0.6.0, tokenizers 0.22.2) treats as punctuation
// (Punctuation pre-tokenizer), control (BertNormalizer clean_text), and what
// StripAccents and BertNormalizer(strip_accents) make of each single
// character. Output (JSON) feeds TestGenUnicodeTables (HF_UNICODE_PROBE).
//   node probe_unicode.mjs > /tmp/unicode_probe.json
import {punctuationPreTokenizer, bertNormalizer, stripAccentsNormalizer} from "@anush008/tokenizers";
const pu = punctuationPreTokenizer("isolated");
const clean = bertNormalizer({cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false});
const strip = stripAccentsNormalizer();
const mn = bertNormalizer({cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false});
const out = {punct: [], other: [], strip: {}, mn: {}};
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const c = String.fromCodePoint(cp);
  const s = "a" + c + "a";
  if (pu.preTokenizeString(s).length === 3) out.punct.push(cp);
  if (clean.normalizeString(s) === "aa") out.other.push(cp);
  const a = strip.normalizeString(c);
  if (a !== c) out.strip[cp] = a;
  const b = mn.normalizeString(c);
  if (b !== c) out.mn[cp] = b;
}
console.log(JSON.stringify(out));
