package tokenizer

import (
	"strings"
	"testing"
)

type plainTok struct{}

func (plainTok) Encode(string, EncodeOptions) ([]int, error) { return nil, nil }
func (plainTok) Decode([]int, DecodeOptions) (string, error) { return "", nil }
func (plainTok) VocabSize() int                              { return 3 }
func (plainTok) Specials() Specials                          { return NoSpecials() }

type bytesTok struct{ plainTok }

func (bytesTok) TokenBytes(id int) []byte {
	if id == 0 {
		return nil
	}
	return []byte(strings.Repeat("x", id))
}

func TestVocabBytes(t *testing.T) {
	if _, err := VocabBytes(plainTok{}); err == nil || !strings.Contains(err.Error(), "TokenByter") {
		t.Fatalf("got %v, want an error naming TokenByter", err)
	}
	vb, err := VocabBytes(bytesTok{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vb) != 3 || vb[0] != nil || string(vb[2]) != "xx" {
		t.Fatalf("got %q", vb)
	}
}
