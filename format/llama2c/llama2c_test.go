package llama2c

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// synthCheckpoint writes a checkpoint with header h whose float i (counted
// from the first weight) is i, with the freq_cis arrays and, when vocab < 0,
// wcls.
func synthCheckpoint(h [7]int32) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, h)
	dim, hid, L, nh, nkv, v, sl := int(h[0]), int(h[1]), int(h[2]), int(h[3]), int(h[4]), int(h[5]), int(h[6])
	shared := v > 0
	if v < 0 {
		v = -v
	}
	hs := dim / nh
	kv := nkv * hs
	n := v*dim + L*dim + L*dim*dim + 2*L*kv*dim + L*dim*dim + L*dim + 3*L*hid*dim + dim + sl*hs
	if !shared {
		n += v * dim
	}
	for i := range n {
		binary.Write(&buf, binary.LittleEndian, float32(i))
	}
	return buf.Bytes()
}

func synthVocab(maxLen int32, toks []Token) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, maxLen)
	for _, t := range toks {
		binary.Write(&buf, binary.LittleEndian, t.Score)
		binary.Write(&buf, binary.LittleEndian, int32(len(t.Text)))
		buf.WriteString(t.Text)
	}
	return buf.Bytes()
}

func TestReadCheckpointLayout(t *testing.T) {
	for _, v := range []int32{6, -6} {
		h := [7]int32{4, 6, 2, 2, 1, v, 3}
		b := synthCheckpoint(h)
		ck, err := ReadCheckpoint(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		c := ck.Config
		if c.Dim != 4 || c.HiddenDim != 6 || c.NumLayers != 2 || c.NumHeads != 2 || c.NumKVHeads != 1 || c.VocabSize != 6 || c.SeqLen != 3 || c.SharedClassifier != (v > 0) {
			t.Fatalf("config %+v", c)
		}
		// Offsets (in floats) of the first value of each array, by hand.
		const (
			emb    = 0
			rmsAtt = emb + 6*4
			wq     = rmsAtt + 2*4
			wk     = wq + 2*16
			wv     = wk + 2*2*4
			wo     = wv + 2*2*4
			rmsFFN = wo + 2*16
			w1     = rmsFFN + 2*4
			w2     = w1 + 2*24
			w3     = w2 + 2*24
			final  = w3 + 2*24
			freq   = final + 4
			wcls   = freq + 3*2
		)
		l1 := ck.Layers[1]
		for _, c := range []struct {
			name  string
			got   []float32
			first int
			n     int
		}{
			{"emb", ck.TokenEmbedding, emb, 24}, {"rms_att[1]", l1.RMSAtt, rmsAtt + 4, 4}, {"wq[1]", l1.WQ, wq + 16, 16},
			{"wk[1]", l1.WK, wk + 8, 8}, {"wv[1]", l1.WV, wv + 8, 8}, {"wo[1]", l1.WO, wo + 16, 16},
			{"rms_ffn[1]", l1.RMSFFN, rmsFFN + 4, 4}, {"w1[1]", l1.W1, w1 + 24, 24}, {"w2[1]", l1.W2, w2 + 24, 24},
			{"w3[1]", l1.W3, w3 + 24, 24}, {"rms_final", ck.RMSFinal, final, 4},
		} {
			if len(c.got) != c.n || c.got[0] != float32(c.first) || c.got[c.n-1] != float32(c.first+c.n-1) {
				t.Errorf("vocab %d: %s: len %d first %v, want %d from %d", v, c.name, len(c.got), c.got[:1], c.n, c.first)
			}
		}
		if v > 0 && &ck.Classifier[0] != &ck.TokenEmbedding[0] {
			t.Error("shared classifier is not the token embedding")
		}
		if v < 0 && (len(ck.Classifier) != 24 || ck.Classifier[0] != wcls) {
			t.Errorf("wcls starts with %v, want %d", ck.Classifier[:1], wcls)
		}
	}
}

func TestReadCheckpointErrors(t *testing.T) {
	good := synthCheckpoint([7]int32{4, 6, 2, 2, 1, 6, 3})
	with := func(i int, v int32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
		return b
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "header needs 28"},
		{"zero dim", with(0, 0), "dim = 0 at offset 0"},
		{"huge layers", with(2, math.MaxInt32), "n_layers = 2147483647 at offset 8"},
		{"negative seq", with(6, -1), "seq_len = -1 at offset 24"},
		{"heads", with(3, 3), "not a multiple of n_heads"},
		{"kv heads", with(4, 3), "n_kv_heads 3"},
		{"odd head", with(3, 4), "odd"},
		{"v1 magic", with(0, 0x616b3432), "ak42"},
		{"truncated", good[:len(good)-1], "tensor freq_cis_imag"},
		{"big vocab", with(5, 1<<24), "tensor token_embedding [16777216 4] at offset 28 needs 268435456 bytes"},
		{"trailing", append(bytes.Clone(good), 0, 0, 0, 0), "4 trailing bytes"},
		{"unshared short", with(5, -6), "tensor wcls"},
	} {
		_, err := ReadCheckpoint(bytes.NewReader(c.b), int64(len(c.b)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestReadVocab(t *testing.T) {
	toks := []Token{{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}, {"<0x41>", 0}, {" a", -1}, {"", 0}, {"<0x4g>", -2}}
	b := synthVocab(6, toks)
	for _, n := range []int{0, len(toks)} {
		v, err := ReadVocab(bytes.NewReader(b), int64(len(b)), n)
		if err != nil {
			t.Fatal(err)
		}
		if v.MaxTokenLength != 6 || len(v.Tokens) != len(toks) || v.Tokens[4] != toks[4] {
			t.Fatalf("%+v", v)
		}
		p := v.Pieces()
		if p[0].Text != "<unk>" || p[1].Text != "<s>" || p[2].Text != "</s>" || p[3].Text != "<0x41>" || p[4].Text != "\u2581a" ||
			p[6].Text != "<0x4g>" || p[3].Type != 6 || p[5].Type != 3 || p[6].Type != 1 || p[4].Score != -1 {
			t.Errorf("pieces %+v", p)
		}
	}
	with := func(off int, v int32) []byte {
		c := bytes.Clone(b)
		binary.LittleEndian.PutUint32(c[off:], uint32(v))
		return c
	}
	for _, c := range []struct {
		name string
		b    []byte
		n    int
		want string
	}{
		{"empty", nil, 0, "0 bytes"},
		{"max len", with(0, 0), 0, "max_token_length = 0 at offset 0"},
		{"too long", with(0, 5), 0, "token 2: length 6 at offset 34 is outside [0, max_token_length 5]"},
		{"negative", with(8, -1), 0, "token 0: length -1 at offset 8"},
		{"too many", b, 8, "token 7 at offset"},
		{"way too many", b, 1 << 20, "1048576 tokens need at least"},
		{"trailing", b, 6, "trailing bytes at offset"},
		{"truncated", b[:len(b)-2], 0, "token 6: length 6 at offset"},
		{"cut score", b[:len(b)-12], 0, "token 6 at offset"},
		{"bad size", b, -1, "out of range"},
	} {
		_, err := ReadVocab(bytes.NewReader(c.b), int64(len(c.b)), c.n)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func FuzzReadCheckpoint(f *testing.F) {
	f.Add(synthCheckpoint([7]int32{4, 6, 2, 2, 1, 6, 3}))
	f.Add(synthCheckpoint([7]int32{4, 6, 1, 2, 2, -5, 2}))
	f.Add(synthCheckpoint([7]int32{2, 2, 1, 1, 1, 3, 1})[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		ck, err := ReadCheckpoint(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		c := ck.Config
		if len(ck.TokenEmbedding) != c.VocabSize*c.Dim || len(ck.Classifier) != c.VocabSize*c.Dim || len(ck.Layers) != c.NumLayers ||
			len(ck.Layers[0].W2) != c.Dim*c.HiddenDim || len(ck.Layers[0].WK) != c.KVDim()*c.Dim {
			t.Fatalf("inconsistent checkpoint %+v", c)
		}
	})
}

func FuzzReadVocab(f *testing.F) {
	f.Add(synthVocab(6, []Token{{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}, {" a", -1}, {"b", -2}}), uint8(0))
	f.Add(synthVocab(3, []Token{{"ab", 1}, {"", 0}}), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, n uint8) {
		v, err := ReadVocab(bytes.NewReader(b), int64(len(b)), int(n))
		if err != nil {
			return
		}
		if n > 0 && len(v.Tokens) != int(n) {
			t.Fatalf("%d tokens, asked %d", len(v.Tokens), n)
		}
		if tok, err := v.Tokenizer(); err == nil {
			ids, err := tok.Encode(string(b), tokenizer.EncodeOptions{AddSpecial: true})
			if err == nil {
				if _, err := tok.Decode(ids, tokenizer.DecodeOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// TestStories260K reads the real checkpoint and tokenizer file.
func TestStories260K(t *testing.T) {
	ck, err := OpenCheckpoint(shared.Path(t, "models/stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Dim: 64, HiddenDim: 172, NumLayers: 5, NumHeads: 8, NumKVHeads: 4, VocabSize: 512, SeqLen: 512, SharedClassifier: true}
	if ck.Config != want {
		t.Errorf("config %+v, want %+v", ck.Config, want)
	}
	v, err := OpenVocab(shared.Path(t, "models/tok512.bin"), ck.Config.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) != 512 || v.Tokens[BOSID].Text != "\n<s>\n" {
		t.Errorf("%d tokens, BOS %q", len(v.Tokens), v.Tokens[BOSID].Text)
	}
	if _, err := OpenCheckpoint(shared.Path(t, "models/tok512.bin")); err == nil {
		t.Error("tok512.bin read as a checkpoint")
	}
}

// TestTokenizerMatchesLlamaCpp: the tokenizer from tok512.bin gives the ids
// llama.cpp gives with stories260K.gguf (converted from these files) for
// every reference string.
func TestTokenizerMatchesLlamaCpp(t *testing.T) {
	vecs := shared.LoadTokenizerVectors(t)
	set := vecs.Set(t, "llama.cpp:models/stories260K.gguf")
	v, err := OpenVocab(shared.Path(t, "models/tok512.bin"), 512)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.IDs) != len(vecs.Strings) || len(vecs.Strings) == 0 {
		t.Fatalf("%d id lists for %d strings", len(set.IDs), len(vecs.Strings))
	}
	for i, s := range vecs.Strings {
		got, err := tok.Encode(s, tokenizer.EncodeOptions{})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !equal(got, set.IDs[i]) {
			t.Errorf("%q:\n got %v\nwant %v", s, got, set.IDs[i])
		}
		with, _ := tok.Encode(s, tokenizer.EncodeOptions{AddSpecial: true})
		if len(with) == 0 || with[0] != BOSID || (set.BOS != nil && *set.BOS != BOSID) {
			t.Errorf("%q: AddSpecial gives %v, want BOS %d first", s, with, BOSID)
		}
	}
	if sp := tok.Specials(); sp.BOS != BOSID || sp.EOS != EOSID || (set.EOS != nil && *set.EOS != sp.EOS) {
		t.Errorf("specials BOS %d EOS %d", sp.BOS, sp.EOS)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestOpenMissing(t *testing.T) {
	dir := t.TempDir()
	if _, err := OpenCheckpoint(dir + "/none.bin"); err == nil || !strings.Contains(err.Error(), "llama2c") {
		t.Errorf("error %v", err)
	}
	if _, err := OpenVocab(dir+"/none.bin", 0); err == nil {
		t.Error("no error")
	}
	p := dir + "/t.bin"
	os.WriteFile(p, []byte{1, 0, 0, 0}, 0o644)
	if v, err := OpenVocab(p, 0); err != nil || len(v.Tokens) != 0 {
		t.Errorf("%v %v", v, err)
	}
	if _, err := (&Vocab{}).Tokenizer(); err == nil {
		t.Error("empty vocabulary accepted")
	}
}
