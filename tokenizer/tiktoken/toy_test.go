package tiktoken

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// toyMerges are the multi-byte tokens of the toy rank file, in rank order
// after the 256 single bytes.
var toyMerges = []string{"he", "ll", "hell", "hello", " w", "or", " wor", "ld", " world", "aa", "aaaa", "ab", "ba", "aba", "  ", "    "}

// toyRankFile is a small .tiktoken file: every byte (rank = byte value), then
// toyMerges.
func toyRankFile() []byte {
	var b strings.Builder
	for i := 0; i < 256; i++ {
		fmt.Fprintf(&b, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(i)}), i)
	}
	for i, m := range toyMerges {
		fmt.Fprintf(&b, "%s %d\n", base64.StdEncoding.EncodeToString([]byte(m)), 256+i)
	}
	return []byte(b.String())
}

// toySpec uses cl100k's pattern with <|endoftext|> and <|fim_prefix|> after
// the merges.
func toySpec() Spec {
	n := 256 + len(toyMerges)
	return Spec{Name: "toy", Pattern: PatternCl100k, Specials: map[string]int{EndOfText: n, FIMPrefix: n + 1}}
}

func toyEncoding(t testing.TB) *Encoding {
	t.Helper()
	e, err := NewFromBytes(toySpec(), "toy.tiktoken", toyRankFile())
	if err != nil {
		t.Fatal(err)
	}
	return e
}
