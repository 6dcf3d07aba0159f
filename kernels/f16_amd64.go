//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// haveHalfAsm reports whether the F16 kernels can run: AVX2, FMA and F16C
// (VCVTPH2PS/VCVTPS2PH). The BF16 kernels need only AVX2 and FMA.
var haveHalfAsm = haveAVX2FMA && cpu.X86.HasF16C

// The kernels of f16_amd64.s. Each dot product has one 8-lane FMA
// accumulator per output over chunks of 8 elements, the last chunk
// zero-padded, and the fixed reduction ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)),
// so every function gives the same bits for the same row and token.

// dotF16AVX2 returns Σ w[i]·x[i] over n ≥ 8 binary16 values.
//
//go:noescape
func dotF16AVX2(w, x *byte, n int) float32

// dot4F16X sets out[i] = Σ_{j<n} w[i·stride+j]·x[j] for 4 binary16 rows
// stride bytes apart and float32 activations x (n ≥ 8; x readable and zero
// up to n rounded up to a multiple of 8).
//
//go:noescape
func dot4F16X(w *byte, stride int, x *float32, n int, out *float32)

// dot8F16X is dot4F16X for 8 rows.
//
//go:noescape
func dot8F16X(w *byte, stride int, x *float32, n int, out *float32)

// cvtF16ToF32 converts n binary16 values (n a multiple of 8) to float32.
//
//go:noescape
func cvtF16ToF32(dst *float32, src *byte, n int)

// dotBF16AVX2 is dotF16AVX2 for bfloat16.
//
//go:noescape
func dotBF16AVX2(w, x *byte, n int) float32

// dot4BF16X is dot4F16X for bfloat16 rows.
//
//go:noescape
func dot4BF16X(w *byte, stride int, x *float32, n int, out *float32)

// dot8BF16X is dot8F16X for bfloat16 rows.
//
//go:noescape
func dot8BF16X(w *byte, stride int, x *float32, n int, out *float32)

// cvtBF16ToF32 is cvtF16ToF32 for bfloat16.
//
//go:noescape
func cvtBF16ToF32(dst *float32, src *byte, n int)

// cvtF32ToF16 converts n float32 (a multiple of 8) to binary16 exactly as
// tensor.F32ToF16 does.
//
//go:noescape
func cvtF32ToF16(dst *byte, src *float32, n int)

// cvtF32ToBF16 converts n float32 (a multiple of 8) to bfloat16 exactly as
// tensor.F32ToBF16 does.
//
//go:noescape
func cvtF32ToBF16(dst *byte, src *float32, n int)

// halfKernel bundles the assembly of one 16-bit weight type.
type halfKernel struct {
	ok    func() bool // whether the assembly may run now (CPU features and useAsm)
	ref   func(w, x []byte, n int) float32
	dot   func(w, x *byte, n int) float32
	dot4  func(w *byte, stride int, x *float32, n int, out *float32)
	dot8  func(w *byte, stride int, x *float32, n int, out *float32)
	toF32 func(dst *float32, src *byte, n int)
	one   func(h uint16) float32
	// tiles is whether the AVX-512VL register tiles of f32tile_amd64.s
	// (tile38F16X, tile64F16X) multiply this type: F16 only. They are
	// called directly, not through function values, so that the token
	// pointer arrays stay on the stack.
	tiles bool
}

var (
	f16Kernel = &halfKernel{
		ok:  func() bool { return useAsm && haveHalfAsm },
		ref: dotF16Ref, dot: dotF16AVX2, dot4: dot4F16X, dot8: dot8F16X, toF32: cvtF16ToF32, one: tensor.F16ToF32,
		tiles: true,
	}
	bf16Kernel = &halfKernel{
		ok:  func() bool { return useAsm },
		ref: dotBF16Ref, dot: dotBF16AVX2, dot4: dot4BF16X, dot8: dot8BF16X, toF32: cvtBF16ToF32, one: tensor.BF16ToF32,
	}
)

func init() {
	if haveHalfAsm {
		RegisterQKernel(quant.F16, QKernel{
			Dot: func(w, x []byte, n int) float32 { return f16Kernel.dotRow(w, x, n) },
			Rows: func(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
				f16Kernel.rows(out, w, xq, nTok, rows, cols, lo, hi)
			},
		})
	}
	if haveAVX2FMA {
		RegisterQKernel(quant.BF16, QKernel{
			Dot: func(w, x []byte, n int) float32 { return bf16Kernel.dotRow(w, x, n) },
			Rows: func(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
				bf16Kernel.rows(out, w, xq, nTok, rows, cols, lo, hi)
			},
		})
	}
}

// dotRow is the fast Dot of the kernel: Σ w[i]·x[i] over n 16-bit values
// (the reference when the assembly is off). Rows shorter than 8 are copied
// into a zero-padded chunk, which sums in the same order.
func (h *halfKernel) dotRow(w, x []byte, n int) float32 {
	if !h.ok() {
		return h.ref(w, x, n)
	}
	if n <= 0 {
		return 0
	}
	_, _ = w[2*n-1], x[2*n-1]
	if n < 8 {
		var pw, px [16]byte
		copy(pw[:], w[:2*n])
		copy(px[:], x[:2*n])
		return h.dot(&pw[0], &px[0], 8)
	}
	return h.dot(&w[0], &x[0], n)
}

// toF32Padded converts the len(src)/2 values of src to float32 into dst and
// zeroes the rest of dst (len(dst) ≥ len(src)/2).
func (h *halfKernel) toF32Padded(dst []float32, src []byte) {
	n := len(src) / 2
	n8 := n &^ 7
	if n8 > 0 {
		_ = dst[n8-1]
		h.toF32(&dst[0], &src[0], n8)
	}
	for i := n8; i < n; i++ {
		dst[i] = h.one(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
	}
	clear(dst[n:])
}

// halfTokenBlock is how many tokens rows() converts to float32 at a time
// for a prompt (a multiple of the register tile's 3 tokens), so its scratch
// stays under 96·cols·4 bytes however long the prompt; each block of weight
// rows is converted once per token block (1/96 of the multiply-adds; 48
// was measurably slower, 96 and 192 were not).
const halfTokenBlock = 96

// halfBlockBytes is how many bytes of weight rows rows() runs against every
// token before moving on (they stay in L2).
const halfBlockBytes = 96 << 10

// rows is the kernel's Rows: out[t·rows+r] = dotRow(row r of w, token t of
// xq) for r in [lo, hi), t < nTok. The tokens are converted to float32
// (exact). For one or two tokens, 8 rows at a time go through dot8 (then 4
// through dot4) against each token, in blocks of rows that stay in cache,
// leftover rows through dot. For three or more (prompt processing), blocks
// of 96 tokens and L2-sized blocks of rows are converted to float32 and
// multiplied by the float32 register tiles (gemm), which sum in the same
// order. Batches of 2..tileAVX2MaxTok tokens that the AVX-512VL tiles
// (rowsTile) do not take run the AVX2 register tiles (rowsTileAVX2)
// instead. Every element has dotRow's bits.
func (h *halfKernel) rows(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	wb := 2 * cols
	if nTok < 0 || rows < 0 || cols < 0 || lo < 0 || hi < lo || hi > rows || len(w) < rows*wb || len(xq) < nTok*wb || len(out) < nTok*rows {
		panic(fmt.Sprintf("kernels: 16-bit Rows: w %d bytes xq %d out %d for %d tokens x [%d, %d] rows %d..%d",
			len(w), len(xq), len(out), nTok, rows, cols, lo, hi))
	}
	if !h.ok() || cols < 8 {
		for t := 0; t < nTok; t++ {
			for r := lo; r < hi; r++ {
				out[t*rows+r] = h.dotRow(w[r*wb:(r+1)*wb], xq[t*wb:(t+1)*wb], cols)
			}
		}
		return
	}
	if h.tiles && useTile38 && cols%8 == 0 && nTok >= tile38MinTok && (nTok <= tileMaxTok || cols >= halfTileMinCols) {
		h.rowsTile(out, w, xq, nTok, rows, cols, lo, hi)
		return
	}
	if h.wantTileAVX2(nTok) {
		h.rowsTileAVX2(out, w, xq, nTok, rows, cols, lo, hi)
		return
	}
	c8 := (cols + 7) &^ 7
	if nTok >= 3 {
		// Prompt: per block of tokens (bounded scratch, however long the
		// prompt), convert the tokens and then each L2-sized block of rows
		// to float32 (exact, zero-padded like the tail of dot) and run the
		// float32 register tiles on them.
		tb := min(nTok, halfTokenBlock)
		xf := getF32Scratch(tb * c8)
		defer putF32Scratch(xf)
		blk := max(4, gemmBlockBytes/(4*c8)&^3)
		wf := getF32Scratch(min(blk, hi-lo) * c8)
		defer putF32Scratch(wf)
		for t0 := 0; t0 < nTok; t0 += tb {
			t1 := min(t0+tb, nTok)
			for t := t0; t < t1; t++ {
				h.toF32Padded(xf[(t-t0)*c8:(t-t0+1)*c8], xq[t*wb:(t+1)*wb])
			}
			for r0 := lo; r0 < hi; r0 += blk {
				r1 := min(r0+blk, hi)
				for r := r0; r < r1; r++ {
					h.toF32Padded(wf[(r-r0)*c8:(r-r0+1)*c8], w[r*wb:(r+1)*wb])
				}
				gemm(out[t0*rows+r0:], rows, wf, c8, xf, c8, c8, r1-r0, t1-t0)
			}
		}
		return
	}
	xf := getF32Scratch(nTok * c8)
	defer putF32Scratch(xf)
	for t := 0; t < nTok; t++ {
		h.toF32Padded(xf[t*c8:(t+1)*c8], xq[t*wb:(t+1)*wb])
	}
	blk := max(4, halfBlockBytes/wb&^3)
	for r0 := lo; r0 < hi; r0 += blk {
		r1 := min(r0+blk, hi)
		for t := 0; t < nTok; t++ {
			o := out[t*rows : (t+1)*rows]
			r := r0
			for ; r+8 <= r1; r += 8 {
				h.dot8(&w[r*wb], wb, &xf[t*c8], cols, &o[r])
			}
			for ; r+4 <= r1; r += 4 {
				h.dot4(&w[r*wb], wb, &xf[t*c8], cols, &o[r])
			}
			for ; r < r1; r++ {
				o[r] = h.dot(&w[r*wb], &xq[t*wb], cols)
			}
		}
	}
}

// halfTileMinCols is the shortest rows for which rows() runs the register
// tiles on a prompt (more than tileMaxTok tokens): converting each weight
// chunk once per 8 tokens in the tile measured faster than converting
// blocks of rows to float32 for gemm, except on short rows.
const halfTileMinCols = 256

// rowsTile is rows() with the register tiles of f32tile_amd64.s (F16
// only; cols a multiple of 8): per block of at most halfTokenBlock tokens
// converted to float32, per block of rows that stays in L2, groups of 8
// tokens (6 × 4 tiles for a group of up to 4, else 3 × 8, padded with
// repeats of the group's first token; a group shorter than tile38MinTok
// runs one token at a time through dot8); the rows left over after the
// last whole tile run through dot.
func (h *halfKernel) rowsTile(out []float32, w, xq []byte, nTok, rows, cols, lo, hi int) {
	wb := 2 * cols
	tb := min(nTok, halfTokenBlock)
	xf := getF32Scratch(tb * cols)
	defer putF32Scratch(xf)
	blk := max(6, halfBlockBytes/wb/6*6)
	pf := max(tilePfBytes, 3*wb)
	for t0 := 0; t0 < nTok; t0 += tb {
		t1 := min(t0+tb, nTok)
		h.toF32(&xf[0], &xq[t0*wb], (t1-t0)*cols)
		for r0 := lo; r0 < hi; r0 += blk {
			r1 := min(r0+blk, hi)
			for t := t0; t < t1; t += 8 {
				k := min(8, t1-t)
				if k < tile38MinTok {
					for tt := t; tt < t+k; tt++ {
						o, xt := out[tt*rows:(tt+1)*rows], &xf[(tt-t0)*cols]
						r := r0
						for ; r+8 <= r1; r += 8 {
							h.dot8(&w[r*wb], wb, xt, cols, &o[r])
						}
						for ; r < r1; r++ {
							o[r] = h.dot(&w[r*wb], &xq[tt*wb], cols)
						}
					}
					continue
				}
				xp := tokenPtrs(xf, cols, t-t0, k)
				xp4 := [4]*float32(xp[:4])
				tileRows(r0, r1, k,
					func(r int) { tile64F16X(&w[r*wb], wb, &xp4, cols, &out[t*rows+r], rows, k, pf) },
					func(r int) { tile38F16X(&w[r*wb], wb, &xp, cols, &out[t*rows+r], rows, k, pf) },
					func(r int) {
						for tt := t; tt < t+k; tt++ {
							out[tt*rows+r] = h.dot(&w[r*wb], &xq[tt*wb], cols)
						}
					})
			}
		}
	}
}

var f32Scratch sync.Pool

// getF32Scratch returns a float32 slice of length n from a pool.
func getF32Scratch(n int) []float32 {
	if p, ok := f32Scratch.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

func putF32Scratch(b []float32) { f32Scratch.Put(&b) }

// convertRowF16 sets dst to the little-endian binary16 encoding of x,
// byte-identical to quant.Quantize(quant.F16, x, dst) (tensor.F32ToF16:
// round to nearest even, NaN → sign|0x7E00), with VCVTPS2PH where the CPU
// has F16C. len(dst) must be 2·len(x).
func convertRowF16(dst []byte, x []float32) {
	if len(dst) != 2*len(x) {
		panic(fmt.Sprintf("kernels: convertRowF16 of %d values into %d bytes", len(x), len(dst)))
	}
	if len(x) > 0 {
		// amd64 is little-endian: the halves' bytes are the encoding
		f32ToF16Halves(unsafe.Slice((*uint16)(unsafe.Pointer(&dst[0])), len(x)), x)
	}
}

// f32ToF16Halves sets dst[i] = tensor.F32ToF16(x[i]) (len(dst) ≥ len(x)),
// with VCVTPS2PH where the CPU has F16C: the f16 KV cache's stores.
func f32ToF16Halves(dst []uint16, x []float32) {
	n8 := len(x) &^ 7
	if useAsm && haveHalfAsm && n8 > 0 {
		_ = dst[len(x)-1]
		cvtF32ToF16((*byte)(unsafe.Pointer(&dst[0])), &x[0], n8)
	} else {
		n8 = 0
	}
	for i := n8; i < len(x); i++ {
		dst[i] = tensor.F32ToF16(x[i])
	}
}

// convertRowBF16 sets dst to the little-endian bfloat16 encoding of x,
// byte-identical to quant.Quantize(quant.BF16, x, dst) (tensor.F32ToBF16),
// with AVX2 where the CPU has it. len(dst) must be 2·len(x).
func convertRowBF16(dst []byte, x []float32) {
	if len(dst) != 2*len(x) {
		panic(fmt.Sprintf("kernels: convertRowBF16 of %d values into %d bytes", len(x), len(dst)))
	}
	n8 := len(x) &^ 7
	if useAsm && n8 > 0 {
		cvtF32ToBF16(&dst[0], &x[0], n8)
	} else {
		n8 = 0
	}
	for i := n8; i < len(x); i++ {
		h := tensor.F32ToBF16(x[i])
		dst[2*i], dst[2*i+1] = byte(h), byte(h>>8)
	}
}
