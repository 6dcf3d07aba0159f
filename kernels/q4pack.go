package kernels

import (
	"encoding/binary"
	"fmt"

	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/tensor"
)

// Q4_0 matrices packed once, at load, for the AVX-512 VNNI row-lane tiles.
//
// llama.cpp's CPU backend repacks every Q4_0 matrix of rows%8 == 0 when it
// loads a model (the CPU_REPACK buffer type: the repacked copy replaces the
// file's bytes, so memory stays the file's size) and multiplies the
// repacked copy from then on. QKernel.Rows of Q4_0 (rowsQ4RP) instead packs
// every 16-row group again on every call, before its tiles run: about a
// fifth of a server's 8-sequence decode step. PackQ does the packing once,
// into a layout of exactly the file's size, and MatMulPacked multiplies
// it, with the same bits as Rows (llama.cpp's repacked order, q4rp.go) for
// every token count.
//
// The layout: per group of 16 rows (rows 16g..16g+15), per block b (32
// columns), packBlockBytes = 288 bytes:
//
//	P_k, k < 4, at 64k:  16 dwords, lane r = row r's bytes qs[4k..4k+3]
//	                     (low nibbles: quants 4k..4k+3; high: 16+4k..16+4k+3)
//	at 256:              the 16 rows' fp16 scales d
//
// groups one after the other, each its nb blocks in order. The tiles
// (q4pack_amd64.s) unpack P_k into the nibble vectors of vnniILPackQ4 with
// one VPANDD, VPSRLW and VPANDD per vector, once for all their tokens.

// packGroupRows is the number of weight rows a packed group holds (the
// lanes of a zmm register of int32).
const packGroupRows = 16

// packBlockBytes is the size of one block of a packed group: 16 rows'
// block_q4_0, rearranged.
const packBlockBytes = packGroupRows * Q4_0BlockBytes

// PackedQ is a Q4_0 weight matrix [Rows, Cols] packed by PackQ for the
// row-lane tiles: the same size as its file bytes. It is read-only and
// safe for concurrent use.
type PackedQ struct {
	rows, cols int
	data       []byte // rows/16 groups × cols/32 blocks × packBlockBytes
}

// Rows returns the number of rows (output elements) of the matrix.
func (p *PackedQ) Rows() int { return p.rows }

// Cols returns the number of columns (input elements) of the matrix.
func (p *PackedQ) Cols() int { return p.cols }

// Size returns the bytes the packed matrix holds: those of its Q4_0 file
// bytes.
func (p *PackedQ) Size() int { return len(p.data) }

// PackQ packs the matrix w ([rows, cols] stored as type t, the file's
// bytes) for MatMulPacked and reports whether it did. It packs Q4_0
// matrices of rows%16 == 0 (and cols a positive multiple of 32, w of the
// matrix's size) on CPUs whose Q4_0 products run the AVX-512 VNNI row-lane
// tiles; for any other type, shape or CPU (AVX2-only, other GOARCHes,
// -tags purego) it returns nil, false and callers keep multiplying the
// file bytes with MatMulQ. The groups are packed in parallel on the
// worker pool. w is only read; the result does not refer to it.
func PackQ(t quant.Type, w []byte, rows, cols int) (*PackedQ, bool) {
	if t != quant.Q4_0 || !canPackQ4() || rows <= 0 || rows%packGroupRows != 0 ||
		cols <= 0 || cols%QK != 0 || len(w) != rows*(cols/QK)*Q4_0BlockBytes {
		return nil, false
	}
	return packQ4(w, rows, cols), true
}

// packQ4 is PackQ without its checks (on every CPU: tests hold the
// layout's plain-Go product to the file bytes' everywhere).
func packQ4(w []byte, rows, cols int) *PackedQ {
	p := &PackedQ{rows: rows, cols: cols, data: make([]byte, len(w))}
	nb := cols / QK
	parallelRows(rows/packGroupRows, packGroupRows*cols, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			packQ4Group(p.data[g*nb*packBlockBytes:(g+1)*nb*packBlockBytes], w[g*packGroupRows*nb*Q4_0BlockBytes:], nb)
		}
	})
	return p
}

// packQ4Group writes the 16 rows of Q4_0 blocks at w (nb blocks a row) as
// one packed group of nb blocks at dst.
func packQ4Group(dst, w []byte, nb int) {
	wb := nb * Q4_0BlockBytes
	_ = w[packGroupRows*wb-1]
	_ = dst[nb*packBlockBytes-1]
	for b := range nb {
		blk := (*[packBlockBytes]byte)(dst[b*packBlockBytes:])
		for r := range packGroupRows {
			src := (*[Q4_0BlockBytes]byte)(w[r*wb+b*Q4_0BlockBytes:])
			blk[256+2*r], blk[257+2*r] = src[0], src[1]
			binary.LittleEndian.PutUint32(blk[4*r:], binary.LittleEndian.Uint32(src[2:]))
			binary.LittleEndian.PutUint32(blk[64+4*r:], binary.LittleEndian.Uint32(src[6:]))
			binary.LittleEndian.PutUint32(blk[128+4*r:], binary.LittleEndian.Uint32(src[10:]))
			binary.LittleEndian.PutUint32(blk[192+4*r:], binary.LittleEndian.Uint32(src[14:]))
		}
	}
}

// MatMulPacked computes out = X·Wᵀ for the packed matrix p and a batch of
// nTok row vectors, as MatMulQ does for its Q4_0 file bytes and with the
// same bits for every element (llama.cpp's repacked order, q4rp.go): each
// X row is converted once to Q8_0, then the 16-row groups are split
// across the worker pool. The result does not depend on the thread count
// or on nTok. Shapes that do not match p panic, naming them.
//
//	W: [p.Rows(), p.Cols()]   X: [nTok, p.Cols()]   → out: [nTok, p.Rows()]
func MatMulPacked(out []float32, p *PackedQ, x []float32, nTok int) {
	if p == nil || nTok < 0 || len(x) != nTok*p.cols || len(out) != nTok*p.rows {
		rows, cols := 0, 0
		if p != nil {
			rows, cols = p.rows, p.cols
		}
		panic(fmt.Sprintf("kernels: MatMulPacked: X %d elements out %d, want X [%d, %d] out [%d, %d] (matrix packed: %v)",
			len(x), len(out), nTok, cols, nTok, rows, p != nil))
	}
	xq := getScratch(nTok * rowBytes(quant.Q8_0, p.cols))
	defer putScratch(xq)
	convertThenRows(nil, quant.Q8_0, xq, x, nTok, p.cols, p.rows/packGroupRows, packGroupRows*nTok*p.cols, func(lo, hi int) {
		rowsPacked(out, p, xq, nTok, lo*packGroupRows, hi*packGroupRows)
	})
}

// rowsPackedRef is rowsPacked in plain Go: out[t·rows+r] for rows r in
// [lo, hi) and tokens t < nTok of the Q8_0 rows xq, read from the packed
// layout in the repacked order (dotQ4_0RPRef's formula). Arguments are
// checked by the caller.
func rowsPackedRef(out []float32, p *PackedQ, xq []byte, nTok, lo, hi int) {
	nb := p.cols / QK
	xb := nb * Q8_0BlockBytes
	for r := lo; r < hi; r++ {
		g, rr := r/packGroupRows, r%packGroupRows
		grp := p.data[g*nb*packBlockBytes : (g+1)*nb*packBlockBytes]
		for t := range nTok {
			var acc float32
			for b := range nb {
				blk, bx := grp[b*packBlockBytes:(b+1)*packBlockBytes], xq[t*xb+b*Q8_0BlockBytes:t*xb+(b+1)*Q8_0BlockBytes]
				var s int32
				for k := range 4 {
					for j := range 4 {
						q := blk[64*k+4*rr+j]
						s += (int32(q&0x0F) - 8) * int32(int8(bx[2+4*k+j]))
						s += (int32(q>>4) - 8) * int32(int8(bx[2+QK/2+4*k+j]))
					}
				}
				dw := tensor.F16ToF32(uint16(blk[256+2*rr]) | uint16(blk[256+2*rr+1])<<8)
				acc = fma32(float32(s), dw*blockScale(bx), acc)
			}
			out[t*p.rows+r] = acc
		}
	}
}

// checkPackedArgs panics, naming the shapes, unless out, xq and [lo, hi)
// fit p and nTok tokens: what rowsPacked checks before its assembly reads
// the slices.
func checkPackedArgs(out []float32, p *PackedQ, xq []byte, nTok, lo, hi int) {
	if nTok < 0 || lo < 0 || hi > p.rows || lo > hi || len(xq) < nTok*(p.cols/QK)*Q8_0BlockBytes || len(out) < nTok*p.rows {
		panic(fmt.Sprintf("kernels: packed Rows: X %d bytes, out %d for %d tokens × %d rows × %d cols, rows [%d, %d)",
			len(xq), len(out), nTok, p.rows, p.cols, lo, hi))
	}
}
