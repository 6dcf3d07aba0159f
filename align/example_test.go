package align_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/align"
)

// The tasks are rendered with a plain-text chat template; the preference
// pairs put the right answer over a perturbed one.
func Example() {
	train, test := align.Dataset(1, []string{align.TaskAdd, align.TaskUpper}, 4, 2)
	fmt.Printf("%q\n", align.Render(train[0].User, train[0].Answer))
	fmt.Println(len(train), len(test), test[0].Judge(test[0].Answer))
	p := align.Pairs(1, train)[0]
	fmt.Println(p.Chosen != p.Rejected, train[0].Score(train[0].Answer))
	// Output:
	// "Q:25+28\nA:53\n"
	// 4 2 true
	// true 1
}
