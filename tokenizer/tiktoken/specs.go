package tiktoken

import "sort"

// The split patterns of OpenAI's encodings, as tiktoken_ext/openai_public.py
// defines them. tiktoken now writes r50k and cl100k with possessive
// quantifiers (`\p{L}++`, `\s++$`), a faster form that matches the same
// pieces; these are the original forms, which every engine (and
// tokenizer/pretok's hand-written scanners) understands.
const (
	// PatternR50k splits text for r50k_base and p50k_base (GPT-2's pattern).
	PatternR50k = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	// PatternCl100k splits text for cl100k_base.
	PatternCl100k = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// PatternO200k splits text for o200k_base.
	PatternO200k = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?` +
		`|\p{N}{1,3}` +
		`| ?[^\s\p{L}\p{N}]+[\r\n/]*` +
		`|\s*[\r\n]+` +
		`|\s+(?!\S)` +
		`|\s+`
)

// Special-token texts used by OpenAI's encodings.
const (
	// EndOfText ends a document; every encoding has it.
	EndOfText = "<|endoftext|>"
	// FIMPrefix, FIMMiddle and FIMSuffix mark fill-in-the-middle parts
	// (cl100k_base).
	FIMPrefix = "<|fim_prefix|>"
	FIMMiddle = "<|fim_middle|>"
	FIMSuffix = "<|fim_suffix|>"
	// EndOfPrompt ends a prompt (cl100k_base, o200k_base).
	EndOfPrompt = "<|endofprompt|>"
)

// Spec describes an encoding: everything except the rank file itself.
type Spec struct {
	// Name is the encoding's name ("cl100k_base").
	Name string
	// Pattern is the pre-tokenizer split regex.
	Pattern string
	// Specials maps special-token text to its id.
	Specials map[string]int
	// NVocab, when non-zero, is the vocabulary size tiktoken asserts
	// (explicit_n_vocab): ranks plus specials, and the largest id plus one.
	NVocab int
	// SHA256 is the hex sha256 of the published rank file, or "" when
	// unknown.
	SHA256 string
	// RankFile names the published rank file (without ".tiktoken") when it
	// is not Name: p50k_edit uses p50k_base's ranks, gpt2 r50k_base's.
	RankFile string
}

// RankFileName is the base name (without ".tiktoken") of the rank file the
// encoding reads: its own name, or RankFile.
func (s Spec) RankFileName() string {
	if s.RankFile != "" {
		return s.RankFile
	}
	return s.Name
}

var specs = []Spec{
	{
		Name:     "r50k_base",
		Pattern:  PatternR50k,
		Specials: map[string]int{EndOfText: 50256},
		NVocab:   50257,
		SHA256:   "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
	},
	{
		Name:     "p50k_base",
		Pattern:  PatternR50k,
		Specials: map[string]int{EndOfText: 50256},
		NVocab:   50281,
		SHA256:   "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
	},
	{
		// p50k_edit is p50k_base's ranks with the fill-in-the-middle
		// specials, as tiktoken's openai_public.py defines it.
		Name:    "p50k_edit",
		Pattern: PatternR50k,
		Specials: map[string]int{
			EndOfText: 50256,
			FIMPrefix: 50281,
			FIMMiddle: 50282,
			FIMSuffix: 50283,
		},
		SHA256:   "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
		RankFile: "p50k_base",
	},
	{
		// gpt2 is tiktoken's name for GPT-2's own files (vocab.bpe and
		// encoder.json), whose ranks are r50k_base's.
		Name:     "gpt2",
		Pattern:  PatternR50k,
		Specials: map[string]int{EndOfText: 50256},
		NVocab:   50257,
		SHA256:   "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
		RankFile: "r50k_base",
	},
	{
		Name:    "cl100k_base",
		Pattern: PatternCl100k,
		Specials: map[string]int{
			EndOfText:   100257,
			FIMPrefix:   100258,
			FIMMiddle:   100259,
			FIMSuffix:   100260,
			EndOfPrompt: 100276,
		},
		SHA256: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
	},
	{
		Name:     "o200k_base",
		Pattern:  PatternO200k,
		Specials: map[string]int{EndOfText: 199999, EndOfPrompt: 200018},
		SHA256:   "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
	},
}

// Names lists the encodings this package knows, sorted.
func Names() []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	sort.Strings(out)
	return out
}

// SpecFor returns the spec of a known encoding.
func SpecFor(name string) (Spec, bool) {
	for _, s := range specs {
		if s.Name == name {
			return cloneSpec(s), true
		}
	}
	return Spec{}, false
}

// specBySHA256 returns the spec whose published rank file has the given hex
// sha256 (the base encoding that file is named after, not an alias that
// borrows its ranks).
func specBySHA256(sum string) (Spec, bool) {
	for _, s := range specs {
		if s.SHA256 == sum && s.RankFile == "" {
			return cloneSpec(s), true
		}
	}
	return Spec{}, false
}

func cloneSpec(s Spec) Spec {
	m := make(map[string]int, len(s.Specials))
	for k, v := range s.Specials {
		m[k] = v
	}
	s.Specials = m
	return s
}
