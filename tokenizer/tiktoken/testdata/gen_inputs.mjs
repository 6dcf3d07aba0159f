// Seeded generator of tricky tokenizer inputs (llmpipe differential tests).
// gen(seed, count) returns count strings; the same seed gives the same strings.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["the", "The", "THE", "hello", "World", "tokenizer", "don", "I", "a", "x", "GPT", "llama",
  "internationalization", "café", "naïve", "München", "Straße", "ﬁnance", "İstanbul", "ǅemal", "ǈ", "ĳssel",
  "Ωmega", "ΣΊΣΥΦΟΣ", "σοφός", "Привет", "мир", "ЁЖИК", "ёжик", "Ꙋ", "مرحبا", "سلام", "فارسی", "שָׁלוֹם", "עברית",
  "नमस्ते", "हिन्दी", "क्षत्रिय", "สวัสดี", "ภาษาไทย", "你好", "世界", "中文字符", "こんにちは", "カタカナ", "ｶﾀｶﾅ",
  "한국어", "안녕하세요", "각", "ᄒᆞᆫ", "Ⅻ", "ⅷ", "ʰello", "ˈstress", "ǂxoo", "𝐀𝐁𝐂", "𝒜bc", "𐐀𐐨", "𝟘𝟙𝟚", "ﷺ", "ﬀ", "ꓘ",
  "ᏣᎳᎩ", "ᐊᓕᒍ", "ⴰⵣⵓⵍ", "ትግርኛ", "ᠮᠣᠩᠭᠣᠯ", "ꦗꦮ", "ꯃꯩ", "𑀓𑀸", "𖹀", "ᲀ", "ꟊ", "𞤀𞤢", "ℌ", "№", "ℓ",
  "Ǆ", "ǆ", "ᾈ", "ᾀ", "ﬆ", "ŉ", "ſ", "K", "Å", "ꭰ", "ꞵ", "ᵃ", "ⁱ", "ₐ", "ͅ", "ͺ"];
// Unicode 15.1/16.0 additions and other rarely seen code points (class may differ by Unicode version).
const NEWU = ["\u{2EBF0}\u{2EBF1}", "\u{1C89}\u{1C8A}", "\u{A7CB}\u{A7CC}\u{A7CD}", "\u{A7DA}\u{A7DB}", "\u{10D40}\u{10D4A}\u{10D50}",
  "\u{11380}\u{11381}", "\u{16100}\u{16101}", "\u{1E5D0}\u{1E5D1}", "\u{105C0}", "\u{1E030}\u{1E031}", "\u{11F04}\u{11F05}",
  "\u{1F8B0}", "\u{31350}", "\u{0378}", "\u{E000}", "\u{FFFE}", "\u{10FFFF}", "\u{1FAE8}", "\u{1FAE9}", "\u{2FFC}", "\u{31EF}",
  "\u{10D4E}", "\u{1CCF0}\u{1CCF9}", "\u{1D7CE}\u{1D7FF}", "\u{16D40}\u{16D43}", "\u{10EC2}"];
const NUM = ["0", "7", "42", "123", "1234", "12345", "1234567890123", "3.14159", "1,000,000", "2024-01-01", "0x1F",
  "١٢٣٤", "۰۱۲۳۴۵۶", "४२", "๓๔", "²³", "½", "①②", "٣.١٤", "𝟏𝟐", "10⁻³", "1️⃣", "#️⃣", "９９"];
const PUNCT = [".", ",", "!", "?", "...", "—", "–", "-", "--", "\"", "'", "’", "‘", "“", "”", "(", ")", "[", "]", "{", "}",
  "<", ">", "/", "//", "\\", "|", "@", "#", "$", "%", "^", "&", "*", "_", "=", "+", "~", "`", ";", ":", "!!!", "?!", "->",
  "=>", "::", "«", "»", "¿", "¡", "§", "©", "®", "™", "°", "€", "£", "¥", "₹", "•", "·", "…", "、", "。", "「", "」", "：",
  "，", "！", "＠", "؟", "،", "।", "॥", "/*", "*/", "</", "/>", "'''", "\"\"\""];
const CONTR = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL", "'lL", "'D", "’s", "’t",
  "’RE", "’ll", "'ſ", "'x", "'", "''", "'s'", "n't", "N'T", "'K"];
const SPACE = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r", "\r\n\r\n", " \n", "\n ", " \t\n ", "\u00A0",
  "\u00A0\u00A0", "\u200B", "\u200D", "\u200C", "\uFEFF", "\u2028", "\u2029", "\u3000", "\u2003", "\u202F", "\u205F",
  "\u1680", "\u0085", "\u000B", "\u000C", "\u001C", "\u001F", "\u180E", "\u2060", "        "];
const CTRL = ["\u0000", "\u0001", "\u0007", "\u0008", "\u001B", "\u007F", "\u0080", "\u009F", "\u00AD", "\u200E", "\u200F",
  "\u202E", "\u2066", "\uFFFD", "\uFFFC", "\u{E0001}", "\u{E0041}"];
const EMOJI = ["😀", "👍", "👍🏽", "👨‍👩‍👧‍👦", "👩🏿‍💻", "🏳️‍🌈", "🇺🇸", "🇯🇵🇫🇷", "❤️", "❤", "☺️", "✈️", "1️⃣", "🧑‍🤝‍🧑",
  "🤷‍♀️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👁️‍🗨️", "🫠", "🦀", "©️", "™️", "🔟", "🅰️", "⌚", "\u{1F600}\u{FE0F}"];
const MARKS = ["\u0301", "\u0300", "\u0308", "\u0327", "\u0303\u0323", "\u20E3", "\uFE0F", "\uFE0E", "\u0651", "\u064B",
  "\u05B7", "\u093F", "\u0947", "\u094D", "\u0E31", "\u0E48", "\u1AB0", "\u1DC0", "\u302A", "\u3099", "\u{1D165}", "\u0489",
  "\u0488", "\u0903"];
const ACCENT_NFD = ["e\u0301", "E\u0301", "a\u0300", "o\u0308", "n\u0303", "c\u0327", "A\u030A", "u\u0308ber",
  "Cafe\u0301", "re\u0301sume\u0301", "\u1100\u1161\u11A8", "\u0627\u0651", "\u05E9\u05C1\u05B8"];
const SPECIAL = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>", "<|im_start|>",
  "<|im_end|>", "<s>", "</s>", "<unk>", "[CLS]", "[SEP]", "<|endoftext|", "<|endoftext", "|endoftext|>", "<|EndOfText|>",
  "<<|endoftext|>>", "<|endoftext|><|endoftext|>", "<pad>", "▁", "▁▁", "<0x41>", "<0xE2>"];
const CODE = ["func main() {\n\tfmt.Println(\"hi\")\n}", "def f(x):\n    return x**2  # square\n", "if (a && b) { x++; }",
  "SELECT * FROM t WHERE id=1;", "<div class=\"a\">x</div>", "$ ls -la ~/src/*.go | wc -l", "{\"key\": [1, 2.5e-3, null]}",
  "https://example.com/a/b?c=d&e=f#g", "user@example.com", "C:\\Users\\x\\file.txt", "a/b/c//d///e", "   indented\n        more"];

function pick(r, a) { return a[Math.floor(r() * a.length)]; }
function randInt(r, lo, hi) { return lo + Math.floor(r() * (hi - lo + 1)); }

// A random code point from some block (valid scalar values only, no surrogates).
function randomCodePoint(r) {
  const ranges = [[0x20, 0x7E], [0xA0, 0x24F], [0x250, 0x36F], [0x370, 0x52F], [0x590, 0x6FF], [0x900, 0x97F], [0xE00, 0xE7F],
    [0x1100, 0x11FF], [0x1E00, 0x1FFF], [0x2000, 0x2BFF], [0x3000, 0x30FF], [0x3130, 0x318F], [0x4E00, 0x4FFF], [0xA000, 0xABFF],
    [0xAC00, 0xD7A3], [0xF900, 0xFFFD], [0x10000, 0x1D7FF], [0x1E000, 0x1FAFF], [0x20000, 0x20100], [0xE0000, 0xE007F], [0, 0x1F]];
  const [lo, hi] = pick(r, ranges);
  const c = randInt(r, lo, hi);
  return String.fromCodePoint(c);
}

function fragment(r) {
  const k = r();
  if (k < 0.22) return pick(r, WORDS);
  if (k < 0.32) return pick(r, SPACE);
  if (k < 0.40) return pick(r, NUM);
  if (k < 0.48) return pick(r, PUNCT);
  if (k < 0.54) return pick(r, CONTR);
  if (k < 0.58) return pick(r, ACCENT_NFD);
  if (k < 0.62) return pick(r, MARKS);
  if (k < 0.67) return pick(r, EMOJI);
  if (k < 0.70) return pick(r, CTRL);
  if (k < 0.74) return pick(r, SPECIAL);
  if (k < 0.77) return pick(r, CODE);
  if (k < 0.80) return pick(r, NEWU);
  if (k < 0.88) { let s = ""; for (let i = randInt(r, 1, 6); i > 0; i--) s += randomCodePoint(r); return s; }
  if (k < 0.93) { const w = pick(r, WORDS); return w.toUpperCase() === w ? w.toLowerCase() : w.toUpperCase(); }
  return pick(r, [" ", "\n", "  ", "\t"]) + pick(r, WORDS);
}

function normalSpacing(r, s) { return s; }

// A small alphabet whose short strings reach every branch of the split patterns
// (white space before/after letters, marks, case classes, contractions, digits).
const SMALL = [" ", " ", "  ", "\n", "\r", "\t", "a", "A", "s", "1", "'", "’", "!", "/", "é", "\u0301", "\u00a0", "ǅ", "ʰ",
  "中", "😀", "\u2028", "٣", "ß", "ll", "RE", "ſ", "\u0085", "\u000b", "-", "\u1c89", "\u200d"];

export function one(r) {
  const mode = r();
  let parts = [];
  if (mode < 0.03) return "";
  if (mode < 0.25) { let s = ""; for (let i = randInt(r, 1, 10); i > 0; i--) s += pick(r, SMALL); return s; }
  if (mode < 0.06) { // very long word
    const w = pick(r, WORDS.concat(["a", "ab", "xyz", "ᄀ", "1", "é", "😀", "!", " ", "\n", "\u0301"]));
    let s = ""; const n = randInt(r, 500, 3000);
    while (s.length < n) s += w;
    return pick(r, ["", " ", "x", "'"]) + s + pick(r, ["", " ", "\n", "s", "'s"]);
  }
  const n = mode < 0.5 ? randInt(r, 1, 6) : mode < 0.9 ? randInt(r, 5, 30) : randInt(r, 30, 120);
  for (let i = 0; i < n; i++) {
    parts.push(fragment(r));
    const g = r();
    if (g < 0.45) parts.push(" ");
    else if (g < 0.5) parts.push(pick(r, SPACE));
  }
  let s = parts.join("");
  const lead = r();
  if (lead < 0.1) s = pick(r, SPACE) + s;
  if (r() < 0.1) s = s + pick(r, SPACE);
  if (r() < 0.03) s = s.normalize("NFD");
  if (r() < 0.02) s = s.normalize("NFKC");
  return s;
}

export function gen(seed, count) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; i++) out.push(one(r));
  return out;
}

// A very long input (~size bytes in UTF-16 units) of mixed fragments.
export function long(seed, size) {
  const r = rng(seed);
  let s = "";
  while (s.length < size) { s += one(r); s += pick(r, ["\n", " ", "\n\n", ""]); }
  return s;
}
