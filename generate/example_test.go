package generate

import (
	"context"
	"fmt"
)

// Greedy decoding with a toy model that always predicts the next letter, and
// a toy tokenizer whose "f" is the end of text.
func ExampleGreedy() {
	m := countModel{vocab: 26, ctx: 16}
	res, err := Greedy(context.Background(), m, letters{}, "ab", Options{
		MaxTokens: 10,
		OnText:    func(s string) error { fmt.Print(s, "|"); return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println()
	fmt.Println(res.PromptIDs, res.IDs, res.Text, res.Stop)
	// Output:
	// c|d|e|
	// [0 0 1] [2 3 4] cde eog
}

// A stop string that spans two tokens: neither it nor anything after it is
// streamed.
func ExampleRun() {
	m := countModel{vocab: 26, ctx: 16}
	res, err := RunText(context.Background(), m, letters{}, "ab", Options{
		Stop:   []string{"de"},
		OnText: func(s string) error { fmt.Print(s, "|"); return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println()
	fmt.Println(res.IDs, res.Text, res.Stop, res.Stop.FinishReason())
	// Output:
	// c|
	// [2 3 4] c stop_string stop
}
