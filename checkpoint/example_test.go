package checkpoint_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/checkpoint"
)

func Example() {
	dir, _ := os.MkdirTemp("", "ckpt-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "step100.safetensors")

	type config struct{ Layers, Dim int }
	type meta struct {
		Step int
		RNG  [2]uint64
	}
	err := checkpoint.Save(path, checkpoint.State{
		Config: config{Layers: 2, Dim: 4},
		Meta:   meta{Step: 100, RNG: [2]uint64{1, 2}},
		Tensors: []checkpoint.Tensor{
			{Name: "embed", Shape: []int{2, 4}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8}},
			{Name: "adam.m.embed", Shape: []int{2, 4}, Data: make([]float32, 8)},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	l, err := checkpoint.Load(path, config{Layers: 2, Dim: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	var m meta
	l.DecodeMeta(&m)
	emb, _ := l.Tensor("embed")
	fmt.Println("step", m.Step, "embed", emb.Shape, emb.Data[:4])

	_, err = checkpoint.Load(path, config{Layers: 4, Dim: 4})
	fmt.Println(errors.Is(err, checkpoint.ErrConfigMismatch))
	// Output:
	// step 100 embed [2 4] [1 2 3 4]
	// true
}
