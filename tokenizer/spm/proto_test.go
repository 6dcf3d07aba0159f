package spm

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// protoBuf writes protobuf wire format, for building test models.
type protoBuf []byte

func (b protoBuf) varint(v uint64) protoBuf {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func (b protoBuf) tag(field, typ int) protoBuf { return b.varint(uint64(field)<<3 | uint64(typ)) }

func (b protoBuf) uint(field int, v uint64) protoBuf { return b.tag(field, 0).varint(v) }

func (b protoBuf) bytes(field int, p []byte) protoBuf {
	return append(b.tag(field, 2).varint(uint64(len(p))), p...)
}

func (b protoBuf) float(field int, f float32) protoBuf {
	u := math.Float32bits(f)
	return append(b.tag(field, 5), byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
}

// modelSpec describes a test ModelProto.
type modelSpec struct {
	pieces            []Piece
	modelType         ModelType
	byteFallback      bool
	dummy, remove     bool
	charsmap          []byte
	extraTrainer      protoBuf // appended to trainer_spec (unknown fields…)
	bosPiece, padPiec string
}

func (m modelSpec) encode() []byte {
	var b protoBuf
	for _, p := range m.pieces {
		var pb protoBuf
		pb = pb.bytes(1, []byte(p.Text)).float(2, p.Score)
		if p.Type != Normal {
			pb = pb.uint(3, uint64(p.Type))
		}
		b = b.bytes(1, pb)
	}
	var tr protoBuf
	tr = tr.bytes(2, []byte("model_prefix")).uint(3, uint64(m.modelType)).uint(4, uint64(len(m.pieces)))
	tr = tr.float(10, 0.9995).uint(35, boolU(m.byteFallback)).uint(43, math.MaxUint64) // pad_id = -1
	if m.bosPiece != "" {
		tr = tr.bytes(46, []byte(m.bosPiece))
	}
	tr = append(tr, m.extraTrainer...)
	b = b.bytes(2, tr)
	var nr protoBuf
	nr = nr.bytes(1, []byte("identity")).uint(3, boolU(m.dummy)).uint(4, boolU(m.remove)).uint(5, 1)
	if len(m.charsmap) > 0 {
		nr = nr.bytes(2, m.charsmap)
	}
	b = b.bytes(3, nr)
	return b
}

func boolU(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

func smallModel() modelSpec {
	v, _ := vocab(true, testPieces...)
	return modelSpec{pieces: v, modelType: BPE, byteFallback: true, dummy: true}
}

func TestParseSmallModel(t *testing.T) {
	spec := smallModel()
	spec.extraTrainer = protoBuf(nil).bytes(999, []byte("unknown field")).uint(998, 7).float(997, 1)
	tok, err := Parse(spec.encode())
	if err != nil {
		t.Fatal(err)
	}
	o := tok.Options()
	want := Options{Model: BPE, AddDummyPrefix: true, EscapeWhitespaces: true, ByteFallback: true, AddBOS: true, BOS: 1, EOS: 2, UNK: 0, PAD: -1}
	if !equalOptions(o, want) {
		t.Errorf("Options = %+v, want %+v", o, want)
	}
	if !slices.Equal(tok.pieces, spec.pieces) {
		t.Error("pieces differ from the encoded ones")
	}
	ids, _ := tok.Encode("abc", tokenizer.EncodeOptions{AddSpecial: true})
	if p, _ := tok.Piece(ids[len(ids)-1]); !slices.Equal(ids[:1], []int{1}) || p.Text != "abc" {
		t.Errorf("Encode(abc) = %v", ids)
	}
}

func TestParseErrors(t *testing.T) {
	good := smallModel()
	noUnk := good
	noUnk.pieces = slices.Clone(good.pieces)
	noUnk.pieces[0].Type = Normal
	twoUnk := good
	twoUnk.pieces = append(slices.Clone(good.pieces), Piece{Text: "<unk2>", Type: Unknown})
	badType := good
	badType.pieces = append(slices.Clone(good.pieces), Piece{Text: "x", Type: 9})
	word := good
	word.modelType = Word
	noBytes := good
	noBytes.pieces = slices.Delete(slices.Clone(good.pieces), 3, 4)
	badMap := good
	badMap.charsmap = []byte{1, 2}
	enc := good.encode()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", enc[:len(enc)-3], "overruns"},
		{"bad varint", []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "varint"},
		{"group wire type", []byte{0x0b}, "wire type"},
		{"field zero", []byte{0x02, 0x00}, "field number"},
		{"no unknown piece", noUnk.encode(), "UNKNOWN"},
		{"two unknown pieces", twoUnk.encode(), "second unknown"},
		{"bad piece type", badType.encode(), "invalid type"},
		{"word model", word.encode(), "not supported"},
		{"missing byte piece", noBytes.encode(), "<0x00>"},
		{"bad charsmap", badMap.encode(), "charsmap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse error = %v, want one mentioning %q", err, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.model")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
}

func TestUnigramModel(t *testing.T) {
	v, id := vocab(false,
		Piece{"▁ab", -1, Normal}, Piece{"▁a", -2, Normal}, Piece{"b", -2, Normal},
		Piece{"▁", -3, Normal}, Piece{"a", -3, Normal}, Piece{"<tool>", 0, UserDefined})
	o := bpeOptions(false)
	o.Model = Unigram
	tok, err := New(v, o)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want []string
	}{
		// ▁ab (-1) + b (-2) beats ▁a + b + b (-6).
		{"abb", []string{"▁ab", "b"}},
		{"a b", []string{"▁a", "▁", "b"}},
		{"axy<tool>", []string{"▁a", "<unk>", "<tool>"}},
	}
	for _, c := range cases {
		got, _ := tok.Encode(c.in, tokenizer.EncodeOptions{})
		var want []int
		for _, p := range c.want {
			want = append(want, id[p])
		}
		if !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, want %v", c.in, got, want)
		}
		pieces, _ := tok.Pieces(c.in)
		if len(pieces) != len(want) {
			t.Errorf("Pieces(%q) = %q", c.in, pieces)
		}
	}
}
