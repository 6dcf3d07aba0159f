package bpetrain

import (
	"bufio"
	"container/heap"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// GPT2Pattern is GPT-2's pre-tokenizer split pattern, the one HF's ByteLevel
// pre-tokenizer applies when use_regex is true. It is the default
// [Options.Pattern].
const GPT2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// EndOfText is the default special token.
const EndOfText = "<|endoftext|>"

// Options configures [Train].
type Options struct {
	// VocabSize is the vocabulary size to reach, special tokens and the 256
	// byte symbols included. It must be at least 256 + len(SpecialTokens).
	VocabSize int
	// MinFrequency stops training when the most frequent pair occurs fewer
	// times than this. 0 and 1 both mean "merge any pair seen at least once".
	MinFrequency int
	// Pattern is the pre-tokenizer split pattern; "" means [GPT2Pattern].
	Pattern string
	// SpecialTokens are added after the learned tokens, in order, and cut out
	// of the training text. nil means ["<|endoftext|>"]; an empty non-nil
	// slice means none.
	SpecialTokens []string
	// Progress, when set, is called from the training goroutine as counting
	// and merging advance (every 1 MiB read, every 64 merges, and at the end
	// of each stage).
	Progress func(Progress)
}

// Stage names a phase of training in [Progress].
type Stage string

// The stages of training, in order.
const (
	StageCount Stage = "count" // reading the input and counting pre-tokens
	StageMerge Stage = "merge" // learning merges
	StageDone  Stage = "done"  // finished
)

// Progress reports how far training has come.
type Progress struct {
	// Stage is the current phase.
	Stage Stage
	// BytesRead is the number of input bytes read so far.
	BytesRead int64
	// Words is the number of distinct pre-tokens counted so far.
	Words int
	// Merges is the number of merges learned so far.
	Merges int
	// Vocab is the current vocabulary size (bytes, merges and special tokens),
	// and Target the size training aims for.
	Vocab, Target int
}

// TrainFiles trains on the named files, read in order (see [Train]).
func TrainFiles(ctx context.Context, paths []string, opts Options) (*Result, error) {
	rs := make([]io.Reader, 0, len(paths))
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("bpetrain: %w", err)
		}
		files = append(files, f)
		rs = append(rs, namedReader{f, p})
	}
	return Train(ctx, rs, opts)
}

// namedReader lets error messages name the file being read.
type namedReader struct {
	io.Reader
	name string
}

// Train learns a byte-level BPE vocabulary from the text of rs (read one
// after the other, line by line) and returns the trained tokenizer. It
// returns ctx.Err() (wrapped) when ctx is cancelled.
func Train(ctx context.Context, rs []io.Reader, opts Options) (*Result, error) {
	if opts.Pattern == "" {
		opts.Pattern = GPT2Pattern
	}
	if opts.SpecialTokens == nil {
		opts.SpecialTokens = []string{EndOfText}
	}
	if err := checkSpecials(opts.SpecialTokens); err != nil {
		return nil, err
	}
	if min := 256 + len(opts.SpecialTokens); opts.VocabSize < min {
		return nil, fmt.Errorf("bpetrain: vocabulary size %d is below %d (256 byte symbols + %d special tokens)",
			opts.VocabSize, min, len(opts.SpecialTokens))
	}
	split, err := pretok.CompileUnicode(opts.Pattern, pretok.Unicode16) // as HF tokenizers split
	if err != nil {
		return nil, fmt.Errorf("bpetrain: pattern: %w", err)
	}
	t := &trainer{opts: opts, split: split, counts: map[string]int64{}}
	t.matcher = specialMatcher(opts.SpecialTokens, 0)
	for i, r := range rs {
		name := fmt.Sprintf("input %d", i)
		if nr, ok := r.(namedReader); ok {
			name = nr.name
		}
		if err := t.count(ctx, r); err != nil {
			return nil, fmt.Errorf("bpetrain: %s: %w", name, err)
		}
	}
	t.report(StageCount, 0, 256+len(opts.SpecialTokens))
	merges, vocab, err := t.merge(ctx)
	if err != nil {
		return nil, fmt.Errorf("bpetrain: %w", err)
	}
	res, err := newResult(vocab, merges, opts.SpecialTokens, opts.Pattern)
	if err != nil {
		return nil, err
	}
	t.report(StageDone, len(res.Merges), len(res.Vocab))
	return res, nil
}

func checkSpecials(specials []string) error {
	seen := map[string]bool{}
	for i, s := range specials {
		if s == "" {
			return fmt.Errorf("bpetrain: special token %d is empty", i)
		}
		if seen[s] {
			return fmt.Errorf("bpetrain: special token %q is listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// specialMatcher returns a matcher for specials numbered from first, or nil
// when there are none.
func specialMatcher(specials []string, first int) *tokenizer.SpecialMatcher {
	if len(specials) == 0 {
		return nil
	}
	toks := make([]tokenizer.SpecialToken, len(specials))
	for i, s := range specials {
		toks[i] = tokenizer.SpecialToken{Text: s, ID: first + i, Control: true}
	}
	return tokenizer.NewSpecialMatcher(toks)
}

type trainer struct {
	opts    Options
	split   pretok.Splitter
	matcher *tokenizer.SpecialMatcher
	counts  map[string]int64
	words   int // distinct pre-tokens, once counting is over
	read    int64
	spans   []pretok.Span
}

func (t *trainer) report(stage Stage, merges, vocab int) {
	if t.opts.Progress != nil {
		t.opts.Progress(Progress{Stage: stage, BytesRead: t.read, Words: max(len(t.counts), t.words),
			Merges: merges, Vocab: vocab, Target: t.opts.VocabSize})
	}
}

// count reads r line by line and adds its pre-tokens to t.counts.
func (t *trainer) count(ctx context.Context, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	nextReport := t.read + 1<<20
	for lines := 0; ; lines++ {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			t.read += int64(len(line))
			t.countLine(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if lines%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if t.read >= nextReport {
			t.report(StageCount, 0, 256+len(t.opts.SpecialTokens))
			nextReport = t.read + 1<<20
		}
	}
}

func (t *trainer) countLine(line string) {
	if t.matcher == nil {
		t.countText(line)
		return
	}
	for _, seg := range t.matcher.Split(line) {
		if seg.ID < 0 {
			t.countText(seg.Text)
		}
	}
}

func (t *trainer) countText(text string) {
	t.spans = t.split.FindAll(t.spans[:0], text)
	for _, sp := range t.spans {
		w := text[sp.Start:sp.End]
		if c, ok := t.counts[w]; ok {
			t.counts[w] = c + 1
		} else {
			// Clone: a key must not keep the whole line it came from alive.
			t.counts[strings.Clone(w)] = 1
		}
	}
}

// byteIDs maps each byte to its symbol id: the rank of its byte-level rune
// among the 256, i.e. GPT-2's bytes_to_unicode() order.
var byteIDs, idBytes = func() (ids [256]int32, bytes [256]byte) {
	order := make([]int, 256)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		return tokenizer.ByteToRune(byte(order[i])) < tokenizer.ByteToRune(byte(order[j]))
	})
	for id, b := range order {
		ids[b] = int32(id)
		bytes[id] = byte(b)
	}
	return ids, bytes
}()

// pairKey packs a pair of symbol ids so that comparing keys compares pairs
// (left first, then right).
func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func pairOf(k uint64) (a, b int32) { return int32(k >> 32), int32(uint32(k)) }

// entry is a heap element: a pair, its count when pushed, and the words it
// was seen in when pushed (ascending word indices).
type entry struct {
	pair  uint64
	count int64
	pos   []int32
	seq   int64
}

type entryHeap []*entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	if h[i].pair != h[j].pair {
		return h[i].pair < h[j].pair
	}
	return h[i].seq < h[j].seq
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(*entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return x
}

// change is one pair-count delta reported by mergeWord.
type change struct {
	pair  uint64
	delta int64
}

// mergeWord replaces every non-overlapping occurrence of (a, b) in w, left to
// right, by id, and appends to dst how the counts of the pairs around each
// occurrence change (not counting (a, b) itself, as HF's Word::merge).
func mergeWord(w []int32, a, b, id int32, dst []change) ([]int32, []change) {
	for i := 0; i+1 < len(w); i++ {
		if w[i] != a || w[i+1] != b {
			continue
		}
		if i > 0 {
			dst = append(dst, change{pairKey(w[i-1], a), -1}, change{pairKey(w[i-1], id), 1})
		}
		w[i] = id
		w = append(w[:i+1], w[i+2:]...)
		if i+1 < len(w) {
			dst = append(dst, change{pairKey(b, w[i+1]), -1}, change{pairKey(id, w[i+1]), 1})
		}
	}
	return w, dst
}

// learned is one merge as the trainer records it.
type learned struct {
	a, b, id int32
}

// merge runs the BPE merge loop over the counted words. It returns the
// merges in order and the learned vocabulary (byte-level token strings by id,
// without special tokens).
func (t *trainer) merge(ctx context.Context) ([]learned, []string, error) {
	// Words in sorted order, so that everything below is deterministic.
	keys := make([]string, 0, len(t.counts))
	for w := range t.counts {
		keys = append(keys, w)
	}
	slices.Sort(keys)
	words := make([][]int32, len(keys))
	counts := make([]int64, len(keys))
	for i, k := range keys {
		w := make([]int32, len(k))
		for j := 0; j < len(k); j++ {
			w[j] = byteIDs[k[j]]
		}
		words[i], counts[i] = w, t.counts[k]
	}
	t.words, t.counts = len(keys), nil

	vocab := make([]string, 256, t.opts.VocabSize)
	for id := range vocab {
		vocab[id] = string(tokenizer.ByteToRune(idBytes[id]))
	}
	index := make(map[string]int32, t.opts.VocabSize)
	for id, s := range vocab {
		index[s] = int32(id)
	}

	pairCounts := map[uint64]int64{}
	where := map[uint64][]int32{}
	for i, w := range words {
		for j := 0; j+1 < len(w); j++ {
			k := pairKey(w[j], w[j+1])
			pairCounts[k] += counts[i]
			if p := where[k]; len(p) == 0 || p[len(p)-1] != int32(i) {
				where[k] = append(p, int32(i))
			}
		}
	}
	var h entryHeap
	var seq int64
	// pushAll queues the pairs in where (in pair order, for determinism)
	// with their current counts, and empties where.
	pushAll := func() {
		ks := make([]uint64, 0, len(where))
		for k := range where {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		for _, k := range ks {
			if c := pairCounts[k]; c > 0 {
				heap.Push(&h, &entry{pair: k, count: c, pos: where[k], seq: seq})
				seq++
			}
			delete(where, k)
		}
	}
	pushAll()

	specials := len(t.opts.SpecialTokens)
	minFreq := int64(max(t.opts.MinFrequency, 1))
	var merges []learned
	var changes []change
	for len(vocab)+specials < t.opts.VocabSize && h.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		top := heap.Pop(&h).(*entry)
		if c := pairCounts[top.pair]; top.count != c {
			top.count = c
			heap.Push(&h, top)
			continue
		}
		if top.count < minFreq {
			break
		}
		a, b := pairOf(top.pair)
		tokText := vocab[a] + vocab[b]
		id, ok := index[tokText]
		if !ok {
			id = int32(len(vocab))
			vocab = append(vocab, tokText)
			index[tokText] = id
		}
		merges = append(merges, learned{a, b, id})

		for _, wi := range top.pos {
			changes = changes[:0]
			words[wi], changes = mergeWord(words[wi], a, b, id, changes)
			for _, c := range changes {
				pairCounts[c.pair] += c.delta * counts[wi]
				if c.delta > 0 {
					if p := where[c.pair]; len(p) == 0 || p[len(p)-1] != wi {
						where[c.pair] = append(p, wi)
					}
				}
			}
		}
		pushAll()
		if len(merges)%64 == 0 {
			t.report(StageMerge, len(merges), len(vocab)+specials)
		}
	}
	t.report(StageMerge, len(merges), len(vocab)+specials)
	return merges, vocab, nil
}
