//go:build amd64 && !purego

// The F16 and BF16 kernels share one text and differ only in the
// conversion macros CVTM/CVTR (memory/register operand) and their names.
// Every dot product sums in the order of dot_amd64.s: one 8-lane FMA
// accumulator per output, the last partial chunk of 8 zero-padded, then
// REDUCE8, so a half-precision row times float32 activations gives the bits
// of the float32 kernels on the converted values.

#include "textflag.h"

// halfTailShuf<>+16·m is the VPSHUFB control that moves the last m halves
// of 16 bytes loaded so that they end at the row's end to the bottom and
// zeroes the rest: byte i ← byte 16-2m+i for i < 2m, else 0.
DATA halfTailShuf<>+0(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+8(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+16(SB)/8, $0x8080808080800f0e
DATA halfTailShuf<>+24(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+32(SB)/8, $0x808080800f0e0d0c
DATA halfTailShuf<>+40(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+48(SB)/8, $0x80800f0e0d0c0b0a
DATA halfTailShuf<>+56(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+64(SB)/8, $0x0f0e0d0c0b0a0908
DATA halfTailShuf<>+72(SB)/8, $0x8080808080808080
DATA halfTailShuf<>+80(SB)/8, $0x0d0c0b0a09080706
DATA halfTailShuf<>+88(SB)/8, $0x8080808080800f0e
DATA halfTailShuf<>+96(SB)/8, $0x0b0a090807060504
DATA halfTailShuf<>+104(SB)/8, $0x808080800f0e0d0c
DATA halfTailShuf<>+112(SB)/8, $0x0908070605040302
DATA halfTailShuf<>+120(SB)/8, $0x80800f0e0d0c0b0a
GLOBL halfTailShuf<>(SB), RODATA|NOPTR, $128

// REDUCE8 sums the 8 lanes of y into the low lane of x (y's xmm name), as
// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)): the fixed reduction of every
// 8-lane dot product in this package (dot_amd64.s).
#define REDUCE8(y, x, t) \
	VHADDPS y, y, y \
	VHADDPS y, y, y \
	VEXTRACTF128 $1, y, t \
	VADDPS t, x, x

// TAILCVT converts the last chunk of a 16-bit row into y (lanes past the
// row's end zero): m is the 16 bytes that end at the row's end, X13 the
// halfTailShuf control for the chunk's length.
#define TAILCVT(m, y) \
	VMOVDQU m, X14 \
	VPSHUFB X13, X14, X14 \
	CVTR(X14, y)

// REDUCE4 sums each of a, b, c, d in REDUCE8's order into lanes 0-3 of xa
// (a's xmm name); b, c are clobbered.
#define REDUCE4(a, b, c, d, xa, t) \
	VHADDPS b, a, a \
	VHADDPS d, c, c \
	VHADDPS c, a, a \
	VEXTRACTF128 $1, a, t \
	VADDPS t, xa, xa


// F16: binary16 → float32 with F16C's VCVTPH2PS (exact).
#define CVTM(m, y) VCVTPH2PS m, y
#define CVTR(x, y) VCVTPH2PS x, y

// func dotF16AVX2(w, x *byte, n int) float32
//
// Σ w[i]·x[i] over n ≥ 8 binary16 values: one 8-lane FMA accumulator over
// chunks of 8 (the last chunk zero-padded), then REDUCE8.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0

loop_f16:
	TESTQ CX, CX
	JEQ   tail_f16
	CVTM((SI), Y1)
	CVTM((DI), Y2)
	VFMADD231PS Y2, Y1, Y0
	ADDQ  $16, SI
	ADDQ  $16, DI
	DECQ  CX
	JMP   loop_f16

tail_f16:
	TESTQ BX, BX
	JEQ   reduce_f16
	MOVQ  BX, AX
	SHLQ  $4, AX
	LEAQ  halfTailShuf<>(SB), DX
	VMOVDQU (DX)(AX*1), X5
	VMOVDQU -16(SI)(BX*2), X1
	VMOVDQU -16(DI)(BX*2), X2
	VPSHUFB X5, X1, X1
	VPSHUFB X5, X2, X2
	CVTR(X1, Y1)
	CVTR(X2, Y2)
	VFMADD231PS Y2, Y1, Y0

reduce_f16:
	REDUCE8(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func dot4F16X(w *byte, stride int, x *float32, n int, out *float32)
//
// out[i] = Σ_{j<n} w[i·stride bytes + j]·x[j] for the 4 binary16 rows i = 0..3,
// each in exactly dotF16AVX2's order; x is float32, n ≥ 8, and x is
// readable and zero up to n rounded up to a multiple of 8.
TEXT ·dot4F16X(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

loop4_f16:
	TESTQ CX, CX
	JEQ   tail4_f16
	VMOVUPS (DI), Y4
	// Fetch the same bytes of the next 4 rows (6 KiB ahead for 768
	// columns): short rows end before the hardware prefetcher ramps up.
	PREFETCHT0 (SI)(AX*4)
	PREFETCHT0 (R8)(AX*4)
	PREFETCHT0 (R9)(AX*4)
	PREFETCHT1 (R10)(AX*4)
	CVTM((SI), Y5)
	CVTM((R8), Y6)
	CVTM((R9), Y7)
	CVTM((R10), Y8)
	VFMADD231PS Y4, Y5, Y0
	VFMADD231PS Y4, Y6, Y1
	VFMADD231PS Y4, Y7, Y2
	VFMADD231PS Y4, Y8, Y3
	ADDQ  $16, SI
	ADDQ  $16, R8
	ADDQ  $16, R9
	ADDQ  $16, R10
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop4_f16

tail4_f16:
	TESTQ BX, BX
	JEQ   reduce4_f16
	MOVQ  BX, AX
	SHLQ  $4, AX
	LEAQ  halfTailShuf<>(SB), R11
	VMOVDQU (R11)(AX*1), X9
	VMOVUPS (DI), Y4
	VMOVDQU -16(SI)(BX*2), X5
	VMOVDQU -16(R8)(BX*2), X6
	VMOVDQU -16(R9)(BX*2), X7
	VMOVDQU -16(R10)(BX*2), X8
	VPSHUFB X9, X5, X5
	VPSHUFB X9, X6, X6
	VPSHUFB X9, X7, X7
	VPSHUFB X9, X8, X8
	CVTR(X5, Y5)
	CVTR(X6, Y6)
	CVTR(X7, Y7)
	CVTR(X8, Y8)
	VFMADD231PS Y4, Y5, Y0
	VFMADD231PS Y4, Y6, Y1
	VFMADD231PS Y4, Y7, Y2
	VFMADD231PS Y4, Y8, Y3

reduce4_f16:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X4)
	VMOVUPS X0, (DX)
	VZEROUPPER
	RET

// func dot8F16X(w *byte, stride int, x *float32, n int, out *float32)
//
// dot4F16X for 8 rows (8 FMA chains, 8 memory streams).
TEXT ·dot8F16X(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	LEAQ (R8)(AX*2), R9
	ADDQ AX, R9              // row 6
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ (SI)(AX*8), R10     // the next 8 rows, prefetched as one stream

loop8:
	TESTQ CX, CX
	JEQ   tail8
	// 128 bytes of the 8 rows are used per step: fetch the next 128 bytes
	// of the next 8 rows' region (as long as this one) into L2, not L1:
	// for 4 KiB rows that region is the size of L1.
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	VMOVUPS (DI), Y8
	CVTM((SI), Y9)
	CVTM((SI)(AX*1), Y10)
	CVTM((SI)(AX*2), Y11)
	CVTM((R8), Y12)
	VFMADD231PS Y8, Y9, Y0
	VFMADD231PS Y8, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y3
	CVTM((SI)(AX*4), Y9)
	CVTM((R8)(AX*2), Y10)
	CVTM((R9), Y11)
	CVTM((R8)(AX*4), Y12)
	VFMADD231PS Y8, Y9, Y4
	VFMADD231PS Y8, Y10, Y5
	VFMADD231PS Y8, Y11, Y6
	VFMADD231PS Y8, Y12, Y7
	ADDQ  $16, SI
	ADDQ  $16, R8
	ADDQ  $16, R9
	ADDQ  $128, R10
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop8

tail8:
	TESTQ BX, BX
	JEQ   reduce8
	MOVQ  BX, R10
	SHLQ  $4, R10
	LEAQ  halfTailShuf<>(SB), R11
	VMOVDQU (R11)(R10*1), X13
	LEAQ  -16(BX)(BX*1), R10  // 2m-16
	ADDQ  R10, SI
	ADDQ  R10, R8
	ADDQ  R10, R9
	VMOVUPS (DI), Y8
	TAILCVT((SI), Y9)
	TAILCVT((SI)(AX*1), Y10)
	TAILCVT((SI)(AX*2), Y11)
	TAILCVT((R8), Y12)
	VFMADD231PS Y8, Y9, Y0
	VFMADD231PS Y8, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y3
	TAILCVT((SI)(AX*4), Y9)
	TAILCVT((R8)(AX*2), Y10)
	TAILCVT((R9), Y11)
	TAILCVT((R8)(AX*4), Y12)
	VFMADD231PS Y8, Y9, Y4
	VFMADD231PS Y8, Y10, Y5
	VFMADD231PS Y8, Y11, Y6
	VFMADD231PS Y8, Y12, Y7

reduce8:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X8)
	REDUCE4(Y4, Y5, Y6, Y7, X4, X8)
	VMOVUPS X0, (DX)
	VMOVUPS X4, 16(DX)
	VZEROUPPER
	RET

// func cvtF16ToF32(dst *float32, src *byte, n int)
//
// dst[i] = float32(src[i]) (exact) for i < n, n a multiple of 8.
TEXT ·cvtF16ToF32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

cvtloop_f16:
	TESTQ CX, CX
	JEQ   cvtdone_f16
	CVTM((SI), Y0)
	VMOVUPS Y0, (DI)
	ADDQ  $16, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   cvtloop_f16

cvtdone_f16:
	VZEROUPPER
	RET

#undef CVTM
#undef CVTR

// BF16: the 16 bits become the top of a float32 (exact).
#define CVTM(m, y) VPMOVZXWD m, y; VPSLLD $16, y, y
#define CVTR(x, y) VPMOVZXWD x, y; VPSLLD $16, y, y

// func dotBF16AVX2(w, x *byte, n int) float32
//
// Σ w[i]·x[i] over n ≥ 8 bfloat16 values: one 8-lane FMA accumulator over
// chunks of 8 (the last chunk zero-padded), then REDUCE8.
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0

loop_bf16:
	TESTQ CX, CX
	JEQ   tail_bf16
	CVTM((SI), Y1)
	CVTM((DI), Y2)
	VFMADD231PS Y2, Y1, Y0
	ADDQ  $16, SI
	ADDQ  $16, DI
	DECQ  CX
	JMP   loop_bf16

tail_bf16:
	TESTQ BX, BX
	JEQ   reduce_bf16
	MOVQ  BX, AX
	SHLQ  $4, AX
	LEAQ  halfTailShuf<>(SB), DX
	VMOVDQU (DX)(AX*1), X5
	VMOVDQU -16(SI)(BX*2), X1
	VMOVDQU -16(DI)(BX*2), X2
	VPSHUFB X5, X1, X1
	VPSHUFB X5, X2, X2
	CVTR(X1, Y1)
	CVTR(X2, Y2)
	VFMADD231PS Y2, Y1, Y0

reduce_bf16:
	REDUCE8(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func dot4BF16X(w *byte, stride int, x *float32, n int, out *float32)
//
// out[i] = Σ_{j<n} w[i·stride bytes + j]·x[j] for the 4 bfloat16 rows i = 0..3,
// each in exactly dotBF16AVX2's order; x is float32, n ≥ 8, and x is
// readable and zero up to n rounded up to a multiple of 8.
TEXT ·dot4BF16X(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

loop4_bf16:
	TESTQ CX, CX
	JEQ   tail4_bf16
	VMOVUPS (DI), Y4
	// Fetch the same bytes of the next 4 rows (6 KiB ahead for 768
	// columns): short rows end before the hardware prefetcher ramps up.
	PREFETCHT0 (SI)(AX*4)
	PREFETCHT0 (R8)(AX*4)
	PREFETCHT0 (R9)(AX*4)
	PREFETCHT1 (R10)(AX*4)
	CVTM((SI), Y5)
	CVTM((R8), Y6)
	CVTM((R9), Y7)
	CVTM((R10), Y8)
	VFMADD231PS Y4, Y5, Y0
	VFMADD231PS Y4, Y6, Y1
	VFMADD231PS Y4, Y7, Y2
	VFMADD231PS Y4, Y8, Y3
	ADDQ  $16, SI
	ADDQ  $16, R8
	ADDQ  $16, R9
	ADDQ  $16, R10
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop4_bf16

tail4_bf16:
	TESTQ BX, BX
	JEQ   reduce4_bf16
	MOVQ  BX, AX
	SHLQ  $4, AX
	LEAQ  halfTailShuf<>(SB), R11
	VMOVDQU (R11)(AX*1), X9
	VMOVUPS (DI), Y4
	VMOVDQU -16(SI)(BX*2), X5
	VMOVDQU -16(R8)(BX*2), X6
	VMOVDQU -16(R9)(BX*2), X7
	VMOVDQU -16(R10)(BX*2), X8
	VPSHUFB X9, X5, X5
	VPSHUFB X9, X6, X6
	VPSHUFB X9, X7, X7
	VPSHUFB X9, X8, X8
	CVTR(X5, Y5)
	CVTR(X6, Y6)
	CVTR(X7, Y7)
	CVTR(X8, Y8)
	VFMADD231PS Y4, Y5, Y0
	VFMADD231PS Y4, Y6, Y1
	VFMADD231PS Y4, Y7, Y2
	VFMADD231PS Y4, Y8, Y3

reduce4_bf16:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X4)
	VMOVUPS X0, (DX)
	VZEROUPPER
	RET

// func dot8BF16X(w *byte, stride int, x *float32, n int, out *float32)
//
// dot4BF16X for 8 rows (8 FMA chains, 8 memory streams).
TEXT ·dot8BF16X(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	LEAQ (R8)(AX*2), R9
	ADDQ AX, R9              // row 6
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ (SI)(AX*8), R10     // the next 8 rows, prefetched as one stream

loop8:
	TESTQ CX, CX
	JEQ   tail8
	// 128 bytes of the 8 rows are used per step: fetch the next 128 bytes
	// of the next 8 rows' region (as long as this one) into L2, not L1:
	// for 4 KiB rows that region is the size of L1.
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	VMOVUPS (DI), Y8
	CVTM((SI), Y9)
	CVTM((SI)(AX*1), Y10)
	CVTM((SI)(AX*2), Y11)
	CVTM((R8), Y12)
	VFMADD231PS Y8, Y9, Y0
	VFMADD231PS Y8, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y3
	CVTM((SI)(AX*4), Y9)
	CVTM((R8)(AX*2), Y10)
	CVTM((R9), Y11)
	CVTM((R8)(AX*4), Y12)
	VFMADD231PS Y8, Y9, Y4
	VFMADD231PS Y8, Y10, Y5
	VFMADD231PS Y8, Y11, Y6
	VFMADD231PS Y8, Y12, Y7
	ADDQ  $16, SI
	ADDQ  $16, R8
	ADDQ  $16, R9
	ADDQ  $128, R10
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop8

tail8:
	TESTQ BX, BX
	JEQ   reduce8
	MOVQ  BX, R10
	SHLQ  $4, R10
	LEAQ  halfTailShuf<>(SB), R11
	VMOVDQU (R11)(R10*1), X13
	LEAQ  -16(BX)(BX*1), R10  // 2m-16
	ADDQ  R10, SI
	ADDQ  R10, R8
	ADDQ  R10, R9
	VMOVUPS (DI), Y8
	TAILCVT((SI), Y9)
	TAILCVT((SI)(AX*1), Y10)
	TAILCVT((SI)(AX*2), Y11)
	TAILCVT((R8), Y12)
	VFMADD231PS Y8, Y9, Y0
	VFMADD231PS Y8, Y10, Y1
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y8, Y12, Y3
	TAILCVT((SI)(AX*4), Y9)
	TAILCVT((R8)(AX*2), Y10)
	TAILCVT((R9), Y11)
	TAILCVT((R8)(AX*4), Y12)
	VFMADD231PS Y8, Y9, Y4
	VFMADD231PS Y8, Y10, Y5
	VFMADD231PS Y8, Y11, Y6
	VFMADD231PS Y8, Y12, Y7

reduce8:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X8)
	REDUCE4(Y4, Y5, Y6, Y7, X4, X8)
	VMOVUPS X0, (DX)
	VMOVUPS X4, 16(DX)
	VZEROUPPER
	RET

// func cvtBF16ToF32(dst *float32, src *byte, n int)
//
// dst[i] = float32(src[i]) (exact) for i < n, n a multiple of 8.
TEXT ·cvtBF16ToF32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

cvtloop_bf16:
	TESTQ CX, CX
	JEQ   cvtdone_bf16
	CVTM((SI), Y0)
	VMOVUPS Y0, (DI)
	ADDQ  $16, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   cvtloop_bf16

cvtdone_bf16:
	VZEROUPPER
	RET

// func cvtF32ToF16(dst *byte, src *float32, n int)
//
// dst[i] = binary16(src[i]) for i < n (n a multiple of 8), byte-identical
// to tensor.F32ToF16: VCVTPS2PH rounds to nearest even (imm 0), overflows
// to ±Inf and rounds subnormals exactly; NaN lanes are replaced by
// sign|0x7E00 (ggml's canonical NaN) instead of the hardware's truncated
// payload.
TEXT ·cvtF32ToF16(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	MOVL $0x80008000, AX
	VMOVD AX, X6
	VPBROADCASTD X6, X6
	MOVL $0x7E007E00, AX
	VMOVD AX, X5
	VPBROADCASTD X5, X5

h16loop:
	TESTQ CX, CX
	JEQ   h16done
	VMOVUPS (SI), Y0
	VCVTPS2PH $0, Y0, X1
	VCMPPS $3, Y0, Y0, Y2
	VEXTRACTF128 $1, Y2, X3
	VPACKSSDW X3, X2, X2
	VPAND X6, X1, X4
	VPOR  X5, X4, X4
	VPBLENDVB X2, X4, X1, X1
	VMOVDQU X1, (DI)
	ADDQ  $32, SI
	ADDQ  $16, DI
	DECQ  CX
	JMP   h16loop

h16done:
	VZEROUPPER
	RET

// func cvtF32ToBF16(dst *byte, src *float32, n int)
//
// dst[i] = bfloat16(src[i]) for i < n (n a multiple of 8), byte-identical
// to tensor.F32ToBF16: (u + 0x7fff + (u>>16 & 1)) >> 16, and for NaN
// (|u| > 0x7f800000) u>>16 | 64.
TEXT ·cvtF32ToBF16(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X6
	VPBROADCASTD X6, Y6
	MOVL $0x7f800000, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $0x7fff, AX
	VMOVD AX, X8
	VPBROADCASTD X8, Y8
	MOVL $1, AX
	VMOVD AX, X9
	VPBROADCASTD X9, Y9
	MOVL $64, AX
	VMOVD AX, X10
	VPBROADCASTD X10, Y10

b16loop:
	TESTQ CX, CX
	JEQ   b16done
	VMOVDQU (SI), Y0
	VPAND Y6, Y0, Y1
	VPCMPGTD Y7, Y1, Y1
	VPSRLD $16, Y0, Y2
	VPAND Y9, Y2, Y3
	VPADDD Y8, Y3, Y3
	VPADDD Y0, Y3, Y3
	VPSRLD $16, Y3, Y3
	VPOR  Y10, Y2, Y2
	VPBLENDVB Y1, Y2, Y3, Y3
	VEXTRACTI128 $1, Y3, X4
	VPACKUSDW X4, X3, X3
	VMOVDQU X3, (DI)
	ADDQ  $32, SI
	ADDQ  $16, DI
	DECQ  CX
	JMP   b16loop

b16done:
	VZEROUPPER
	RET
