package hf

import "github.com/llmpipe/llmpipe/tokenizer/pretok"

// The byte-level fast path. Llama 3, Qwen2/3, GPT-4o and GPT-2 style files
// pre-tokenize with one regex whose matches and the text between them all
// become pieces (Split with behavior Isolated followed by a regex-free
// ByteLevel, or a ByteLevel with its own regex), and their BPE model has the
// ByteLevel mapping fused in. For those, Encode cuts each text segment with
// the regex and encodes every stretch straight away: no piece list, no
// per-piece allocation, and repeated short words come from a small
// direct-mapped cache owned by the call (pooled, never shared, no locks).
// The result is exactly that of the generic path: the same stretches, in
// the same order, through the same bpeModel.encode.

// fastSplitter returns the regex of pre when the pre-tokenizer reduces to
// "every regex match is a piece, bytes left as they are", and whether the
// gaps between matches are pieces too (Isolated, ByteLevel's own regex) or
// dropped (Removed with invert, as GPT-4o's file has it); re is nil when the
// fast path does not apply.
func fastSplitter(pre preTokenizer) (re pretok.Splitter, keepGaps bool) {
	switch p := pre.(type) {
	case *byteLevelPre:
		if p.re != nil && !p.addPrefixSpace && !p.mapBytes {
			return p.re, true
		}
	case preSeq:
		if len(p) != 2 {
			return nil, false
		}
		sp, ok1 := p[0].(*splitPre)
		bl, ok2 := p[1].(*byteLevelPre)
		if !ok1 || !ok2 || sp.pred != nil || sp.re == nil {
			return nil, false
		}
		if bl.re != nil || bl.addPrefixSpace || bl.mapBytes {
			return nil, false
		}
		switch {
		case sp.b == isolated:
			// Matches and gaps alike, whatever invert says.
			return sp.re, true
		case sp.b == removed && sp.invert:
			// Inverted, the gaps are the "matches" that Removed drops.
			return sp.re, false
		}
	}
	return nil, false
}

// Per-call word cache: words of up to fastKeyLen bytes whose ids number at
// most fastIDs.
const (
	fastSlots  = 4096
	fastKeyLen = 16
	fastIDs    = 4
)

type fastEntry struct {
	key     [fastKeyLen]byte
	klen, n uint8
	ids     [fastIDs]uint32
}

// fastScratch is the reusable working memory of one Encode call.
type fastScratch struct {
	spans []pretok.Span
	cache [fastSlots]fastEntry
}

// keepSpans bounds the span buffer a pooled scratch keeps.
const keepSpans = 1 << 18

// getScratch takes a scratch from the model's pool (the cache holds one
// model's ids, so every fused model has its own pool, made by setByteLevel).
func (m *bpeModel) getScratch() *fastScratch {
	if sc, ok := m.scratch.Get().(*fastScratch); ok && sc != nil {
		return sc
	}
	return new(fastScratch)
}

func (m *bpeModel) putScratch(sc *fastScratch) {
	if cap(sc.spans) > keepSpans {
		sc.spans = nil
	}
	m.scratch.Put(sc)
}

// fnv1a hashes a short word for the direct-mapped cache.
func fnv1a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// encodeFast appends the ids of text (one segment between added tokens,
// already normalized) using the fast path's regex re; keepGaps encodes the
// text between matches too.
func (m *bpeModel) encodeFast(dst []int, re pretok.Splitter, keepGaps bool, text string) ([]int, error) {
	sc := m.getScratch()
	defer m.putScratch(sc)
	if need := len(text)/4 + 64; cap(sc.spans) < need {
		sc.spans = make([]pretok.Span, 0, need)
	}
	spans := re.FindAll(sc.spans[:0], text)
	sc.spans = spans[:0]
	var err error
	// Mirror spansToMatches + applyBehavior: gaps (when kept) and matches
	// in order, empty stretches skipped.
	prev := 0
	for _, sp := range spans {
		if keepGaps && sp.Start > prev {
			if dst, err = m.encodeCached(dst, text[prev:sp.Start], sc); err != nil {
				return dst, err
			}
		}
		if sp.End > sp.Start {
			if dst, err = m.encodeCached(dst, text[sp.Start:sp.End], sc); err != nil {
				return dst, err
			}
		}
		prev = sp.End
	}
	if keepGaps && prev < len(text) {
		dst, err = m.encodeCached(dst, text[prev:], sc)
	}
	return dst, err
}

// encodeCached is encode with sc's word cache in front.
func (m *bpeModel) encodeCached(dst []int, w string, sc *fastScratch) ([]int, error) {
	if len(w) > fastKeyLen {
		return m.encode(dst, w)
	}
	ent := &sc.cache[fnv1a(w)&(fastSlots-1)]
	if int(ent.klen) == len(w) && ent.n > 0 && string(ent.key[:ent.klen]) == w {
		for _, id := range ent.ids[:ent.n] {
			dst = append(dst, int(id))
		}
		return dst, nil
	}
	n0 := len(dst)
	dst, err := m.encode(dst, w)
	if err != nil {
		return dst, err
	}
	if n := len(dst) - n0; n > 0 && n <= fastIDs {
		ent.klen = uint8(copy(ent.key[:], w))
		ent.n = uint8(n)
		for i, id := range dst[n0:] {
			ent.ids[i] = uint32(id)
		}
	}
	return dst, nil
}
