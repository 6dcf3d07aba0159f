package tiktoken

import (
	"testing"

	"github.com/llmpipe/llmpipe/tokenizer"
)

func TestTokenBytes(t *testing.T) {
	e := sharedEncoding(t, "cl100k_base")
	text := "Hello, world! é😀 日本語 {\"a\": 1}"
	ids := e.EncodeOrdinary(text)
	var got []byte
	for _, id := range ids {
		got = append(got, e.TokenBytes(id)...)
	}
	if string(got) != text {
		t.Fatalf("token bytes %q, want %q", got, text)
	}
	if b := e.TokenBytes(e.Specials().EOS); b != nil && e.Specials().EOS >= 0 {
		t.Fatalf("special token has bytes %q", b)
	}
	vb, err := tokenizer.VocabBytes(e)
	if err != nil || len(vb) != e.VocabSize() {
		t.Fatalf("VocabBytes: %d entries, %v", len(vb), err)
	}
}
