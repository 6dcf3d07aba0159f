package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// WriteTensor is one tensor to write: Data is its little-endian bytes, whose
// length must equal the shape's element count times the dtype size.
type WriteTensor struct {
	Name  string
	DType DType
	Shape []uint64
	Data  []byte
}

// Write writes tensors and metadata (which may be nil) as a safetensors file
// the reference crate loads, laid out as its serialize does: tensors sorted
// by dtype (the reference's enum order, largest alignment first) then name, stored contiguously; the header is __metadata__ first, then the
// tensors in data order, padded with spaces to a multiple of 8 bytes so the
// data section starts aligned. It returns the bytes written.
func Write(w io.Writer, tensors []WriteTensor, metadata map[string]string) (int64, error) {
	ts := append([]WriteTensor(nil), tensors...)
	seen := map[string]bool{}
	for _, t := range ts {
		if t.Name == MetadataKey || seen[t.Name] {
			return 0, fmt.Errorf("safetensors: write: tensor name %q is reserved or repeated", t.Name)
		}
		seen[t.Name] = true
		b, ok := dtypeBits[t.DType]
		if !ok {
			return 0, fmt.Errorf("safetensors: write: tensor %q: unknown dtype %q", t.Name, t.DType)
		}
		n := b
		for _, d := range t.Shape {
			n *= d
		}
		if n%8 != 0 || n/8 != uint64(len(t.Data)) {
			return 0, fmt.Errorf("safetensors: write: tensor %q: shape %v of %s needs %d bits, have %d bytes", t.Name, t.Shape, t.DType, n, len(t.Data))
		}
	}
	sort.SliceStable(ts, func(i, j int) bool {
		if ri, rj := dtypeRank(ts[i].DType), dtypeRank(ts[j].DType); ri != rj {
			return ri > rj
		}
		return ts[i].Name < ts[j].Name
	})
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		mb, err := json.Marshal(metadata) // keys sorted
		if err != nil {
			return 0, fmt.Errorf("safetensors: write: metadata: %w", err)
		}
		h.WriteString(`"` + MetadataKey + `":`)
		h.Write(mb)
	}
	var off uint64
	for i, t := range ts {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		dt, _ := json.Marshal(string(t.DType))
		h.Write(name)
		h.WriteString(`:{"dtype":`)
		h.Write(dt)
		h.WriteString(`,"shape":[`)
		for k, d := range t.Shape {
			if k > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.FormatUint(d, 10))
		}
		end := off + uint64(len(t.Data))
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return 0, fmt.Errorf("safetensors: write: header of %d bytes exceeds %d", h.Len(), MaxHeaderSize)
	}
	var lb [8]byte
	binary.LittleEndian.PutUint64(lb[:], uint64(h.Len()))
	var total int64
	for _, b := range append([][]byte{lb[:], h.Bytes()}, dataOf(ts)...) {
		n, err := w.Write(b)
		total += int64(n)
		if err != nil {
			return total, fmt.Errorf("safetensors: write: %w", err)
		}
	}
	return total, nil
}

// dtypeOrder is the reference crate's Dtype enum order (increasing
// alignment); its writer sorts tensors by it, descending.
var dtypeOrder = []DType{"BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0",
	"I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"}

func dtypeRank(d DType) int {
	for i, x := range dtypeOrder {
		if x == d {
			return i
		}
	}
	return -1
}

func dataOf(ts []WriteTensor) [][]byte {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		out[i] = t.Data
	}
	return out
}
