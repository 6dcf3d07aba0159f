package llamavocab

import (
	"encoding/binary"
	"sort"
)

// llama.cpp finds EOT, EOM and FIM tokens by walking its token_to_id map, a
// std::unordered_map<std::string, llama_token> filled with ids 0, 1, 2…, and
// keeps the first match: when a vocabulary holds several candidates (Llama 3
// has <|eot_id|> and <|end_of_text|>, Qwen <|im_end|> and <|endoftext|>,
// Phi-3 <|end|> and <|endoftext|>), the map's iteration order decides. This
// file reproduces that order as libstdc++ (GCC's hashtable with
// _Prime_rehash_policy and std::hash<std::string> = _Hash_bytes) produces
// it, which is what llama.cpp built with GCC (Linux) does.

// stdPrimes is libstdc++'s __prime_list (64-bit), up to 2^32.
var stdPrimes = [...]uint64{
	2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 103, 109, 113,
	127, 137, 139, 149, 157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313, 337, 359, 383, 409, 439, 467,
	503, 541, 577, 619, 661, 709, 761, 823, 887, 953, 1031, 1109, 1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029,
	2179, 2357, 2549, 2753, 2971, 3209, 3469, 3739, 4027, 4349, 4703, 5087, 5503, 5953, 6427, 6949, 7517, 8123,
	8783, 9497, 10273, 11113, 12011, 12983, 14033, 15173, 16411, 17749, 19183, 20753, 22447, 24281, 26267, 28411,
	30727, 33223, 35933, 38873, 42043, 45481, 49201, 53201, 57557, 62233, 67307, 72817, 78779, 85229, 92203,
	99733, 107897, 116731, 126271, 136607, 147793, 159871, 172933, 187091, 202409, 218971, 236897, 256279, 277261,
	299951, 324503, 351061, 379787, 410857, 444487, 480881, 520241, 562841, 608903, 658753, 712697, 771049,
	834181, 902483, 976369, 1056323, 1142821, 1236397, 1337629, 1447153, 1565659, 1693859, 1832561, 1982627,
	2144977, 2320627, 2510653, 2716249, 2938679, 3179303, 3439651, 3721303, 4026031, 4355707, 4712381, 5098259,
	5515729, 5967347, 6456007, 6984629, 7556579, 8175383, 8844859, 9569143, 10352717, 11200489, 12117689,
	13109983, 14183539, 15345007, 16601593, 17961079, 19431899, 21023161, 22744717, 24607243, 26622317, 28802401,
	31160981, 33712729, 36473443, 39460231, 42691603, 46187573, 49969847, 54061849, 58488943, 63278561, 68460391,
	74066549, 80131819, 86693767, 93793069, 101473717, 109783337, 118773397, 128499677, 139022417, 150406843,
	162723577, 176048909, 190465427, 206062531, 222936881, 241193053, 260944219, 282312799, 305431229, 330442829,
	357502601, 386778277, 418451333, 452718089, 489790921, 529899637, 573292817, 620239453, 671030513, 725980837,
	785430967, 849749479, 919334987, 994618837, 1076067617, 1164186217, 1259520799, 1362662261, 1474249943,
	1594975441, 1725587117, 1866894511, 2019773507, 2185171673, 2364114217, 2557710269, 2767159799, 2993761039,
	3238918481, 3504151727, 3791104843, 4101556399, 4294967291,
}

// stdHashString is libstdc++'s std::hash<std::string>: _Hash_bytes(p, len,
// 0xc70f6907), a 64-bit MurmurHash2 variant.
func stdHashString(s string) uint64 {
	const mul = 0xc6a4a7935bd1e995
	shiftMix := func(v uint64) uint64 { return v ^ v>>47 }
	n := len(s)
	h := uint64(0xc70f6907) ^ uint64(n)*mul
	i := 0
	for ; i+8 <= n; i += 8 {
		d := shiftMix(binary.LittleEndian.Uint64([]byte(s[i:i+8]))*mul) * mul
		h ^= d
		h *= mul
	}
	if r := n & 7; r != 0 {
		var d uint64
		for j := r - 1; j >= 0; j-- {
			d = d<<8 | uint64(s[i+j])
		}
		h ^= d
		h *= mul
	}
	h = shiftMix(h) * mul
	return shiftMix(h)
}

// stdNextBucket is _Prime_rehash_policy::_M_next_bkt: the bucket count for
// at least n buckets, and the next resize threshold (max_load_factor 1).
func stdNextBucket(n uint64) (bkt, nextResize uint64) {
	fast := [...]uint64{2, 2, 2, 3, 5, 5, 7, 7, 11, 11, 11, 11, 13, 13}
	if n < uint64(len(fast)) {
		if n == 0 {
			return 1, 0
		}
		return fast[n], fast[n]
	}
	p := stdPrimes[6:]
	i := sort.Search(len(p), func(i int) bool { return p[i] >= n })
	if i == len(p) {
		i-- // beyond 2^32 buckets: not reached by any vocabulary
	}
	return p[i], p[i]
}

// unorderedMapOrder returns, for each id, its position when llama.cpp walks
// token_to_id (built by inserting text[0], text[1]… in order).
func unorderedMapOrder(text []string) []int {
	n := len(text)
	hash := make([]uint64, n)
	next := make([]int32, n) // singly linked node list; -1 ends it
	const (
		empty             = -1
		beforeBegin       = -2
		noNode      int32 = -1
	)
	head := noNode // _M_before_begin._M_nxt
	// buckets[b] is the node before the first node of bucket b
	// (beforeBegin for the bucket of the first node), or empty.
	var buckets []int32
	nb, nextResize := uint64(1), uint64(0)
	buckets = []int32{empty}
	count := uint64(0)
	rehash := func(newNB uint64) {
		nbk := make([]int32, newNB)
		for i := range nbk {
			nbk[i] = empty
		}
		p := head
		head = noNode
		bbegin := uint64(0)
		for p != noNode {
			nx := next[p]
			b := hash[p] % newNB
			if nbk[b] == empty {
				next[p] = head
				head = p
				nbk[b] = beforeBegin
				if next[p] != noNode {
					nbk[bbegin] = p
				}
				bbegin = b
			} else {
				prev := nbk[b]
				if prev == beforeBegin {
					next[p] = head
					head = p
				} else {
					next[p] = next[prev]
					next[prev] = p
				}
			}
			p = nx
		}
		buckets, nb = nbk, newNB
	}
	for i := range n {
		hash[i] = stdHashString(text[i])
		// _M_need_rehash(nb, count, 1)
		if count+1 > nextResize {
			minB := count + 1
			if nextResize == 0 {
				minB = max(minB, 11)
			}
			if minB >= nb {
				var newNB uint64
				newNB, nextResize = stdNextBucket(max(minB+1, nb*2))
				rehash(newNB)
			} else {
				nextResize = nb
			}
		}
		// _M_insert_bucket_begin
		b := hash[i] % nb
		node := int32(i)
		if prev := buckets[b]; prev != empty {
			if prev == beforeBegin {
				next[node] = head
				head = node
			} else {
				next[node] = next[prev]
				next[prev] = node
			}
		} else {
			next[node] = head
			head = node
			if next[node] != noNode {
				buckets[hash[next[node]]%nb] = node
			}
			buckets[b] = beforeBegin
		}
		count++
	}
	pos := make([]int, n)
	k := 0
	for p := head; p != noNode; p = next[p] {
		pos[p] = k
		k++
	}
	return pos
}
