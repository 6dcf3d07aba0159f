package hf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// Tokenizer is a tokenizer.json loaded into memory. It implements
// tokenizer.Tokenizer, tokenizer.Templater and is safe for concurrent use.
type Tokenizer struct {
	added      []AddedToken        // the file's added_tokens, as written
	addedByID  map[int]*AddedToken // resolved id → token (HF's added_tokens_map_r)
	addedIDs   map[string]int      // content → resolved id (HF's added_tokens_map)
	specialSet map[string]bool     // contents of special added tokens
	rawAdded   *addedMatcher       // added tokens with normalized=false
	normAdded  *addedMatcher       // added tokens with normalized=true (normalized content)

	norm  normalizer
	pre   preTokenizer
	model model
	post  *postProcessor
	trim  []trimOffsets // the post-processor's offset trimming
	dec   decoder

	trunc   *Truncation
	padding *Padding

	specials tokenizer.Specials
	vocab    int

	// fastRe, when not nil, is the pre-tokenizer's regex of a byte-level
	// BPE tokenizer that Encode runs through the fast path (fastbl.go).
	fastRe       pretok.Splitter
	fastKeepGaps bool
	fastBPE      *bpeModel
}

// Truncation is tokenizer.json's "truncation" block.
type Truncation struct {
	// MaxLength is the most ids Encode returns (template tokens included).
	MaxLength int `json:"max_length"`
	// Stride is the overlap of overflowing pieces (not used by Encode).
	Stride int `json:"stride"`
	// Strategy is LongestFirst, OnlyFirst or OnlySecond.
	Strategy string `json:"strategy"`
	// Direction is Right (keep the start, the default) or Left.
	Direction string `json:"direction"`
}

// Padding is tokenizer.json's "padding" block, exposed as is.
type Padding struct {
	// Strategy is "BatchLongest" or {"Fixed": n}.
	Strategy json.RawMessage `json:"strategy"`
	// Direction is Right or Left.
	Direction       string `json:"direction"`
	PadToMultipleOf *int   `json:"pad_to_multiple_of"`
	PadID           int    `json:"pad_id"`
	PadTypeID       int    `json:"pad_type_id"`
	PadToken        string `json:"pad_token"`
}

type fileJSON struct {
	Version       string          `json:"version"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
	AddedTokens   json.RawMessage `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
}

// errAt formats an error at a JSON path of tokenizer.json.
func errAt(path, format string, args ...any) error {
	return fmt.Errorf("hf: tokenizer.json: %s: %s", path, fmt.Sprintf(format, args...))
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// Load reads and parses a tokenizer.json file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hf: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	if cfg, err := os.ReadFile(filepath.Join(filepath.Dir(path), "tokenizer_config.json")); err == nil {
		t.applyConfig(cfg)
	}
	return t, nil
}

// applyConfig names the special tokens from a transformers
// tokenizer_config.json: bos_token, eos_token, unk_token, pad_token,
// cls_token, sep_token and mask_token, each a string, an AddedToken object
// ({"content": ...}) or null (no such token). Keys that are absent, and
// tokens that are not in the vocabulary, keep the guess made from the token
// texts. A config that is not valid JSON is ignored. EOG is recomputed
// from the new EOS.
func (t *Tokenizer) applyConfig(data []byte) {
	var cfg map[string]json.RawMessage
	if json.Unmarshal(data, &cfg) != nil {
		return
	}
	sp := &t.specials
	for _, f := range []struct {
		key string
		dst *int
	}{{"bos_token", &sp.BOS}, {"eos_token", &sp.EOS}, {"unk_token", &sp.UNK}, {"pad_token", &sp.PAD},
		{"cls_token", &sp.CLS}, {"sep_token", &sp.SEP}, {"mask_token", &sp.MASK}} {
		raw, ok := cfg[f.key]
		if !ok {
			continue
		}
		if isNull(raw) {
			*f.dst = -1
			continue
		}
		var text string
		if json.Unmarshal(raw, &text) != nil {
			var obj struct {
				Content *string `json:"content"`
			}
			if json.Unmarshal(raw, &obj) != nil || obj.Content == nil {
				continue
			}
			text = *obj.Content
		}
		if id, ok := t.TokenToID(text); ok {
			*f.dst = id
		}
	}
	sp.EOG = t.eog(sp.EOS)
}

// eogNames are end-of-generation tokens: end of text and end of turn.
var eogNames = []string{"<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "</s>", "<|endoftext|>", "<|im_end|>", "<eos>",
	"<end_of_turn>", "<|end|>", "<|return|>", "<|call|>", "<|end_of_turn|>"}

// eog lists eos (when >= 0) and every well-known end-of-text or end-of-turn
// token that is an added token, without repeats. Plain vocabulary entries
// are not considered: Qwen's BPE vocabulary has an ordinary "</s>".
func (t *Tokenizer) eog(eos int) []int {
	var out []int
	if eos >= 0 {
		out = append(out, eos)
	}
	for _, n := range eogNames {
		if id, ok := t.addedIDs[n]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Parse builds a Tokenizer from the contents of a tokenizer.json file.
func Parse(data []byte) (*Tokenizer, error) { return parse(data, nil) }

// parse is Parse; a non-nil m replaces the file's model (tests reuse a big
// parsed model across pipeline variants).
func parse(data []byte, m model) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("hf: tokenizer.json: %w", err)
	}
	t := &Tokenizer{model: m}
	var err error
	if m == nil {
		if isNull(f.Model) {
			return nil, errAt("model", "missing")
		}
		if t.model, err = parseModel(f.Model, "model"); err != nil {
			return nil, err
		}
	}
	if t.norm, err = parseNormalizer(f.Normalizer, "normalizer"); err != nil {
		return nil, err
	}
	if t.pre, err = parsePreTokenizer(f.PreTokenizer, "pre_tokenizer"); err != nil {
		return nil, err
	}
	if t.post, err = parsePostProcessor(f.PostProcessor, "post_processor"); err != nil {
		return nil, err
	}
	t.trim = parseTrim(f.PostProcessor)
	if t.dec, err = parseDecoder(f.Decoder, "decoder"); err != nil {
		return nil, err
	}
	if !isNull(f.Truncation) {
		var tr Truncation
		if err := json.Unmarshal(f.Truncation, &tr); err != nil {
			return nil, errAt("truncation", "%v", err)
		}
		if tr.MaxLength < 0 {
			return nil, errAt("truncation.max_length", "negative")
		}
		switch tr.Direction {
		case "", "Right", "Left":
		default:
			return nil, errAt("truncation.direction", "unknown direction %q", tr.Direction)
		}
		t.trunc = &tr
	}
	if !isNull(f.Padding) {
		var p Padding
		if err := json.Unmarshal(f.Padding, &p); err != nil {
			return nil, errAt("padding", "%v", err)
		}
		t.padding = &p
	}
	if !isNull(f.AddedTokens) {
		if err := json.Unmarshal(f.AddedTokens, &t.added); err != nil {
			return nil, errAt("added_tokens", "%v", err)
		}
	}
	for i, a := range t.added {
		if a.ID < 0 || a.ID > 1<<28 {
			return nil, errAt(indexPath("added_tokens", i)+".id", "id %d out of range", a.ID)
		}
	}
	t.resolveAdded()
	t.fuseByteLevel()
	t.specials = t.findSpecials()
	return t, nil
}

// fuseByteLevel moves the final ByteLevel pre-tokenizer's byte mapping into
// a BPE model, so that the hot path works on raw bytes.
func (t *Tokenizer) fuseByteLevel() {
	m, ok := t.model.(*bpeModel)
	if !ok {
		return
	}
	var last *byteLevelPre
	switch p := t.pre.(type) {
	case *byteLevelPre:
		last = p
	case preSeq:
		if len(p) > 0 {
			last, _ = p[len(p)-1].(*byteLevelPre)
		}
	}
	if last == nil {
		return
	}
	last.mapBytes = false
	m.setByteLevel()
	if re, keepGaps := fastSplitter(t.pre); re != nil {
		t.fastRe, t.fastKeepGaps, t.fastBPE = re, keepGaps, m
	}
}

func parseModel(raw json.RawMessage, path string) (model, error) {
	var j struct {
		Type   string          `json:"type"`
		Merges json.RawMessage `json:"merges"`
		Vocab  json.RawMessage `json:"vocab"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	typ := j.Type
	if typ == "" {
		// Files from old versions omit the type; infer it like serde's
		// untagged fallback.
		v := bytes.TrimSpace(j.Vocab)
		switch {
		case !isNull(j.Merges):
			typ = "BPE"
		case len(v) > 0 && v[0] == '[':
			typ = "Unigram"
		default:
			return nil, errAt(path+".type", "missing model type")
		}
	}
	switch typ {
	case "BPE":
		return parseBPE(raw, path)
	case "WordLevel":
		return parseWordLevel(raw, path)
	case "WordPiece":
		return parseWordPiece(raw, path)
	case "Unigram":
		return parseUnigram(raw, path)
	default:
		return nil, errAt(path+".type", "unsupported model type %q", typ)
	}
}

// Truncation returns the file's truncation settings, or nil when it has none.
func (t *Tokenizer) Truncation() *Truncation {
	if t.trunc == nil {
		return nil
	}
	c := *t.trunc
	return &c
}

// SetTruncation replaces the truncation Encode applies; nil disables it. It
// must not be called while other goroutines use t.
func (t *Tokenizer) SetTruncation(tr *Truncation) {
	if tr == nil {
		t.trunc = nil
		return
	}
	c := *tr
	t.trunc = &c
}

// Padding returns the file's padding settings, or nil when it has none.
func (t *Tokenizer) Padding() *Padding { return t.padding }

// AddedTokens returns the file's added_tokens.
func (t *Tokenizer) AddedTokens() []AddedToken { return append([]AddedToken(nil), t.added...) }

// VocabSize is one more than the largest id of the model or of an added token.
func (t *Tokenizer) VocabSize() int { return t.vocab }

// Specials reports the special tokens (see findSpecials for how BOS/EOS… are named).
func (t *Tokenizer) Specials() tokenizer.Specials { return t.specials }

// TokenToID returns the id of a token string (added tokens first, then the
// model's vocabulary).
func (t *Tokenizer) TokenToID(tok string) (int, bool) {
	if id, ok := t.addedIDs[tok]; ok {
		return id, true
	}
	return t.model.tokenToID(tok)
}

// IDToToken returns the token string of id.
func (t *Tokenizer) IDToToken(id int) (string, bool) {
	if a, ok := t.addedByID[id]; ok {
		return a.Content, true
	}
	return t.model.idToToken(id)
}

var pieceBufs = sync.Pool{New: func() any { b := make([]piece, 0, 256); return &b }}

// run is the encode pipeline without truncation and template. When toks is
// non-nil the token strings are appended to it.
func (t *Tokenizer) run(text string, parseSpecial bool, ids []int, toks *[]string) ([]int, error) {
	var segBuf [8]segment
	segs := t.rawAdded.splitAdded(segBuf[:0], text, 0, parseSpecial)
	pb := pieceBufs.Get().(*[]piece)
	defer pieceBufs.Put(pb)
	var err error
	for _, seg := range segs {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			if toks != nil {
				*toks = append(*toks, seg.s)
			}
			continue
		}
		s := seg.s
		if t.norm != nil {
			s = t.norm.normalize(s)
		}
		if s == "" {
			continue
		}
		var sub [8]segment
		for _, ns := range t.normAdded.splitAdded(sub[:0], s, seg.off, parseSpecial) {
			if ns.id >= 0 {
				ids = append(ids, ns.id)
				if toks != nil {
					*toks = append(*toks, ns.s)
				}
				continue
			}
			if t.fastRe != nil && toks == nil {
				if ids, err = t.fastBPE.encodeFast(ids, t.fastRe, t.fastKeepGaps, ns.s); err != nil {
					return ids, err
				}
				continue
			}
			pieces := (*pb)[:0]
			if t.pre == nil {
				pieces = append(pieces, piece{s: ns.s, off: ns.off})
			} else {
				pieces = t.pre.split(pieces, piece{s: ns.s, off: ns.off})
			}
			for _, p := range pieces {
				if toks != nil {
					if *toks, err = t.model.tokens(*toks, p.s); err != nil {
						return ids, err
					}
				}
				if ids, err = t.model.encode(ids, p.s); err != nil {
					return ids, err
				}
			}
			*pb = pieces
		}
	}
	return ids, nil
}

// truncate applies the truncation settings to one sequence.
func (t *Tokenizer) truncate(ids []int, addSpecial bool) []int {
	if t.trunc == nil {
		return ids
	}
	maxLen := t.trunc.MaxLength
	if addSpecial {
		maxLen = max(0, maxLen-t.post.numAdded(false))
	}
	if len(ids) <= maxLen {
		return ids
	}
	if t.trunc.Direction == "Left" {
		return ids[len(ids)-maxLen:]
	}
	return ids[:maxLen]
}

// Encode returns the ids of text. It never fails for valid tokenizer files
// except for a WordLevel model without unk_token meeting an unknown word.
func (t *Tokenizer) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	ids, err := t.run(text, opts.ParseSpecial, make([]int, 0, len(text)/3+4), nil)
	if err != nil {
		return nil, err
	}
	ids = t.truncate(ids, opts.AddSpecial)
	if opts.AddSpecial && t.post != nil {
		ids, _, _ = t.post.apply(ids, nil)
	}
	return ids, nil
}

// EncodeTokens returns the token strings HF's Encoding.tokens holds for text
// (template tokens included when opts.AddSpecial is set).
func (t *Tokenizer) EncodeTokens(text string, opts tokenizer.EncodeOptions) ([]string, error) {
	var toks []string
	ids, err := t.run(text, opts.ParseSpecial, nil, &toks)
	if err != nil {
		return nil, err
	}
	n := len(t.truncate(ids, opts.AddSpecial))
	toks = toks[:n]
	if opts.AddSpecial && t.post != nil {
		out, _, added := t.post.apply(ids[:n], nil)
		res := make([]string, 0, len(out))
		k := 0
		for i, id := range out {
			if added[i] {
				s, _ := t.IDToToken(id)
				res = append(res, s)
				continue
			}
			res = append(res, toks[k])
			k++
		}
		return res, nil
	}
	return toks, nil
}

// ApplyTemplate wraps one sequence (b == nil) or a pair with the
// post-processor's special tokens (tokenizer.Templater).
func (t *Tokenizer) ApplyTemplate(a, b []int) (ids, typeIDs []int, added []bool) {
	if t.post == nil {
		ids = append(append([]int(nil), a...), b...)
		typeIDs = make([]int, len(ids))
		for i := len(a); i < len(ids); i++ {
			typeIDs[i] = 1
		}
		return ids, typeIDs, make([]bool, len(ids))
	}
	return t.post.apply(a, b)
}

// NumAdded is how many ids ApplyTemplate adds (tokenizer.Templater).
func (t *Tokenizer) NumAdded(pair bool) int { return t.post.numAdded(pair) }

// Decode returns the text of ids like HF's decode: token strings through the
// decoder chain; with SkipSpecial, added tokens marked special are dropped.
func (t *Tokenizer) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	toks := make([]string, 0, len(ids))
	for i, id := range ids {
		if a, ok := t.addedByID[id]; ok {
			if opts.SkipSpecial && t.specialSet[a.Content] {
				continue
			}
			toks = append(toks, a.Content)
			continue
		}
		s, ok := t.model.idToToken(id)
		if !ok {
			return "", tokenizer.UnknownIDError(id, i, t.vocab)
		}
		if opts.SkipSpecial && t.specialSet[s] {
			continue
		}
		toks = append(toks, s)
	}
	if t.dec == nil {
		return strings.Join(toks, " "), nil
	}
	return strings.Join(t.dec.decodeChain(toks), ""), nil
}

// findSpecials names BOS/EOS/UNK/PAD/CLS/SEP/MASK by the conventional token
// texts (tokenizer.json itself does not say which added token is the BOS;
// that lives in tokenizer_config.json, which Load reads when it is next to
// the file: see applyConfig), the unk of the model, and lists every added
// token.
func (t *Tokenizer) findSpecials() tokenizer.Specials {
	sp := tokenizer.NoSpecials()
	pick := func(dst *int, names ...string) {
		for _, n := range names {
			if id, ok := t.TokenToID(n); ok {
				*dst = id
				return
			}
		}
	}
	pick(&sp.BOS, "<|begin_of_text|>", "<s>", "<bos>", "[BOS]", "<|startoftext|>")
	pick(&sp.EOS, "<|end_of_text|>", "</s>", "<|endoftext|>", "<eos>", "[EOS]")
	pick(&sp.UNK, "<unk>", "[UNK]", "<|unk|>")
	switch m := t.model.(type) {
	case *bpeModel:
		if m.unk >= 0 {
			sp.UNK = m.unk
		}
	case *wordLevelModel:
		if m.unk >= 0 {
			sp.UNK = m.unk
		}
	}
	pick(&sp.PAD, "<pad>", "[PAD]", "<|pad|>", "<|finetune_right_pad_id|>")
	pick(&sp.CLS, "[CLS]", "<cls>")
	pick(&sp.SEP, "[SEP]", "<sep>")
	pick(&sp.MASK, "[MASK]", "<mask>", "<mask_1>")
	sp.EOG = t.eog(sp.EOS)
	ids := make([]int, 0, len(t.addedByID))
	for id := range t.addedByID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := t.addedByID[id]
		sp.Tokens = append(sp.Tokens, tokenizer.SpecialToken{Text: a.Content, ID: id, Control: t.specialSet[a.Content]})
	}
	return sp
}

// resolveAdded registers the file's added_tokens the way the Rust crate's
// deserializer does (AddedVocabulary::add_tokens, one token at a time): the
// id written in the file is only checked there, never used. A token whose
// content is already known (an earlier added token or the model's
// vocabulary) takes that id; any other gets the next free id, which is the
// model's vocabulary size (its number of entries) or one past the largest
// added id when that is larger. A later entry with the same content replaces
// the flags of the earlier one. Real files are consistent, so the ids are
// the written ones; hand-made files with other ids encode as HF encodes them.
func (t *Tokenizer) resolveAdded() {
	t.addedByID = map[int]*AddedToken{}
	t.addedIDs = map[string]int{}
	t.specialSet = map[string]bool{}
	modelCount := t.model.count()
	var specials, others []AddedToken
	for _, tok := range t.added {
		if tok.Special && tok.Content != "" && !t.specialSet[tok.Content] {
			specials = append(specials, tok)
			t.specialSet[tok.Content] = true
		}
		if tok.Content == "" {
			continue
		}
		if id, ok := t.addedIDs[tok.Content]; ok {
			if prev := t.addedByID[id]; prev != nil && *prev == (AddedToken{ID: prev.ID, Content: tok.Content,
				SingleWord: tok.SingleWord, LStrip: tok.LStrip, RStrip: tok.RStrip, Normalized: tok.Normalized, Special: tok.Special}) {
				continue // the same token again
			}
		}
		next := modelCount
		if len(t.addedByID) > 0 {
			mx := -1
			for id := range t.addedByID {
				mx = max(mx, id)
			}
			if mx >= modelCount || modelCount == 0 {
				next = mx + 1
			}
		}
		id, ok := t.addedIDs[tok.Content]
		if !ok {
			id, ok = t.model.tokenToID(tok.Content)
		}
		if !ok {
			id = next
		}
		c := tok
		c.ID = id
		t.addedIDs[tok.Content] = id
		t.addedByID[id] = &c
		if !t.specialSet[tok.Content] {
			others = append(others, c)
		}
	}
	t.vocab = t.model.size()
	for id := range t.addedByID {
		t.vocab = max(t.vocab, id+1)
	}
	// Match patterns: special tokens first, then the others (HF's
	// refresh_added_tokens); a match takes the flags of the token its id
	// resolves to.
	var raw, normed []*AddedToken
	for _, tok := range append(specials, others...) {
		id := t.addedIDs[tok.Content]
		cur := *t.addedByID[id]
		m := &AddedToken{ID: id, Content: tok.Content, SingleWord: cur.SingleWord, LStrip: cur.LStrip, RStrip: cur.RStrip,
			Normalized: tok.Normalized, Special: t.specialSet[cur.Content]}
		if tok.Normalized {
			normed = append(normed, m)
		} else {
			raw = append(raw, m)
		}
	}
	t.rawAdded = newAddedMatcher(raw, func(a *AddedToken) string { return a.Content })
	t.normAdded = newAddedMatcher(normed, func(a *AddedToken) string {
		if t.norm == nil {
			return a.Content
		}
		return t.norm.normalize(a.Content)
	})
}
