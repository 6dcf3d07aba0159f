package bpetrain_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/bpetrain"
)

func ExampleTrain() {
	corpus := strings.NewReader("hug hug hug pug pun bun hugs<|endoftext|>")
	res, err := bpetrain.Train(context.Background(), []io.Reader{corpus}, bpetrain.Options{VocabSize: 262})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range res.Merges {
		fmt.Printf("%q + %q -> %d\n", res.Vocab[m.Left], res.Vocab[m.Right], m.ID)
	}
	ids, _ := res.Encode("hugs pun<|endoftext|>", tokenizer.EncodeOptions{ParseSpecial: true})
	fmt.Println(ids)
	text, _ := res.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
	fmt.Printf("%q\n", text)
	// Output:
	// "u" + "g" -> 256
	// "h" + "ug" -> 257
	// "Ġ" + "hug" -> 258
	// "u" + "n" -> 259
	// "Ġ" + "p" -> 260
	// [257 82 260 259 261]
	// "hugs pun"
}
