package data_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmpipe/llmpipe/data"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// chars is a toy tokenizer: one id per byte.
type chars struct{}

func (chars) Encode(s string, _ tokenizer.EncodeOptions) ([]int, error) {
	ids := make([]int, len(s))
	for i := range len(s) {
		ids[i] = int(s[i])
	}
	return ids, nil
}
func (chars) Decode(ids []int, _ tokenizer.DecodeOptions) (string, error) {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b), nil
}
func (chars) VocabSize() int               { return 256 }
func (chars) Specials() tokenizer.Specials { return tokenizer.NoSpecials() }

func Example() {
	dir, _ := os.MkdirTemp("", "data-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "corpus.tok")

	// Tokenize once into a token file.
	corpus := strings.Repeat("to be or not to be, that is the question. ", 10)
	n, err := data.Tokenize(context.Background(), chars{}, path, []io.Reader{strings.NewReader(corpus)}, data.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	toks, err := data.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer toks.Close()

	// 90/10 split, then one random training batch of 2 windows of 8.
	train, val, err := data.Split(toks.Len(), 0.1, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(n, "tokens; train", train, "val", val)
	b := data.NewBatch(2, 8)
	rng := rand.New(rand.NewPCG(1, 2))
	if err := data.RandomBatch(b, toks, train, rng); err != nil {
		fmt.Println(err)
		return
	}
	in, _ := chars{}.Decode(b.Inputs[:8], tokenizer.DecodeOptions{})
	tg, _ := chars{}.Decode(b.Targets[:8], tokenizer.DecodeOptions{})
	fmt.Printf("%q → %q\n", in, tg)

	// Validation: consecutive windows.
	windows := 0
	for vb, err := range data.Windows(toks, val, 4, 8) {
		if err != nil {
			fmt.Println(err)
			return
		}
		windows += vb.B
	}
	fmt.Println(windows, "validation windows")
	// Output:
	// 420 tokens; train {0 378} val {378 420}
	// "question" → "uestion."
	// 5 validation windows
}
