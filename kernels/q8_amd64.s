//go:build amd64 && !purego

#include "textflag.h"

// Q8_0×Q8_0 and Q4_0×Q8_0 dot products in ggml's AVX2 order
// (ggml-cpu/arch/x86/quants.c, ggml_vec_dot_q8_0_q8_0/_q4_0_q8_0): for
// each output element one 8-lane float32 accumulator; per block, lane k
// gets the exact integer Σ_{j=4k}^{4k+3} w_j·x_j, converted to float32 and
// added with one FMA by d = fp32(w.d)·fp32(x.d) (rounded product); blocks
// in order; at the end hsum_float_8: (a0+a4 + a2+a6) + (a1+a5 + a3+a7).
// Every kernel here (1 row, 4 rows, 4 rows × 2 tokens) does exactly that
// per element, so all give the same bits. (Q4_0 prompt tiles unpack each
// 4-row group to Q8_0 layout once, q4UnpackRowAVX2, and run the Q8_0
// 4 × 2 kernel: the same integer lanes for activations in [-127, 127].)
//
// Q8_0 weights: ax = |w| (VPABSB; |-128| reads as 128 unsigned), sy = x
// with w's sign (VPSIGNB), VPMADDUBSW(ax, sy) gives exact int16 pairs
// (|w|·|x| ≤ 128·127: no saturation), VPMADDWD by ones sums them to int32.
// This is right for any weight byte, -128 included, and for activations
// in [-127, 127] (what Q8_0 quantization produces); an activation of -128
// against a negative weight would come out as +128·|w| (ggml's behaviour).
//
// Q4_0 weights: the 16 bytes are broadcast to both 128-bit halves, the
// high half shifted right by 4 (VPSRLVD by {0,0,0,0,4,4,4,4}), masked to
// nibbles q ∈ [0,15]; VPMADDUBSW(q, x) - VPMADDUBSW(8, x) = (q-8)·x pairs
// (exact, no saturation for any x), then VPMADDWD by ones. The int32
// lanes equal ggml's (whose order puts low nibbles in bytes 0-15 and high
// nibbles in bytes 16-31, as here).

DATA q8shift<>+0(SB)/4, $0
DATA q8shift<>+4(SB)/4, $0
DATA q8shift<>+8(SB)/4, $0
DATA q8shift<>+12(SB)/4, $0
DATA q8shift<>+16(SB)/4, $4
DATA q8shift<>+20(SB)/4, $4
DATA q8shift<>+24(SB)/4, $4
DATA q8shift<>+28(SB)/4, $4
GLOBL q8shift<>(SB), RODATA|NOPTR, $32

DATA q8nib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q8nib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q8nib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q8nib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q8nib<>(SB), RODATA|NOPTR, $32

DATA q8eight<>+0(SB)/8, $0x0808080808080808
DATA q8eight<>+8(SB)/8, $0x0808080808080808
DATA q8eight<>+16(SB)/8, $0x0808080808080808
DATA q8eight<>+24(SB)/8, $0x0808080808080808
GLOBL q8eight<>(SB), RODATA|NOPTR, $32

DATA q8ones<>+0(SB)/8, $0x0001000100010001
DATA q8ones<>+8(SB)/8, $0x0001000100010001
DATA q8ones<>+16(SB)/8, $0x0001000100010001
DATA q8ones<>+24(SB)/8, $0x0001000100010001
GLOBL q8ones<>(SB), RODATA|NOPTR, $32

// Constants of the activation quantizer.
DATA q8abs<>+0(SB)/4, $0x7fffffff
GLOBL q8abs<>(SB), RODATA|NOPTR, $4
DATA q8sign<>+0(SB)/4, $0x80000000
GLOBL q8sign<>(SB), RODATA|NOPTR, $4
DATA q8half<>+0(SB)/4, $0x3f000000
GLOBL q8half<>(SB), RODATA|NOPTR, $4
DATA q8one<>+0(SB)/4, $0x3f800000
GLOBL q8one<>(SB), RODATA|NOPTR, $4
DATA q8c127<>+0(SB)/4, $0x42fe0000
GLOBL q8c127<>(SB), RODATA|NOPTR, $4
DATA q8low<>+0(SB)/4, $0x000000ff
GLOBL q8low<>(SB), RODATA|NOPTR, $4
DATA q8perm<>+0(SB)/4, $0
DATA q8perm<>+4(SB)/4, $4
DATA q8perm<>+8(SB)/4, $1
DATA q8perm<>+12(SB)/4, $5
DATA q8perm<>+16(SB)/4, $2
DATA q8perm<>+20(SB)/4, $6
DATA q8perm<>+24(SB)/4, $3
DATA q8perm<>+28(SB)/4, $7
GLOBL q8perm<>(SB), RODATA|NOPTR, $32

// HSUM leaves hsum_float_8(y) in the low lane of x (the xmm name of y),
// using t as scratch.
#define HSUM(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS       t, x, x  \
	VMOVHLPS     x, x, t  \
	VADDPS       t, x, x  \
	VMOVSHDUP    x, t     \
	VADDSS       t, x, x

// DW4 converts the fp16 scales at the start of the current block of rows
// 0..3 (SI, SI+BX, R8, R8+BX) into X10 as 4 float32.
#define DW4 \
	MOVWLZX 0(SI), AX        \
	MOVWLZX 0(SI)(BX*1), R11 \
	SHLQ    $16, R11         \
	ORQ     R11, AX          \
	MOVWLZX 0(R8), R11       \
	SHLQ    $32, R11         \
	ORQ     R11, AX          \
	MOVWLZX 0(R8)(BX*1), R11 \
	SHLQ    $48, R11         \
	ORQ     R11, AX          \
	VMOVQ   AX, X10          \
	VCVTPH2PS X10, X10

// SCALES4 stores d(row r) = dw_r·dx (dx: the scale of the block at DI) at
// 4r(SP), r = 0..3. Uses AX, R11, X10-X12.
#define SCALES4 \
	DW4                        \
	MOVWLZX 0(DI), AX          \
	VMOVD   AX, X11            \
	VCVTPH2PS X11, X11         \
	VBROADCASTSS X11, X11      \
	VMULPS  X11, X10, X11      \
	VMOVUPS X11, 0(SP)

// Q8ROW: acc += d · float(lanes of w·y), w the 32 quants at wq (memory),
// y in Y9. Uses Y10, Y11; Y15 holds int16 ones.
#define Q8ROW(wq, d, acc) \
	VPABSB     wq, Y10        \
	VPSIGNB    wq, Y9, Y11    \
	VPMADDUBSW Y11, Y10, Y10  \
	VPMADDWD   Y15, Y10, Y10  \
	VCVTDQ2PS  Y10, Y10       \
	VBROADCASTSS d, Y11       \
	VFMADD231PS Y11, Y10, acc

// Q4NIB: Y10 = the 32 nibbles of the Q4_0 quants at wq (16 bytes), low
// nibbles in bytes 0-15, high in 16-31. Y13: shift counts, Y14: 0x0f.
#define Q4NIB(wq) \
	VBROADCASTI128 wq, Y10 \
	VPSRLVD Y13, Y10, Y10  \
	VPAND   Y14, Y10, Y10

// Q4ROW: acc += d · float(lanes of (q-8)·y) for the nibbles in Y10, y at
// yq (register or memory), ys = VPMADDUBSW(8, y). Uses Y11, Y12.
#define Q4ROW(yq, ys, d, acc) \
	VPMADDUBSW yq, Y10, Y11   \
	VPSUBW     ys, Y11, Y11   \
	VPMADDWD   Y15, Y11, Y11  \
	VCVTDQ2PS  Y11, Y11       \
	VBROADCASTSS d, Y12       \
	VFMADD231PS Y12, Y11, acc

// func q8DotAVX2(w, x *byte, nb int) float32
TEXT ·q8DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VMOVDQU q8ones<>(SB), Y15
	VXORPS  Y0, Y0, Y0

q8d1loop:
	MOVWLZX 0(SI), AX
	MOVWLZX 0(DI), BX
	SHLL    $16, BX
	ORL     BX, AX
	VMOVD   AX, X1
	VCVTPH2PS X1, X1
	VMOVSHDUP X1, X2
	VMULSS  X2, X1, X1
	VBROADCASTSS X1, Y1
	VMOVDQU 2(DI), Y2
	VPABSB  2(SI), Y3
	VPSIGNB 2(SI), Y2, Y2
	VPMADDUBSW Y2, Y3, Y3
	VPMADDWD Y15, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VFMADD231PS Y1, Y3, Y0
	ADDQ    $34, SI
	ADDQ    $34, DI
	DECQ    CX
	JNZ     q8d1loop

	HSUM(Y0, X0, X1)
	VZEROUPPER
	VMOVSS  X0, ret+24(FP)
	RET

// func q8Dot4AVX2(w *byte, stride int, x *byte, nb int, out *float32)
TEXT ·q8Dot4AVX2(SB), NOSPLIT, $32-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ x+16(FP), DI
	MOVQ nb+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(BX*2), R8
	LEAQ (R8)(BX*2), R12
	VMOVDQU q8ones<>(SB), Y15
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3

q8d4loop:
	// Prefetch the next 4 rows, 4·34 bytes a block: from DRAM this
	// doubles the speed (the 4 interleaved row streams alone read at
	// about half the rate of one sequential stream).
	PREFETCHT0 0(R12)
	PREFETCHT0 64(R12)
	PREFETCHT0 128(R12)
	ADDQ $136, R12
	SCALES4
	VMOVDQU 2(DI), Y9
	Q8ROW(2(SI), 0(SP), Y0)
	Q8ROW(2(SI)(BX*1), 4(SP), Y1)
	Q8ROW(2(R8), 8(SP), Y2)
	Q8ROW(2(R8)(BX*1), 12(SP), Y3)
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $34, DI
	DECQ CX
	JNZ  q8d4loop

	HSUM(Y0, X0, X10)
	HSUM(Y1, X1, X10)
	HSUM(Y2, X2, X10)
	HSUM(Y3, X3, X10)
	VMOVSS X0, 0(DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	VZEROUPPER
	RET

// The 4-row × 2-token kernels keep everything but the weights in
// registers: y of the 2 tokens in Y8, Y9, d(row r, token t) for the 4
// rows in both 128-bit halves of Y13 (t = 0) and Y14 (t = 1), each
// broadcast with VSHUFPS when used (an ALU op where a VBROADCASTSS from
// memory would take a load slot, which is what limits these loops).

// SCALES4x2R sets Y13, Y14 to d(row r, token t) = dw_r·dx_t (rows in each
// 128-bit half) from the tables: the 4 rows' scales of this block at R12,
// the tokens' at R13 and R13+R14. Advances R12 by 16 and R13 by 4. Uses
// Y10.
#define SCALES4x2R \
	VBROADCASTF128 0(R12), Y10      \
	VBROADCASTSS 0(R13), Y13        \
	VMULPS  Y13, Y10, Y13           \
	VBROADCASTSS 0(R13)(R14*1), Y14 \
	VMULPS  Y14, Y10, Y14           \
	ADDQ    $16, R12                \
	ADDQ    $4, R13

// W2TAIL finishes one weight row of the 4×2 tile: Y10 = |w| (unsigned
// operand), Y12 = y0 and Y11 = y1 with w's sign; acc_t += d(row, t) ·
// float(lanes), d picked from Y13/Y14 by VSHUFPS imm. Uses Y10-Y12.
#define W2TAIL(imm, acc0, acc1) \
	VPMADDUBSW Y12, Y10, Y12    \
	VPMADDUBSW Y11, Y10, Y11    \
	VPMADDWD   Y15, Y12, Y12    \
	VPMADDWD   Y15, Y11, Y11    \
	VCVTDQ2PS  Y12, Y12         \
	VCVTDQ2PS  Y11, Y11         \
	VSHUFPS    $imm, Y13, Y13, Y10 \
	VFMADD231PS Y10, Y12, acc0  \
	VSHUFPS    $imm, Y14, Y14, Y10 \
	VFMADD231PS Y10, Y11, acc1

// Q8ROW2R: one Q8_0 weight row (quants at wq) of the 4×2 tile; one load.
#define Q8ROW2R(wq, imm, acc0, acc1) \
	VMOVDQU wq, Y11             \
	VPABSB  Y11, Y10            \
	VPSIGNB Y11, Y8, Y12        \
	VPSIGNB Y11, Y9, Y11        \
	W2TAIL(imm, acc0, acc1)

// EPILOGUE4x2 stores the 8 sums: row r, token t from Y(r+4t) at
// out + t·R9 + 4r.
#define EPILOGUE4x2 \
	HSUM(Y0, X0, X10) \
	HSUM(Y1, X1, X10) \
	HSUM(Y2, X2, X10) \
	HSUM(Y3, X3, X10) \
	HSUM(Y4, X4, X10) \
	HSUM(Y5, X5, X10) \
	HSUM(Y6, X6, X10) \
	HSUM(Y7, X7, X10) \
	VMOVSS X0, 0(DX)  \
	VMOVSS X1, 4(DX)  \
	VMOVSS X2, 8(DX)  \
	VMOVSS X3, 12(DX) \
	VMOVSS X4, 0(DX)(R9*1)  \
	VMOVSS X5, 4(DX)(R9*1)  \
	VMOVSS X6, 8(DX)(R9*1)  \
	VMOVSS X7, 12(DX)(R9*1)

// func q8Dot4x2AVX2(w *byte, stride int, x *byte, xstride int, nb int, out *float32, ostride int, dw, dx *float32)
TEXT ·q8Dot4x2AVX2(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), R9
	MOVQ dw+56(FP), R12
	MOVQ dx+64(FP), R13
	LEAQ (SI)(BX*2), R8
	LEAQ (CX*4), R14
	VMOVDQU q8ones<>(SB), Y15
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VXORPS  Y4, Y4, Y4
	VXORPS  Y5, Y5, Y5
	VXORPS  Y6, Y6, Y6
	VXORPS  Y7, Y7, Y7

q8d42loop:
	SCALES4x2R
	VMOVDQU 2(DI), Y8
	VMOVDQU 2(DI)(R10*1), Y9
	Q8ROW2R(2(SI), 0x00, Y0, Y4)
	Q8ROW2R(2(SI)(BX*1), 0x55, Y1, Y5)
	Q8ROW2R(2(R8), 0xaa, Y2, Y6)
	Q8ROW2R(2(R8)(BX*1), 0xff, Y3, Y7)
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $34, DI
	DECQ CX
	JNZ  q8d42loop

	EPILOGUE4x2
	VZEROUPPER
	RET

// func q4DotAVX2(w, x *byte, nb int) float32
TEXT ·q4DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VMOVDQU q8ones<>(SB), Y15
	VMOVDQU q8nib<>(SB), Y14
	VMOVDQU q8shift<>(SB), Y13
	VMOVDQU q8eight<>(SB), Y9
	VXORPS  Y0, Y0, Y0

q4d1loop:
	MOVWLZX 0(SI), AX
	MOVWLZX 0(DI), BX
	SHLL    $16, BX
	ORL     BX, AX
	VMOVD   AX, X1
	VCVTPH2PS X1, X1
	VMOVSHDUP X1, X2
	VMULSS  X2, X1, X1
	VMOVAPS X1, X8
	VPMADDUBSW 2(DI), Y9, Y1
	Q4NIB(2(SI))
	Q4ROW(2(DI), Y1, X8, Y0)
	ADDQ    $18, SI
	ADDQ    $34, DI
	DECQ    CX
	JNZ     q4d1loop

	HSUM(Y0, X0, X1)
	VZEROUPPER
	VMOVSS  X0, ret+24(FP)
	RET

// func q4Dot4AVX2(w *byte, stride int, x *byte, nb int, out *float32)
TEXT ·q4Dot4AVX2(SB), NOSPLIT, $32-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ x+16(FP), DI
	MOVQ nb+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(BX*2), R8
	LEAQ (R8)(BX*2), R12
	VMOVDQU q8ones<>(SB), Y15
	VMOVDQU q8nib<>(SB), Y14
	VMOVDQU q8shift<>(SB), Y13
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3

q4d4loop:
	// Prefetch the next 4 rows, 4·18 bytes a block (see q8Dot4AVX2).
	PREFETCHT0 0(R12)
	PREFETCHT0 64(R12)
	ADDQ $72, R12
	SCALES4
	VMOVDQU q8eight<>(SB), Y8
	VMOVDQU 2(DI), Y9
	VPMADDUBSW Y9, Y8, Y8
	Q4NIB(2(SI))
	Q4ROW(Y9, Y8, 0(SP), Y0)
	Q4NIB(2(SI)(BX*1))
	Q4ROW(Y9, Y8, 4(SP), Y1)
	Q4NIB(2(R8))
	Q4ROW(Y9, Y8, 8(SP), Y2)
	Q4NIB(2(R8)(BX*1))
	Q4ROW(Y9, Y8, 12(SP), Y3)
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $34, DI
	DECQ CX
	JNZ  q4d4loop

	HSUM(Y0, X0, X10)
	HSUM(Y1, X1, X10)
	HSUM(Y2, X2, X10)
	HSUM(Y3, X3, X10)
	VMOVSS X0, 0(DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	VZEROUPPER
	RET

// func scales4AVX2(w *byte, stride int, nb int, bb int, dst *float32)
//
// dst[4b+r] = fp32(scale of block b of row r) for rows r < 4 at w +
// r·stride, blocks of bb bytes.
TEXT ·scales4AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ nb+16(FP), CX
	MOVQ bb+24(FP), R9
	MOVQ dst+32(FP), DX
	LEAQ (SI)(BX*2), R8

s4loop:
	DW4
	VMOVUPS X10, 0(DX)
	ADDQ R9, SI
	ADDQ R9, R8
	ADDQ $16, DX
	DECQ CX
	JNZ  s4loop
	VZEROUPPER
	RET

// func scalesQ8AVX2(x *byte, n int, dst *float32)
//
// dst[i] = fp32(scale of block_q8_0 i at x), i < n.
TEXT ·scalesQ8AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ dst+16(FP), DX

sq8loop:
	MOVWLZX 0(SI), AX
	VMOVD   AX, X0
	VCVTPH2PS X0, X0
	VMOVSS  X0, 0(DX)
	ADDQ $34, SI
	ADDQ $4, DX
	DECQ CX
	JNZ  sq8loop
	VZEROUPPER
	RET

// func quantizeQ8_0AVX2(dst *byte, x *float32, nb int)
//
// quantize_row_q8_0_ref per block: amax = max|x| ignoring NaN (MAXPS
// returns its second operand, the running max, when x is NaN), d =
// amax/127 stored as fp16 (VCVTPS2PH, round to nearest even), id = 1/d or
// 0, q = roundf(x·id) (trunc, then ±1 where |frac| ≥ 0.5: halves away from
// zero), truncated to int32 (NaN and out-of-range give 0x80000000) and
// stored as the low byte of each int32, as the C cast does.
TEXT ·quantizeQ8_0AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DX
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	VBROADCASTSS q8abs<>(SB), Y15
	VBROADCASTSS q8sign<>(SB), Y14
	VBROADCASTSS q8half<>(SB), Y13
	VBROADCASTSS q8one<>(SB), Y12
	VBROADCASTSS q8low<>(SB), Y11
	VMOVDQU q8perm<>(SB), Y7

qloop:
	VMOVUPS 0(SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VXORPS  Y8, Y8, Y8
	VANDPS  Y15, Y0, Y4
	VMAXPS  Y8, Y4, Y8
	VANDPS  Y15, Y1, Y4
	VMAXPS  Y8, Y4, Y8
	VANDPS  Y15, Y2, Y4
	VMAXPS  Y8, Y4, Y8
	VANDPS  Y15, Y3, Y4
	VMAXPS  Y8, Y4, Y8
	VEXTRACTF128 $1, Y8, X4
	VMAXPS  X4, X8, X8
	VMOVHLPS X8, X8, X4
	VMAXPS  X4, X8, X8
	VMOVSHDUP X8, X4
	VMAXSS  X4, X8, X8
	// d = amax/127 → fp16
	VDIVSS  q8c127<>(SB), X8, X9
	VCVTPS2PH $0, X9, X10
	VMOVD   X10, AX
	MOVW    AX, 0(DX)
	// id = d != 0 ? 1/d : 0
	VMOVSS  q8one<>(SB), X10
	VDIVSS  X9, X10, X10
	VXORPS  X4, X4, X4
	VCMPSS  $4, X4, X9, X4
	VANDPS  X4, X10, X10
	VBROADCASTSS X10, Y10

#define QROUND(v) \
	VMULPS   Y10, v, v        \
	VROUNDPS $3, v, Y4        \
	VSUBPS   Y4, v, Y5        \
	VANDPS   Y15, Y5, Y5      \
	VCMPPS   $0x1d, Y13, Y5, Y5 \
	VANDPS   Y14, v, Y6       \
	VORPS    Y12, Y6, Y6      \
	VANDPS   Y6, Y5, Y5       \
	VADDPS   Y5, Y4, Y4       \
	VCVTTPS2DQ Y4, v          \
	VPAND    Y11, v, v

	QROUND(Y0)
	QROUND(Y1)
	QROUND(Y2)
	QROUND(Y3)
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD  Y0, Y7, Y0
	VMOVDQU Y0, 2(DX)
	ADDQ $128, SI
	ADDQ $34, DX
	DECQ CX
	JNZ  qloop

	VZEROUPPER
	RET

// func q4UnpackRowAVX2(dst, w *byte, nb int)
//
// Rewrites nb (≥ 1) block_q4_0 at w as 34-byte blocks at dst: the fp16
// scale, then the 32 weights q-8 as int8 in ggml's order (low nibbles of
// the 16 bytes, then the high nibbles), the layout q8Dot4x2AVX2 reads.
TEXT ·q4UnpackRowAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ nb+16(FP), CX
	VMOVDQU q8nib<>(SB), Y14
	VMOVDQU q8eight<>(SB), Y13

q4uloop:
	MOVWLZX 0(SI), AX
	MOVW    AX, 0(DI)
	VMOVDQU 2(SI), X0
	VPSRLW  $4, X0, X1
	VINSERTI128 $1, X1, Y0, Y0
	VPAND   Y14, Y0, Y0
	VPSUBB  Y13, Y0, Y0
	VMOVDQU Y0, 2(DI)
	ADDQ $18, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q4uloop
	VZEROUPPER
	RET
