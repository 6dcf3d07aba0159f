package tokenizer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// Input is one item of a batch: a text, or a pair of texts (question and
// context, sentence A and B) when HasPair is set.
type Input struct {
	// Text is the (first) text.
	Text string
	// Pair is the second text; it is used only when HasPair is true, so an
	// empty second text is possible.
	Pair    string
	HasPair bool
}

// Encoding is the result of encoding one [Input], as HF tokenizers' Encoding.
// All slices have the same length.
type Encoding struct {
	// IDs are the token ids, template and padding included.
	IDs []int
	// TypeIDs are the segment ids: 0 for the first text, 1 for the second
	// (or what the tokenizer's template says), BatchOptions.Padding.PadTypeID
	// for padding.
	TypeIDs []int
	// AttentionMask is 1 for real tokens and 0 for padding.
	AttentionMask []int
	// SpecialMask is 1 for tokens added by the template or by padding, 0 for
	// tokens of the input texts (HF's special_tokens_mask).
	SpecialMask []int
	// Offsets are the byte ranges each token came from, in its own text (the
	// pair's tokens index the pair text); {0, 0} for template and padding
	// tokens. Nil unless BatchOptions.Offsets is set and the tokenizer
	// implements [OffsetEncoder].
	Offsets []Offset
	// Overflowing holds the pieces that truncation cut off, each a complete
	// Encoding with the template and padding applied, in HF's order (see
	// [EncodeBatch]).
	Overflowing []Encoding
}

// Side selects an end of a sequence.
type Side int

// The two ends of a sequence.
const (
	SideRight Side = iota // the end (default)
	SideLeft              // the start
)

// PadStrategy selects how long padded encodings are.
type PadStrategy int

// Padding strategies.
const (
	PadNone      PadStrategy = iota // no padding (default)
	PadLongest                      // pad to the longest encoding of the batch
	PadMaxLength                    // pad to Padding.Length (or Truncation.MaxLength)
)

// TruncStrategy selects which sequence of a pair loses tokens.
type TruncStrategy int

// Truncation strategies, as HF's TruncationStrategy.
const (
	// LongestFirst shortens the longer sequence first (default).
	LongestFirst TruncStrategy = iota
	// OnlyFirst shortens only the first sequence.
	OnlyFirst
	// OnlySecond shortens only the second sequence; it is an error for an
	// input without a pair that needs truncating.
	OnlySecond
)

// Padding configures padding in [BatchOptions].
type Padding struct {
	// Side is where padding goes.
	Side Side
	// Strategy selects the target length; PadNone disables padding.
	Strategy PadStrategy
	// Length is the target of PadMaxLength; 0 means Truncation.MaxLength.
	Length int
	// MultipleOf, when > 0, rounds the target length up to a multiple.
	MultipleOf int
	// PadID and PadTypeID fill the padded positions' id and type id.
	PadID, PadTypeID int
}

// Truncation configures truncation in [BatchOptions].
type Truncation struct {
	// MaxLength is the longest an encoding may be, template included;
	// 0 disables truncation.
	MaxLength int
	// Strategy selects which sequence of a pair is shortened.
	Strategy TruncStrategy
	// Stride is how many tokens each overflowing piece repeats from the
	// piece before it.
	Stride int
	// Side is the end tokens are cut from.
	Side Side
}

// BatchOptions configures [EncodeBatch].
type BatchOptions struct {
	// Encode selects special-token parsing and the template.
	Encode EncodeOptions
	// Padding and Truncation work as in HF tokenizers.
	Padding    Padding
	Truncation Truncation
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// Offsets fills Encoding.Offsets when the tokenizer is an
	// [OffsetEncoder]. Off by default: tracking offsets through normalizers
	// costs HF tokenizers 2-4x the time of plain encoding.
	Offsets bool
}

// EncodeBatch encodes inputs with tok, as HF tokenizers' encode_batch does
// with truncation and padding enabled:
//
//  1. Each text is encoded without the template (with offsets when
//     opts.Offsets is set and tok is an [OffsetEncoder]).
//  2. Truncation (when MaxLength > 0) shortens the sequences to MaxLength
//     minus the number of tokens the template adds: LongestFirst shortens
//     the longer of a pair, or both to half (the second getting the odd
//     token) when that is not enough; OnlyFirst / OnlySecond take all tokens
//     from one sequence and fail when it is too short. What is cut off
//     becomes overflowing pieces of at most the same length, each starting
//     Stride tokens before the previous piece ended.
//  3. The template is added (when opts.Encode.AddSpecial and tok is a
//     [Templater]) to the encoding and to every overflowing piece. For a
//     pair whose both sequences overflow, the pieces are combined as HF's
//     Encoding.merge_with does: for each overflowing piece of the first
//     sequence, that piece with the whole second sequence (carrying, nested,
//     the piece with each overflowing piece of the second) and then with
//     each overflowing piece of the second; then the whole first sequence
//     with each overflowing piece of the second (carrying, nested, each
//     first-sequence piece with it).
//  4. Padding brings every encoding and its overflowing pieces to the
//     target length: the longest encoding of the batch (not counting
//     overflowing pieces) or the fixed Length, rounded up to MultipleOf.
//
// A tokenizer that is not a [Templater] encodes each text with opts.Encode
// as given (its own BOS/EOS included) and is truncated after that; a pair
// is then the two id lists one after the other, type ids 0 and 1.
//
// It is an error when MaxLength is smaller than the template, when Stride
// is not smaller than the length a sequence is truncated to, when OnlyFirst
// or OnlySecond cannot remove enough tokens, and when PadMaxLength has no
// length. Inputs are encoded by opts.Workers goroutines; EncodeBatch stops
// early and returns ctx's error when ctx is cancelled.
func EncodeBatch(ctx context.Context, tok Tokenizer, inputs []Input, opts BatchOptions) ([]Encoding, error) {
	tr, pad := opts.Truncation, opts.Padding
	if tr.MaxLength < 0 || tr.Stride < 0 || pad.Length < 0 || pad.MultipleOf < 0 {
		return nil, fmt.Errorf("tokenizer: batch: negative length (max length %d, stride %d, pad length %d, multiple of %d)",
			tr.MaxLength, tr.Stride, pad.Length, pad.MultipleOf)
	}
	if pad.Strategy == PadMaxLength && pad.Length == 0 && tr.MaxLength == 0 {
		return nil, errors.New("tokenizer: batch: PadMaxLength needs Padding.Length or Truncation.MaxLength")
	}
	out := make([]Encoding, len(inputs))
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(inputs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(inputs) {
					return
				}
				enc, err := encodeOne(tok, inputs[i], opts)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("tokenizer: batch input %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				out[i] = enc
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if pad.Strategy != PadNone {
		target := pad.Length
		switch {
		case pad.Strategy == PadLongest:
			target = 0
			for _, e := range out {
				target = max(target, len(e.IDs))
			}
		case target == 0:
			target = tr.MaxLength
		}
		if m := pad.MultipleOf; m > 0 && target%m != 0 {
			target += m - target%m
		}
		for i := range out {
			padEncoding(&out[i], target, pad)
		}
	}
	return out, nil
}

// seq is one tokenized text: ids and, when known, offsets.
type seq struct {
	ids  []int
	offs []Offset
}

// slice returns the tokens [i, j) of s.
func (s seq) slice(i, j int) seq {
	r := seq{ids: s.ids[i:j:j]}
	if s.offs != nil {
		r.offs = s.offs[i:j:j]
	}
	return r
}

func encodeText(tok Tokenizer, text string, opts EncodeOptions, offsets bool) (seq, error) {
	if oe, ok := tok.(OffsetEncoder); ok && offsets {
		ids, offs, err := oe.EncodeOffsets(text, opts)
		if err != nil {
			return seq{}, err
		}
		if len(offs) != len(ids) {
			return seq{}, fmt.Errorf("EncodeOffsets returned %d offsets for %d ids", len(offs), len(ids))
		}
		if offs == nil {
			offs = []Offset{}
		}
		return seq{ids: ids, offs: offs}, nil
	}
	ids, err := tok.Encode(text, opts)
	return seq{ids: ids}, err
}

func encodeOne(tok Tokenizer, in Input, opts BatchOptions) (Encoding, error) {
	templ, _ := tok.(Templater)
	useTemplate := templ != nil && opts.Encode.AddSpecial
	encOpts := opts.Encode
	if templ != nil {
		encOpts.AddSpecial = false
	}
	a, err := encodeText(tok, in.Text, encOpts, opts.Offsets)
	if err != nil {
		return Encoding{}, err
	}
	var b seq
	if in.HasPair {
		if b, err = encodeText(tok, in.Pair, encOpts, opts.Offsets); err != nil {
			return Encoding{}, err
		}
	}
	as, bs := []seq{a}, []seq{b}
	if tr := opts.Truncation; tr.MaxLength > 0 {
		maxLen := tr.MaxLength
		if useTemplate {
			added := templ.NumAdded(in.HasPair)
			if maxLen < added {
				return Encoding{}, fmt.Errorf("truncation max length %d is smaller than the %d tokens the template adds", maxLen, added)
			}
			maxLen -= added
		}
		if as, bs, err = truncatePair(a, b, in.HasPair, maxLen, tr); err != nil {
			return Encoding{}, err
		}
	}
	// Combine the pieces as HF's Encoding::merge_with does.
	root := &ovNode{a: 0, b: 0}
	for i := 1; i < len(as); i++ {
		root.over = append(root.over, &ovNode{a: i})
	}
	if in.HasPair {
		bn := &ovNode{a: 0, b: 0}
		for j := 1; j < len(bs); j++ {
			bn.over = append(bn.over, &ovNode{b: j})
		}
		root = mergeNodes(root, bn)
	}
	return build(root, as, bs, in.HasPair, useTemplate, templ)
}

// ovNode is the shape of an encoding and its overflowing pieces: which piece
// of the first (a) and second (b) sequence it holds.
type ovNode struct {
	a, b int
	over []*ovNode
}

// mergeNodes mirrors HF's Encoding::merge_with(x, y) on shapes.
func mergeNodes(x, y *ovNode) *ovNode {
	out := &ovNode{a: x.a, b: y.b}
	for _, xo := range x.over {
		out.over = append(out.over, mergeNodes(xo, y))
		for _, yo := range y.over {
			out.over = append(out.over, mergeNodes(xo, yo))
		}
	}
	for _, yo := range y.over {
		out.over = append(out.over, mergeNodes(x, yo))
	}
	return out
}

// build materializes a shape: the template around pieces a and b.
func build(n *ovNode, as, bs []seq, pair, useTemplate bool, templ Templater) (Encoding, error) {
	a := as[n.a]
	var b seq
	if pair {
		b = bs[n.b]
	}
	var e Encoding
	withOffs := a.offs != nil
	if useTemplate {
		var bIDs []int
		if pair {
			bIDs = append([]int{}, b.ids...)
		}
		ids, types, added := templ.ApplyTemplate(append([]int(nil), a.ids...), bIDs)
		if len(types) != len(ids) || len(added) != len(ids) {
			return Encoding{}, fmt.Errorf("template returned %d ids, %d type ids, %d added flags", len(ids), len(types), len(added))
		}
		e.IDs, e.TypeIDs = ids, types
		e.SpecialMask = make([]int, len(ids))
		if withOffs {
			e.Offsets = make([]Offset, len(ids))
		}
		// The template's own tokens are flagged; the others are a's then b's.
		src := append(append([]Offset(nil), a.offs...), b.offs...)
		k := 0
		for i, ad := range added {
			if ad {
				e.SpecialMask[i] = 1
				continue
			}
			if k < len(src) && withOffs {
				e.Offsets[i] = src[k]
			}
			k++
		}
		if k != len(a.ids)+len(b.ids) {
			return Encoding{}, fmt.Errorf("template kept %d of the %d input tokens", k, len(a.ids)+len(b.ids))
		}
	} else {
		e.IDs = append(append(make([]int, 0, len(a.ids)+len(b.ids)), a.ids...), b.ids...)
		e.TypeIDs = make([]int, len(e.IDs))
		for i := len(a.ids); i < len(e.IDs); i++ {
			e.TypeIDs[i] = 1
		}
		e.SpecialMask = make([]int, len(e.IDs))
		if withOffs {
			e.Offsets = append(append(make([]Offset, 0, len(e.IDs)), a.offs...), b.offs...)
		}
	}
	e.AttentionMask = make([]int, len(e.IDs))
	for i := range e.AttentionMask {
		e.AttentionMask[i] = 1
	}
	for _, o := range n.over {
		oe, err := build(o, as, bs, pair, useTemplate, templ)
		if err != nil {
			return Encoding{}, err
		}
		e.Overflowing = append(e.Overflowing, oe)
	}
	return e, nil
}

// truncatePair applies HF's truncate_encodings to a (and b when pair) with
// maxLen tokens for the sequences; it returns each sequence's kept piece
// first, then its overflowing pieces.
func truncatePair(a, b seq, pair bool, maxLen int, tr Truncation) ([]seq, []seq, error) {
	if maxLen == 0 {
		// HF: with nothing left, each whole sequence overflows.
		as, err := truncateSeq(a, 0, tr)
		if err != nil {
			return nil, nil, err
		}
		bs, err := truncateSeq(b, 0, tr)
		return as, bs, err
	}
	total := len(a.ids)
	if pair {
		total += len(b.ids)
	}
	if total <= maxLen {
		return []seq{a}, []seq{b}, nil
	}
	toRemove := total - maxLen
	na, nb := len(a.ids), len(b.ids)
	switch tr.Strategy {
	case LongestFirst:
		if !pair {
			na = maxLen
			break
		}
		n1, n2 := na, nb
		swap := n1 > n2
		if swap {
			n1, n2 = n2, n1
		}
		if n1 > maxLen {
			n2 = n1
		} else {
			n2 = max(n1, maxLen-n1)
		}
		if n1+n2 > maxLen {
			n1 = maxLen / 2
			n2 = n1 + maxLen%2
		}
		if swap {
			n1, n2 = n2, n1
		}
		na, nb = n1, n2
	case OnlyFirst, OnlySecond:
		target := &na
		if tr.Strategy == OnlySecond {
			if !pair {
				return nil, nil, errors.New("truncation strategy OnlySecond needs a pair")
			}
			target = &nb
		}
		if *target <= toRemove {
			return nil, nil, fmt.Errorf("cannot remove %d tokens from a sequence of %d (truncation max length %d)", toRemove, *target, maxLen)
		}
		*target -= toRemove
	default:
		return nil, nil, fmt.Errorf("unknown truncation strategy %d", tr.Strategy)
	}
	as, err := truncateSeq(a, na, tr)
	if err != nil {
		return nil, nil, err
	}
	bs := []seq{b}
	if pair {
		if bs, err = truncateSeq(b, nb, tr); err != nil {
			return nil, nil, err
		}
	}
	return as, bs, nil
}

// truncateSeq is HF's Encoding::truncate: the kept piece of at most maxLen
// tokens, then the overflowing pieces, each starting maxLen-stride tokens
// after the previous one (from the end when truncating on the left).
func truncateSeq(s seq, maxLen int, tr Truncation) ([]seq, error) {
	n := len(s.ids)
	if maxLen >= n {
		return []seq{s}, nil
	}
	if maxLen == 0 {
		empty := seq{ids: []int{}}
		if s.offs != nil {
			empty.offs = []Offset{}
		}
		return []seq{empty, s}, nil
	}
	if tr.Stride >= maxLen {
		return nil, fmt.Errorf("truncation stride %d must be smaller than the length %d a sequence is truncated to", tr.Stride, maxLen)
	}
	step := maxLen - tr.Stride
	var parts []seq
	if tr.Side == SideLeft {
		for stop := n; stop > 0; stop -= step {
			start := max(stop-maxLen, 0)
			parts = append(parts, s.slice(start, stop))
			if start == 0 {
				break
			}
		}
	} else {
		for start := 0; start < n; start += step {
			stop := min(start+maxLen, n)
			parts = append(parts, s.slice(start, stop))
			if stop == n {
				break
			}
		}
	}
	return parts, nil
}

// padEncoding pads e and its overflowing pieces to target, as HF's
// Encoding::pad.
func padEncoding(e *Encoding, target int, p Padding) {
	for i := range e.Overflowing {
		padEncoding(&e.Overflowing[i], target, p)
	}
	n := target - len(e.IDs)
	if n <= 0 {
		return
	}
	fill := func(v int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	join := func(s, pad []int) []int {
		if p.Side == SideLeft {
			return append(pad, s...)
		}
		return append(s, pad...)
	}
	e.IDs = join(e.IDs, fill(p.PadID))
	e.TypeIDs = join(e.TypeIDs, fill(p.PadTypeID))
	e.AttentionMask = join(e.AttentionMask, fill(0))
	e.SpecialMask = join(e.SpecialMask, fill(1))
	if e.Offsets != nil {
		if p.Side == SideLeft {
			e.Offsets = append(make([]Offset, n), e.Offsets...)
		} else {
			e.Offsets = append(e.Offsets, make([]Offset, n)...)
		}
	}
}
