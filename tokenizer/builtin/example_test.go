package builtin_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/builtin"
)

func ExampleTokenizer() {
	tok, err := builtin.Tokenizer()
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, _ := tok.Encode("Hello, world!<|endoftext|>", tokenizer.EncodeOptions{ParseSpecial: true})
	fmt.Println(ids)
	text, _ := tok.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
	fmt.Printf("%q\n", text)
	// Output:
	// [2249 11 986 0 4095]
	// "Hello, world!"
}
