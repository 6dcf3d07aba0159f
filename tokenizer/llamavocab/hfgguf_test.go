package llamavocab

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// This file builds vocab-only GGUFs from HF tokenizer.json files the way
// llama.cpp's convert_hf_to_gguf.py does for byte-level BPE models
// (get_vocab_base / _set_vocab_gpt2): tokens in id order, ids missing from
// the vocabulary as "[PAD<id>]" UNUSED, added tokens CONTROL when special or
// when they look special (<|...|>), USER_DEFINED otherwise, the merges as
// "a b" strings, bos/eos from tokenizer_config.json. The shared data has no
// Llama 3 or Qwen GGUF (they are >= 4 MiB), so the differential tests build
// them here; llama.cpp (node-llama-cpp) loads the very same files.

// hfVocabSpec says how to turn one HF tokenizer folder into a GGUF.
type hfVocabSpec struct {
	name      string   // output file stem
	dir       string   // shared-data folder with tokenizer.json
	pre       string   // tokenizer.ggml.pre
	arch      string   // general.architecture
	vocabSize int      // pad with [PAD<id>] up to this many tokens (0: exact)
	bos, eos  string   // token texts of bos/eos ("" = none)
	addBOS    *bool    // tokenizer.ggml.add_bos_token (nil = absent)
	byteToks  bool     // <0xXX> tokens of the vocabulary are BYTE tokens
	extra     []string // NORMAL tokens appended after the vocabulary
}

func boolp(b bool) *bool { return &b }

// hfSpecs are the built vocabularies: Llama 3 as its GGUFs have it (pre
// llama-bpe, add_bos_token true, bos <|begin_of_text|>, eos <|end_of_text|>)
// and Qwen3 as Qwen's (pre qwen2, add_bos_token false, bos <|endoftext|>,
// eos <|im_end|>, vocabulary padded to the embedding size 151936).
var hfSpecs = []hfVocabSpec{
	{name: "llama3-llama-bpe", dir: "tokenizers/hf/llama3", pre: "llama-bpe", arch: "llama",
		bos: "<|begin_of_text|>", eos: "<|end_of_text|>", addBOS: boolp(true)},
	{name: "qwen3-qwen2", dir: "tokenizers/hf/qwen3", pre: "qwen2", arch: "qwen3", vocabSize: 151936,
		bos: "<|endoftext|>", eos: "<|im_end|>", addBOS: boolp(false)},
	// Gemma 4's pre-tokenizer (SPM-style BPE: ▁ for spaces, <0xXX> bytes,
	// newline runs) on Mistral's SPM-style BPE vocabulary plus newline-run
	// tokens; add_bos_token false, which llama.cpp overrides for gemma4.
	{name: "mistral-gemma4", dir: "tokenizers/hf/mistral7b-v0.1-from-lenml-llama2", pre: "gemma4", arch: "llama",
		bos: "<s>", eos: "</s>", addBOS: boolp(false), byteToks: true, extra: []string{"\n", "\n\n", "\n\n\n\n"}},
}

// preVariants are other tokenizer.ggml.pre types tried on the Llama 3
// vocabulary: llama.cpp applies their regexes (and flags) to any vocabulary,
// so these test the pre-tokenizers of GGUFs that the shared data lacks.
var preVariants = []string{
	"deepseek-llm", "deepseek-coder", "deepseek-v3", "command-r", "mpt", "refact", "falcon",
	"starcoder", "gpt-2", "qwen35", "smaug-bpe", "olmo", "dbrx", "stablelm2", "poro-chat",
	"viking", "jais", "tekken", "smollm", "codeshell", "bloom", "gpt3-finnish", "exaone",
	"chameleon", "minerva-7b", "megrez", "gpt-4o", "trillion", "bailingmoe", "seed-coder",
	"hunyuan", "grok-2", "default", "jais-2", "exaone4", "exaone-moe", "minicpm5", "ufakzeka",
	"tiny_aya", "laguna", "granite-embed-multi-97m", "spark2_5", "deepseek-r1-qwen", "glm4",
	"chatglm-bpe", "phi-2", "roberta-bpe", "superbpe", "afmoe", "youtu", "kimi-k2",
}

type hfTokenizerJSON struct {
	Model struct {
		Type   string          `json:"type"`
		Vocab  map[string]int  `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
	} `json:"model"`
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
}

// looksSpecial is convert_hf_to_gguf.py's does_token_look_special.
func looksSpecial(t string) bool {
	switch t {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return (strings.HasPrefix(t, "<|") && strings.HasSuffix(t, "|>")) ||
		(strings.HasPrefix(t, "<｜") && strings.HasSuffix(t, "｜>")) ||
		(strings.HasPrefix(t, "<unused") && strings.HasSuffix(t, ">"))
}

// buildHFGGUF returns the vocab-only GGUF for spec, built from the shared
// tokenizer.json.
func buildHFGGUF(t testing.TB, spec hfVocabSpec) *gguf.File {
	t.Helper()
	raw, err := os.ReadFile(shared.Path(t, spec.dir+"/tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tj hfTokenizerJSON
	if err := json.Unmarshal(raw, &tj); err != nil {
		t.Fatal(err)
	}
	if tj.Model.Type != "BPE" {
		t.Fatalf("%s: model type %q, want BPE", spec.dir, tj.Model.Type)
	}
	var merges []string
	var asStrings []string
	if err := json.Unmarshal(tj.Model.Merges, &asStrings); err == nil {
		merges = asStrings
	} else {
		var pairs [][2]string
		if err := json.Unmarshal(tj.Model.Merges, &pairs); err != nil {
			t.Fatalf("%s: merges: %v", spec.dir, err)
		}
		for _, p := range pairs {
			merges = append(merges, p[0]+" "+p[1])
		}
	}
	byID := map[int]string{}
	n := 0
	for tok, id := range tj.Model.Vocab {
		byID[id] = tok
		n = max(n, id+1)
	}
	added := map[int]bool{}
	special := map[int]bool{}
	for _, a := range tj.AddedTokens {
		byID[a.ID] = a.Content
		added[a.ID] = true
		special[a.ID] = a.Special
		n = max(n, a.ID+1)
	}
	n = max(n, spec.vocabSize)
	tokens := make([]string, n)
	types := make([]int32, n)
	toID := map[string]int{}
	for i := range n {
		tok, ok := byID[i]
		switch {
		case !ok:
			tokens[i], types[i] = fmt.Sprintf("[PAD%d]", i), typeUnused
		case added[i] && (special[i] || looksSpecial(tok)):
			tokens[i], types[i] = tok, typeControl
		case added[i]:
			tokens[i], types[i] = strings.ReplaceAll(tok, "▁", " "), typeUserDefined
		case spec.byteToks && len(tok) == 6 && strings.HasPrefix(tok, "<0x") && strings.HasSuffix(tok, ">"):
			tokens[i], types[i] = tok, typeByte
		default:
			tokens[i], types[i] = tok, typeNormal
		}
		toID[tokens[i]] = i
	}
	for _, x := range spec.extra {
		toID[x] = len(tokens)
		tokens = append(tokens, x)
		types = append(types, typeNormal)
	}
	n = len(tokens)
	kv := []gguf.KV{
		{Key: "general.architecture", Value: gguf.MustValue(spec.arch)},
		{Key: "general.name", Value: gguf.MustValue(spec.name)},
		{Key: spec.arch + ".vocab_size", Value: gguf.MustValue(uint32(n))},
		// hyperparameters node-llama-cpp's llama.cpp asks for even with vocabOnly
		{Key: spec.arch + ".context_length", Value: gguf.MustValue(uint32(8192))},
		{Key: spec.arch + ".embedding_length", Value: gguf.MustValue(uint32(64))},
		{Key: spec.arch + ".block_count", Value: gguf.MustValue(uint32(1))},
		{Key: spec.arch + ".feed_forward_length", Value: gguf.MustValue(uint32(128))},
		{Key: spec.arch + ".attention.head_count", Value: gguf.MustValue(uint32(1))},
		{Key: spec.arch + ".attention.head_count_kv", Value: gguf.MustValue(uint32(1))},
		{Key: spec.arch + ".attention.layer_norm_rms_epsilon", Value: gguf.MustValue(float32(1e-5))},
		{Key: spec.arch + ".rope.dimension_count", Value: gguf.MustValue(uint32(64))},
		{Key: keyModel, Value: gguf.MustValue("gpt2")},
		{Key: keyPre, Value: gguf.MustValue(spec.pre)},
		{Key: keyTokens, Value: gguf.MustValue(tokens)},
		{Key: keyTokenType, Value: gguf.MustValue(types)},
		{Key: keyMerges, Value: gguf.MustValue(merges)},
	}
	for _, s := range []struct{ key, text string }{{keyBOS, spec.bos}, {keyEOS, spec.eos}} {
		if s.text == "" {
			continue
		}
		id, ok := toID[s.text]
		if !ok {
			t.Fatalf("%s: %s %q is not a token", spec.dir, s.key, s.text)
		}
		kv = append(kv, gguf.KV{Key: s.key, Value: gguf.MustValue(uint32(id))})
	}
	if spec.addBOS != nil {
		kv = append(kv, gguf.KV{Key: keyAddBOS, Value: gguf.MustValue(*spec.addBOS)})
	}
	return &gguf.File{KV: kv}
}

// mutations are shared GGUFs with edited metadata ("mut-<x>"): settings and
// token types that the shared files do not exercise.
var mutations = map[string]struct {
	base string
	edit func(f *gguf.File)
}{
	"mut-spm-noprefix": {"tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", func(f *gguf.File) { setKV(f, keyAddPrefix, false) }},
	"mut-spm-eos": {"models/stories260K.gguf", func(f *gguf.File) {
		setKV(f, keyAddEOS, true)
		setKV(f, keyAddBOS, false)
	}},
	"mut-spm-notypes": {"models/stories260K.gguf", func(f *gguf.File) { setKV(f, keyTokenType, nil) }},
	// USER_DEFINED, UNKNOWN, CONTROL, UNUSED and undefined (0) types on
	// ordinary pieces and on a byte token.
	"mut-spm-types": {"tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", func(f *gguf.File) {
		types := slices.Clone(mustInt32s(f, keyTokenType))
		for id, ty := range map[int]int32{278: typeUserDefined, 292: typeUserDefined, 13: typeUserDefined,
			263: typeControl, 310: typeUnknown, 322: typeUnused, 338: 0, 29889: typeUserDefined, 29871: typeControl} {
			types[id] = ty
		}
		setKV(f, keyTokenType, types)
	}},
	"mut-gpt2-prefix": {"tokenizers/llama.cpp-vocab/ggml-vocab-gpt-2.gguf", func(f *gguf.File) {
		setKV(f, keyAddPrefix, true)
		setKV(f, keyAddEOS, true)
	}},
	"mut-bert-case": {"tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf", func(f *gguf.File) {
		setKV(f, keyLowercase, false)
	}},
	"mut-bert-modernbert": {"tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf", func(f *gguf.File) {
		setKV(f, keyGeneralName, "Modern-BERT-base") // [MASK] gets LSTRIP
	}},
	"mut-bert-accents": {"tokenizers/llama.cpp-vocab/ggml-vocab-bert-bge.gguf", func(f *gguf.File) {
		setKV(f, keyStripAccents, false)
	}},
	"mut-neox-userdef": {"tokenizers/llama.cpp-vocab/ggml-vocab-gpt-neox.gguf", func(f *gguf.File) {
		types := slices.Clone(mustInt32s(f, keyTokenType))
		for _, id := range []int{1, 2, 187, 253, 50276} { // <|padding|> ! \n Ġthe and a whitespace run
			types[id] = typeUserDefined
		}
		setKV(f, keyTokenType, types)
		setKV(f, keyEOT, uint32(1))
	}},
}

func mustInt32s(f *gguf.File, key string) []int32 {
	v, ok := f.Value(key)
	if !ok {
		panic(key)
	}
	return v.Any().([]int32)
}

// setKV sets (nil: removes) key in f.
func setKV(f *gguf.File, key string, x any) {
	for i, kv := range f.KV {
		if kv.Key == key {
			if x == nil {
				f.KV = slices.Delete(f.KV, i, i+1)
			} else {
				f.KV[i].Value = gguf.MustValue(x)
			}
			return
		}
	}
	if x != nil {
		f.KV = append(f.KV, gguf.KV{Key: key, Value: gguf.MustValue(x)})
	}
}

// withPre returns a copy of f whose tokenizer.ggml.pre and general.name are
// pre.
func withPre(f *gguf.File, pre string) *gguf.File {
	g := &gguf.File{KV: slices.Clone(f.KV)}
	for i, kv := range g.KV {
		switch kv.Key {
		case keyPre:
			g.KV[i].Value = gguf.MustValue(pre)
		case keyGeneralName:
			g.KV[i].Value = gguf.MustValue("llama3-" + pre)
		}
	}
	return g
}

// roundTrip writes f and parses it back, as a file on disk would be.
func roundTrip(t testing.TB, f *gguf.File) *gguf.File {
	t.Helper()
	var b bytes.Buffer
	if _, err := gguf.Write(&b, f); err != nil {
		t.Fatal(err)
	}
	g, err := gguf.Read(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var (
	builtMu    sync.Mutex
	builtCache = map[string]*Vocab{}
	builtFiles = map[string]*gguf.File{}
)

// builtGGUF returns the built file called name ("llama3-llama-bpe",
// "qwen3-qwen2" or "llama3-<pre>").
func builtGGUF(t testing.TB, name string) *gguf.File {
	t.Helper()
	var base *gguf.File
	pre, variant := strings.CutPrefix(name, "llama3-")
	if variant && name != hfSpecs[0].name {
		base = builtGGUF(t, hfSpecs[0].name)
	}
	builtMu.Lock()
	defer builtMu.Unlock()
	if f, ok := builtFiles[name]; ok {
		return f
	}
	var f *gguf.File
	for _, s := range hfSpecs {
		if s.name == name {
			f = roundTrip(t, buildHFGGUF(t, s))
		}
	}
	if m, ok := mutations[name]; ok {
		src, err := gguf.Open(shared.Path(t, m.base))
		if err != nil {
			t.Fatal(err)
		}
		g := &gguf.File{KV: slices.Clone(src.KV)}
		src.Close()
		m.edit(g)
		f = roundTrip(t, g)
	}
	if f == nil {
		if base == nil {
			t.Fatalf("no built GGUF %q", name)
		}
		f = withPre(base, pre)
	}
	builtFiles[name] = f
	return f
}

// loadBuilt loads the vocabulary of a built GGUF.
func loadBuilt(t testing.TB, name string) *Vocab {
	t.Helper()
	f := builtGGUF(t, name)
	var base *Vocab
	if _, variant := strings.CutPrefix(name, "llama3-"); variant && name != hfSpecs[0].name {
		base = loadBuilt(t, hfSpecs[0].name)
	}
	builtMu.Lock()
	defer builtMu.Unlock()
	if v, ok := builtCache[name]; ok {
		return v
	}
	var v *Vocab
	var err error
	if base != nil {
		// A pre-tokenizer variant differs from the base only in
		// tokenizer.ggml.pre; its merge table (most of the load time) is
		// the base's, so it is loaded without merges and given those.
		g := &gguf.File{KV: slices.Clone(f.KV)}
		setKV(g, keyMerges, []string{})
		if v, err = Load(g); err == nil {
			v.merges, v.symID, v.symText = base.merges, base.symID, base.symText
		}
	} else {
		v, err = Load(f)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	builtCache[name] = v
	return v
}

// TestWriteBuiltGGUFs writes the built GGUFs into $LLAMAVOCAB_GGUF_OUT for
// testdata/gen_llamacpp_diff.mjs (llama.cpp must load the same files).
func TestWriteBuiltGGUFs(t *testing.T) {
	dir := os.Getenv("LLAMAVOCAB_GGUF_OUT")
	if dir == "" {
		t.Skip("set LLAMAVOCAB_GGUF_OUT to write the built GGUFs")
	}
	names := []string{}
	for _, s := range hfSpecs {
		names = append(names, s.name)
	}
	for _, p := range preVariants {
		names = append(names, "llama3-"+p)
	}
	for m := range mutations {
		names = append(names, m)
	}
	for _, name := range names {
		f := builtGGUF(t, name)
		var b bytes.Buffer
		if _, err := gguf.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".gguf"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuiltVocabCases checks the built Llama 3 and Qwen GGUFs against
// llama.cpp's own test-tokenizer-0 vectors for llama-bpe and qwen2 (whose
// GGUFs are not in the shared data).
func TestBuiltVocabCases(t *testing.T) {
	for _, c := range []struct{ built, vectors string }{
		{"llama3-llama-bpe", "ggml-vocab-llama-bpe.gguf"},
		{"qwen3-qwen2", "ggml-vocab-qwen2.gguf"},
	} {
		t.Run(c.built, func(t *testing.T) {
			inp := shared.Path(t, "tokenizers/llama.cpp-vocab/"+c.vectors+".inp")
			v := loadBuilt(t, c.built)
			cases, want := vocabCases(t, inp, strings.TrimSuffix(inp, ".inp")+".out")
			for i, s := range cases {
				got, err := v.Encode(s, tokenizer.EncodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
					t.Errorf("case %d %q:\n got %v\nwant %v", i, s, got, want[i])
				}
			}
		})
	}
}

func TestLlamaCppPattern(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+", "[\u4e00-\u9fa5\u0800-\u167f\u1681-\u1fff\u200b-\u2027\u202a-\u202e\u2030-\u205e\u2060-\u2fff\u3001-\u4e00\uac00-\ud7ff]+"},
		{"\\s?[!-/:-~\uff01-\uff0f\u3000-\u3002]+", "\\s?[!-/:-~\uff01-\uff0f\u3001\u3002]+"},
		{"[^a\u00a0b\\]\u3000]", "[^ab\\]]"},
		{"[!-\u00a1]", "[!-\u0084\u0086-\u009f\u00a1]"},
		{"\\p{N}[\u3000]", "\\p{N}[\u3000]"}, // collapsed path: ranges unchanged
		{"[\\p{Lu}\\p{M}]*[\\p{Ll}\\p{Lo}]+", "[\\p{L}\\p{M}]*[\\p{L}\\p{L}]+"},
		{"plain ascii [a-z]", "plain ascii [a-z]"},
	} {
		if got := llamaCppPattern(c.in); got != c.want {
			t.Errorf("llamaCppPattern(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestMPTVocabCases: MPT uses GPT-NeoX-20B's vocabulary, so llama.cpp's mpt
// test vectors (whose GGUF the shared data lacks) are checked on the shared
// gpt-neox GGUF with tokenizer.ggml.pre set to "mpt".
func TestMPTVocabCases(t *testing.T) {
	f, err := gguf.Open(shared.Path(t, "tokenizers/llama.cpp-vocab/ggml-vocab-gpt-neox.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := &gguf.File{KV: append(slices.Clone(f.KV), gguf.KV{Key: keyPre, Value: gguf.MustValue("mpt")})}
	v, err := Load(g)
	if err != nil {
		t.Fatal(err)
	}
	inp := shared.Path(t, "tokenizers/llama.cpp-vocab/ggml-vocab-mpt.gguf.inp")
	cases, want := vocabCases(t, inp, strings.TrimSuffix(inp, ".inp")+".out")
	for i, s := range cases {
		got, err := v.Encode(s, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
			t.Errorf("case %d %q:\n got %v\nwant %v", i, s, got, want[i])
		}
	}
}

// TestQwen35VocabCases: llama.cpp's qwen35 test vectors (whose GGUF the
// shared data lacks) hold only ids that Qwen3's vocabulary shares, so they
// are checked on the built Qwen3 GGUF with tokenizer.ggml.pre "qwen35".
func TestQwen35VocabCases(t *testing.T) {
	g := &gguf.File{KV: slices.Clone(builtGGUF(t, "qwen3-qwen2").KV)}
	setKV(g, keyPre, "qwen35")
	v, err := Load(g)
	if err != nil {
		t.Fatal(err)
	}
	inp := shared.Path(t, "tokenizers/llama.cpp-vocab/ggml-vocab-qwen35.gguf.inp")
	cases, want := vocabCases(t, inp, strings.TrimSuffix(inp, ".inp")+".out")
	for i, s := range cases {
		got, err := v.Encode(s, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[i]) && !(len(got) == 0 && len(want[i]) == 0) {
			t.Errorf("case %d %q:\n got %v\nwant %v", i, s, got, want[i])
		}
	}
}
