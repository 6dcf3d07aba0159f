package pretok

import "fmt"

// sequence applies splitters one inside the other (see Sequence).
type sequence []Splitter

// Sequence returns a Splitter that applies splitters in order, the way
// llama.cpp's unicode_regex_split applies the regexes of a pre-tokenizer
// type: the first splits the text into pieces; each later one runs on every
// piece on its own (its lookaheads and $ see only that piece), and its
// matches replace the piece.
//
// Text a splitter does not match is not dropped: as in llama.cpp's
// unicode_regex_split_stl, every gap before, between and after the matches
// inside a piece becomes a piece of its own. The result therefore always tiles
// the whole text. With no splitters the whole text is one piece.
//
// One difference: llama.cpp also records zero-length matches (as empty
// words, which give no tokens), so a pure lookahead regex such as superbpe's
// `(?=(\d{3})+(?!\d))` splits a piece at those positions there; Splitters do
// not report empty matches, so here such a regex leaves the piece whole.
func Sequence(splitters ...Splitter) Splitter {
	return sequence(append([]Splitter(nil), splitters...))
}

// FindAll implements Splitter.
func (q sequence) FindAll(dst []Span, text string) []Span {
	if text == "" {
		return dst
	}
	cur := []Span{{Start: 0, End: len(text)}}
	var next, ms []Span
	for _, sp := range q {
		next = next[:0]
		for _, p := range cur {
			piece := text[p.Start:p.End]
			ms = sp.FindAll(ms[:0], piece)
			pos := 0
			for _, m := range ms {
				if m.Start > pos {
					next = append(next, Span{Start: p.Start + pos, End: p.Start + m.Start})
				}
				next = append(next, Span{Start: p.Start + m.Start, End: p.Start + m.End})
				pos = m.End
			}
			if pos < len(piece) {
				next = append(next, Span{Start: p.Start + pos, End: p.End})
			}
		}
		cur, next = next, cur
	}
	return append(dst, cur...)
}

// llama.cpp pre-tokenizer regexes, copied from the string literals of
// llm_tokenizer_bpe in llama.cpp's src/llama-vocab.cpp (ggml-org/llama.cpp,
// commit 00ad355e). C++ and Go escapes agree, so "[\r\n]" holds real CR and
// LF characters exactly as the C++ literal does.
var (
	lcLlama3 = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcJais2 = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s{512}(?!\\S)|\\s{256}(?!\\S)|\\s{128}(?!\\S)|\\s{64}(?!\\S)|\\s{32}(?!\\S)|\\s{16}(?!\\S)|\\s{8}(?!\\S)|\\s{4}(?!\\S)|\\s{1,2}(?!\\S)|\\s{1}",
	}
	lcDeepseekLLM = []string{
		"[\r\n]",
		"\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U000118a0-\U000118df\U0001e900-\U0001e943]+",
		"\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
		"\\s+$",
		"[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+",
		"\\p{N}+",
	}
	lcDeepseekCoder = []string{
		"[\r\n]",
		"\\s?\\p{L}+",
		"\\s?\\p{P}+",
		"[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+",
		"\\p{N}",
	}
	lcDeepseek3 = []string{
		"\\p{N}{1,3}",
		"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
		"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
	}
	lcFalcon = []string{
		"[\\p{P}\\$\\+<=>\\^~\\|`]+",
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
		"[0-9][0-9][0-9]",
	}
	lcStarcoder = []string{
		"\\p{N}",
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
	}
	lcGPT2 = []string{
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
	}
	lcQwen2 = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcQwen35 = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcPoro = []string{
		" ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+",
	}
	lcViking = []string{
		" ?[^(\\s|.,!?\u2026\u3002\uff0c\u3001\u0964\u06d4\u060c)]+",
		"\\p{N}",
	}
	lcTekken = []string{
		"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcChameleon = []string{
		"<sentinel:[0-9]+>",
		"(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z",
		"([\\t\\n]|    |  )",
		"\\p{N}",
		"[\\p{P}!-/:-@\\[-`{-~]",
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
	}
	lcGPT4o = []string{
		"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcSuperBPE = []string{
		"\\p{N}+",
		"(?=(\\d{3})+(?!\\d))",
	}
	lcBailingMoE = []string{
		"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
	}
	lcSeedCoder = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcNewlines = []string{
		"[^\\n]+|[\\n]+",
	}
	lcWhitespace = []string{
		"\\S+",
	}
	lcUfakzeka = []string{
		"[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcMiniCPM5 = []string{
		"\\p{N}{1,3}",
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}+| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcSpark25 = []string{
		"\\p{N}{1,3}",
		"[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
		"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
		"\\p{N}",
	}
	lcExaoneMoE = []string{
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+",
	}
	lcLaguna = []string{
		"[^\\n]+|[\\n]+",
		"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcGraniteEmbMulti = []string{
		"[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))*((?=[\\p{L}\\p{M}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}\\p{M}])([^a-z]))+((?=[\\p{L}\\p{M}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcTinyAya = []string{
		"\\d{1,3}(?=(?:\\d{3})*\\b)",
		"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	}
	lcDefault = []string{
		"[\\p{P}\\$\\+<=>\\^~\\|]+",
		"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
		"\\p{N}+",
		"[0-9][0-9][0-9]",
	}
)

// llamaCppPre maps GGUF tokenizer.ggml.pre names to their regex lists, as
// llama_vocab::impl::load maps the names to LLAMA_VOCAB_PRE_TYPE_* values.
var llamaCppPre = map[string][]string{
	"default": lcDefault,

	"llama3": lcLlama3, "llama-v3": lcLlama3, "llama-bpe": lcLlama3, "falcon3": lcLlama3,
	"falcon-h1": lcLlama3, "pixtral": lcLlama3, "midm-2.0": lcLlama3, "lfm2": lcLlama3,
	"jina-v5-nano": lcLlama3, "dbrx": lcLlama3, "smaug-bpe": lcLlama3,
	"chatglm-bpe": lcLlama3, "glm4": lcLlama3,

	"jais-2": lcJais2,

	"deepseek-llm":   lcDeepseekLLM,
	"deepseek-coder": lcDeepseekCoder,
	"deepseek-v3":    lcDeepseek3, "hunyuan-dense": lcDeepseek3, "hy_v4": lcDeepseek3, "joyai-llm": lcDeepseek3,

	"falcon": lcFalcon,

	"starcoder": lcStarcoder, "refact": lcStarcoder, "command-r": lcStarcoder, "smollm": lcStarcoder,
	"codeshell": lcStarcoder, "exaone": lcStarcoder, "minerva-7b": lcStarcoder, "mellum2": lcStarcoder,

	"gpt-2": lcGPT2, "phi-2": lcGPT2, "jina-es": lcGPT2, "jina-de": lcGPT2, "gigachat": lcGPT2,
	"jina-v2-es": lcGPT2, "jina-v2-de": lcGPT2, "a.x-4.0": lcGPT2, "mellum": lcGPT2,
	"modern-bert": lcGPT2, "jina-v1-en": lcGPT2, "jina-v2-code": lcGPT2, "roberta-bpe": lcGPT2,
	"exaone4": lcGPT2, "mpt": lcGPT2, "olmo": lcGPT2, "jais": lcGPT2, "trillion": lcGPT2,
	"granite-docling": lcGPT2,

	"qwen2": lcQwen2, "deepseek-r1-qwen": lcQwen2, "kormo": lcQwen2, "f2llmv2": lcQwen2,
	"megrez": lcQwen2, "stablelm2": lcQwen2, "hunyuan": lcQwen2, "solar-open": lcQwen2,
	"qwen35": lcQwen35,

	"poro-chat": lcPoro, "bloom": lcPoro, "gpt3-finnish": lcPoro,
	"viking":    lcViking,
	"tekken":    lcTekken,
	"chameleon": lcChameleon,

	"gpt-4o": lcGPT4o, "llama4": lcGPT4o, "kanana2": lcGPT4o, "talkie": lcGPT4o, "minimax-m2": lcGPT4o,

	"superbpe":   lcSuperBPE,
	"bailingmoe": lcBailingMoE, "bailingmoe2": lcBailingMoE, "llada-moe": lcBailingMoE,
	"seed-coder": lcSeedCoder,
	"grok-2":     lcQwen2,

	"gemma4": lcNewlines, "granite-embed-multi-311m": lcNewlines, "sarvam-moe": lcNewlines,
	"whitespace": lcWhitespace,

	"ufakzeka": lcUfakzeka, "minicpm5": lcMiniCPM5, "spark2_5": lcSpark25, "exaone-moe": lcExaoneMoE,
	"laguna": lcLaguna, "granite-embed-multi-97m": lcGraniteEmbMulti,
	"tiny_aya": lcTinyAya, "cohere2moe": lcTinyAya,
}

// LlamaCppPre returns the ordered regex patterns that llama.cpp applies (one
// inside the other, see [Sequence]) for a GGUF `tokenizer.ggml.pre` value of
// a BPE vocabulary, copied from llama.cpp's src/llama-vocab.cpp. An empty
// name is llama.cpp's "default" (what it uses when the key is missing).
//
// The strings are llama.cpp's, not the tokenizer.json originals: llama.cpp
// rewrites (?i:...) as ASCII case classes and o200k's letter classes as
// lookaheads over ASCII (`((?=[\p{L}])([^a-z]))`), and for the GPT-2 and
// Llama 3 strings it runs hand-written code instead of a regex. The returned
// slice is a copy.
//
// Unknown names return an error, and so do kimi-k2 and afmoe (llama.cpp
// splits them with hand-written code selected by placeholder regexes such as
// `\p{AFMoE_digits}`) and youtu (not transcribed here).
func LlamaCppPre(pre string) ([]string, error) {
	if pre == "" {
		pre = "default"
	}
	p, ok := llamaCppPre[pre]
	if !ok {
		return nil, fmt.Errorf("pretok: llama.cpp pre-tokenizer type %q is unknown or not supported", pre)
	}
	return append([]string(nil), p...), nil
}
