package llamavocab

import (
	"fmt"
	"sort"
	"strings"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/bpe"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// Kind is the vocabulary type (llama_vocab_type).
type Kind int

// The supported vocabulary types.
const (
	// SPM is tokenizer.ggml.model "llama": SentencePiece-style BPE by score.
	SPM Kind = iota + 1
	// BPE is tokenizer.ggml.model "gpt2": byte-level BPE with merges.
	BPE
	// WPM is tokenizer.ggml.model "bert": WordPiece.
	WPM
)

// String returns llama.cpp's name for the type.
func (k Kind) String() string {
	switch k {
	case SPM:
		return "SPM"
	case BPE:
		return "BPE"
	case WPM:
		return "WPM"
	}
	return "unknown"
}

// Token attributes (llama_token_attr), a bit set.
const (
	attrUnknown     = 1 << 0
	attrUnused      = 1 << 1
	attrNormal      = 1 << 2
	attrControl     = 1 << 3
	attrUserDefined = 1 << 4
	attrByte        = 1 << 5
	attrLStrip      = 1 << 7
	attrRStrip      = 1 << 8
)

// GGUF token types (tokenizer.ggml.token_type values).
const (
	typeNormal      = 1
	typeUnknown     = 2
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
	typeByte        = 6
)

// null is LLAMA_TOKEN_NULL.
const null = -1

// Metadata keys.
const (
	keyModel        = "tokenizer.ggml.model"
	keyPre          = "tokenizer.ggml.pre"
	keyTokens       = "tokenizer.ggml.tokens"
	keyScores       = "tokenizer.ggml.scores"
	keyTokenType    = "tokenizer.ggml.token_type"
	keyMerges       = "tokenizer.ggml.merges"
	keyAddBOS       = "tokenizer.ggml.add_bos_token"
	keyAddEOS       = "tokenizer.ggml.add_eos_token"
	keyAddSEP       = "tokenizer.ggml.add_sep_token"
	keyAddPrefix    = "tokenizer.ggml.add_space_prefix"
	keyLowercase    = "tokenizer.ggml.normalizer.lowercase"
	keyStripAccents = "tokenizer.ggml.normalizer.strip_accents"
	keyBOS          = "tokenizer.ggml.bos_token_id"
	keyEOS          = "tokenizer.ggml.eos_token_id"
	keyEOT          = "tokenizer.ggml.eot_token_id"
	keyEOM          = "tokenizer.ggml.eom_token_id"
	keyUNK          = "tokenizer.ggml.unknown_token_id"
	keySEP          = "tokenizer.ggml.seperator_token_id"
	keyPAD          = "tokenizer.ggml.padding_token_id"
	keyMASK         = "tokenizer.ggml.mask_token_id"
	keyGeneralName  = "general.name"
	keyArchitecture = "general.architecture"
	keyFimPre       = "tokenizer.ggml.fim_pre_token_id"
	keyFimSuf       = "tokenizer.ggml.fim_suf_token_id"
	keyFimMid       = "tokenizer.ggml.fim_mid_token_id"
	keyFimPad       = "tokenizer.ggml.fim_pad_token_id"
	keyFimRep       = "tokenizer.ggml.fim_rep_token_id"
	keyFimSep       = "tokenizer.ggml.fim_sep_token_id"
	keyPrefixDeprec = "tokenizer.ggml.prefix_token_id"
	keySuffixDeprec = "tokenizer.ggml.suffix_token_id"
	keyMiddleDeprec = "tokenizer.ggml.middle_token_id"
	escapedSpace    = "\u2581"
)

// Vocab is a llama.cpp vocabulary: a [tokenizer.Tokenizer] built from GGUF
// metadata. It is safe for concurrent use.
type Vocab struct {
	kind  Kind
	model string
	pre   string

	text  []string
	score []float32
	attr  []uint32
	toID  map[string]int

	bos, eos, eot, eom, unk, sep, pad, mask        int
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep int
	eog                                            []int

	addSpacePrefix, addBOS, addEOS, addSEP bool
	ignoreMerges, cleanSpaces              bool
	gemma4                                 bool // LLAMA_VOCAB_PRE_TYPE_GEMMA4
	escapeWhitespaces, byteEncode          bool
	lowercase, stripAccents                bool
	maxTokenLen                            int

	// special lists the CONTROL, USER_DEFINED and UNKNOWN ids, longest text
	// first (cache_special_tokens).
	special []int
	// piece is token_to_piece(id, special=true) for every id.
	piece []string

	// BPE state.
	split   pretok.Splitter
	merges  *bpe.Merges
	symText []string       // text of ids >= len(text): merged strings outside the vocabulary
	symID   map[string]int // vocabulary ids plus those extra symbols
}

var _ tokenizer.Tokenizer = (*Vocab)(nil)

// Kind returns the vocabulary type.
func (v *Vocab) Kind() Kind { return v.kind }

// Model returns tokenizer.ggml.model.
func (v *Vocab) Model() string { return v.model }

// Pre returns tokenizer.ggml.pre ("" when absent).
func (v *Vocab) Pre() string { return v.pre }

// Token returns the text of id as stored in the vocabulary.
func (v *Vocab) Token(id int) (string, bool) {
	if id < 0 || id >= len(v.text) {
		return "", false
	}
	return v.text[id], true
}

// AddBOS and AddEOS report whether EncodeOptions.AddSpecial adds BOS / EOS
// (llama_vocab_get_add_bos / _eos).
func (v *Vocab) AddBOS() bool { return v.addBOS }

// AddEOS reports whether EncodeOptions.AddSpecial appends EOS.
func (v *Vocab) AddEOS() bool { return v.addEOS }

// VocabSize implements tokenizer.Tokenizer.
func (v *Vocab) VocabSize() int { return len(v.text) }

// Specials implements tokenizer.Tokenizer.
func (v *Vocab) Specials() tokenizer.Specials {
	s := tokenizer.NoSpecials()
	s.BOS, s.EOS, s.UNK, s.PAD, s.SEP, s.MASK = v.bos, v.eos, v.unk, v.pad, v.sep, v.mask
	if v.kind == WPM {
		s.CLS = v.bos
	}
	s.EOG = append([]int(nil), v.eog...)
	for _, id := range v.special {
		s.Tokens = append(s.Tokens, tokenizer.SpecialToken{Text: v.text[id], ID: id, Control: v.attr[id]&(attrControl|attrUnknown) != 0})
	}
	return s
}

// FromGGUF builds the tokenizer described by f's tokenizer.ggml.* metadata,
// as llama.cpp's llama_vocab::load does.
func FromGGUF(f *gguf.File) (tokenizer.Tokenizer, error) {
	v, err := Load(f)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Load is FromGGUF returning the concrete *Vocab.
func Load(f *gguf.File) (*Vocab, error) {
	v, err := load(f)
	if err != nil {
		return nil, fmt.Errorf("llamavocab: %w", err)
	}
	return v, nil
}

func load(f *gguf.File) (*Vocab, error) {
	v := &Vocab{
		bos: 1, eos: 2, eot: null, eom: null, unk: 0, sep: null, pad: null, mask: null,
		fimPre: null, fimSuf: null, fimMid: null, fimPad: null, fimRep: null, fimSep: null,
		escapeWhitespaces: true, byteEncode: true, lowercase: true,
	}
	model, ok := f.String(keyModel)
	if !ok {
		return nil, fmt.Errorf("%s is missing or not a string", keyModel)
	}
	v.model = model
	v.pre, _ = f.String(keyPre)

	var mergeList []string
	switch model {
	case "llama":
		v.kind = SPM
	case "bert":
		v.kind = WPM
		v.bos, v.eos, v.unk, v.sep, v.pad, v.mask = 101, null, 100, 102, 0, 103
		v.addSEP = true
	case "gpt2":
		v.kind = BPE
		val, ok := f.Value(keyMerges)
		if !ok {
			return nil, fmt.Errorf("tokenizer.ggml.model %q: %s is missing", model, keyMerges)
		}
		if mergeList, ok = val.Any().([]string); !ok {
			return nil, fmt.Errorf("%s has type %s, want an array of strings", keyMerges, val)
		}
		v.bos, v.eos, v.unk, v.sep, v.pad, v.mask = 11, 11, null, null, null, null
	default:
		return nil, fmt.Errorf("tokenizer.ggml.model %q is not supported (supported: llama, gpt2, bert)", model)
	}

	switch v.kind {
	case BPE:
		v.addSpacePrefix, v.escapeWhitespaces, v.cleanSpaces = false, false, true
		if err := v.bpePreFlags(); err != nil {
			return nil, err
		}
	case SPM:
		v.addSpacePrefix, v.cleanSpaces, v.addBOS, v.addEOS = true, false, true, false
	case WPM:
		v.addSpacePrefix, v.cleanSpaces, v.addBOS, v.addEOS, v.addSEP = false, true, true, false, true
	}
	if b, ok, err := boolKey(f, keyAddPrefix); err != nil {
		return nil, err
	} else if ok {
		v.addSpacePrefix = b
	}

	if err := v.loadTokens(f); err != nil {
		return nil, err
	}
	if err := v.loadSpecialIDs(f); err != nil {
		return nil, err
	}
	v.detectSpecials()
	v.buildSpecialCache()
	v.buildPieces()
	v.setNamedAttrs(f)

	if v.kind == BPE {
		if err := v.initBPE(mergeList); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func boolKey(f *gguf.File, key string) (val, ok bool, err error) {
	x, present := f.Value(key)
	if !present {
		return false, false, nil
	}
	b, isBool := x.Bool()
	if !isBool {
		return false, false, fmt.Errorf("%s has type %s, want bool", key, x.Type)
	}
	return b, true, nil
}

// bpePreFlags sets the flags llama.cpp ties to tokenizer.ggml.pre.
func (v *Vocab) bpePreFlags() error {
	switch v.pre {
	case "minicpm5":
		v.ignoreMerges = true
	case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
		v.ignoreMerges, v.addBOS = true, true
	case "youtu", "granite-embed-multi-97m":
		v.cleanSpaces, v.ignoreMerges = false, true
	case "tekken":
		v.cleanSpaces, v.ignoreMerges, v.addBOS = false, true, true
	case "chameleon":
		v.cleanSpaces, v.addBOS = false, true
	case "deepseek-llm", "deepseek-coder", "deepseek-v3", "spark2_5", "command-r",
		"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "qwen35", "poro-chat", "viking", "smollm",
		"gpt-4o", "llama4", "kanana2", "talkie", "tiny_aya", "cohere2moe", "superbpe", "trillion",
		"granite-docling", "bailingmoe", "bailingmoe2", "llada-moe", "seed-coder", "hunyuan",
		"hunyuan-dense", "hy_v4", "joyai-llm", "kimi-k2", "ufakzeka", "grok-2", "afmoe", "laguna",
		"minimax-m2", "solar-open":
		v.cleanSpaces = false
	case "glm4", "chatglm-bpe":
		v.bos = null
	case "jina-v1-en", "jina-v2-code", "roberta-bpe":
		v.addSEP = true
	case "gemma4", "granite-embed-multi-311m":
		v.escapeWhitespaces, v.byteEncode, v.gemma4 = true, false, true
	case "sarvam-moe":
		v.escapeWhitespaces, v.byteEncode, v.cleanSpaces = true, false, false
	case "whitespace":
		return fmt.Errorf("tokenizer.ggml.pre %q (whitespace session) is not supported", v.pre)
	}
	return nil
}

func (v *Vocab) loadTokens(f *gguf.File) error {
	tv, ok := f.Value(keyTokens)
	if !ok {
		return fmt.Errorf("%s is missing", keyTokens)
	}
	tokens, ok := tv.Any().([]string)
	if !ok {
		return fmt.Errorf("%s has type %s, want an array of strings", keyTokens, tv)
	}
	n := len(tokens)
	if n == 0 {
		return fmt.Errorf("%s is empty", keyTokens)
	}
	var fscores []float32
	var iscores []int32
	if sv, ok := f.Value(keyScores); ok {
		switch a := sv.Any().(type) {
		case []float32:
			fscores = a
		case []int32:
			iscores = a
		default:
			return fmt.Errorf("%s has type %s, want an array of float32 or int32", keyScores, sv)
		}
		if sv.Len() < n {
			return fmt.Errorf("%s has %d entries for %d tokens", keyScores, sv.Len(), n)
		}
	}
	var types []int32
	if tt, ok := f.Value(keyTokenType); ok {
		if types, ok = tt.Any().([]int32); !ok {
			return fmt.Errorf("%s has type %s, want an array of int32", keyTokenType, tt)
		}
		if len(types) < n {
			return fmt.Errorf("%s has %d entries for %d tokens", keyTokenType, len(types), n)
		}
	}
	v.text = make([]string, n)
	v.score = make([]float32, n)
	v.attr = make([]uint32, n)
	v.toID = make(map[string]int, n)
	for i, w := range tokens {
		if w == "" {
			w = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := v.toID[w]; dup {
			return fmt.Errorf("%s[%d]: duplicate token %q (also id %d)", keyTokens, i, w, j)
		}
		v.toID[w] = i
		v.text[i] = w
		v.maxTokenLen = max(v.maxTokenLen, len(w))
		switch {
		case fscores != nil:
			v.score[i] = fscores[i]
		case iscores != nil:
			v.score[i] = float32(iscores[i])
		}
		v.attr[i] = attrNormal
		if types != nil {
			switch types[i] {
			case typeUnknown:
				v.attr[i] = attrUnknown
			case typeUnused:
				v.attr[i] = attrUnused
			case typeNormal:
				v.attr[i] = attrNormal
			case typeControl:
				v.attr[i] = attrControl
			case typeUserDefined:
				v.attr[i] = attrUserDefined
			case typeByte:
				v.attr[i] = attrByte
			default:
				v.attr[i] = 0 // undefined
			}
		}
	}
	return nil
}

func (v *Vocab) loadSpecialIDs(f *gguf.File) error {
	n := len(v.text)
	ids := []struct {
		key string
		id  *int
	}{
		{keyBOS, &v.bos}, {keyEOS, &v.eos}, {keyEOT, &v.eot}, {keyEOM, &v.eom},
		{keyUNK, &v.unk}, {keySEP, &v.sep}, {keyPAD, &v.pad}, {keyMASK, &v.mask},
		{keyFimPre, &v.fimPre}, {keyFimSuf, &v.fimSuf}, {keyFimMid, &v.fimMid},
		{keyFimPad, &v.fimPad}, {keyFimRep, &v.fimRep}, {keyFimSep, &v.fimSep},
		{keyPrefixDeprec, &v.fimPre}, {keySuffixDeprec, &v.fimSuf}, {keyMiddleDeprec, &v.fimMid},
	}
	for _, s := range ids {
		if *s.id >= n {
			*s.id = null // default out of range
		}
		x, ok := f.Value(s.key)
		if !ok {
			continue
		}
		u, isUint := x.Uint()
		if !isUint {
			return fmt.Errorf("%s = %v: want a non-negative integer", s.key, x)
		}
		if u < uint64(n) {
			*s.id = int(u)
		} // else llama.cpp warns and keeps the default
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{keyAddBOS, &v.addBOS}, {keyAddEOS, &v.addEOS}, {keyAddSEP, &v.addSEP}} {
		val, ok, err := boolKey(f, b.key)
		if err != nil {
			return err
		}
		if ok {
			*b.dst = val
		}
	}
	if v.gemma4 && !v.addBOS {
		v.addBOS = true // llama.cpp's workaround for Gemma 4 (PR 21500)
	}
	// A missing BOS/EOS/SEP id with add_*_token set loads (llama.cpp only
	// asserts when tokenizing with add_special): Encode reports it then.
	lc, ok, err := boolKey(f, keyLowercase)
	if err != nil {
		return err
	}
	if ok {
		v.lowercase = lc
	}
	v.stripAccents = v.lowercase
	sa, ok, err := boolKey(f, keyStripAccents)
	if err != nil {
		return err
	}
	if ok {
		v.stripAccents = sa
	}
	return nil
}

var (
	eotTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
		"<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}
	eomTexts    = []string{"<|eom_id|>"}
	fimPreTexts = []string{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"}
	fimSufTexts = []string{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"}
	fimMidTexts = []string{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"}
	fimPadTexts = []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"}
	fimRepTexts = []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}
	fimSepTexts = []string{"<|file_sep|>"}
	eogTexts    = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
		"<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
		"<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["}
)

// detectSpecials is llama.cpp's text-based detection of EOT, EOM and FIM
// tokens, unused control tokens and the end-of-generation set. llama.cpp
// walks its token_to_id unordered_map and keeps the first candidate it meets;
// when a vocabulary holds several candidates for one role (Llama 3's
// <|eot_id|> and <|end_of_text|>) that order decides, so it is reproduced
// (unorderedMapOrder) when needed.
func (v *Vocab) detectSpecials() {
	var order []int
	byText := func(texts []string, dst *int) {
		if *dst != null {
			return
		}
		best := null
		for _, t := range texts {
			id, ok := v.toID[t]
			if !ok {
				continue
			}
			if best != null && order == nil {
				order = unorderedMapOrder(v.text)
			}
			if best == null || order[id] < order[best] {
				best = id
			}
		}
		if best != null {
			*dst = best
			v.attr[best] |= attrControl
		}
	}
	byText(eotTexts, &v.eot)
	byText(eomTexts, &v.eom)
	byText(fimPreTexts, &v.fimPre)
	byText(fimSufTexts, &v.fimSuf)
	byText(fimMidTexts, &v.fimMid)
	byText(fimPadTexts, &v.fimPad)
	byText(fimRepTexts, &v.fimRep)
	byText(fimSepTexts, &v.fimSep)

	for id, t := range v.text {
		if v.attr[id]&attrControl != 0 && strings.Contains(t, "unused") {
			v.attr[id] |= attrUnused
		}
	}

	eog := map[int]bool{}
	for _, id := range []int{v.fimPad, v.fimRep, v.fimSep} {
		if id != null {
			eog[id] = true
		}
	}
	for _, t := range eogTexts {
		if id, ok := v.toID[t]; ok {
			eog[id] = true
			v.attr[id] |= attrControl
		}
	}
	for _, t := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"} {
		if id, ok := v.toID[t]; ok {
			v.attr[id] = attrUserDefined
		}
	}
	for _, id := range []int{v.eos, v.eot, v.eom} {
		if id != null {
			eog[id] = true
		}
	}
	has := func(t string) (int, bool) {
		id, ok := v.toID[t]
		return id, ok && eog[id]
	}
	_, hasReturn := has("<|return|>")
	_, hasCall := has("<|call|>")
	_, hasCalls := has("<|calls|>")
	_, hasFlush := has("<|flush|>")
	endID, hasEnd := has("<|end|>")
	if hasEnd && ((hasReturn && (hasCall || hasCalls)) || ((hasCall || hasCalls) && hasFlush)) {
		delete(eog, endID)
		v.attr[endID] = attrUserDefined
	}
	if _, ok := has("<|tool_response>"); ok {
		if sID, ok := has("</s>"); ok {
			delete(eog, sID)
			v.attr[sID] = attrNormal
		}
	}
	for id := range eog {
		v.eog = append(v.eog, id)
	}
	sort.Ints(v.eog)
}

func (v *Vocab) buildSpecialCache() {
	for id, a := range v.attr {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			v.special = append(v.special, id)
		}
	}
	sort.SliceStable(v.special, func(i, j int) bool { return len(v.text[v.special[i]]) > len(v.text[v.special[j]]) })
}

// setNamedAttrs sets the LSTRIP/RSTRIP attributes llama.cpp ties to model,
// pre-tokenizer and architecture names.
func (v *Vocab) setNamedAttrs(f *gguf.File) {
	name, _ := f.String(keyGeneralName)
	name = strings.ToLower(name)
	arch, _ := f.String(keyArchitecture)
	set := func(text string, a uint32, on bool) {
		id, ok := v.toID[text]
		if !ok {
			return
		}
		if on {
			v.attr[id] |= a
		} else {
			v.attr[id] &^= a
		}
	}
	containsAny := func(s string, subs ...string) bool {
		for _, x := range subs {
			if strings.Contains(s, x) {
				return true
			}
		}
		return false
	}
	switch {
	case containsAny(v.pre, "jina-v2-de", "jina-v2-es", "jina-v2-code") || containsAny(arch, "nomic-bert-moe", "jina-bert-v3"):
		set("<mask>", attrLStrip, true)
	case containsAny(name, "phi-3", "phi3"):
		for _, id := range v.special {
			v.attr[id] |= attrRStrip
		}
		set("</s>", attrRStrip, true)
		for _, t := range []string{"<unk>", "<s>", "<|endoftext|>"} {
			set(t, attrRStrip, false)
		}
	case containsAny(name, "modern-bert"):
		set("[MASK]", attrLStrip, true)
	}
}
