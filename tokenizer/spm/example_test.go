package spm_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/spm"
)

// A tiny BPE vocabulary built in code; spm.Load("tokenizer.model") reads a
// real one.
func Example() {
	pieces := []spm.Piece{
		{Text: "<unk>", Type: spm.Unknown},
		{Text: "<s>", Type: spm.Control},
		{Text: "</s>", Type: spm.Control},
		{Text: "▁", Score: -4}, {Text: "h", Score: -5}, {Text: "i", Score: -5},
		{Text: "▁h", Score: -2}, {Text: "▁hi", Score: -1},
	}
	tok, err := spm.New(pieces, spm.Options{
		Model: spm.BPE, AddDummyPrefix: true, EscapeWhitespaces: true,
		AddBOS: true, BOS: 1, EOS: 2, UNK: 0, PAD: -1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("hi hi!", tokenizer.EncodeOptions{AddSpecial: true})
	fmt.Println(ids)
	text, _ := tok.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
	fmt.Printf("%q\n", text)
	// Output:
	// [1 7 7 0]
	// "hi hi ⁇ "
}
