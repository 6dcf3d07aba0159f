//go:build amd64 && !purego

package kernels

// Assembly of q4krp_avx2_amd64.s (see the comment at its top): row-lane
// tiles of the repacked-Q4_K order (q4krp.go) for CPUs with AVX2, FMA and
// F16C but no AVX-512 VNNI, 8 rows × N tokens a call.

// q4KRPAVX2Tile2 sets *(out + t·ostride + 4r bytes) = dotQ4KRPRef(row r,
// x + t·xstride, nb·256), bit for bit, for the 8 rows r of the half group
// packed at p (q4KRPPack8: p for rows 0-7 of a group, p + 32 for rows 8-15)
// and the tokens t < 2. It always stores 8 float32 a token.
//
//go:noescape
func q4KRPAVX2Tile2(p *byte, nb int, x *byte, xstride int, out *float32, ostride int)

// q4KRPAVX2Tile3 is q4KRPAVX2Tile2 for 3 tokens.
//
//go:noescape
func q4KRPAVX2Tile3(p *byte, nb int, x *byte, xstride int, out *float32, ostride int)

// q4KRPAVX2Tile4 is q4KRPAVX2Tile2 for 4 tokens.
//
//go:noescape
func q4KRPAVX2Tile4(p *byte, nb int, x *byte, xstride int, out *float32, ostride int)

// q4KRPAVX2Tiles[N] is the AVX2 tile of N tokens (2 to 4).
var q4KRPAVX2Tiles = [...]func(p *byte, nb int, x *byte, xstride int, out *float32, ostride int){
	nil, nil, q4KRPAVX2Tile2, q4KRPAVX2Tile3, q4KRPAVX2Tile4,
}

// q4KRPAVX2MaxTok is the most tokens a q4KRPAVX2 tile takes.
const q4KRPAVX2MaxTok = len(q4KRPAVX2Tiles) - 1

// useQ4KRPAVX2 lets tests and benchmarks turn the AVX2 row-lane tiles off
// (rowsQ4KRP then runs rowsKQ with dotQ4KRPAVX2x4, as before them).
var useQ4KRPAVX2 = true

// rowsQ4KRPAVX2 is rowsQ4KRP for nTok >= 2 tokens on CPUs with the
// K-quant AVX2 kernels (haveKQuantAsm): each group of up to 16 rows of
// lo..hi is packed once (q4KRPPack8, which is AVX2 code; q4KRPPackRef for
// a half of fewer than 8 rows) and multiplied by all tokens, spread evenly
// over calls of 2 to 4 tokens (never 1: there is no one-token tile), one
// call per 8-row half. A half of fewer than 8 rows goes through a small
// buffer, since the tiles always store 8 results a token. nb >= 1 and
// w, xq and out hold rows hi, nTok tokens and nTok·rows results.
func rowsQ4KRPAVX2(out []float32, w, xq []byte, nTok, rows, nb, lo, hi int) {
	wb, xb := nb*q4KBlockBytes, nb*q8KBlockBytes
	calls := (nTok + q4KRPAVX2MaxTok - 1) / q4KRPAVX2MaxTok
	per, extra := nTok/calls, nTok%calls // per >= 2 for every nTok >= 2
	var buf [q4KRPAVX2MaxTok * 8]float32
	p := getScratch(nb * q4KRPPackBytes)
	for r0 := lo; r0 < hi; r0 += q4KRPTileRows {
		n := min(q4KRPTileRows, hi-r0)
		pf := q4KRPTileRows * wb
		if r0+q4KRPTileRows+q4KRPTileRows > rows {
			pf = 0 // the next group, if any, is the last; do not prefetch past w
		}
		packQ4KRPGroup(p, w[r0*wb:], n, wb, nb, pf)
		for h := 0; h < 2; h++ {
			m := min(8, n-8*h)
			if m <= 0 {
				break
			}
			r := r0 + 8*h
			t := 0
			for c := 0; c < calls; c++ {
				k := per
				if c < extra {
					k++
				}
				tile := q4KRPAVX2Tiles[k]
				if m == 8 {
					tile(&p[32*h], nb, &xq[t*xb], xb, &out[t*rows+r], 4*rows)
				} else {
					tile(&p[32*h], nb, &xq[t*xb], xb, &buf[0], 4*8)
					for i := 0; i < k; i++ {
						copy(out[(t+i)*rows+r:][:m], buf[8*i:][:m])
					}
				}
				t += k
			}
		}
	}
	putScratch(p)
}
