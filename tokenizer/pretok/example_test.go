package pretok_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

func ExampleCompile() {
	s, err := pretok.Compile(pretok.PatternCL100K)
	if err != nil {
		panic(err)
	}
	text := "I'm    fine,\nthanks 12345!"
	for _, sp := range s.FindAll(nil, text) {
		fmt.Printf("%q ", text[sp.Start:sp.End])
	}
	fmt.Println()
	// Output: "I" "'m" "   " " fine" ",\n" "thanks" " " "123" "45" "!"
}
