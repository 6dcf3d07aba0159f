//go:build amd64 && !purego

#include "textflag.h"

// Q8_0×Q8_0 register tiles for AVX2 CPUs without AVX-512 VNNI (a server's
// batched decode step: every matrix product is a Rows call with a few
// tokens; prompts too). Each output element is summed exactly as
// q8DotAVX2 sums it (ggml's AVX2 vec_dot order, see q8_amd64.s): one
// 8-lane float32 accumulator; per block, lane k gets the exact int32
// Σ_{j=4k}^{4k+3} w_j·x_j, converted to float32 and added with one FMA by
// d = fp32(w.d)·fp32(x.d); blocks in order; hsum_float_8 at the end. So
// every element is bit-identical to q8DotAVX2 for its row and token.
//
// THSUM leaves hsum_float_8(y) in the low lane of x (the xmm name of y),
// using t as scratch: (a0+a4 + a2+a6) + (a1+a5 + a3+a7).
#define THSUM(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS       t, x, x  \
	VMOVHLPS     x, x, t  \
	VADDPS       t, x, x  \
	VMOVSHDUP    x, t     \
	VADDSS       t, x, x

// The tiles (2 rows × T = 1..4 tokens) take the integer lanes from int16
// products rather than ggml's VPSIGNB/VPMADDUBSW/VPMADDWD: VPMADDWD of
// int16 pairs is exact, and lane k of VPMADDWD(wA, xA) + VPMADDWD(wB,
// xB), with A the sign-extended even bytes of each 16-bit pair and B the
// odd ones (VPSLLW/VPSRAW by 8), is w_4k·x_4k + w_4k+2·x_4k+2 +
// w_4k+1·x_4k+1 + w_4k+3·x_4k+3: ggml's lane k as an exact int32, so the
// same bits for activations in [-127, 127] (all Q8_0 quantization
// produces; only -128 against a negative weight, where ggml's VPSIGNB
// wraps, would differ). The activations are widened once per call
// (q8W16XAVX2: 64 bytes a block, xA then xB), the weights once per row,
// block and tile (3 shifts shared by T tokens); the products d(row,
// token) are made once per row pair for all blocks and tokens
// (q8W16DTabAVX2), and each term reads its d with a VBROADCASTSS (a load,
// no ALU op). Per row × token × block that is 2 VPMADDWD + VFMADD231PS on
// the two FP pipes that multiply, VPADDD + VCVTDQ2PS on the others, one
// load of d and half a load of x (xA and xB serve both rows). ggml's
// sequence needs 4 ops on the multiply pipes (on Zen 3/4 VPSIGNB and
// VPABSB run there too) and VCVTDQ2PS: in a register-only loop on this
// Zen 4, 2.0 cycles per row × token × block against 1.5.
//
// Registers: the accumulator of row r, token t is Y(T·r+t); Y8, Y9 row
// 0's wA, wB; Y10, Y11 row 1's; Y12, Y13 the token's xA, xB; Y14, Y15
// scratch. Token t's widened blocks at DI + t·R10 (R11 = DI + 3·R10);
// d(row r, token t) of the current block at (16r + 4t)(R14).

// W16DW2 sets Y0 to the fp32 scales of the current block of rows SI and
// SI+BX, each 4 times: [dw0 ×4 | dw1 ×4]. Uses X1.
#define W16DW2 \
	VPBROADCASTW 0(SI), X0       \
	VPBROADCASTW 0(SI)(BX*1), X1 \
	VPUNPCKLQDQ  X1, X0, X0      \
	VCVTPH2PS    X0, Y0

// W16PF2 prefetches the 2 rows' next 68 bytes at R12 and advances it.
#define W16PF2 \
	PREFETCHT0 0(R12)  \
	PREFETCHT0 64(R12) \
	ADDQ $68, R12

// W16ROW2 sets Y8, Y9 (row SI) and Y10, Y11 (row SI+BX) to wA, wB of the
// block's 32 quants.
#define W16ROW2 \
	VMOVDQU 2(SI), Y9        \
	VMOVDQU 2(SI)(BX*1), Y11 \
	VPSLLW  $8, Y9, Y8       \
	VPSLLW  $8, Y11, Y10     \
	VPSRAW  $8, Y8, Y8       \
	VPSRAW  $8, Y10, Y10     \
	VPSRAW  $8, Y9, Y9       \
	VPSRAW  $8, Y11, Y11

// W16T2: acc += d · float(lanes) for the row whose wA, wB are in wa, wb
// and the token in Y12, Y13; d at doff(R14).
#define W16T2(wa, wb, doff, acc) \
	VPMADDWD Y12, wa, Y14       \
	VPMADDWD Y13, wb, Y15       \
	VPADDD   Y15, Y14, Y14      \
	VCVTDQ2PS Y14, Y14          \
	VBROADCASTSS doff(R14), Y15 \
	VFMADD231PS Y15, Y14, acc

// func q8W16DTabAVX2(w *byte, stride int, nb int, dx *float32, ng int, d *float32)
//
// d[(g·nb + b)·8 + 4r + t] = fp32(scale of block b of row r)·dx[(g·nb + b)·8
// + t] for rows r < 2 at w + r·stride, blocks b < nb (≥ 1), token groups
// g < ng (≥ 1), t < 4 (dx holds each block's 4 token scales twice).
TEXT ·q8W16DTabAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ nb+16(FP), CX
	MOVQ dx+24(FP), R13
	MOVQ ng+32(FP), DX
	MOVQ d+40(FP), DI
	MOVQ CX, R14
	SHLQ $5, R14 // bytes between token groups
	CMPQ DX, $2
	JEQ  w16dtab2
	JGT  w16dtabn

w16dtab1:
	W16DW2
	VMULPS  0(R13), Y0, Y1
	VMOVUPS Y1, 0(DI)
	ADDQ $34, SI
	ADDQ $32, R13
	ADDQ $32, DI
	DECQ CX
	JNZ  w16dtab1
	VZEROUPPER
	RET

w16dtab2:
	W16DW2
	VMULPS  0(R13), Y0, Y1
	VMULPS  0(R13)(R14*1), Y0, Y2
	VMOVUPS Y1, 0(DI)
	VMOVUPS Y2, 0(DI)(R14*1)
	ADDQ $34, SI
	ADDQ $32, R13
	ADDQ $32, DI
	DECQ CX
	JNZ  w16dtab2
	VZEROUPPER
	RET

w16dtabn:
	W16DW2
	MOVQ DX, R8
	MOVQ R13, R10
	MOVQ DI, R11
w16dtabg:
	VMULPS  0(R10), Y0, Y1
	VMOVUPS Y1, 0(R11)
	ADDQ R14, R10
	ADDQ R14, R11
	DECQ R8
	JNZ  w16dtabg
	ADDQ $34, SI
	ADDQ $32, R13
	ADDQ $32, DI
	DECQ CX
	JNZ  w16dtabn
	VZEROUPPER
	RET

// func q8W16XAVX2(dst, x *byte, n int)
//
// Widens the quants of the n (≥ 1) block_q8_0 at x into 64 bytes a block at
// dst (32-byte aligned): the 16 int16 of the sign-extended even bytes of
// each 16-bit pair (xA), then of the odd ones (xB).
TEXT ·q8W16XAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
w16xloop:
	VMOVDQU 2(SI), Y0
	VPSLLW  $8, Y0, Y1
	VPSRAW  $8, Y1, Y1
	VPSRAW  $8, Y0, Y0
	VMOVDQA Y1, 0(DI)
	VMOVDQA Y0, 32(DI)
	ADDQ $34, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  w16xloop
	VZEROUPPER
	RET

// q8W16Tile2x4AVX2: see q8W16Tile2x4AVX2 in q8tile_avx2_amd64.go.
//
// func q8W16Tile2x4AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)
TEXT ·q8W16Tile2x4AVX2(SB), NOSPLIT, $0-72
	MOVQ stride+8(FP), BX
	MOVQ w+0(FP), SI
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ d+56(FP), R14
	MOVQ pf+64(FP), R12
	LEAQ (DI)(R10*2), R11
	ADDQ R10, R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

w16t2x4loop:
	W16PF2
	W16ROW2
	VMOVDQA 0(DI), Y12
	VMOVDQA 32(DI), Y13
	W16T2(Y8, Y9, 0, Y0)
	W16T2(Y10, Y11, 16, Y4)
	VMOVDQA 0(DI)(R10*1), Y12
	VMOVDQA 32(DI)(R10*1), Y13
	W16T2(Y8, Y9, 4, Y1)
	W16T2(Y10, Y11, 20, Y5)
	VMOVDQA 0(DI)(R10*2), Y12
	VMOVDQA 32(DI)(R10*2), Y13
	W16T2(Y8, Y9, 8, Y2)
	W16T2(Y10, Y11, 24, Y6)
	VMOVDQA 0(R11), Y12
	VMOVDQA 32(R11), Y13
	W16T2(Y8, Y9, 12, Y3)
	W16T2(Y10, Y11, 28, Y7)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ $32, R14
	ADDQ $64, R11
	DECQ CX
	JNZ  w16t2x4loop

	THSUM(Y0, X0, X14)
	THSUM(Y1, X1, X14)
	THSUM(Y2, X2, X14)
	THSUM(Y3, X3, X14)
	THSUM(Y4, X4, X14)
	THSUM(Y5, X5, X14)
	THSUM(Y6, X6, X14)
	THSUM(Y7, X7, X14)
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), R9
	LEAQ (DX)(R9*2), AX
	ADDQ R9, AX
	VMOVSS X0, 0(DX)
	VMOVSS X4, 4(DX)
	VMOVSS X1, 0(DX)(R9*1)
	VMOVSS X5, 4(DX)(R9*1)
	VMOVSS X2, 0(DX)(R9*2)
	VMOVSS X6, 4(DX)(R9*2)
	VMOVSS X3, 0(AX)
	VMOVSS X7, 4(AX)
	VZEROUPPER
	RET

// q8W16Tile2x3AVX2: see q8W16Tile2x3AVX2 in q8tile_avx2_amd64.go.
//
// func q8W16Tile2x3AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)
TEXT ·q8W16Tile2x3AVX2(SB), NOSPLIT, $0-72
	MOVQ stride+8(FP), BX
	MOVQ w+0(FP), SI
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ d+56(FP), R14
	MOVQ pf+64(FP), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5

w16t2x3loop:
	W16PF2
	W16ROW2
	VMOVDQA 0(DI), Y12
	VMOVDQA 32(DI), Y13
	W16T2(Y8, Y9, 0, Y0)
	W16T2(Y10, Y11, 16, Y3)
	VMOVDQA 0(DI)(R10*1), Y12
	VMOVDQA 32(DI)(R10*1), Y13
	W16T2(Y8, Y9, 4, Y1)
	W16T2(Y10, Y11, 20, Y4)
	VMOVDQA 0(DI)(R10*2), Y12
	VMOVDQA 32(DI)(R10*2), Y13
	W16T2(Y8, Y9, 8, Y2)
	W16T2(Y10, Y11, 24, Y5)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ $32, R14
	DECQ CX
	JNZ  w16t2x3loop

	THSUM(Y0, X0, X14)
	THSUM(Y1, X1, X14)
	THSUM(Y2, X2, X14)
	THSUM(Y3, X3, X14)
	THSUM(Y4, X4, X14)
	THSUM(Y5, X5, X14)
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), R9
	VMOVSS X0, 0(DX)
	VMOVSS X3, 4(DX)
	VMOVSS X1, 0(DX)(R9*1)
	VMOVSS X4, 4(DX)(R9*1)
	VMOVSS X2, 0(DX)(R9*2)
	VMOVSS X5, 4(DX)(R9*2)
	VZEROUPPER
	RET

// q8W16Tile2x2AVX2: see q8W16Tile2x2AVX2 in q8tile_avx2_amd64.go.
//
// func q8W16Tile2x2AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)
TEXT ·q8W16Tile2x2AVX2(SB), NOSPLIT, $0-72
	MOVQ stride+8(FP), BX
	MOVQ w+0(FP), SI
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ d+56(FP), R14
	MOVQ pf+64(FP), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

w16t2x2loop:
	W16PF2
	W16ROW2
	VMOVDQA 0(DI), Y12
	VMOVDQA 32(DI), Y13
	W16T2(Y8, Y9, 0, Y0)
	W16T2(Y10, Y11, 16, Y2)
	VMOVDQA 0(DI)(R10*1), Y12
	VMOVDQA 32(DI)(R10*1), Y13
	W16T2(Y8, Y9, 4, Y1)
	W16T2(Y10, Y11, 20, Y3)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ $32, R14
	DECQ CX
	JNZ  w16t2x2loop

	THSUM(Y0, X0, X14)
	THSUM(Y1, X1, X14)
	THSUM(Y2, X2, X14)
	THSUM(Y3, X3, X14)
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), R9
	VMOVSS X0, 0(DX)
	VMOVSS X2, 4(DX)
	VMOVSS X1, 0(DX)(R9*1)
	VMOVSS X3, 4(DX)(R9*1)
	VZEROUPPER
	RET

// q8W16Tile2x1AVX2: see q8W16Tile2x1AVX2 in q8tile_avx2_amd64.go.
//
// func q8W16Tile2x1AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, d *float32, pf uintptr)
TEXT ·q8W16Tile2x1AVX2(SB), NOSPLIT, $0-72
	MOVQ stride+8(FP), BX
	MOVQ w+0(FP), SI
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ d+56(FP), R14
	MOVQ pf+64(FP), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1

w16t2x1loop:
	W16PF2
	W16ROW2
	VMOVDQA 0(DI), Y12
	VMOVDQA 32(DI), Y13
	W16T2(Y8, Y9, 0, Y0)
	W16T2(Y10, Y11, 16, Y1)
	ADDQ $34, SI
	ADDQ $64, DI
	ADDQ $32, R14
	DECQ CX
	JNZ  w16t2x1loop

	THSUM(Y0, X0, X14)
	THSUM(Y1, X1, X14)
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), R9
	VMOVSS X0, 0(DX)
	VMOVSS X1, 4(DX)
	VZEROUPPER
	RET
