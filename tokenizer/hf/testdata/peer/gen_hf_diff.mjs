// gen_hf_diff.mjs: differential reference outputs of the native HF tokenizers
// library (@anush008/tokenizers 0.6.0, Rust tokenizers 0.22.2) for the six
// shared tokenizer.json files and for synthetic variants of them (the base
// file's vocabulary and merges with another pipeline), on seeded generated
// inputs. Our Go test (peer_test.go) rebuilds every variant from the same
// spec (written into the output) and replays the results.
//
// Usage (from a folder where @anush008/tokenizers is installed, see
// shared/peers/README.md):
//   node gen_hf_diff.mjs SHARED_DATA_DIR OUT.jsonl N_INPUTS [SEED] [VARIANT_FILTER]
// Output: JSON lines. {"variant":name,"base":..,"patch":{..}} starts a
// variant; then {"text":..,"ids":[..],"ids_sp":[..],"toks":[..],"toks_sp":[..],
// "offs":[[s,e]..] (UTF-8 byte offsets of the original text),"offs_sp":..,
// "dec":..,"dec_skip":..} per input, and {"decode":[ids],"dec":..,"dec_skip":..}
// for arbitrary id lists.
import fs from "node:fs";
import path from "node:path";
import {Tokenizer} from "@anush008/tokenizers";

const [D, OUT, NIN = "200", SEED = "1", FILTER = ""] = process.argv.slice(2);
const N = Number(NIN);

// ---------- seeded generator ----------
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pieces = [
  "hello", "Hello", "WORLD", "the", "The quick brown fox", "jumps", "don't", "DON'T", "I'm", "we'll", "they're", "you've",
  "it’s", "IT’S", "he'd", "'s", "'S", "café", "cafe\u0301", "naïve", "Ångström", "A\u030angstro\u0308m", "résumé", "ÉTÉ",
  "façade", "œuvre", "Straße", "İstanbul", "ǅemal", "ﬁne", "Ⅻ", "①", "½", "x²", "αβγ", "Ελληνικά", "ΣΊΣΥΦΟΣ", "Привет", "мир",
  "مرحبا", "سلام ۱۲۳ ٤٥٦", "עברית", "नमस्ते", "हिन्दी", "สวัสดี", "中文", "你好世界", "日本語のテキスト", "カタカナ", "한국어",
  "\u1100\u1161\u11a8", "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇺🇸🇫🇷", "1️⃣", "#️⃣", "e\u0301\u0302", "a\u0308\u0331",
  "\u00a0", "\u200b", "\u200d", "\ufeff", "\u2028", "\u2029", "\u0000", "\u0007", "\u001b[0m", "\u007f", "\u0085", "\u00ad",
  "123", "4567890", "3.14159", "1,000,000", "0x1F", "2024-01-01", "12345678901234567890", "٣٤٥", "१२३",
  "!!!", "?!", "...", "—", "–", "«»", "“quoted”", "(parens)", "[brackets]", "{braces}", "<tag>", "a+b=c", "foo_bar", "C++",
  "user@example.com", "https://example.com/path?q=1", "#hashtag", "$100", "50%", "~/.bashrc", "\\n", "`code`",
  "func main() {\n\tfmt.Println(\"hi\")\n}", "def f(x):\n    return x**2\n",
  "<|endoftext|>", "<s>", "</s>", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "<|im_start|>", "<|im_end|>",
  "<|begin_of_text|>", "<unk>", "<pad>", "<mask_1>", "<|eot_id|>", "▁", "▁▁", "Ġ", "Ċ", "##ing", "</w>", "<0x41>",
];
const spaces = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t", "    ", " \u00a0 ", "\u3000", "\r", "\u000b", "\u000c"];

function genText(r, extra) {
  const pick = (a) => a[Math.floor(r() * a.length)];
  const kind = r();
  if (kind < 0.02) return "";
  if (kind < 0.04) return pick(spaces) + pick(spaces);
  if (kind < 0.06) { // very long word
    const w = pick(["a", "ab", "xyz", "é", "中", "😀", "1", "-", "ﬁ", "Ab"]);
    return w.repeat(100 + Math.floor(r() * 500));
  }
  const n = 1 + Math.floor(r() * 12);
  let s = r() < 0.2 ? pick(spaces) : "";
  for (let i = 0; i < n; i++) {
    const q = r();
    if (q < 0.12 && extra.length) s += pick(extra);
    else if (q < 0.2) s += pick(spaces);
    else if (q < 0.25) { // random code points from interesting blocks
      const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x6ff],
        [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x2000, 0x206f], [0x3000, 0x30ff], [0x4e00, 0x4fff],
        [0xac00, 0xad00], [0xff00, 0xffef], [0x1f300, 0x1f6ff], [0x0, 0x1f]];
      const [lo, hi] = pick(blocks);
      const k = 1 + Math.floor(r() * 4);
      for (let j = 0; j < k; j++) s += String.fromCodePoint(lo + Math.floor(r() * (hi - lo + 1)));
    } else s += pick(pieces);
    if (r() < 0.6) s += r() < 0.8 ? " " : pick(spaces);
  }
  if (r() < 0.15) s += pick(spaces);
  return s;
}

// ---------- UTF-8 offsets ----------
function charToByte(text) {
  const m = [0];
  let b = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    m.push(b);
  }
  return m;
}

// ---------- variants ----------
const BL = {type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false};
const withBL = (p) => ({type: "Sequence", pretokenizers: [p, BL]});
const blDec = {type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true};
const re = (s) => ({Regex: s});
const added = (id, content, o = {}) => ({id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true, ...o});

export const variants = [
  {variant: "llama3", base: "llama3", patch: {}},
  {variant: "qwen3", base: "qwen3", patch: {}},
  {variant: "gpt4o", base: "gpt4o", patch: {}},
  {variant: "mistral", base: "mistral7b-v0.1-from-lenml-llama2", patch: {}},
  {variant: "bert", base: "bert-base-uncased", patch: {}},
  {variant: "pegasus", base: "pegasus", patch: {}},
  // RoBERTa style: ByteLevel pre-tokenizer with prefix space + RobertaProcessing, <mask> lstrip.
  {variant: "roberta", base: "llama3", patch: {set: {
    pre_tokenizer: {type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true},
    post_processor: {type: "RobertaProcessing", sep: ["<|end_of_text|>", 128001], cls: ["<|begin_of_text|>", 128000], trim_offsets: true, add_prefix_space: true},
    decoder: blDec, "model.ignore_merges": false},
    addTokens: [added(128256, "<mask>", {lstrip: true})]}},
  // GPT-2 style: ByteLevel (regex, no prefix space), ByteLevel post-processor trimming offsets.
  {variant: "gpt2", base: "gpt4o", patch: {set: {
    pre_tokenizer: {type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true},
    post_processor: {type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true}, decoder: blDec}}},
  // BERT cased with accent stripping, no Chinese handling; added tokens with normalization flags.
  {variant: "bert_cased_strip", base: "bert-base-uncased", patch: {set: {
    normalizer: {type: "BertNormalizer", clean_text: true, handle_chinese_chars: false, strip_accents: true, lowercase: false}},
    addTokens: [added(30522, "hello", {special: false, normalized: true, single_word: true}),
      added(30523, "<sep>", {lstrip: true, rstrip: true}), added(30524, "ÉTÉ", {special: false, normalized: true})]}},
  {variant: "bert_nfd_seq", base: "bert-base-uncased", patch: {set: {
    normalizer: {type: "Sequence", normalizers: [{type: "NFD"}, {type: "Lowercase"}, {type: "StripAccents"}, {type: "Strip", strip_left: true, strip_right: true}]},
    pre_tokenizer: {type: "Sequence", pretokenizers: [{type: "Whitespace"}, {type: "Digits", individual_digits: true}]},
    post_processor: {type: "BertProcessing", sep: ["[SEP]", 102], cls: ["[CLS]", 101]},
    decoder: {type: "WordPiece", prefix: "##", cleanup: false}}}},
  // WordPiece with another prefix.
  {variant: "wordpiece_at", base: "bert-base-uncased", patch: {vocabPrefix: ["##", "@@"], set: {
    "model.continuing_subword_prefix": "@@", "model.max_input_chars_per_word": 20,
    normalizer: {type: "BertNormalizer", clean_text: false, handle_chinese_chars: true, strip_accents: false, lowercase: true},
    pre_tokenizer: {type: "WhitespaceSplit"}, decoder: {type: "WordPiece", prefix: "@@", cleanup: true}}}},
  {variant: "wordlevel", base: "bert-base-uncased", patch: {toWordLevel: true, set: {
    normalizer: {type: "Lowercase"},
    pre_tokenizer: {type: "Sequence", pretokenizers: [{type: "WhitespaceSplit"}, {type: "Punctuation", behavior: "Isolated"}]},
    decoder: null}}},
  // Metaspace first / no split, on the Llama-2 BPE vocabulary.
  {variant: "metaspace_first", base: "mistral7b-v0.1-from-lenml-llama2", patch: {set: {
    normalizer: null, pre_tokenizer: {type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false},
    decoder: {type: "Sequence", decoders: [{type: "ByteFallback"}, {type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: false}]}}}},
  {variant: "metaspace_split", base: "mistral7b-v0.1-from-lenml-llama2", patch: {set: {
    normalizer: {type: "NFKC"}, pre_tokenizer: {type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true},
    "model.fuse_unk": false, "model.byte_fallback": false,
    decoder: {type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true}}}},
  {variant: "metaspace_never_unigram", base: "pegasus", patch: {set: {
    normalizer: {type: "Sequence", normalizers: [{type: "NFKD"}, {type: "Replace", pattern: re(" {2,}"), content: " "}]},
    pre_tokenizer: {type: "Metaspace", replacement: "▁", prepend_scheme: "never", split: true},
    truncation: null, decoder: {type: "Metaspace", replacement: "▁", prepend_scheme: "never", split: true}}}},
  {variant: "unigram_bytes", base: "pegasus", patch: {addBytes: true, set: {"model.byte_fallback": true, truncation: null,
    decoder: {type: "Sequence", decoders: [{type: "ByteFallback"}, {type: "Metaspace", replacement: "▁", add_prefix_space: true}]}}}},
  // Pre-tokenizer zoo on a byte-level vocabulary (any piece is encodable).
  ...["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"].flatMap((b) => [false, true].map((inv) => ({
    variant: `split_${b}_${inv ? "inv" : "fwd"}`, base: "llama3", patch: {set: {
      pre_tokenizer: withBL({type: "Split", pattern: re(inv ? "\\p{L}+" : "\\s+|[0-9]"), behavior: b, invert: inv})}}}))),
  {variant: "split_string", base: "llama3", patch: {set: {pre_tokenizer: withBL({type: "Split", pattern: {String: "a"}, behavior: "MergedWithNext", invert: false})}}},
  {variant: "ws_digits_punct", base: "llama3", patch: {set: {pre_tokenizer: {type: "Sequence", pretokenizers: [
    {type: "Whitespace"}, {type: "Digits", individual_digits: true}, {type: "Punctuation", behavior: "Contiguous"}, BL]}}}},
  {variant: "wssplit_digits_chardelim", base: "llama3", patch: {set: {pre_tokenizer: {type: "Sequence", pretokenizers: [
    {type: "WhitespaceSplit"}, {type: "Digits", individual_digits: false}, {type: "CharDelimiterSplit", delimiter: "e"}, BL]}}}},
  {variant: "bert_pre_bl", base: "llama3", patch: {set: {pre_tokenizer: withBL({type: "BertPreTokenizer"}),
    normalizer: {type: "Sequence", normalizers: [{type: "Strip", strip_left: true, strip_right: false}, {type: "Replace", pattern: {String: "  "}, content: " "}, {type: "Prepend", prepend: "_"}, {type: "NFKC"}]}}}},
  // Normalizers on a byte-level vocabulary, added tokens normalized or not, template pair.
  {variant: "norm_zoo", base: "qwen3", patch: {set: {
    normalizer: {type: "Sequence", normalizers: [{type: "NFKD"}, {type: "StripAccents"}, {type: "Lowercase"}, {type: "Replace", pattern: re("\\d"), content: "#"}]},
    post_processor: {type: "TemplateProcessing",
      single: [{SpecialToken: {id: "<|im_start|>", type_id: 0}}, {Sequence: {id: "A", type_id: 0}}, {SpecialToken: {id: "<|im_end|>", type_id: 0}}],
      pair: [{Sequence: {id: "A", type_id: 0}}, {SpecialToken: {id: "<|im_end|>", type_id: 0}}, {Sequence: {id: "B", type_id: 1}}, {SpecialToken: {id: "<|endoftext|>", type_id: 1}}],
      special_tokens: {"<|im_start|>": {id: "<|im_start|>", ids: [151644], tokens: ["<|im_start|>"]}, "<|im_end|>": {id: "<|im_end|>", ids: [151645], tokens: ["<|im_end|>"]}, "<|endoftext|>": {id: "<|endoftext|>", ids: [151643], tokens: ["<|endoftext|>"]}}}},
    addTokens: [added(151669, "hello", {special: false, normalized: true, single_word: true}), added(151670, "ÉTÉ", {special: false, normalized: true}),
      added(151671, "<sep>", {lstrip: true, rstrip: true}), added(151672, " world", {special: false, normalized: false, rstrip: true})]}},
  {variant: "bytelevel_norm", base: "llama3", patch: {set: {normalizer: {type: "ByteLevel"}, pre_tokenizer: {type: "Split", pattern: re("Ġ"), behavior: "MergedWithNext", invert: false},
    decoder: blDec}}},
];

// ---------- a small BPE trained here (continuing-subword prefix or end-of-word suffix) ----------
function miniBPE({prefix = "", suffix = "", merges: nm = 300, bytes = false}) {
  const words = new Map();
  const text = pieces.join(" ") + " " + "the quick brown fox jumps over the lazy dog and then the dog runs away from the fox again ".repeat(20);
  for (const w of text.toLowerCase().split(/\s+/)) if (w) words.set(w, (words.get(w) || 0) + 1);
  const vocab = new Map([["<unk>", 0]]);
  const add = (t) => { if (!vocab.has(t)) vocab.set(t, vocab.size); };
  const split = new Map();
  for (const w of [...words.keys()].sort()) {
    const cs = [...w];
    const syms = cs.map((c, i) => (i > 0 ? prefix : "") + c + (i === cs.length - 1 ? suffix : ""));
    syms.forEach(add);
    split.set(w, syms);
  }
  const merges = [];
  for (let k = 0; k < nm; k++) {
    const counts = new Map();
    for (const [w, syms] of split) for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i] + "\u0000" + syms[i + 1];
      counts.set(key, (counts.get(key) || 0) + words.get(w));
    }
    let best = null, bc = 0;
    for (const [key, c] of [...counts.entries()].sort()) if (c > bc) { best = key; bc = c; }
    if (!best || bc < 2) break;
    const [a, b] = best.split("\u0000");
    const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
    merges.push(a + " " + b);
    add(merged);
    for (const [w, syms] of split) {
      const out = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) { out.push(merged); i++; } else out.push(syms[i]);
      }
      split.set(w, out);
    }
  }
  if (bytes) for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  return {type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: prefix || null, end_of_word_suffix: suffix || null,
    fuse_unk: false, byte_fallback: bytes, vocab: Object.fromEntries(vocab), merges};
}
const sp = (id, content) => added(id, content);
const sufModel = miniBPE({suffix: "</w>"}), nSuf = Object.keys(sufModel.vocab).length;
variants.push(
  {variant: "bpe_suffix", base: "bert-base-uncased", patch: {set: {
    model: sufModel, added_tokens: [sp(0, "<unk>"), sp(nSuf, "<s>"), sp(nSuf + 1, "</s>")],
    normalizer: {type: "Lowercase"}, pre_tokenizer: {type: "Whitespace"},
    post_processor: {type: "TemplateProcessing", single: [{SpecialToken: {id: "<s>", type_id: 0}}, {Sequence: {id: "A", type_id: 0}}, {SpecialToken: {id: "</s>", type_id: 0}}],
      pair: [{Sequence: {id: "A", type_id: 0}}, {Sequence: {id: "B", type_id: 1}}],
      special_tokens: {"<s>": {id: "<s>", ids: [nSuf], tokens: ["<s>"]}, "</s>": {id: "</s>", ids: [nSuf + 1], tokens: ["</s>"]}}},
    decoder: {type: "BPEDecoder", suffix: "</w>"}}}},
  {variant: "bpe_prefix_fallback", base: "bert-base-uncased", patch: {set: {
    model: {...miniBPE({prefix: "##", bytes: true}), fuse_unk: true}, added_tokens: [sp(0, "<unk>")],
    normalizer: null, pre_tokenizer: {type: "WhitespaceSplit"}, post_processor: null,
    decoder: {type: "Sequence", decoders: [{type: "ByteFallback"}, {type: "WordPiece", prefix: "##", cleanup: false}]}}}},
  {variant: "bpe_unk_fuse", base: "bert-base-uncased", patch: {set: {
    model: {...miniBPE({}), fuse_unk: true}, added_tokens: [sp(0, "<unk>")],
    normalizer: {type: "NFKC"}, pre_tokenizer: {type: "Sequence", pretokenizers: [{type: "WhitespaceSplit"}, {type: "Punctuation", behavior: "Removed"}]},
    post_processor: null, decoder: {type: "Sequence", decoders: [{type: "Strip", content: " ", start: 0, stop: 1}, {type: "Fuse"}]}}}},
  // Llama 3.1 style: ByteLevel post-processor plus a BOS template in a Sequence.
  {variant: "llama31_post", base: "llama3", patch: {set: {post_processor: {type: "Sequence", processors: [
    {type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true},
    {type: "TemplateProcessing", single: [{SpecialToken: {id: "<|begin_of_text|>", type_id: 0}}, {Sequence: {id: "A", type_id: 0}}],
      pair: [{SpecialToken: {id: "<|begin_of_text|>", type_id: 0}}, {Sequence: {id: "A", type_id: 0}}, {SpecialToken: {id: "<|begin_of_text|>", type_id: 1}}, {Sequence: {id: "B", type_id: 1}}],
      special_tokens: {"<|begin_of_text|>": {id: "<|begin_of_text|>", ids: [128000], tokens: ["<|begin_of_text|>"]}}}]}}}},
  {variant: "nmt_fixed", base: "llama3", patch: {set: {normalizer: {type: "Nmt"},
    pre_tokenizer: {type: "Sequence", pretokenizers: [{type: "WhitespaceSplit"}, {type: "FixedLength", length: 3}, BL]}}}},
  {variant: "unicode_scripts", base: "qwen3", patch: {set: {normalizer: {type: "NFKC"},
    pre_tokenizer: {type: "Sequence", pretokenizers: [{type: "UnicodeScripts"}, BL]}}}},
  // Added-token corner cases: flags on normalized tokens, a duplicate content with other flags, content
  // already in the vocabulary, a special token that single_word guards.
  {variant: "added_zoo", base: "bert-base-uncased", patch: {addTokens: [
    added(30522, "[X]", {lstrip: true, rstrip: true, normalized: true}), added(30523, "ab", {single_word: true}),
    added(30524, " c", {special: false}), added(30525, "Hello", {normalized: true, special: false}),
    added(30526, "<mask>", {lstrip: true}), added(30527, "<mask>", {rstrip: true}), added(30528, "naïve", {normalized: true, special: false}),
    added(30529, "\u00a0", {special: false}), added(30530, "..", {special: false, single_word: true})]}},
  {variant: "gpt2_trim_seq", base: "gpt4o", patch: {set: {
    pre_tokenizer: {type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true},
    post_processor: {type: "Sequence", processors: [{type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true}]}, decoder: blDec}}},
);

// ---------- build ----------
const bases = new Map();
function loadBase(name) {
  if (!bases.has(name)) bases.set(name, fs.readFileSync(path.join(D, "tokenizers/hf", name, "tokenizer.json"), "utf8"));
  return JSON.parse(bases.get(name));
}
export function applyPatch(j, p) {
  if (p.vocabPrefix) {
    const [from, to] = p.vocabPrefix;
    const v = {};
    for (const [k, id] of Object.entries(j.model.vocab)) v[k.startsWith(from) ? to + k.slice(from.length) : k] = id;
    j.model.vocab = v;
  }
  if (p.toWordLevel) j.model = {type: "WordLevel", vocab: j.model.vocab, unk_token: j.model.unk_token};
  if (p.addBytes) {
    if (Array.isArray(j.model.vocab)) {
      for (let b = 0; b < 256; b++) j.model.vocab.push([`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0]);
    } else {
      let n = Math.max(...Object.values(j.model.vocab)) + 1;
      for (let b = 0; b < 256; b++) j.model.vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = n++;
    }
  }
  for (const [k, v] of Object.entries(p.set || {})) {
    const ks = k.split(".");
    let o = j;
    for (const x of ks.slice(0, -1)) o = o[x];
    o[ks[ks.length - 1]] = v;
  }
  if (p.addTokens) j.added_tokens = [...j.added_tokens, ...p.addTokens];
  return j;
}

const out = fs.openSync(OUT, "w");
const w = (o) => fs.writeSync(out, JSON.stringify(o) + "\n");
let count = 0;
for (const v of variants) {
  if (FILTER && !new RegExp(FILTER).test(v.variant)) continue;
  const j = applyPatch(loadBase(v.base), v.patch);
  const tok = Tokenizer.fromString(JSON.stringify(j));
  const extra = j.added_tokens.map((a) => a.content).filter((c, i) => i < 12 || c.length < 8);
  w({variant: v.variant, base: v.base, patch: v.patch});
  const r = rng(Number(SEED) * 1000003 + v.variant.length * 7919 + v.variant.charCodeAt(0));
  const vocabSize = tok.getVocabSize(true);
  for (let i = 0; i < N; i++) {
    const text = i === 0 ? "Hello world! It's 2024." : i === 1 && N > 300 ? genText(r, extra).repeat(800).slice(0, 100000) : genText(r, extra);
    const e0 = await tok.encode(text, null, {addSpecialTokens: false});
    const e1 = await tok.encode(text, null, {addSpecialTokens: true});
    const m = charToByte(text);
    const conv = (offs) => offs.map(([a, b]) => [m[a], m[b]]);
    const ids = e0.getIds();
    const rec = {text, ids, ids_sp: e1.getIds(), toks: e0.getTokens(), toks_sp: e1.getTokens(),
      offs: conv(e0.getOffsets()), offs_sp: conv(e1.getOffsets()),
      dec: await tok.decode(ids, false), dec_skip: await tok.decode(e1.getIds(), true)};
    if (i % 10 === 3) { // a pair
      const t2 = genText(r, extra);
      const ep = await tok.encode(text, t2, {addSpecialTokens: true});
      rec.pair = t2; rec.ids_pair = ep.getIds(); rec.types_pair = ep.getTypeIds();
    }
    w(rec);
    count++;
  }
  // Arbitrary id lists: random ids, specials, and cuts of real encodings.
  const nd = Math.max(5, Math.floor(N / 10));
  for (let i = 0; i < nd; i++) {
    let ids;
    if (i % 3 === 0) ids = Array.from({length: 1 + Math.floor(r() * 8)}, () => Math.floor(r() * vocabSize));
    else {
      const e = await tok.encode(genText(r, extra) + "é中😀", null, {addSpecialTokens: true});
      const all = e.getIds();
      const a = Math.floor(r() * all.length), b = a + Math.floor(r() * (all.length - a + 1));
      ids = all.slice(a, b);
      if (i % 3 === 2) ids.push(j.added_tokens[Math.floor(r() * j.added_tokens.length)].id);
    }
    ids = ids.filter((id) => tok.idToToken(id) !== null);
    w({decode: ids, dec: await tok.decode(ids, false), dec_skip: await tok.decode(ids, true)});
  }
}
fs.closeSync(out);
console.error(`wrote ${count} inputs to ${OUT}`);
