package bpetrain

import (
	"bytes"
	"container/heap"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// Merge is one learned merge: the symbols Left and Right become ID.
type Merge struct {
	Left, Right, ID int
}

// Result is a trained byte-level BPE tokenizer. It implements
// [tokenizer.Tokenizer] and is safe for concurrent use.
type Result struct {
	// Vocab holds each token's text by id: the byte-level form (GPT-2's
	// byte-to-unicode alphabet, "Ġthe") for ids 0-255 and the learned tokens,
	// the raw text for the special tokens at the end.
	Vocab []string
	// Merges lists the learned merges in rank order (first learned first).
	// A pair merged twice during training appears once, at its later rank,
	// as HF tokenizers saves it.
	Merges []Merge
	// SpecialTokens are the special tokens' texts; their ids are the last
	// len(SpecialTokens) ids of Vocab, in order.
	SpecialTokens []string
	// Pattern is the pre-tokenizer split pattern.
	Pattern string

	ranks    map[uint64]rankID
	split    pretok.Splitter
	matcher  *tokenizer.SpecialMatcher
	specials tokenizer.Specials
	// raw holds each token's bytes, by id.
	raw [][]byte
}

type rankID struct {
	rank, id int32
}

func newResult(vocab []string, learnedMerges []learned, specials []string, pattern string) (*Result, error) {
	r := &Result{Pattern: pattern, SpecialTokens: append([]string(nil), specials...)}
	index := make(map[string]bool, len(vocab))
	for _, s := range vocab {
		index[s] = true
	}
	for _, s := range specials {
		if index[s] {
			return nil, fmt.Errorf("bpetrain: special token %q has the same text as a learned token; choose another special token", s)
		}
	}
	r.Vocab = append(append(make([]string, 0, len(vocab)+len(specials)), vocab...), specials...)
	last := make(map[uint64]int, len(learnedMerges))
	for i, m := range learnedMerges {
		last[pairKey(m.a, m.b)] = i
	}
	for i, m := range learnedMerges {
		if last[pairKey(m.a, m.b)] == i {
			r.Merges = append(r.Merges, Merge{Left: int(m.a), Right: int(m.b), ID: int(m.id)})
		}
	}
	if err := r.init(); err != nil {
		return nil, err
	}
	return r, nil
}

// init builds the lookup tables Encode and Decode use.
func (r *Result) init() error {
	split, err := pretok.CompileUnicode(r.Pattern, pretok.Unicode16) // as tokenizer/hf splits
	if err != nil {
		return fmt.Errorf("bpetrain: pattern: %w", err)
	}
	r.split = split
	r.ranks = make(map[uint64]rankID, len(r.Merges))
	for i, m := range r.Merges {
		r.ranks[pairKey(int32(m.Left), int32(m.Right))] = rankID{int32(i), int32(m.ID)}
	}
	first := len(r.Vocab) - len(r.SpecialTokens)
	r.raw = make([][]byte, len(r.Vocab))
	for id, s := range r.Vocab {
		if id >= first {
			r.raw[id] = []byte(s)
			continue
		}
		b, ok := tokenizer.ByteLevelToBytes(s)
		if !ok {
			return fmt.Errorf("bpetrain: token %d %q is not byte-level text", id, s)
		}
		r.raw[id] = b
	}
	r.matcher = specialMatcher(r.SpecialTokens, first)
	r.specials = tokenizer.NoSpecials()
	for i, s := range r.SpecialTokens {
		id := first + i
		r.specials.Tokens = append(r.specials.Tokens, tokenizer.SpecialToken{Text: s, ID: id, Control: true})
		if s == EndOfText {
			r.specials.EOS = id
			r.specials.EOG = []int{id}
		}
	}
	return nil
}

// VocabSize is the number of ids, special tokens included.
func (r *Result) VocabSize() int { return len(r.Vocab) }

// Specials reports the special tokens; "<|endoftext|>", when present, is the
// EOS and only end-of-generation token.
func (r *Result) Specials() tokenizer.Specials {
	s := r.specials
	s.EOG = append([]int(nil), s.EOG...)
	s.Tokens = append([]tokenizer.SpecialToken(nil), s.Tokens...)
	return s
}

// Encode returns the ids of text: pre-tokens by the split pattern, each
// merged with the learned merges (lowest rank first, leftmost on ties).
// With opts.ParseSpecial, special-token text encodes as the special token.
// A byte-level BPE has no template, so opts.AddSpecial adds nothing.
func (r *Result) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	var ids []int
	var spans []pretok.Span
	encodeText := func(s string) {
		spans = r.split.FindAll(spans[:0], s)
		for _, sp := range spans {
			ids = r.encodeWord(ids, s[sp.Start:sp.End])
		}
	}
	if !opts.ParseSpecial || r.matcher == nil {
		encodeText(text)
		return ids, nil
	}
	for _, seg := range r.matcher.Split(text) {
		if seg.ID >= 0 {
			ids = append(ids, seg.ID)
		} else {
			encodeText(seg.Text)
		}
	}
	return ids, nil
}

func (r *Result) rank(a, b int32) (rankID, bool) {
	m, ok := r.ranks[pairKey(a, b)]
	return m, ok
}

// scanLimit is the word length up to which encodeWord uses the quadratic
// scan; longer words use a heap.
const scanLimit = 64

// encodeWord appends the ids of one pre-token.
func (r *Result) encodeWord(dst []int, word string) []int {
	if len(word) > scanLimit {
		return r.encodeLong(dst, word)
	}
	var buf [scanLimit]int32
	syms := buf[:len(word)]
	for i := 0; i < len(word); i++ {
		syms[i] = byteIDs[word[i]]
	}
	for len(syms) > 1 {
		best, at := rankID{rank: -1}, -1
		for i := 0; i+1 < len(syms); i++ {
			if m, ok := r.rank(syms[i], syms[i+1]); ok && (at < 0 || m.rank < best.rank) {
				best, at = m, i
			}
		}
		if at < 0 {
			break
		}
		syms[at] = best.id
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	for _, s := range syms {
		dst = append(dst, int(s))
	}
	return dst
}

// cand is a pair waiting in encodeLong's heap.
type cand struct {
	rank        int32
	left, right int32
	a, b        int32
}

type candHeap []cand

func (h candHeap) Len() int { return len(h) }
func (h candHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].left < h[j].left
}
func (h candHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candHeap) Push(x any)   { *h = append(*h, x.(cand)) }
func (h *candHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// encodeLong is encodeWord over a doubly linked list and a heap of pairs,
// O(n log n) for long pre-tokens (runs of spaces or punctuation).
func (r *Result) encodeLong(dst []int, word string) []int {
	n := len(word)
	syms := make([]int32, n)
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := 0; i < n; i++ {
		syms[i], prev[i], next[i] = byteIDs[word[i]], int32(i-1), int32(i+1)
	}
	next[n-1] = -1
	h := make(candHeap, 0, n)
	push := func(l, rr int32) {
		if l < 0 || rr < 0 {
			return
		}
		if m, ok := r.rank(syms[l], syms[rr]); ok {
			heap.Push(&h, cand{m.rank, l, rr, syms[l], syms[rr]})
		}
	}
	for i := int32(0); i+1 < int32(n); i++ {
		push(i, i+1)
	}
	for h.Len() > 0 {
		c := heap.Pop(&h).(cand)
		if next[c.left] != c.right || syms[c.left] != c.a || syms[c.right] != c.b {
			continue // stale
		}
		m, _ := r.rank(c.a, c.b)
		syms[c.left] = m.id
		syms[c.right] = -1
		nr := next[c.right]
		next[c.left] = nr
		next[c.right] = -2
		if nr >= 0 {
			prev[nr] = c.left
		}
		push(prev[c.left], c.left)
		push(c.left, nr)
	}
	for i := int32(0); i >= 0; i = next[i] {
		dst = append(dst, int(syms[i]))
	}
	return dst
}

// Decode returns the text of ids. Bytes that do not form valid UTF-8 decode
// to U+FFFD, one per maximal invalid subsequence, as HF's ByteLevel decoder
// (Rust's String::from_utf8_lossy) does.
func (r *Result) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	first := len(r.Vocab) - len(r.SpecialTokens)
	var b []byte
	for pos, id := range ids {
		if id < 0 || id >= len(r.raw) {
			return "", tokenizer.UnknownIDError(id, pos, len(r.raw))
		}
		if opts.SkipSpecial && id >= first {
			continue
		}
		b = append(b, r.raw[id]...)
	}
	return tokenizer.ValidUTF8(b), nil
}

// MarshalJSON returns the tokenizer as a Hugging Face tokenizer.json (see the
// package documentation for its layout). Keys keep HF's order and the vocab
// is listed by id, one entry per line, so the file diffs well.
func (r *Result) MarshalJSON() ([]byte, error) {
	var w bytes.Buffer
	str := func(s string) {
		b, _ := json.Marshal(s) // strings always marshal
		// json.Marshal escapes <, > and & for HTML; tokenizer.json does not.
		b = bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<"))
		b = bytes.ReplaceAll(b, []byte(`\u003e`), []byte(">"))
		b = bytes.ReplaceAll(b, []byte(`\u0026`), []byte("&"))
		w.Write(b)
	}
	first := len(r.Vocab) - len(r.SpecialTokens)
	w.WriteString("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [")
	for i, s := range r.SpecialTokens {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(&w, "\n    {\"id\": %d, \"content\": ", first+i)
		str(s)
		w.WriteString(`, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}`)
	}
	if len(r.SpecialTokens) > 0 {
		w.WriteString("\n  ")
	}
	w.WriteString("],\n  \"normalizer\": null,\n  \"pre_tokenizer\": ")
	if r.Pattern == GPT2Pattern {
		w.WriteString(`{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`)
	} else {
		w.WriteString(`{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": `)
		str(r.Pattern)
		w.WriteString(`}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}`)
	}
	w.WriteString(",\n  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": true}")
	w.WriteString(",\n  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true}")
	w.WriteString(",\n  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n" +
		"    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n" +
		"    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {")
	for id, s := range r.Vocab {
		if id > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n      ")
		str(s)
		fmt.Fprintf(&w, ": %d", id)
	}
	w.WriteString("\n    },\n    \"merges\": [")
	for i, m := range r.Merges {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n      ")
		str(r.Vocab[m.Left] + " " + r.Vocab[m.Right])
	}
	w.WriteString("\n    ]\n  }\n}\n")
	return w.Bytes(), nil
}

// WriteJSON writes the tokenizer.json to path atomically: into a temporary
// file in the same folder, synced, then renamed over path.
func (r *Result) WriteJSON(path string) (err error) {
	data, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("bpetrain: write %s: %w", path, err)
	}
	return nil
}
