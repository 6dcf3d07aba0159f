package tiktoken

import (
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

// Encoding is one tiktoken encoding: a rank table, a split pattern and
// special tokens. It implements [tokenizer.Tokenizer] and
// [tokenizer.OffsetEncoder] and is safe for concurrent use.
type Encoding struct {
	name     string
	pattern  string
	ranks    *Ranks
	split    pretok.Splitter
	specials []tokenizer.SpecialToken // sorted by id
	byText   map[string]int
	byID     map[int]string
	all      *tokenizer.SpecialMatcher
	eot      int
	nVocab   int
}

// New builds an encoding from a spec and a parsed rank table. It checks that
// every single byte is a token (so any input can be encoded), that special
// ids do not collide with ranks, and the spec's NVocab when set.
func New(spec Spec, ranks *Ranks) (*Encoding, error) {
	if ranks == nil {
		return nil, fmt.Errorf("tiktoken: %s: no rank table", spec.Name)
	}
	for b := 0; b < 256; b++ {
		if ranks.byteRank[b] == noRank {
			return nil, fmt.Errorf("tiktoken: %s: rank table has no token for the single byte 0x%02x, so some inputs could not be encoded", spec.Name, b)
		}
	}
	split, err := pretok.CompileUnicode(spec.Pattern, pretok.Unicode16)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: %s: split pattern: %w", spec.Name, err)
	}
	e := &Encoding{
		name:    spec.Name,
		pattern: spec.Pattern,
		ranks:   ranks,
		split:   split,
		byText:  make(map[string]int, len(spec.Specials)),
		byID:    make(map[int]string, len(spec.Specials)),
		eot:     -1,
	}
	maxID := ranks.MaxRank()
	for text, id := range spec.Specials {
		switch {
		case text == "":
			return nil, fmt.Errorf("tiktoken: %s: special token with empty text (id %d)", spec.Name, id)
		case id < 0:
			return nil, fmt.Errorf("tiktoken: %s: special token %q has negative id %d", spec.Name, text, id)
		case id > MaxRank:
			return nil, fmt.Errorf("tiktoken: %s: special token %q has id %d above %d", spec.Name, text, id, MaxRank)
		}
		if _, ok := ranks.Token(id); ok {
			return nil, fmt.Errorf("tiktoken: %s: special token %q has id %d, which the rank table already uses", spec.Name, text, id)
		}
		if other, ok := e.byID[id]; ok {
			return nil, fmt.Errorf("tiktoken: %s: special tokens %q and %q share id %d", spec.Name, other, text, id)
		}
		e.byText[text] = id
		e.byID[id] = text
		e.specials = append(e.specials, tokenizer.SpecialToken{Text: text, ID: id, Control: true})
		maxID = max(maxID, id)
	}
	sort.Slice(e.specials, func(i, j int) bool { return e.specials[i].ID < e.specials[j].ID })
	if id, ok := e.byText[EndOfText]; ok {
		e.eot = id
	}
	e.all = tokenizer.NewSpecialMatcher(e.specials)
	e.nVocab = maxID + 1
	if spec.NVocab != 0 {
		if n := ranks.Len() + len(spec.Specials); n != spec.NVocab {
			return nil, fmt.Errorf("tiktoken: %s: %d ranks + %d specials = %d tokens, want n_vocab %d", spec.Name, ranks.Len(), len(spec.Specials), n, spec.NVocab)
		}
		if e.nVocab != spec.NVocab {
			return nil, fmt.Errorf("tiktoken: %s: largest id is %d, want n_vocab-1 = %d", spec.Name, e.nVocab-1, spec.NVocab-1)
		}
	}
	return e, nil
}

// Name is the encoding's name ("cl100k_base").
func (e *Encoding) Name() string { return e.name }

// Pattern is the encoding's split regex.
func (e *Encoding) Pattern() string { return e.pattern }

// Ranks is the encoding's rank table.
func (e *Encoding) Ranks() *Ranks { return e.ranks }

// VocabSize is the largest id plus one (tiktoken's n_vocab).
func (e *Encoding) VocabSize() int { return e.nVocab }

// Specials reports <|endoftext|> as EOS and the only end-of-generation id;
// every special token is listed in Tokens, as a control token.
func (e *Encoding) Specials() tokenizer.Specials {
	s := tokenizer.NoSpecials()
	s.EOS = e.eot
	if e.eot >= 0 {
		s.EOG = []int{e.eot}
	}
	s.Tokens = append([]tokenizer.SpecialToken(nil), e.specials...)
	return s
}

// EncodeOrdinary encodes text with special-token text treated as ordinary
// text, like tiktoken's encode_ordinary.
func (e *Encoding) EncodeOrdinary(text string) []int {
	return e.appendOrdinary(make([]int, 0, len(text)/3+8), text)
}

// AppendOrdinary appends the ids of EncodeOrdinary(text) to dst.
func (e *Encoding) AppendOrdinary(dst []int, text string) []int {
	return e.appendOrdinary(dst, text)
}

func (e *Encoding) appendOrdinary(dst []int, text string) []int {
	if text == "" {
		return dst
	}
	sc := e.ranks.getScratch()
	spans := e.split.FindAll(sc.spanBuf(len(text)), text)
	r := e.ranks
	last := 0
	for _, s := range spans {
		if s.Start != last || s.End <= s.Start || s.End > len(text) {
			// Not contiguous: only invalid UTF-8 or a splitter bug gets
			// here. Encode every byte anyway, in order, without panicking.
			if s.Start < last || s.End <= s.Start || s.End > len(text) {
				continue
			}
			dst = r.appendPiece(dst, text[last:s.Start], sc)
		}
		dst = r.appendPiece(dst, text[s.Start:s.End], sc)
		last = s.End
	}
	if last < len(text) {
		dst = r.appendPiece(dst, text[last:], sc)
	}
	sc.spans = spans
	e.ranks.putScratch(sc)
	return dst
}

func (e *Encoding) appendOrdinaryOffsets(dst []int, offs []tokenizer.Offset, text string, base int) ([]int, []tokenizer.Offset) {
	if text == "" {
		return dst, offs
	}
	sc := e.ranks.getScratch()
	spans := e.split.FindAll(sc.spanBuf(len(text)), text)
	last := 0
	for _, s := range spans {
		if s.Start != last || s.End <= s.Start || s.End > len(text) {
			if s.Start < last || s.End <= s.Start || s.End > len(text) {
				continue
			}
			dst, offs = e.ranks.appendPieceOffsets(dst, offs, text[last:s.Start], base+last, sc)
		}
		dst, offs = e.ranks.appendPieceOffsets(dst, offs, text[s.Start:s.End], base+s.Start, sc)
		last = s.End
	}
	if last < len(text) {
		dst, offs = e.ranks.appendPieceOffsets(dst, offs, text[last:], base+last, sc)
	}
	sc.spans = spans
	e.ranks.putScratch(sc)
	return dst, offs
}

// SpecialSet is a set of special-token texts for [Encoding.EncodeSpecial]:
// tiktoken's allowed_special / disallowed_special arguments. The zero value is
// the empty set; [AllSpecial] stands for every special token of the encoding.
type SpecialSet struct {
	all   bool
	texts []string
}

// AllSpecial is tiktoken's "all": every special token of the encoding.
var AllSpecial = SpecialSet{all: true}

// NoSpecial is the empty set.
var NoSpecial = SpecialSet{}

// SpecialSetOf returns the set of the given special-token texts.
func SpecialSetOf(texts ...string) SpecialSet {
	return SpecialSet{texts: append([]string(nil), texts...)}
}

// IsAll reports whether s is [AllSpecial].
func (s SpecialSet) IsAll() bool { return s.all }

func (s SpecialSet) has(text string) bool {
	if s.all {
		return true
	}
	for _, t := range s.texts {
		if t == text {
			return true
		}
	}
	return false
}

// EncodeSpecial is tiktoken's encode(text, allowed_special,
// disallowed_special). Special-token text in allowed encodes as the special
// token's id; any other text is ordinary text. Before encoding, the text is
// searched for the disallowed texts ([AllSpecial] there means every special
// token not in allowed); the first one found makes EncodeSpecial fail with an
// error wrapping [tokenizer.ErrDisallowedSpecial] that names the token and its
// byte offset. tiktoken's defaults are allowed = [NoSpecial], disallowed =
// [AllSpecial].
func (e *Encoding) EncodeSpecial(text string, allowed, disallowed SpecialSet) ([]int, error) {
	if err := e.checkDisallowed(text, allowed, disallowed); err != nil {
		return nil, err
	}
	return e.encodeAllowed(text, allowed), nil
}

func (e *Encoding) checkDisallowed(text string, allowed, disallowed SpecialSet) error {
	var m *tokenizer.SpecialMatcher
	switch {
	case disallowed.all && allowed.all:
		return nil
	case disallowed.all:
		var toks []tokenizer.SpecialToken
		for _, t := range e.specials {
			if !allowed.has(t.Text) {
				toks = append(toks, t)
			}
		}
		if len(toks) == len(e.specials) {
			m = e.all
		} else {
			m = tokenizer.NewSpecialMatcher(toks)
		}
	case len(disallowed.texts) > 0:
		toks := make([]tokenizer.SpecialToken, len(disallowed.texts))
		for i, t := range disallowed.texts {
			toks[i] = tokenizer.SpecialToken{Text: t, ID: -1}
		}
		m = tokenizer.NewSpecialMatcher(toks)
	default:
		return nil
	}
	if t, at, ok := m.Find(text, 0); ok {
		return fmt.Errorf("tiktoken: %s: text contains special token %q at byte %d: %w (allow it to encode it as a special token, or take it out of the disallowed set to encode it as text)",
			e.name, t.Text, at, tokenizer.ErrDisallowedSpecial)
	}
	return nil
}

// allowedMatcher returns a matcher over the allowed special tokens, or nil.
func (e *Encoding) allowedMatcher(allowed SpecialSet) *tokenizer.SpecialMatcher {
	if allowed.all {
		return e.all
	}
	var toks []tokenizer.SpecialToken
	for _, t := range e.specials {
		if allowed.has(t.Text) {
			toks = append(toks, t)
		}
	}
	if len(toks) == 0 {
		return nil
	}
	return tokenizer.NewSpecialMatcher(toks)
}

func (e *Encoding) encodeAllowed(text string, allowed SpecialSet) []int {
	m := e.allowedMatcher(allowed)
	dst := make([]int, 0, len(text)/3+8)
	pos := 0
	for m != nil {
		t, at, ok := m.Find(text, pos)
		if !ok {
			break
		}
		dst = e.appendOrdinary(dst, text[pos:at])
		dst = append(dst, t.ID)
		pos = at + len(t.Text)
	}
	return e.appendOrdinary(dst, text[pos:])
}

// Encode implements [tokenizer.Tokenizer]: with opts.ParseSpecial it is
// tiktoken's encode(text, allowed_special="all"), otherwise encode_ordinary.
// opts.AddSpecial adds nothing: tiktoken encodings have no template.
func (e *Encoding) Encode(text string, opts tokenizer.EncodeOptions) ([]int, error) {
	if opts.ParseSpecial {
		return e.encodeAllowed(text, AllSpecial), nil
	}
	return e.EncodeOrdinary(text), nil
}

// EncodeOffsets implements [tokenizer.OffsetEncoder]: Encode plus the byte
// range of the input each id covers. A token may cover part of a UTF-8
// character.
func (e *Encoding) EncodeOffsets(text string, opts tokenizer.EncodeOptions) ([]int, []tokenizer.Offset, error) {
	dst := make([]int, 0, len(text)/3+8)
	offs := make([]tokenizer.Offset, 0, len(text)/3+8)
	pos := 0
	if opts.ParseSpecial {
		for {
			t, at, ok := e.all.Find(text, pos)
			if !ok {
				break
			}
			dst, offs = e.appendOrdinaryOffsets(dst, offs, text[pos:at], pos)
			dst = append(dst, t.ID)
			offs = append(offs, tokenizer.Offset{Start: at, End: at + len(t.Text)})
			pos = at + len(t.Text)
		}
	}
	dst, offs = e.appendOrdinaryOffsets(dst, offs, text[pos:], pos)
	return dst, offs, nil
}

// EncodeBatch encodes each text with EncodeOrdinary, spreading the texts over
// workers goroutines (GOMAXPROCS when workers <= 0). out[i] belongs to
// texts[i].
func (e *Encoding) EncodeBatch(texts []string, workers int) [][]int {
	out := make([][]int, len(texts))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(texts))
	if workers <= 1 {
		for i, t := range texts {
			out[i] = e.EncodeOrdinary(t)
		}
		return out
	}
	// Hand out small runs of texts so that long and short texts balance.
	const run = 16
	var (
		next int
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	take := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		lo := next
		next = min(next+run, len(texts))
		return lo, next
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo, hi := take()
				if lo >= hi {
					return
				}
				for i := lo; i < hi; i++ {
					out[i] = e.EncodeOrdinary(texts[i])
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// DecodeBytes returns the bytes of ids, special tokens included. An id that
// is neither a rank nor a special token is an error wrapping
// [tokenizer.ErrUnknownID].
func (e *Encoding) DecodeBytes(ids []int) ([]byte, error) {
	return e.appendBytes(make([]byte, 0, len(ids)*4), ids, false)
}

func (e *Encoding) appendBytes(dst []byte, ids []int, skipSpecial bool) ([]byte, error) {
	r := e.ranks
	for i, id := range ids {
		if id >= 0 && id < len(r.spans) {
			if s := r.spans[id]; s.end != 0 {
				dst = append(dst, r.arena[s.off:s.end]...)
				continue
			}
		}
		if t, ok := e.byID[id]; ok {
			if !skipSpecial {
				dst = append(dst, t...)
			}
			continue
		}
		return nil, fmt.Errorf("tiktoken: %s: %w", e.name, tokenizer.UnknownIDError(id, i, e.nVocab))
	}
	return dst, nil
}

// Decode implements [tokenizer.Tokenizer]: the bytes of ids as text, each
// invalid UTF-8 sequence replaced by U+FFFD (tiktoken's decode with
// errors="replace"). opts.SkipSpecial drops special tokens.
func (e *Encoding) Decode(ids []int, opts tokenizer.DecodeOptions) (string, error) {
	b, err := e.appendBytes(make([]byte, 0, len(ids)*4), ids, opts.SkipSpecial)
	if err != nil {
		return "", err
	}
	return tokenizer.ValidUTF8(b), nil
}

var (
	_ tokenizer.Tokenizer     = (*Encoding)(nil)
	_ tokenizer.OffsetEncoder = (*Encoding)(nil)
)
