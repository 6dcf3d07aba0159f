package llama

import (
	"fmt"

	"github.com/llmpipe/llmpipe/kernels"
	"github.com/llmpipe/llmpipe/model"
)

var (
	_ model.Cloner    = (*Sequence)(nil)
	_ model.Truncater = (*Sequence)(nil)
)

// Clone implements model.Cloner: the copy has the same positions and
// shares the KV cache's full chunks of 128 positions with s (they never
// change again); the partly filled last chunk of each layer is copied, so a
// clone allocates at most one chunk per layer until it runs more positions.
// Scratch buffers are not shared.
func (s *Sequence) Clone() model.Sequence {
	c := &Sequence{m: s.m, opts: s.opts, n: s.n}
	if s.kv != nil {
		c.kv = make([]*kernels.KVCache, len(s.kv))
		for il, kv := range s.kv {
			c.kv[il] = kv.Clone()
		}
	}
	return c
}

// Truncate implements model.Truncater: it drops positions n.. of every
// layer's KV cache (releasing the chunks past n) so that the next Forward
// runs at position n.
func (s *Sequence) Truncate(n int) error {
	if n < 0 || n > s.n {
		return fmt.Errorf("llama: truncate to %d positions: the sequence holds %d", n, s.n)
	}
	for il, kv := range s.kv {
		if err := kv.Truncate(n); err != nil {
			return fmt.Errorf("llama: layer %d: %w", il, err)
		}
	}
	s.n = n
	return nil
}
