package charsmap

import (
	"encoding/binary"
	"sort"
)

// buildBlob compiles rules (input -> replacement) into a precompiled_charsmap
// blob with a deliberately simple double-array layout: every node with
// children or a value gets its own 256-unit block. Test-only; real blobs
// come from SentencePiece's builder.
func buildBlob(rules map[string]string) []byte {
	type node struct {
		children map[byte]*node
		value    int
		leaf     bool
	}
	root := &node{children: map[byte]*node{}}
	var pool []byte
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n := root
		for i := 0; i < len(k); i++ {
			c := n.children[k[i]]
			if c == nil {
				c = &node{children: map[byte]*node{}}
				n.children[k[i]] = c
			}
			n = c
		}
		n.leaf, n.value = true, len(pool)
		pool = append(append(pool, rules[k]...), 0)
	}
	units := make([]uint32, 256)
	var place func(n *node, pos uint32, lbl byte)
	place = func(n *node, pos uint32, lbl byte) {
		u := uint32(lbl)
		if n.leaf || len(n.children) > 0 {
			base := uint32(len(units))
			units = append(units, make([]uint32, 256)...)
			u |= (pos ^ base) << 10
			if n.leaf {
				u |= 1 << 8
				units[base] = uint32(n.value) | 1<<31
			}
			labels := make([]int, 0, len(n.children))
			for c := range n.children {
				labels = append(labels, int(c))
			}
			sort.Ints(labels)
			for _, c := range labels {
				place(n.children[byte(c)], base^uint32(c), byte(c))
			}
		}
		units[pos] = u
	}
	place(root, 0, 0)
	blob := binary.LittleEndian.AppendUint32(nil, uint32(4*len(units)))
	for _, u := range units {
		blob = binary.LittleEndian.AppendUint32(blob, u)
	}
	return append(blob, pool...)
}
