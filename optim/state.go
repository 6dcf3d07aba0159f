package optim

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmpipe/llmpipe/autograd"
)

// The state encoding: magic "LPOPT1", a kind byte ('S' SGD, 'A' Adam), the
// step count (int64), the number of buffers and, for each, its length
// (uint64, 0 for a buffer not yet made) and float32 elements, all little-endian.
const stateMagic = "LPOPT1"

func encodeState(kind byte, steps int64, bufs ...[][]float32) []byte {
	n := 0
	for _, b := range bufs {
		for _, x := range b {
			n += 8 + 4*len(x)
		}
	}
	out := make([]byte, 0, len(stateMagic)+1+8+8+n)
	out = append(out, stateMagic...)
	out = append(out, kind)
	out = binary.LittleEndian.AppendUint64(out, uint64(steps))
	count := 0
	for _, b := range bufs {
		count += len(b)
	}
	out = binary.LittleEndian.AppendUint64(out, uint64(count))
	for _, b := range bufs {
		for _, x := range b {
			out = binary.LittleEndian.AppendUint64(out, uint64(len(x)))
			for _, f := range x {
				out = binary.LittleEndian.AppendUint32(out, math.Float32bits(f))
			}
		}
	}
	return out
}

// decodeState reads the state of kind into want buffers per group whose
// lengths must be 0 or sizes[i] (one size per parameter).
func decodeState(b []byte, kind byte, sizes []int, groups int) (int64, [][][]float32, error) {
	name := map[byte]string{'S': "SGD", 'A': "Adam"}[kind]
	if len(b) < len(stateMagic)+17 || string(b[:len(stateMagic)]) != stateMagic {
		return 0, nil, fmt.Errorf("optim: %s state of %d bytes does not start with %q", name, len(b), stateMagic)
	}
	if b[len(stateMagic)] != kind {
		return 0, nil, fmt.Errorf("optim: state of kind %q, want %s (%q)", b[len(stateMagic)], name, kind)
	}
	b = b[len(stateMagic)+1:]
	steps := int64(binary.LittleEndian.Uint64(b))
	count := binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	if steps < 0 {
		return 0, nil, fmt.Errorf("optim: %s state with step count %d", name, steps)
	}
	if count != uint64(groups*len(sizes)) {
		return 0, nil, fmt.Errorf("optim: %s state has %d buffers, want %d (%d per parameter for %d parameters)",
			name, count, groups*len(sizes), groups, len(sizes))
	}
	out := make([][][]float32, groups)
	for g := range out {
		out[g] = make([][]float32, len(sizes))
		for k, size := range sizes {
			if len(b) < 8 {
				return 0, nil, fmt.Errorf("optim: %s state truncated at buffer %d of parameter %d", name, g, k)
			}
			n := binary.LittleEndian.Uint64(b)
			b = b[8:]
			if n == 0 {
				continue
			}
			if n != uint64(size) {
				return 0, nil, fmt.Errorf("optim: %s state buffer %d of parameter %d has %d elements, the parameter %d", name, g, k, n, size)
			}
			if uint64(len(b)) < 4*n {
				return 0, nil, fmt.Errorf("optim: %s state truncated in buffer %d of parameter %d", name, g, k)
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			out[g][k] = x
			b = b[4*n:]
		}
	}
	if len(b) != 0 {
		return 0, nil, fmt.Errorf("optim: %s state has %d bytes after the last buffer", name, len(b))
	}
	return steps, out, nil
}

func paramSizes(ps []*autograd.Var) []int {
	s := make([]int, len(ps))
	for i, p := range ps {
		s[i] = len(p.Data)
	}
	return s
}

func allNil(b [][]float32) bool {
	for _, x := range b {
		if x != nil {
			return false
		}
	}
	return true
}

// MarshalBinary implements Optimizer: the step count and momentum buffers.
func (o *SGD) MarshalBinary() ([]byte, error) {
	buf := o.Buf
	if buf == nil {
		buf = make([][]float32, len(o.Params))
	}
	return encodeState('S', o.Steps, buf), nil
}

// UnmarshalBinary implements Optimizer. The optimizer must have the same
// parameters (count and sizes) as the one whose state was saved.
func (o *SGD) UnmarshalBinary(b []byte) error {
	steps, bufs, err := decodeState(b, 'S', paramSizes(o.Params), 1)
	if err != nil {
		return err
	}
	o.Steps, o.Buf = steps, bufs[0]
	if o.Momentum == 0 || allNil(o.Buf) {
		o.Buf = nil
	}
	return nil
}

// MarshalBinary implements Optimizer: the step count and both moments.
func (o *Adam) MarshalBinary() ([]byte, error) {
	m, v := o.M, o.V
	if m == nil {
		m, v = make([][]float32, len(o.Params)), make([][]float32, len(o.Params))
	}
	return encodeState('A', o.Steps, m, v), nil
}

// UnmarshalBinary implements Optimizer. The optimizer must have the same
// parameters (count and sizes) as the one whose state was saved.
func (o *Adam) UnmarshalBinary(b []byte) error {
	steps, bufs, err := decodeState(b, 'A', paramSizes(o.Params), 2)
	if err != nil {
		return err
	}
	o.Steps, o.M, o.V = steps, bufs[0], bufs[1]
	for k := range o.M {
		if (o.M[k] == nil) != (o.V[k] == nil) {
			return fmt.Errorf("optim: Adam state of parameter %d has only one of its two moments", k)
		}
	}
	return nil
}
