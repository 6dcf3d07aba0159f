package spm

import (
	"errors"
	"fmt"
	"math"
	"os"
)

// The protobuf wire format, as much of it as sentencepiece_model.proto needs:
// varints (wire type 0), 64-bit (1), length-delimited (2) and 32-bit (5)
// fields. Groups (3, 4) are long deprecated and rejected.

var errTruncated = errors.New("truncated input")

type wire struct {
	b   []byte
	off int
}

func (w *wire) done() bool { return w.off >= len(w.b) }

func (w *wire) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if w.off >= len(w.b) {
			return 0, errTruncated
		}
		c := w.b[w.off]
		w.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// tag reads a field key.
func (w *wire) tag() (field int, typ int, err error) {
	k, err := w.varint()
	if err != nil {
		return 0, 0, err
	}
	if k>>3 == 0 || k>>3 > math.MaxInt32 {
		return 0, 0, fmt.Errorf("invalid field number %d", k>>3)
	}
	return int(k >> 3), int(k & 7), nil
}

// bytes reads a length-delimited payload; it aliases the input.
func (w *wire) bytes() ([]byte, error) {
	n, err := w.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(w.b)-w.off) {
		return nil, fmt.Errorf("length %d overruns the %d bytes left", n, len(w.b)-w.off)
	}
	p := w.b[w.off : w.off+int(n)]
	w.off += int(n)
	return p, nil
}

func (w *wire) fixed32() (uint32, error) {
	if len(w.b)-w.off < 4 {
		return 0, errTruncated
	}
	p := w.b[w.off:]
	w.off += 4
	return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24, nil
}

// skip skips the payload of a field of wire type typ.
func (w *wire) skip(typ int) error {
	switch typ {
	case 0:
		_, err := w.varint()
		return err
	case 1:
		if len(w.b)-w.off < 8 {
			return errTruncated
		}
		w.off += 8
		return nil
	case 2:
		_, err := w.bytes()
		return err
	case 5:
		_, err := w.fixed32()
		return err
	default:
		return fmt.Errorf("unsupported wire type %d", typ)
	}
}

// field is one decoded field of a message: its number and either a varint /
// fixed32 value or a length-delimited payload.
type field struct {
	num, typ int
	v        uint64
	p        []byte
}

// each calls fn for every field of the message in b, in order.
func each(b []byte, fn func(f field) error) error {
	w := wire{b: b}
	for !w.done() {
		at := w.off
		num, typ, err := w.tag()
		if err != nil {
			return fmt.Errorf("byte %d: %w", at, err)
		}
		f := field{num: num, typ: typ}
		switch typ {
		case 0:
			f.v, err = w.varint()
		case 2:
			f.p, err = w.bytes()
		case 5:
			var v uint32
			v, err = w.fixed32()
			f.v = uint64(v)
		default:
			err = w.skip(typ)
		}
		if err != nil {
			return fmt.Errorf("byte %d: field %d: %w", at, num, err)
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// modelProto holds the parts of sentencepiece's ModelProto the tokenizer uses.
type modelProto struct {
	pieces []Piece

	modelType                        ModelType
	byteFallback, whitespaceAsSuffix bool
	unkPiece, bosPiece               string
	eosPiece, padPiece, unkSurface   string

	// hasTrainer and hasNormalizer record whether the two specs were
	// present: every model spm_train writes has both, after the pieces, so a
	// file without them was cut short.
	hasTrainer, hasNormalizer bool

	normName                                        string
	charsmap                                        []byte
	addDummyPrefix, removeExtraWS, escapeWhitespace bool
}

func decodeModel(data []byte) (*modelProto, error) {
	m := &modelProto{
		modelType: Unigram,
		unkPiece:  "<unk>", bosPiece: "<s>", eosPiece: "</s>", padPiece: "<pad>",
		unkSurface:     " \u2047 ",
		addDummyPrefix: true, removeExtraWS: true, escapeWhitespace: true,
	}
	err := each(data, func(f field) error {
		switch {
		case f.num == 1 && f.typ == 2:
			p, err := decodePiece(f.p)
			if err != nil {
				return fmt.Errorf("pieces[%d]: %w", len(m.pieces), err)
			}
			m.pieces = append(m.pieces, p)
		case f.num == 2 && f.typ == 2:
			m.hasTrainer = true
			if err := m.decodeTrainer(f.p); err != nil {
				return fmt.Errorf("trainer_spec: %w", err)
			}
		case f.num == 3 && f.typ == 2:
			m.hasNormalizer = true
			if err := m.decodeNormalizer(f.p); err != nil {
				return fmt.Errorf("normalizer_spec: %w", err)
			}
		}
		return nil
	})
	if err == nil && (!m.hasTrainer || !m.hasNormalizer) {
		missing := "trainer_spec (field 2)"
		if m.hasTrainer {
			missing = "normalizer_spec (field 3)"
		}
		err = fmt.Errorf("no %s after %d pieces: the file is cut short or not a SentencePiece model", missing, len(m.pieces))
	}
	return m, err
}

func decodePiece(b []byte) (Piece, error) {
	p := Piece{Type: Normal}
	err := each(b, func(f field) error {
		switch {
		case f.num == 1 && f.typ == 2:
			p.Text = string(f.p)
		case f.num == 2 && f.typ == 5:
			p.Score = math.Float32frombits(uint32(f.v))
		case f.num == 3 && f.typ == 0:
			p.Type = PieceType(int32(f.v))
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	if p.Type < Normal || p.Type > Byte {
		return p, fmt.Errorf("piece %q: invalid type %d", p.Text, p.Type)
	}
	return p, nil
}

func (m *modelProto) decodeTrainer(b []byte) error {
	return each(b, func(f field) error {
		if f.typ == 0 {
			switch f.num {
			case 3:
				m.modelType = ModelType(int32(f.v))
			case 24:
				m.whitespaceAsSuffix = f.v != 0
			case 35:
				m.byteFallback = f.v != 0
			}
			return nil
		}
		if f.typ == 2 {
			switch f.num {
			case 44:
				m.unkSurface = string(f.p)
			case 45:
				m.unkPiece = string(f.p)
			case 46:
				m.bosPiece = string(f.p)
			case 47:
				m.eosPiece = string(f.p)
			case 48:
				m.padPiece = string(f.p)
			}
		}
		return nil
	})
}

func (m *modelProto) decodeNormalizer(b []byte) error {
	return each(b, func(f field) error {
		switch {
		case f.num == 1 && f.typ == 2:
			m.normName = string(f.p)
		case f.num == 2 && f.typ == 2:
			m.charsmap = append([]byte(nil), f.p...)
		case f.num == 3 && f.typ == 0:
			m.addDummyPrefix = f.v != 0
		case f.num == 4 && f.typ == 0:
			m.removeExtraWS = f.v != 0
		case f.num == 5 && f.typ == 0:
			m.escapeWhitespace = f.v != 0
		}
		return nil
	})
}

// Parse reads a serialized sentencepiece ModelProto (the tokenizer.model
// file) and builds its tokenizer.
//
// The special ids follow SentencePieceProcessor: UNK is the piece of type
// Unknown; BOS, EOS and PAD are the pieces named by trainer_spec's bos_piece,
// eos_piece and pad_piece ("<s>", "</s>", "<pad>") when those are control
// pieces, else -1. SentencePiece adds no BOS/EOS unless asked; Options.AddBOS
// is set when the model has a BOS piece (what Llama's and most tokenizers'
// add_special_tokens does) and AddEOS is false.
func Parse(data []byte) (*Tokenizer, error) {
	m, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("spm: ModelProto: %w", err)
	}
	if m.whitespaceAsSuffix {
		return nil, errors.New("spm: ModelProto: trainer_spec.treat_whitespace_as_suffix is not supported")
	}
	opts := Options{
		Model:                  m.modelType,
		AddDummyPrefix:         m.addDummyPrefix,
		RemoveExtraWhitespaces: m.removeExtraWS,
		EscapeWhitespaces:      m.escapeWhitespace,
		ByteFallback:           m.byteFallback,
		Charsmap:               m.charsmap,
		BOS:                    -1, EOS: -1, UNK: -1, PAD: -1,
	}
	// byText holds what SentencePiece calls reserved pieces (unknown,
	// control, byte), which PieceToId consults first.
	byText := map[string]int{}
	for i, p := range m.pieces {
		if p.Type == Unknown {
			if opts.UNK >= 0 {
				return nil, fmt.Errorf("spm: ModelProto: pieces[%d] %q: a second unknown piece (first is %d)", i, p.Text, opts.UNK)
			}
			opts.UNK = i
		}
		reserved := p.Type == Unknown || p.Type == Control || p.Type == Byte
		if _, dup := byText[p.Text]; reserved && !dup {
			byText[p.Text] = i
		}
	}
	if opts.UNK < 0 {
		return nil, errors.New("spm: ModelProto: no piece of type UNKNOWN")
	}
	control := func(text string) int {
		if id, ok := byText[text]; ok && m.pieces[id].Type == Control {
			return id
		}
		return -1
	}
	opts.BOS, opts.EOS, opts.PAD = control(m.bosPiece), control(m.eosPiece), control(m.padPiece)
	opts.AddBOS = opts.BOS >= 0
	t, err := New(m.pieces, opts)
	if err != nil {
		return nil, err
	}
	t.unkSurface = m.unkSurface
	return t, nil
}

// Load reads and parses a tokenizer.model file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("spm: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
