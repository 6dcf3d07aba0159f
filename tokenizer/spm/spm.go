package spm

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/charsmap"
	"github.com/llmpipe/llmpipe/tokenizer/unigram"
)

// PieceType is the type of a vocabulary piece (sentencepiece_model.proto
// ModelProto.SentencePiece.Type).
type PieceType int32

// Piece types.
const (
	// Normal is an ordinary piece produced by segmentation.
	Normal PieceType = 1
	// Unknown is the <unk> piece; a model has exactly one.
	Unknown PieceType = 2
	// Control pieces (<s>, </s>) are never produced from text by
	// SentencePiece; Encode recognises them only with ParseSpecial.
	Control PieceType = 3
	// UserDefined pieces are always matched as whole pieces in the text.
	UserDefined PieceType = 4
	// Unused pieces take part in merging but are re-split before output.
	Unused PieceType = 5
	// Byte pieces (<0x00>…<0xFF>) stand for one byte under byte fallback.
	Byte PieceType = 6
)

// String returns the proto name of the type.
func (t PieceType) String() string {
	switch t {
	case Normal:
		return "NORMAL"
	case Unknown:
		return "UNKNOWN"
	case Control:
		return "CONTROL"
	case UserDefined:
		return "USER_DEFINED"
	case Unused:
		return "UNUSED"
	case Byte:
		return "BYTE"
	}
	return fmt.Sprintf("PieceType(%d)", int32(t))
}

// Piece is one vocabulary entry; its id is its index in the vocabulary.
type Piece struct {
	// Text is the piece, with U+2581 (▁) standing for a space.
	Text string
	// Score is the log probability (Unigram) or the merge priority (BPE:
	// higher merges first).
	Score float32
	// Type is the piece's type.
	Type PieceType
}

// ModelType is the segmentation algorithm (TrainerSpec.ModelType).
type ModelType int32

// Model types.
const (
	// Unigram is the unigram language model (Kudo 2018), Viterbi decoding.
	Unigram ModelType = 1
	// BPE is byte-pair encoding by piece score.
	BPE ModelType = 2
	// Word splits at whitespace (not supported).
	Word ModelType = 3
	// Char splits into characters (not supported).
	Char ModelType = 4
)

// String returns the proto name of the model type.
func (m ModelType) String() string {
	switch m {
	case Unigram:
		return "UNIGRAM"
	case BPE:
		return "BPE"
	case Word:
		return "WORD"
	case Char:
		return "CHAR"
	}
	return fmt.Sprintf("ModelType(%d)", int32(m))
}

// Options configures a tokenizer built with [New]. [Parse] fills it from the
// model's trainer_spec and normalizer_spec.
type Options struct {
	// Model is the segmentation algorithm.
	Model ModelType
	// AddDummyPrefix prepends a space (▁) to every sentence, so that a word
	// at the start is segmented like one after a space.
	AddDummyPrefix bool
	// RemoveExtraWhitespaces drops leading and trailing spaces and squeezes
	// runs of spaces into one.
	RemoveExtraWhitespaces bool
	// EscapeWhitespaces replaces spaces with U+2581 (▁) before segmentation.
	EscapeWhitespaces bool
	// ByteFallback encodes characters that have no piece as their UTF-8
	// bytes (<0xXX> pieces) instead of the unknown piece.
	ByteFallback bool
	// AddBOS and AddEOS are what EncodeOptions.AddSpecial adds.
	AddBOS, AddEOS bool
	// BOS, EOS, UNK and PAD are piece ids, -1 when absent. UNK may be -1
	// only with ByteFallback.
	BOS, EOS, UNK, PAD int
	// Charsmap is the normalizer's precompiled_charsmap blob; empty means
	// the identity normalizer (as in Llama 2's model).
	Charsmap []byte
}

// Tokenizer is a SentencePiece tokenizer. It implements [tokenizer.Tokenizer]
// and is safe for concurrent use.
type Tokenizer struct {
	pieces []Piece
	opts   Options

	// normal is SentencePiece's pieces_ map (normal, user-defined and
	// unused pieces); reserved holds unknown, control and byte pieces,
	// which PieceToId consults first.
	normal   map[string]pieceInfo
	reserved map[string]int32
	byteID   [256]int32
	// pairs maps the normal ids of two symbols to the piece they merge
	// into: every split of every normal piece into two normal pieces.
	pairs map[uint64]pieceInfo
	// ascii is the normal id of each ASCII character, -1 when none.
	ascii [128]int32
	// shadowed is set when some normal piece's text is also a reserved
	// piece's, which then wins in PieceToId.
	shadowed bool
	// noSplitAfter lists the characters that precede splitSep inside some
	// piece; the text can be cut before any other splitSep. It is nil when
	// the text must be segmented whole (models with unused pieces).
	noSplitAfter map[rune]bool
	splitSep     string
	// uni is the Unigram model (Model == Unigram).
	uni *unigram.Model
	// cmap is the precompiled charsmap normalizer; nil for the identity.
	cmap *charsmap.Map
	// user matches user-defined pieces; nil when there are none.
	user      *prefixMatcher
	hasUnused bool

	unkSurface string
	specials   tokenizer.Specials
	matcher    *tokenizer.SpecialMatcher

	pool sync.Pool // *state

	// cache maps a stretch of normalized text (see segmentCached) to its
	// output.
	cacheMu sync.RWMutex
	cache   map[string]cacheEntry
}

// pieceInfo describes an entry of the normal map.
type pieceInfo struct {
	score float32
	// own is the piece's id in the normal map; id is PieceToId of its text
	// (a reserved piece with the same text wins).
	own, id int32
}

var _ tokenizer.Tokenizer = (*Tokenizer)(nil)

// MaxInput is the longest text, in bytes, that Encode accepts in one call
// (the segmenter indexes the normalized text, up to 3 times longer, with
// 32-bit offsets).
const MaxInput = 1 << 28

// New builds a tokenizer from a vocabulary (ids are indices into pieces)
// and options.
//
// The slice is copied; a zero Type means Normal (the proto default). A text
// that appears twice keeps its first id. Empty pieces are kept as ids
// but never produced by Encode. With ByteFallback all 256 byte pieces
// <0x00>…<0xFF> must be present.
func New(pieces []Piece, opts Options) (*Tokenizer, error) {
	switch opts.Model {
	case BPE, Unigram:
	default:
		return nil, fmt.Errorf("spm: model type %v is not supported", opts.Model)
	}
	n := len(pieces)
	if n > 1<<31-1 {
		return nil, fmt.Errorf("spm: %d pieces is too many", n)
	}
	for _, c := range []struct {
		name string
		id   int
	}{{"BOS", opts.BOS}, {"EOS", opts.EOS}, {"UNK", opts.UNK}, {"PAD", opts.PAD}} {
		if c.id < -1 || c.id >= n {
			return nil, fmt.Errorf("spm: %s id %d outside the vocabulary of %d pieces", c.name, c.id, n)
		}
	}
	if opts.UNK < 0 && !opts.ByteFallback {
		return nil, errors.New("spm: no UNK id (required without byte fallback)")
	}
	var cmap *charsmap.Map
	if len(opts.Charsmap) > 0 {
		var err error
		if cmap, err = charsmap.Parse(opts.Charsmap); err != nil {
			return nil, fmt.Errorf("spm: normalizer: %w", err)
		}
	}
	pieces = append([]Piece(nil), pieces...)
	for i := range pieces {
		if pieces[i].Type == 0 {
			pieces[i].Type = Normal
		}
	}
	t := &Tokenizer{
		cmap:       cmap,
		pieces:     pieces,
		opts:       opts,
		normal:     make(map[string]pieceInfo, n),
		reserved:   map[string]int32{},
		unkSurface: " \u2047 ",
	}
	var user []string
	for i, p := range pieces {
		if p.Type < Normal || p.Type > Byte {
			return nil, fmt.Errorf("spm: pieces[%d] %q: invalid type %d", i, p.Text, p.Type)
		}
		if p.Text == "" {
			continue
		}
		switch p.Type {
		case Normal, UserDefined, Unused:
			if _, dup := t.normal[p.Text]; dup {
				continue
			}
			t.normal[p.Text] = pieceInfo{score: p.Score, own: int32(i), id: int32(i)}
			if p.Type == UserDefined {
				user = append(user, p.Text)
			}
			if p.Type == Unused {
				t.hasUnused = true
			}
		default:
			if _, dup := t.reserved[p.Text]; !dup {
				t.reserved[p.Text] = int32(i)
			}
		}
	}
	for text, info := range t.normal {
		if id, ok := t.reserved[text]; ok {
			info.id = id
			t.normal[text] = info
			t.shadowed = true
		}
	}
	if opts.Model == BPE {
		t.buildMergeTables()
	} else if err := t.buildUnigram(); err != nil {
		return nil, err
	}
	for b := range t.byteID {
		t.byteID[b] = -1
		if id, ok := t.reserved[bytePiece(byte(b))]; ok && pieces[id].Type == Byte {
			t.byteID[b] = id
		} else if opts.ByteFallback {
			return nil, fmt.Errorf("spm: byte fallback is on but the byte piece %s is missing", bytePiece(byte(b)))
		}
	}
	if len(user) > 0 {
		t.user = newPrefixMatcher(user)
	}
	t.specials = tokenizer.NoSpecials()
	t.specials.BOS, t.specials.EOS, t.specials.UNK, t.specials.PAD = opts.BOS, opts.EOS, opts.UNK, opts.PAD
	if opts.EOS >= 0 {
		t.specials.EOG = []int{opts.EOS}
	}
	for i, p := range pieces {
		if p.Text == "" {
			continue
		}
		switch p.Type {
		case Control, Unknown, UserDefined:
			t.specials.Tokens = append(t.specials.Tokens, tokenizer.SpecialToken{Text: p.Text, ID: i, Control: p.Type == Control})
		}
	}
	t.matcher = tokenizer.NewSpecialMatcher(t.specials.Tokens)
	t.pool.New = func() any { return new(state) }
	t.cache = map[string]cacheEntry{}
	return t, nil
}

// buildUnigram builds the Unigram model with SentencePiece semantics.
func (t *Tokenizer) buildUnigram() error {
	if t.opts.UNK < 0 || t.pieces[t.opts.UNK].Type != Unknown {
		return fmt.Errorf("spm: unigram model: UNK id %d is not a piece of type UNKNOWN", t.opts.UNK)
	}
	ps := make([]unigram.Piece, len(t.pieces))
	types := make([]unigram.Type, len(t.pieces))
	for i, p := range t.pieces {
		ps[i] = unigram.Piece{Text: p.Text, Score: float64(p.Score)}
		types[i] = unigram.Type(p.Type)
	}
	m, err := unigram.New(ps, unigram.Options{UnkID: t.opts.UNK, ByteFallback: t.opts.ByteFallback, FuseUnk: true, Types: types})
	if err != nil {
		return fmt.Errorf("spm: %w", err)
	}
	t.uni = m
	return nil
}

// buildMergeTables fills pairs, ascii and the splitting rule.
func (t *Tokenizer) buildMergeTables() {
	t.pairs = make(map[uint64]pieceInfo, 4*len(t.normal))
	for text, info := range t.normal {
		for k := 1; k < len(text); k++ {
			if !utf8.RuneStart(text[k]) {
				continue
			}
			a, ok := t.normal[text[:k]]
			if !ok {
				continue
			}
			if b, ok := t.normal[text[k:]]; ok {
				t.pairs[pairKey(a.own, b.own)] = info
			}
		}
	}
	for c := range t.ascii {
		t.ascii[c] = -1
		if info, ok := t.normal[string(rune(c))]; ok {
			t.ascii[c] = info.own
		}
	}
	if t.hasUnused {
		// Unused pieces are re-split from a table that SentencePiece fills
		// in global merge order: segment whole to stay exact.
		return
	}
	t.splitSep = " "
	if t.opts.EscapeWhitespaces {
		t.splitSep = spaceSymbol
	}
	for text := range t.normal {
		if !utf8.ValidString(text) {
			// Cuts are found by decoding the character before ▁, which
			// a piece of invalid UTF-8 could straddle: segment whole.
			return
		}
	}
	t.noSplitAfter = map[rune]bool{}
	for text := range t.normal {
		for k := 1; k < len(text); k++ {
			if strings.HasPrefix(text[k:], t.splitSep) {
				r, _ := utf8.DecodeLastRuneInString(text[:k])
				t.noSplitAfter[r] = true
			}
		}
	}
}

// bytePiece is the text of the byte piece for b, as SentencePiece spells it.
func bytePiece(b byte) string {
	const hex = "0123456789ABCDEF"
	return string([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'})
}

// pieceByte parses a byte piece's text; ok is false when it is not one.
func pieceByte(s string) (b byte, ok bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[3:5]) {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return 0, false
		}
	}
	return byte(v), true
}

// pieceToID is SentencePiece's PieceToId: reserved pieces first, then the
// normal pieces, else the unknown id.
func (t *Tokenizer) pieceToID(s string) int32 {
	if id, ok := t.reserved[s]; ok {
		return id
	}
	if info, ok := t.normal[s]; ok {
		return info.own
	}
	return int32(t.opts.UNK)
}

func (t *Tokenizer) isUnknown(id int32) bool {
	return id < 0 || t.pieces[id].Type == Unknown || int(id) == t.opts.UNK
}

// Options returns the options the tokenizer was built with.
func (t *Tokenizer) Options() Options { return t.opts }

// Piece returns the piece with the given id; ok is false outside the
// vocabulary.
func (t *Tokenizer) Piece(id int) (Piece, bool) {
	if id < 0 || id >= len(t.pieces) {
		return Piece{}, false
	}
	return t.pieces[id], true
}

// VocabSize is the number of pieces.
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// Specials reports BOS, EOS, UNK and PAD, and lists the control, unknown and
// user-defined pieces as the tokens EncodeOptions.ParseSpecial recognises.
func (t *Tokenizer) Specials() tokenizer.Specials {
	s := t.specials
	s.EOG = append([]int(nil), s.EOG...)
	s.Tokens = append([]tokenizer.SpecialToken(nil), s.Tokens...)
	return s
}

// Encode returns the ids of text, as SentencePieceProcessor::Encode does:
// normalize, segment, then byte fallback (or one unknown id per run of
// unknown characters).
//
// With opts.ParseSpecial the text is first cut at control, unknown and
// user-defined piece text (leftmost, longest first), which become their ids,
// and every other stretch is encoded as a sentence of its own (with its own
// dummy prefix): llama.cpp's parse_special. SentencePiece itself never
// parses control pieces. With opts.AddSpecial, BOS (Options.AddBOS) and EOS
// (Options.AddEOS) are added.
func (t *Tokenizer) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	if len(text) > MaxInput {
		return nil, fmt.Errorf("spm: input of %d bytes is longer than MaxInput (%d)", len(text), MaxInput)
	}
	ids := make([]int, 0, len(text)/3+2)
	if opts.AddSpecial && t.opts.AddBOS && t.opts.BOS >= 0 {
		ids = append(ids, t.opts.BOS)
	}
	if opts.ParseSpecial {
		for _, seg := range t.matcher.Split(text) {
			if seg.ID >= 0 {
				ids = append(ids, seg.ID)
			} else {
				ids = t.encodeSentence(ids, nil, seg.Text)
			}
		}
	} else {
		ids = t.encodeSentence(ids, nil, text)
	}
	if opts.AddSpecial && t.opts.AddEOS && t.opts.EOS >= 0 {
		ids = append(ids, t.opts.EOS)
	}
	return ids, nil
}

// Pieces returns the piece strings of text (no special tokens parsed or
// added), as SentencePiece's EncodeAsPieces: byte-fallback bytes appear as
// <0xXX>, a run of unknown characters as one piece holding their text.
func (t *Tokenizer) Pieces(text string) ([]string, error) {
	if len(text) > MaxInput {
		return nil, fmt.Errorf("spm: input of %d bytes is longer than MaxInput (%d)", len(text), MaxInput)
	}
	var pieces []string
	t.encodeSentence(nil, &pieces, text)
	return pieces, nil
}

// Decode returns the text of ids, as SentencePieceProcessor::Decode does: ▁
// becomes a space, the space that the dummy prefix put before the first
// piece is removed, runs of byte pieces are reassembled into UTF-8 (each
// invalid byte becomes U+FFFD), and the unknown piece reads " ⁇ ". Control
// pieces read as their text unless opts.SkipSpecial drops them
// (SentencePiece always drops them).
func (t *Tokenizer) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	out := make([]byte, 0, len(ids)*4)
	var bytes []byte
	flush := func() {
		for len(bytes) > 0 {
			r, size := decodeRune(bytes)
			if r < 0 {
				out = append(out, "\uFFFD"...)
			} else {
				out = append(out, bytes[:size]...)
			}
			bytes = bytes[size:]
		}
		bytes = bytes[:0]
	}
	isBosWS, bosWSSeen := true, false
	stripBos := t.opts.AddDummyPrefix || t.opts.RemoveExtraWhitespaces
	for i, id := range ids {
		if id < 0 || id >= len(t.pieces) {
			return "", tokenizer.UnknownIDError(id, i, len(t.pieces))
		}
		p := t.pieces[id]
		if p.Type == Byte {
			if b, ok := pieceByte(p.Text); ok {
				bytes = append(bytes, b)
				continue
			}
		}
		flush()
		if bosWSSeen || len(out) > 0 {
			isBosWS = false
		}
		bosWSSeen = false
		switch {
		case p.Type == Control:
			if !opts.SkipSpecial {
				out = append(out, p.Text...)
			}
		case t.isUnknown(int32(id)):
			out = append(out, t.unkSurface...)
		default:
			s := p.Text
			if isBosWS && stripBos {
				if len(s) >= len(spaceSymbol) && s[:len(spaceSymbol)] == spaceSymbol {
					s = s[len(spaceSymbol):]
					bosWSSeen = !t.opts.RemoveExtraWhitespaces
				}
			}
			out = appendUnescaped(out, s)
		}
	}
	flush()
	return string(out), nil
}

// matchBytes is match for a byte slice.
func (m *prefixMatcher) matchBytes(s []byte) int {
	if m == nil || len(s) == 0 {
		return 0
	}
	for _, w := range m.byFirst[s[0]] {
		if len(w) <= len(s) && string(s[:len(w)]) == w {
			return len(w)
		}
	}
	return 0
}

// prefixMatcher finds the longest user-defined piece at the start of a text.
type prefixMatcher struct {
	byFirst [256][]string // longest first
}

func newPrefixMatcher(words []string) *prefixMatcher {
	m := &prefixMatcher{}
	for _, w := range words {
		m.byFirst[w[0]] = append(m.byFirst[w[0]], w)
	}
	for i := range m.byFirst {
		l := m.byFirst[i]
		sort.SliceStable(l, func(a, b int) bool { return len(l[a]) > len(l[b]) })
	}
	return m
}

// match returns the length of the longest piece that s starts with, or 0.
func (m *prefixMatcher) match(s string) int {
	if m == nil || s == "" {
		return 0
	}
	for _, w := range m.byFirst[s[0]] {
		if len(w) <= len(s) && s[:len(w)] == w {
			return len(w)
		}
	}
	return 0
}
