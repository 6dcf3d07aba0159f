package safetensors_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/format/safetensors"
)

// Write a one-tensor file and read it back.
func Example() {
	data := make([]byte, 8)
	binary.LittleEndian.PutUint32(data[0:], math.Float32bits(1.5))
	binary.LittleEndian.PutUint32(data[4:], math.Float32bits(-2))
	var buf bytes.Buffer
	if _, err := safetensors.Write(&buf, []safetensors.WriteTensor{
		{Name: "w", DType: safetensors.F32, Shape: []uint64{1, 2}, Data: data},
	}, map[string]string{"format": "pt"}); err != nil {
		panic(err)
	}
	f, err := safetensors.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		panic(err)
	}
	t, _ := f.Tensor("w")
	b, _ := f.TensorBytes("w")
	fmt.Println(t.DType, t.Shape, f.Metadata["format"], math.Float32frombits(binary.LittleEndian.Uint32(b[4:])))
	// Output: F32 [1 2] pt -2
}
