package train_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/llmpipe/llmpipe/train"
)

// Example trains a tiny character-level Llama for 40 steps on a repetitive
// text and checks that it learned something: the validation loss ends far
// below ln(vocab), the loss of a uniform guess.
func Example() {
	text := strings.Repeat("the cat sat on the mat. ", 400)
	tok := train.NewCharTokenizer(text)
	ids, err := train.Encode(tok, text)
	if err != nil {
		panic(err)
	}
	trainSplit, valSplit := train.Split(ids, 0.1)
	dir, _ := os.MkdirTemp("", "train-example")
	defer os.RemoveAll(dir)
	res, err := train.Run(context.Background(), train.Options{
		Model: train.Config{Arch: train.ArchLlama, Layers: 1, Dim: 32, Heads: 4, Ctx: 16, Vocab: tok.VocabSize()},
		Steps: 40, Batch: 8, LR: 1e-2, Warmup: 4, EvalEvery: 40, OutDir: dir,
	}, trainSplit, valSplit)
	if err != nil {
		panic(err)
	}
	fmt.Println("vocabulary:", tok.VocabSize(), "characters")
	fmt.Println("learned:", res.ValLoss < 0.5) // ln 11 ≈ 2.4 at the start
	// Output:
	// vocabulary: 11 characters
	// learned: true
}
