// gen_llamacpp_diff.mjs: reference outputs of llama.cpp's tokenizer (through
// node-llama-cpp 3.21.1, vocabOnly) for differential tests of
// tokenizer/llamavocab. Run it from a folder where node-llama-cpp is
// installed (see ../../../../shared/peers/README.md):
//
//   node gen_llamacpp_diff.mjs OUT.jsonl SEED NSTRINGS NAME=FILE.gguf[:flags] ...
//
// NAME is how the Go test finds the file again ("shared:<path under the
// shared data>" or "built:<name>" for the GGUFs hfgguf_test.go builds). Flags
// (comma-separated): "enconly" = tokenize only (pre-tokenizer variants),
// "pieces" = also detokenize every id on its own, "attrs" = token
// attributes of every id (run-length encoded). With STRINGS=file.json the
// strings are that JSON array instead of the generated ones.
//
// For every string: model.tokenize(s, false) and model.tokenize(s, true)
// (llama_tokenize with add_special=false and parse_special=false/true), and
// model.detokenize(ids, false/true) of both results (llama_detokenize with
// remove_special=false, unparse_special=false/true). Also arbitrary id lists
// (byte tokens that cut characters, control tokens, random ids).
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [outPath, seedArg, nArg, ...modelArgs] = process.argv.slice(2);
const SEED = Number(seedArg ?? 1), N = Number(nArg ?? 1000);

// mulberry32
let st = SEED >>> 0;
function rnd() {
    st = (st + 0x6D2B79F5) >>> 0;
    let t = st;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const ri = (n) => Math.floor(rnd() * n);
const pick = (a) => a[ri(a.length)];

const words = ["the", "Hello", "world", "WORLD", "don", "Llama", "tokenizer", "a", "I", "is", "quick", "brown",
    "fox", "camelCase", "snake_case", "HTTPServer", "x", "func", "main", "return", "iPhone", "ABC", "naïve", "Zürich"];
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D",
    "’s", "’t", "’re", "’LL", "n't", "N'T", "'", "’", "''", "'x"];
const spaces = [" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\n ", "\t\t", " \t ", "\r", "\n\n\n", "\u00a0",
    "\u2028", "\u2029", "\u3000", "\u200b", "\v", "\f", " \r\n ", "    "];
const puncts = ["!", "?", ".", ",", "...", "!!!", "?!", ";", ":", "-", "--", "—", "(", ")", "[", "]", "{", "}", "<", ">",
    "/", "\\", "|", "@", "#", "$", "%", "^", "&", "*", "+", "=", "~", "`", "\"", "«", "»", "“", "”", "¿", "¡", "…",
    "。", "，", "、", "！", "？", "·", "§", "¶", "©", "®", "™", "°", "±", "×", "÷", "€", "£", "¥", "₹", "::", "->", "=>",
    "<=", "!=", "&&", "||", "/*", "*/", "//", "#!", "</", "/>", "_", "__init__"];
const scripts = ["café", "cafe\u0301", "Ångström", "A\u030angstro\u0308m", "über", "u\u0308ber", "ÀÉÎÕÜßÿ", "ĀăĿŀŉƒǅǆ",
    "ΑΒΓαβγ Ελληνικά", "ΣΊΣΥΦΟΣ", "Привет мир", "ЁЖЗ", "مرحبا بالعالم", "سلام ۱۲۳ ٤٥٦", "العربية١٢٣", "שלום עולם",
    "नमस्ते दुनिया", "हिन्दी", "สวัสดีครับ", "ภาษาไทย", "你好世界", "中文字符测试", "日本語のテキスト", "カタカナ", "ひらがな",
    "한국어", "안녕하세요", "\u1100\u1161\u11a8", "\u1112\u1161\u11ab", "ㄱㄴㄷ", "ﬁ ﬂ", "Ⅻ", "①②", "𝔘𝔫𝔦", "𝟘𝟙𝟚",
    "ǅungla", "İstanbul", "ı", "ẞ", "ß", "ŉ", "ﬀ", "Ωmega", "µ", "ªº", "¹²³", "½", "ᵃᵇ", "ℌ", "ǈ", "Ǳ"];
const emoji = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸", "🇯🇵🇫🇷", "1️⃣", "#️⃣", "❤️", "🤷‍♂️", "👩🏿‍💻", "✨", "🙂🙃", "⚠", "☃", "🫠"];
const marks = ["\u0301", "\u0308", "\u0327", "\u20dd", "\u200d", "\u200c", "\ufeff", "\ufe0f", "\u00ad", "\u034f",
    "\u0000", "\u0001", "\u001b", "\u007f", "\u0085", "\u009f", "\u2060", "\ufffd", "\u202e", "\ue000"];
const specials = ["<|endoftext|>", "<s>", "</s>", "<unk>", "<pad>", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]",
    "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>",
    "<|end_header_id|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<tool_call>", "</tool_call>", "<think>",
    "</think>", "<|padding|>", "<|user|>", "<|assistant|>", "<|end|>", "<|reserved_special_token_5|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>", "<｜begin▁of▁sentence｜>", "<|im_start", "im_end|>", "<", "<|", "|>", "<s", "s>",
    "<0x41>", "<0x0A>", "▁", "▁▁", "Ġ", "Ċ", "ĠĠ"];
const numbers = () => {
    const k = ri(6);
    if (k === 0) return String(ri(10));
    if (k === 1) return String(ri(100000));
    if (k === 2) return Array.from({length: 5 + ri(40)}, () => ri(10)).join("");
    if (k === 3) return (rnd() * 1e6).toFixed(ri(5));
    if (k === 4) return ri(1000).toLocaleString("en-US") + "," + String(ri(1000)).padStart(3, "0");
    return "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹".slice(ri(10), 10 + ri(10));
};
const caseMix = (w) => {
    const k = ri(4);
    if (k === 0) return w.toUpperCase();
    if (k === 1) return w[0].toUpperCase() + w.slice(1);
    return w;
};
const asciiWord = () => {
    const n = 1 + ri(10), a = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let s = "";
    for (let i = 0; i < n; i++) s += a[ri(rnd() < 0.8 ? 26 : 52)];
    return s;
};
const control = () => String.fromCharCode(pick([0, 1, 2, 7, 8, 9, 10, 11, 12, 13, 27, 31, 127]));

function piece() {
    const k = ri(15);
    switch (k) {
        case 0: case 1: return caseMix(pick(words));
        case 2: return asciiWord();
        case 3: return pick(spaces);
        case 4: return numbers();
        case 5: return pick(puncts) + (rnd() < 0.3 ? pick(puncts) : "");
        case 6: return pick(words) + pick(contractions);
        case 7: case 8: return pick(scripts);
        case 9: return pick(emoji);
        case 10: return pick(marks) + (rnd() < 0.5 ? pick(words) : "");
        case 11: return pick(specials);
        case 12: { const w = pick(words); const i = ri(w.length + 1); return w.slice(0, i) + pick(specials) + w.slice(i); }
        case 13: return control();
        default: return " " + pick(words);
    }
}

function genString(i) {
    const fixed = ["", " ", "  ", "\n", "\t", "\r\n", " a", "a ", " Hello", "Hello World", " \n ", "   leading",
        "trailing   ", "<s>", " <s>", "<s> ", "</s>", "<|endoftext|>", "a<|endoftext|>b", "<|im_start|>user\nhi<|im_end|>",
        "<s><s>", "[CLS] x [SEP]", "\u00a0", "\u200b", "\ufeff", "\ufeffHello", "\u2028", "'s", " 's", "DON'T", "don’t",
        "1234567890123", "3.14159", "🇺🇸🇯🇵", "👨‍👩‍👧‍👦", "e\u0301", "\u0301", "한국어", "\u1100\u1161", "\u0000",
        "<0x41>", "▁", "▁hello", "Ġhello"];
    if (i < fixed.length) return fixed[i];
    const r = rnd();
    if (r < 0.01) {
        // very long word
        const unit = pick(["a", "ab", "xyz", "é", "中", "😀", "9", "!", "Ъ", "ก"]);
        return (rnd() < 0.5 ? " " : "") + unit.repeat(500 + ri(700));
    }
    if (r < 0.015) {
        // long runs of whitespace
        return pick(["x", ""]) + pick([" ", "\n", "\t", "\r\n", " \n"]).repeat(100 + ri(600)) + pick(["x", ""]);
    }
    const n = 1 + ri(12);
    let s = "";
    for (let j = 0; j < n; j++) {
        s += piece();
        if (rnd() < 0.5) s += pick([" ", " ", "", "\n", "  "]);
    }
    if (rnd() < 0.1) s = s.normalize(pick(["NFC", "NFD", "NFKC", "NFKD"]));
    return s;
}

const strings = [];
for (let i = 0; i < N; i++) strings.push(genString(i));
// STRINGS=file.json replaces the generated strings with a JSON array of them
if (process.env.STRINGS) strings.splice(0, strings.length, ...JSON.parse(fs.readFileSync(process.env.STRINGS, "utf8")));
// two very long inputs (~100 KB)
for (let k = 0; k < (process.env.STRINGS ? 0 : 2); k++) {
    let s = "";
    while (s.length < 100000) s += piece() + pick([" ", "", "\n"]);
    strings.push(s);
}

function rle(a) {
    const out = [];
    for (const x of a) {
        if (out.length && out[out.length - 1][0] === x) out[out.length - 1][1]++;
        else out.push([x, 1]);
    }
    return out;
}

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
// JSON lines: a header with the strings, then one line per model.
const fd = fs.openSync(outPath, "w");
fs.writeSync(fd, JSON.stringify({tool: "node-llama-cpp@3.21.1 (llama.cpp bundle of release v0.4.0)",
    script: "gen_llamacpp_diff.mjs", seed: SEED, n: N, strings}) + "\n");
const out = {models: {push: (m) => fs.writeSync(fd, JSON.stringify(m) + "\n")}};
for (const arg of modelArgs) {
    const eq = arg.indexOf("=");
    const name = arg.slice(0, eq);
    let file = arg.slice(eq + 1), flags = [];
    const colon = file.lastIndexOf(":");
    if (colon > 0 && !file.slice(colon).includes("/")) { flags = file.slice(colon + 1).split(","); file = file.slice(0, colon); }
    const m = {name};
    let model;
    try {
        model = await llama.loadModel({modelPath: file, vocabOnly: true});
    } catch (e) {
        m.error = String(e);
        out.models.push(m);
        console.error(name, "load error", String(e));
        continue;
    }
    const am = model._model;
    const nv = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    m.nVocab = nv;
    m.vocabType = model.vocabularyType;
    m.bos = model.tokens.bos; m.eos = model.tokens.eos; m.eot = model.tokens.eot; m.sep = model.tokens.sep;
    m.nl = model.tokens.nl;
    m.addBos = am.shouldPrependBosToken(); m.addEos = am.shouldAppendEosToken();
    const enconly = flags.includes("enconly");
    if (!enconly) {
        const attrs = [], eog = [];
        for (let id = 0; id < nv; id++) {
            attrs.push(am.getTokenAttributes(id));
            if (am.isEogToken(id)) eog.push(id);
        }
        m.attrs = rle(attrs);
        m.eog = eog;
    }
    if (flags.includes("pieces")) {
        m.pieces = [], m.piecesSpecial = [];
        for (let id = 0; id < nv; id++) {
            m.pieces.push(model.detokenize([id], false));
            m.piecesSpecial.push(model.detokenize([id], true));
        }
    }
    m.enc = []; m.encSpecial = [];
    if (!enconly) { m.dec = []; m.decSpecial = []; }
    for (const s of strings) {
        const a = model.tokenize(s, false), b = model.tokenize(s, true);
        m.enc.push(a); m.encSpecial.push(b);
        if (!enconly) {
            m.dec.push([model.detokenize(a, false), model.detokenize(a, true)]);
            m.decSpecial.push([model.detokenize(b, false), model.detokenize(b, true)]);
        }
    }
    if (!enconly) {
        // arbitrary id lists: runs of random ids, specials, and the ids of
        // the first/last tokens; plus each list of a random string's ids
        // with a random cut (byte tokens that split characters).
        const specialIds = [];
        for (let id = 0; id < nv; id++) if (am.getTokenAttributes(id) & (1 | 8 | 16)) specialIds.push(id);
        m.idLists = []; m.idDec = [];
        for (let k = 0; k < 300; k++) {
            let ids = [];
            const kind = k % 3;
            if (kind === 0) {
                const n = 1 + ri(8);
                for (let j = 0; j < n; j++) ids.push(rnd() < 0.3 && specialIds.length ? pick(specialIds) : ri(Math.min(nv, rnd() < 0.5 ? 300 : nv)));
            } else if (kind === 1) {
                const src = m.enc[ri(m.enc.length)];
                const a = ri(src.length + 1), b = a + ri(6);
                ids = src.slice(a, b);
                if (rnd() < 0.5 && specialIds.length) ids.splice(ri(ids.length + 1), 0, pick(specialIds));
            } else {
                const n = 1 + ri(10);
                for (let j = 0; j < n; j++) ids.push(ri(Math.min(nv, 300)));
                if (m.bos != null && rnd() < 0.5) ids.unshift(m.bos);
                if (m.eos != null && rnd() < 0.5) ids.push(m.eos);
            }
            m.idLists.push(ids);
            m.idDec.push([model.detokenize(ids, false), model.detokenize(ids, true)]);
        }
    }
    await model.dispose();
    out.models.push(m);
    console.error(name, "done", nv);
}
await llama.dispose();
fs.closeSync(fd);
