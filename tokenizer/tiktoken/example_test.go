package tiktoken_test

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/tiktoken"
)

// A tiny rank file: the 256 single bytes, then a few merges. Real programs
// use tiktoken.Get(ctx, "cl100k_base", tiktoken.Options{}) or tiktoken.Open.
func Example() {
	var file strings.Builder
	for b := 0; b < 256; b++ {
		fmt.Fprintf(&file, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(b)}), b)
	}
	for i, tok := range []string{"he", "ll", "hell", "hello", " w", "or", " wor", "ld", " world"} {
		fmt.Fprintf(&file, "%s %d\n", base64.StdEncoding.EncodeToString([]byte(tok)), 256+i)
	}
	spec := tiktoken.Spec{
		Name:     "tiny",
		Pattern:  tiktoken.PatternCl100k,
		Specials: map[string]int{tiktoken.EndOfText: 265},
	}
	enc, err := tiktoken.NewFromBytes(spec, "tiny.tiktoken", []byte(file.String()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(enc.EncodeOrdinary("hello world!"))
	ids, _ := enc.Encode("hello<|endoftext|>", tokenizer.EncodeOptions{ParseSpecial: true})
	fmt.Println(ids)
	_, err = enc.EncodeSpecial("hi <|endoftext|>", tiktoken.NoSpecial, tiktoken.AllSpecial)
	fmt.Println(err)
	text, _ := enc.Decode([]int{259, 264}, tokenizer.DecodeOptions{})
	fmt.Printf("%q\n", text)
	// Output:
	// [259 264 33]
	// [259 265]
	// tiktoken: tiny: text contains special token "<|endoftext|>" at byte 3: disallowed special token (allow it to encode it as a special token, or take it out of the disallowed set to encode it as text)
	// "hello world"
}
