//go:build amd64 && !purego

// AVX2 register tiles for 16-bit (F16, BF16) and float32 weight rows times
// a few float32 tokens: the server's batched decode steps on CPUs without
// AVX-512, where only the 16 ymm registers of VEX exist. Each chunk of 8
// weights is converted to float32 once per group of tokens and multiplied
// into every token's accumulator:
//
//	3 rows × 4 tokens: accumulators Y0-Y11 (token t, row r in Y(3t+r)),
//	    the 3 weight chunks in Y12-Y14, each token chunk loaded into Y15;
//	4 rows × 3 tokens: Y0-Y11 (Y(4t+r)), the 3 token chunks in Y12-Y14,
//	    each weight chunk converted into Y15;
//	6 rows × 2 tokens: Y0-Y11 (Y(6t+r)), the 2 token chunks in Y12-Y13,
//	    the weight chunks converted into Y14/Y15.
//
// Every output is summed in the order of f16_amd64.s's dot8F16X (and so
// of dotF16AVX2 on the halves; float32 rows: dotAVX2's): one 8-lane FMA accumulator over the chunks
// of 8 in order, the last partial chunk zero-padded (weights through a
// VPSHUFB control, tokens zero in memory), then the fixed reduction
// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)). The FMAs keep dot8F16X's operand
// order (weights times tokens added to the accumulator), so NaN payloads
// match too.
//
// Tokens are float32 rows xs floats apart, readable and zero up to n
// rounded up to a multiple of 8; outputs of token t, row r go to
// out[t·os + r]. The weights pf bytes past row 0 (the next tiles' rows)
// are prefetched into L2 as one stream, as f32tile_amd64.s does.

#include "textflag.h"

// f16TileTailShuf<>+16·m is the VPSHUFB control that moves the last m
// halves of 16 bytes loaded so that they end at the row's end to the bottom
// and zeroes the rest (f16_amd64.s's halfTailShuf).
DATA f16TileTailShuf<>+0(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+8(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+16(SB)/8, $0x8080808080800f0e
DATA f16TileTailShuf<>+24(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+32(SB)/8, $0x808080800f0e0d0c
DATA f16TileTailShuf<>+40(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+48(SB)/8, $0x80800f0e0d0c0b0a
DATA f16TileTailShuf<>+56(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+64(SB)/8, $0x0f0e0d0c0b0a0908
DATA f16TileTailShuf<>+72(SB)/8, $0x8080808080808080
DATA f16TileTailShuf<>+80(SB)/8, $0x0d0c0b0a09080706
DATA f16TileTailShuf<>+88(SB)/8, $0x8080808080800f0e
DATA f16TileTailShuf<>+96(SB)/8, $0x0b0a090807060504
DATA f16TileTailShuf<>+104(SB)/8, $0x808080800f0e0d0c
DATA f16TileTailShuf<>+112(SB)/8, $0x0908070605040302
DATA f16TileTailShuf<>+120(SB)/8, $0x80800f0e0d0c0b0a
GLOBL f16TileTailShuf<>(SB), RODATA|NOPTR, $128

#define FMA(x, w, a) VFMADD231PS x, w, a

// ZERO12 clears the accumulators Y0-Y11.
#define ZERO12 \
	VXORPS Y0, Y0, Y0    \
	VXORPS Y1, Y1, Y1    \
	VXORPS Y2, Y2, Y2    \
	VXORPS Y3, Y3, Y3    \
	VXORPS Y4, Y4, Y4    \
	VXORPS Y5, Y5, Y5    \
	VXORPS Y6, Y6, Y6    \
	VXORPS Y7, Y7, Y7    \
	VXORPS Y8, Y8, Y8    \
	VXORPS Y9, Y9, Y9    \
	VXORPS Y10, Y10, Y10 \
	VXORPS Y11, Y11, Y11

// TAILSETUP sets R9 to the VPSHUFB control for the last m = BX (1..7)
// halves of a row and moves SI (and R8 by the same) back so that 16 bytes
// at each row pointer end at that row's end.
#define TAILSETUP \
	MOVQ BX, R9                   \
	SHLQ $4, R9                   \
	LEAQ f16TileTailShuf<>(SB), R12 \
	ADDQ R12, R9                  \
	LEAQ -16(BX)(BX*1), R12       \
	ADDQ R12, SI                  \
	ADDQ R12, R8

// TAILW converts the last partial chunk of the row whose 16 bytes end at
// m into y (x its xmm name), lanes past the row's end zero.
#define TAILW(m, x, y) \
	VMOVDQU m, x       \
	VPSHUFB (R9), x, x \
	CVTR(x, y)

// RED3 joins the accumulators a, b, c (3 rows of one token) each in the
// fixed order and stores them at DI..DI+8; b and c are clobbered, a's xmm
// name is xa.
#define RED3(a, b, c, xa) \
	VHADDPS b, a, a            \
	VHADDPS c, c, c            \
	VHADDPS c, a, a            \
	VEXTRACTF128 $1, a, X15    \
	VADDPS X15, xa, xa         \
	VMOVSD xa, (DI)            \
	VEXTRACTPS $2, xa, 8(DI)

// RED4 is RED3 for 4 rows, stored at DI..DI+12.
#define RED4(a, b, c, d, xa) \
	VHADDPS b, a, a            \
	VHADDPS d, c, c            \
	VHADDPS c, a, a            \
	VEXTRACTF128 $1, a, X15    \
	VADDPS X15, xa, xa         \
	VMOVUPS xa, (DI)

// RED6 is RED3 for 6 rows, stored at DI..DI+20.
#define RED6(a0, a1, a2, a3, a4, a5, xa0, xa4) \
	RED4(a0, a1, a2, a3, xa0)  \
	VHADDPS a5, a4, a4         \
	VHADDPS a4, a4, a4         \
	VEXTRACTF128 $1, a4, X15   \
	VADDPS X15, xa4, xa4       \
	VMOVSD xa4, 16(DI)

// The 3 × 4 tile. Rows at SI, SI+AX, SI+2AX; tokens at DI, R10, R11, R13
// (offset R14); prefetch stream at DX; CX chunks of 8, BX halves past them.

// STEP34 multiplies the 3 weight chunks in Y12-Y14 into the 4 tokens.
#define STEP34 \
	VMOVUPS (DI)(R14*1), Y15  \
	FMA(Y15, Y12, Y0)         \
	FMA(Y15, Y13, Y1)         \
	FMA(Y15, Y14, Y2)         \
	VMOVUPS (R10)(R14*1), Y15 \
	FMA(Y15, Y12, Y3)         \
	FMA(Y15, Y13, Y4)         \
	FMA(Y15, Y14, Y5)         \
	VMOVUPS (R11)(R14*1), Y15 \
	FMA(Y15, Y12, Y6)         \
	FMA(Y15, Y13, Y7)         \
	FMA(Y15, Y14, Y8)         \
	VMOVUPS (R13)(R14*1), Y15 \
	FMA(Y15, Y12, Y9)         \
	FMA(Y15, Y13, Y10)        \
	FMA(Y15, Y14, Y11)

// PROLOGUE loads the arguments common to the three tiles: SI rows, AX row
// bytes (ws << wsh), the token pointers DI and R10 (and R11 = DI+2·xs, R13 = R10+2·xs
// for 3 or 4 tokens), CX whole chunks, BX halves past them, DX the prefetch
// pointer, R14 = 0, R8 = SI+3AX.
#define PROLOGUE(wsh) \
	MOVQ w+0(FP), SI            \
	MOVQ ws+8(FP), AX           \
	SHLQ $wsh, AX               \
	MOVQ x+16(FP), DI           \
	MOVQ xs+24(FP), R12         \
	SHLQ $2, R12                \
	LEAQ (DI)(R12*1), R10       \
	LEAQ (DI)(R12*2), R11       \
	LEAQ (R10)(R12*2), R13      \
	MOVQ n+32(FP), CX           \
	MOVQ CX, BX                 \
	ANDQ $7, BX                 \
	SHRQ $3, CX                 \
	MOVQ pf+56(FP), DX          \
	ADDQ SI, DX                 \
	LEAQ (SI)(AX*2), R8         \
	ADDQ AX, R8                 \
	XORQ R14, R14               \
	ZERO12

// STOREADV moves DI from one token's outputs to the next (R12 = os bytes).
#define STOREADV ADDQ R12, DI

// OUTSETUP points DI at the outputs and R12 at the output stride in bytes.
#define OUTSETUP \
	MOVQ out+40(FP), DI \
	MOVQ os+48(FP), R12 \
	SHLQ $2, R12

// TILE34 is the text of a 3 × 4 tile function (CVTM/CVTR define the type).
#define LOAD34 \
	CVTM((SI), Y12)        \
	CVTM((SI)(AX*1), Y13)  \
	CVTM((SI)(AX*2), Y14)

#define TAIL34 \
	TAILSETUP                        \
	TAILW((SI), X12, Y12)            \
	TAILW((SI)(AX*1), X13, Y13)      \
	TAILW((SI)(AX*2), X14, Y14)

#define EPI34 \
	OUTSETUP                       \
	RED3(Y0, Y1, Y2, X0)           \
	STOREADV                       \
	RED3(Y3, Y4, Y5, X3)           \
	STOREADV                       \
	RED3(Y6, Y7, Y8, X6)           \
	STOREADV                       \
	RED3(Y9, Y10, Y11, X9)

// The 4 × 3 tile: rows at SI, SI+AX, SI+2AX, R8; the 3 token chunks in
// Y12-Y14.
#define TOKS3 \
	VMOVUPS (DI)(R14*1), Y12  \
	VMOVUPS (R10)(R14*1), Y13 \
	VMOVUPS (R11)(R14*1), Y14

#define ROW3(a0, a1, a2) \
	FMA(Y12, Y15, a0) \
	FMA(Y13, Y15, a1) \
	FMA(Y14, Y15, a2)

#define BODY43 \
	TOKS3                   \
	CVTM((SI), Y15)         \
	ROW3(Y0, Y4, Y8)        \
	CVTM((SI)(AX*1), Y15)   \
	ROW3(Y1, Y5, Y9)        \
	CVTM((SI)(AX*2), Y15)   \
	ROW3(Y2, Y6, Y10)       \
	CVTM((R8), Y15)         \
	ROW3(Y3, Y7, Y11)

#define TAIL43 \
	TAILSETUP                   \
	TOKS3                       \
	TAILW((SI), X15, Y15)       \
	ROW3(Y0, Y4, Y8)            \
	TAILW((SI)(AX*1), X15, Y15) \
	ROW3(Y1, Y5, Y9)            \
	TAILW((SI)(AX*2), X15, Y15) \
	ROW3(Y2, Y6, Y10)           \
	TAILW((R8), X15, Y15)       \
	ROW3(Y3, Y7, Y11)

#define EPI43 \
	OUTSETUP                       \
	RED4(Y0, Y1, Y2, Y3, X0)       \
	STOREADV                       \
	RED4(Y4, Y5, Y6, Y7, X4)       \
	STOREADV                       \
	RED4(Y8, Y9, Y10, Y11, X8)

// The 6 × 2 tile: rows at SI, SI+AX, SI+2AX, R8, SI+4AX, R8+2AX; the 2
// token chunks in Y12-Y13, weight chunks alternately in Y14 and Y15.
#define ROW2(w, a0, a1) \
	FMA(Y12, w, a0) \
	FMA(Y13, w, a1)

#define BODY62 \
	VMOVUPS (DI)(R14*1), Y12  \
	VMOVUPS (R10)(R14*1), Y13 \
	CVTM((SI), Y14)           \
	ROW2(Y14, Y0, Y6)         \
	CVTM((SI)(AX*1), Y15)     \
	ROW2(Y15, Y1, Y7)         \
	CVTM((SI)(AX*2), Y14)     \
	ROW2(Y14, Y2, Y8)         \
	CVTM((R8), Y15)           \
	ROW2(Y15, Y3, Y9)         \
	CVTM((SI)(AX*4), Y14)     \
	ROW2(Y14, Y4, Y10)        \
	CVTM((R8)(AX*2), Y15)     \
	ROW2(Y15, Y5, Y11)

#define TAIL62 \
	TAILSETUP                   \
	VMOVUPS (DI)(R14*1), Y12    \
	VMOVUPS (R10)(R14*1), Y13   \
	TAILW((SI), X14, Y14)       \
	ROW2(Y14, Y0, Y6)           \
	TAILW((SI)(AX*1), X15, Y15) \
	ROW2(Y15, Y1, Y7)           \
	TAILW((SI)(AX*2), X14, Y14) \
	ROW2(Y14, Y2, Y8)           \
	TAILW((R8), X15, Y15)       \
	ROW2(Y15, Y3, Y9)           \
	TAILW((SI)(AX*4), X14, Y14) \
	ROW2(Y14, Y4, Y10)          \
	TAILW((R8)(AX*2), X15, Y15) \
	ROW2(Y15, Y5, Y11)

#define EPI62 \
	OUTSETUP                                   \
	RED6(Y0, Y1, Y2, Y3, Y4, Y5, X0, X4)       \
	STOREADV                                   \
	RED6(Y6, Y7, Y8, Y9, Y10, Y11, X6, X10)

// F16: binary16 → float32 with F16C's VCVTPH2PS (exact).
#define CVTM(m, y) VCVTPH2PS m, y
#define CVTR(x, y) VCVTPH2PS x, y

// func tile34F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// out[t·os+r] = Σ_{j<n} w[r·ws bytes + j]·x[t·xs+j] for 3 binary16 rows r
// and 4 tokens t, each in dot8F16X's order; n ≥ 8, the tokens readable
// and zero up to n rounded up to 8; the weights pf bytes past row 0 are
// prefetched into L2.
TEXT ·tile34F16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	// 48 bytes of the 3 rows per step: fetch the line 48 bytes on in the
	// stream ahead (every line of it is fetched at least once).
	PREFETCHT1 (DX)
	ADDQ $48, DX
	LOAD34
	STEP34
	ADDQ $16, SI
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL34
	STEP34

epi:
	EPI34
	VZEROUPPER
	RET

// func tile43F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F16A for 4 rows and 3 tokens.
TEXT ·tile43F16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	// 64 bytes of the 4 rows per step: one line of the stream ahead.
	PREFETCHT1 (DX)
	ADDQ $64, DX
	BODY43
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL43

epi:
	EPI43
	VZEROUPPER
	RET

// func tile62F16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F16A for 6 rows and 2 tokens.
TEXT ·tile62F16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	// 96 bytes of the 6 rows per step: two lines of the stream ahead.
	PREFETCHT1 (DX)
	PREFETCHT1 64(DX)
	ADDQ $96, DX
	BODY62
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL62

epi:
	EPI62
	VZEROUPPER
	RET

#undef CVTM
#undef CVTR

// BF16: the 16 bits become the top of a float32 (exact).
#define CVTM(m, y) VPMOVZXWD m, y; VPSLLD $16, y, y
#define CVTR(x, y) VPMOVZXWD x, y; VPSLLD $16, y, y

// func tile34BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F16A for bfloat16 rows.
TEXT ·tile34BF16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	PREFETCHT1 (DX)
	ADDQ $48, DX
	LOAD34
	STEP34
	ADDQ $16, SI
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL34
	STEP34

epi:
	EPI34
	VZEROUPPER
	RET

// func tile43BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile43F16A for bfloat16 rows.
TEXT ·tile43BF16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	PREFETCHT1 (DX)
	ADDQ $64, DX
	BODY43
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL43

epi:
	EPI43
	VZEROUPPER
	RET

// func tile62BF16A(w *byte, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile62F16A for bfloat16 rows.
TEXT ·tile62BF16A(SB), NOSPLIT, $0-64
	PROLOGUE(0)

loop:
	PREFETCHT1 (DX)
	PREFETCHT1 64(DX)
	ADDQ $96, DX
	BODY62
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	TESTQ BX, BX
	JEQ   epi
	TAIL62

epi:
	EPI62
	VZEROUPPER
	RET

#undef CVTM
#undef CVTR

// F32: the tiles for float32 weight rows (gemm), n a multiple of 8 (no
// partial chunk), each output in dotAVX2's order.
#define CVTM(m, y) VMOVUPS m, y

// func tile34F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F16A for float32 rows ws floats apart; n a positive multiple of 8.
TEXT ·tile34F32A(SB), NOSPLIT, $0-64
	PROLOGUE(2)

loop:
	// 96 bytes of the 3 rows per step: 2 lines of the stream ahead.
	PREFETCHT1 (DX)
	PREFETCHT1 64(DX)
	ADDQ $96, DX
	LOAD34
	STEP34
	ADDQ $32, SI
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	EPI34
	VZEROUPPER
	RET

// func tile43F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F32A for 4 rows and 3 tokens.
TEXT ·tile43F32A(SB), NOSPLIT, $0-64
	PROLOGUE(2)

loop:
	// 128 bytes of the 4 rows per step: 2 lines of the stream ahead.
	PREFETCHT1 (DX)
	PREFETCHT1 64(DX)
	ADDQ $128, DX
	BODY43
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	EPI43
	VZEROUPPER
	RET

// func tile62F32A(w *float32, ws int, x *float32, xs int, n int, out *float32, os int, pf int)
//
// tile34F32A for 6 rows and 2 tokens.
TEXT ·tile62F32A(SB), NOSPLIT, $0-64
	PROLOGUE(2)

loop:
	// 192 bytes of the 6 rows per step: 3 lines of the stream ahead.
	PREFETCHT1 (DX)
	PREFETCHT1 64(DX)
	PREFETCHT1 128(DX)
	ADDQ $192, DX
	BODY62
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop
	EPI62
	VZEROUPPER
	RET
