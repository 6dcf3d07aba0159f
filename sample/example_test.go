package sample_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/llmpipe/llmpipe/sample"
)

// Greedy decoding is the zero Options; a seeded Rand makes sampling
// reproducible.
func ExampleNew() {
	logits := []float32{1, 3, 3, 0.5}
	greedy, _ := sample.New(sample.Options{})
	id, _ := greedy.Sample(logits)
	fmt.Println("greedy:", id) // the lowest id among equal logits

	s, err := sample.New(sample.Options{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, Rand: rand.New(rand.NewPCG(42, 0))})
	if err != nil {
		fmt.Println(err)
		return
	}
	// top-p 0.95 drops id 3 (p 0.037 at temperature 1); temperature 0.8
	// then sharpens what is left.
	c, p, _ := s.Distribution(logits)
	for i := range c {
		fmt.Printf("id %d p %.3f\n", c[i].ID, p[i])
	}
	_, err = sample.New(sample.Options{TopP: 1.5})
	fmt.Println(err)
	// Output:
	// greedy: 1
	// id 1 p 0.480
	// id 2 p 0.480
	// id 0 p 0.039
	// sample: TopP 1.5 is outside (0,1] (0 disables top-p): invalid sampling option
}
