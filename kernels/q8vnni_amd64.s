//go:build amd64 && !purego

#include "textflag.h"

// Q8_0×Q8_0 and Q4_0×Q8_0 prompt tiles of 4 weight rows × 4 tokens with
// AVX-512 VNNI (VPDPBUSD on ymm registers, AVX512VL; Y16-Y31 hold the 16
// accumulators). VPDPBUSD adds to each int32 lane k the four products
// u8[4k+i]·s8[4k+i], i < 4: exactly the integer lanes of ggml's AVX2 dot
// products (VPMADDUBSW then VPMADDWD by ones; see q8_amd64.s), so with the
// same per-block float32 step, acc += fp32(dw·dx)·float(lanes), and the same
// final hsum_float_8, every result has the same bits as q8DotAVX2 /
// q4DotAVX2. VPDPBUSD wants one unsigned operand:
//
//   - Q8_0 weights w are signed; the activations are made unsigned, u = x
//     XOR 0x80 = x+128 (vnniQ8ActXor, once per chunk of tokens), and each
//     lane starts from -128·Σw of its four weights (vnniQ8RowInit, once per
//     4-row group): -128·Σw + Σ(x+128)·w = Σx·w, exact for every byte.
//   - Q4_0 nibbles q ∈ [0,15] are the unsigned operand as they are
//     (vnniQ4Nibbles), the activations the signed one, and each lane starts
//     from -8·Σx of its four activations (vnniQ4ActInit stores it after the
//     32 activation bytes): -8·Σx + Σq·x = Σ(q-8)·x.
//
// Per weight-row × token pair and block the loop runs a load of the lanes'
// starting values, VPDPBUSD, VCVTDQ2PS, a VSHUFPS that broadcasts the
// scale d(row, token) = fp32(dw·dx) from the 4 products of the token kept
// in a register (4 VMULPS per block), and one FMA: about 1.3 cycles on
// Zen 4, where the AVX2 4 × 2 tile takes about 2 (an FMA with an embedded
// {1to8} broadcast from memory was slower than the VSHUFPS).

DATA vnni80<>+0(SB)/8, $0x8080808080808080
DATA vnni80<>+8(SB)/8, $0x8080808080808080
DATA vnni80<>+16(SB)/8, $0x8080808080808080
DATA vnni80<>+24(SB)/8, $0x8080808080808080
GLOBL vnni80<>(SB), RODATA|NOPTR, $32

DATA vnni08<>+0(SB)/8, $0x0808080808080808
DATA vnni08<>+8(SB)/8, $0x0808080808080808
DATA vnni08<>+16(SB)/8, $0x0808080808080808
DATA vnni08<>+24(SB)/8, $0x0808080808080808
GLOBL vnni08<>(SB), RODATA|NOPTR, $32

DATA vnninib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnninib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnninib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA vnninib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL vnninib<>(SB), RODATA|NOPTR, $32

DATA vnnishift<>+0(SB)/4, $0
DATA vnnishift<>+4(SB)/4, $0
DATA vnnishift<>+8(SB)/4, $0
DATA vnnishift<>+12(SB)/4, $0
DATA vnnishift<>+16(SB)/4, $4
DATA vnnishift<>+20(SB)/4, $4
DATA vnnishift<>+24(SB)/4, $4
DATA vnnishift<>+28(SB)/4, $4
GLOBL vnnishift<>(SB), RODATA|NOPTR, $32

// VSCALESR sets Y8-Y11 to d(row r, token t) = dw_r·dx_t for t = 0..3,
// rows in both 128-bit halves, from the 4 rows' scales of this block at R12
// and the tokens' at R13, R13+R14, DX, DX+R14. Uses Y12.
#define VSCALESR \
	VBROADCASTF128 (R12), Y12           \
	VBROADCASTSS   (R13), Y8            \
	VMULPS         Y8, Y12, Y8          \
	VBROADCASTSS   (R13)(R14*1), Y9     \
	VMULPS         Y9, Y12, Y9          \
	VBROADCASTSS   (DX), Y10            \
	VMULPS         Y10, Y12, Y10        \
	VBROADCASTSS   (DX)(R14*1), Y11     \
	VMULPS         Y11, Y12, Y11

// VPAIRR: acc += d · float(in + lanes of u8·s8), d = lane imm of P
// (VSHUFPS); in is a memory operand.
#define VPAIRR(s8, u8, in, tmp, p, imm, s, acc) \
	VMOVDQU     in, tmp           \
	VPDPBUSD    s8, u8, tmp       \
	VCVTDQ2PS   tmp, tmp          \
	VSHUFPS     $imm, p, p, s     \
	VFMADD231PS s, tmp, acc

#define VZERO16 \
	VPXORD Y16, Y16, Y16 \
	VPXORD Y17, Y17, Y17 \
	VPXORD Y18, Y18, Y18 \
	VPXORD Y19, Y19, Y19 \
	VPXORD Y20, Y20, Y20 \
	VPXORD Y21, Y21, Y21 \
	VPXORD Y22, Y22, Y22 \
	VPXORD Y23, Y23, Y23 \
	VPXORD Y24, Y24, Y24 \
	VPXORD Y25, Y25, Y25 \
	VPXORD Y26, Y26, Y26 \
	VPXORD Y27, Y27, Y27 \
	VPXORD Y28, Y28, Y28 \
	VPXORD Y29, Y29, Y29 \
	VPXORD Y30, Y30, Y30 \
	VPXORD Y31, Y31, Y31

// HSUMV leaves hsum_float_8 of acc (one of Y16-Y31) in X0, using X1.
#define HSUMV(acc) \
	VMOVAPS      acc, Y0  \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

// VEPILOGUE stores row r, token t (accumulator Y(16+4r+t)) at out +
// t·ostride + 4r: token t's base in DX, DX+R9, R11, R11+R9.
#define VEPILOGUE \
	MOVQ out+48(FP), DX        \
	MOVQ ostride+56(FP), R9    \
	LEAQ (DX)(R9*2), R11       \
	HSUMV(Y16)                 \
	VMOVSS X0, 0(DX)           \
	HSUMV(Y17)                 \
	VMOVSS X0, 0(DX)(R9*1)     \
	HSUMV(Y18)                 \
	VMOVSS X0, 0(R11)          \
	HSUMV(Y19)                 \
	VMOVSS X0, 0(R11)(R9*1)    \
	HSUMV(Y20)                 \
	VMOVSS X0, 4(DX)           \
	HSUMV(Y21)                 \
	VMOVSS X0, 4(DX)(R9*1)     \
	HSUMV(Y22)                 \
	VMOVSS X0, 4(R11)          \
	HSUMV(Y23)                 \
	VMOVSS X0, 4(R11)(R9*1)    \
	HSUMV(Y24)                 \
	VMOVSS X0, 8(DX)           \
	HSUMV(Y25)                 \
	VMOVSS X0, 8(DX)(R9*1)     \
	HSUMV(Y26)                 \
	VMOVSS X0, 8(R11)          \
	HSUMV(Y27)                 \
	VMOVSS X0, 8(R11)(R9*1)    \
	HSUMV(Y28)                 \
	VMOVSS X0, 12(DX)          \
	HSUMV(Y29)                 \
	VMOVSS X0, 12(DX)(R9*1)    \
	HSUMV(Y30)                 \
	VMOVSS X0, 12(R11)         \
	HSUMV(Y31)                 \
	VMOVSS X0, 12(R11)(R9*1)

// func vnniQ8ActXor(dst, x *byte, n int)
TEXT ·vnniQ8ActXor(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVDQU vnni80<>(SB), Y1

vxorloop:
	VPXOR   2(SI), Y1, Y0
	VMOVDQU Y0, (DI)
	ADDQ    $34, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     vxorloop
	VZEROUPPER
	RET

// func vnniQ8RowInit(dst *byte, w *byte, stride int, nb int, dw *float32)
TEXT ·vnniQ8RowInit(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ nb+24(FP), CX
	MOVQ dw+32(FP), DX
	LEAQ (SI)(BX*2), R8
	VMOVDQU vnni80<>(SB), Y4
	VPXOR   Y5, Y5, Y5

vinitloop:
	VPXOR    Y0, Y0, Y0
	VPXOR    Y1, Y1, Y1
	VPXOR    Y2, Y2, Y2
	VPXOR    Y3, Y3, Y3
	VPDPBUSD 2(SI), Y4, Y0
	VPDPBUSD 2(SI)(BX*1), Y4, Y1
	VPDPBUSD 2(R8), Y4, Y2
	VPDPBUSD 2(R8)(BX*1), Y4, Y3
	VPSUBD   Y0, Y5, Y0
	VPSUBD   Y1, Y5, Y1
	VPSUBD   Y2, Y5, Y2
	VPSUBD   Y3, Y5, Y3
	VMOVDQU  Y0, 0(DI)
	VMOVDQU  Y1, 32(DI)
	VMOVDQU  Y2, 64(DI)
	VMOVDQU  Y3, 96(DI)
	// the 4 rows' scales of this block (in L1 now) as float32 at dw
	MOVWLZX 0(SI), AX
	MOVWLZX 0(SI)(BX*1), R11
	SHLQ    $16, R11
	ORQ     R11, AX
	MOVWLZX 0(R8), R11
	SHLQ    $32, R11
	ORQ     R11, AX
	MOVWLZX 0(R8)(BX*1), R11
	SHLQ    $48, R11
	ORQ     R11, AX
	VMOVQ   AX, X6
	VCVTPH2PS X6, X6
	VMOVUPS X6, (DX)
	ADDQ     $34, SI
	ADDQ     $34, R8
	ADDQ     $128, DI
	ADDQ     $16, DX
	DECQ     CX
	JNZ      vinitloop
	VZEROUPPER
	RET

// func vnniQ4Nibbles(dst, w *byte, nb int, pf int, dw *float32)
TEXT ·vnniQ4Nibbles(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ nb+16(FP), CX
	MOVQ pf+24(FP), BX
	MOVQ dw+32(FP), DX
	VMOVDQU vnnishift<>(SB), Y13
	VMOVDQU vnninib<>(SB), Y14

vnibloop:
	PREFETCHT1 (SI)(BX*1)
	VBROADCASTI128 2(SI), Y0
	VPSRLVD Y13, Y0, Y0
	VPAND   Y14, Y0, Y0
	VMOVDQU Y0, (DI)
	MOVWLZX 0(SI), AX
	VMOVD   AX, X1
	VCVTPH2PS X1, X1
	VMOVSS  X1, (DX)
	ADDQ    $18, SI
	ADDQ    $32, DI
	ADDQ    $16, DX
	DECQ    CX
	JNZ     vnibloop
	VZEROUPPER
	RET

// func vnniQ4ActInit(dst, x *byte, n int)
TEXT ·vnniQ4ActInit(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVDQU vnni08<>(SB), Y4
	VPXOR   Y5, Y5, Y5

vactloop:
	VMOVDQU  2(SI), Y1
	VPXOR    Y0, Y0, Y0
	VPDPBUSD Y1, Y4, Y0
	VPSUBD   Y0, Y5, Y0
	VMOVDQU  Y1, 0(DI)
	VMOVDQU  Y0, 32(DI)
	ADDQ     $34, SI
	ADDQ     $64, DI
	DECQ     CX
	JNZ      vactloop
	VZEROUPPER
	RET

// func vnniQ8Tile4x4(w *byte, stride int, u *byte, ustride int, nb int, init *byte, out *float32, ostride int, dw, dx *float32)
TEXT ·vnniQ8Tile4x4(SB), NOSPLIT, $0-80
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ u+16(FP), DI
	MOVQ ustride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ init+40(FP), AX
	MOVQ dw+64(FP), R12
	MOVQ dx+72(FP), R13
	LEAQ (SI)(BX*2), R8
	LEAQ (DI)(R10*2), R11
	LEAQ (CX*4), R14
	LEAQ (R13)(R14*2), DX
	MOVQ BX, R15
	SHLQ $4, R15
	LEAQ (R15)(BX*1), R9
	VZERO16

vq8loop:
	PREFETCHT1 2(SI)(R15*1)
	PREFETCHT1 2(R8)(R15*1)
	PREFETCHT1 2(SI)(R9*1)
	PREFETCHT1 2(R8)(R9*1)
	VSCALESR
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(BX*1), Y1
	VMOVDQU 2(R8), Y2
	VMOVDQU 2(R8)(BX*1), Y3
	VMOVDQU (DI), Y4
	VMOVDQU (DI)(R10*1), Y5
	VMOVDQU (R11), Y6
	VMOVDQU (R11)(R10*1), Y7
	VPAIRR(Y0, Y4, 0(AX), Y12, Y8, 0x00, Y14, Y16)
	VPAIRR(Y0, Y5, 0(AX), Y13, Y9, 0x00, Y15, Y17)
	VPAIRR(Y0, Y6, 0(AX), Y12, Y10, 0x00, Y14, Y18)
	VPAIRR(Y0, Y7, 0(AX), Y13, Y11, 0x00, Y15, Y19)
	VPAIRR(Y1, Y4, 32(AX), Y12, Y8, 0x55, Y14, Y20)
	VPAIRR(Y1, Y5, 32(AX), Y13, Y9, 0x55, Y15, Y21)
	VPAIRR(Y1, Y6, 32(AX), Y12, Y10, 0x55, Y14, Y22)
	VPAIRR(Y1, Y7, 32(AX), Y13, Y11, 0x55, Y15, Y23)
	VPAIRR(Y2, Y4, 64(AX), Y12, Y8, 0xaa, Y14, Y24)
	VPAIRR(Y2, Y5, 64(AX), Y13, Y9, 0xaa, Y15, Y25)
	VPAIRR(Y2, Y6, 64(AX), Y12, Y10, 0xaa, Y14, Y26)
	VPAIRR(Y2, Y7, 64(AX), Y13, Y11, 0xaa, Y15, Y27)
	VPAIRR(Y3, Y4, 96(AX), Y12, Y8, 0xff, Y14, Y28)
	VPAIRR(Y3, Y5, 96(AX), Y13, Y9, 0xff, Y15, Y29)
	VPAIRR(Y3, Y6, 96(AX), Y12, Y10, 0xff, Y14, Y30)
	VPAIRR(Y3, Y7, 96(AX), Y13, Y11, 0xff, Y15, Y31)
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $32, DI
	ADDQ $32, R11
	ADDQ $128, AX
	ADDQ $16, R12
	ADDQ $4, R13
	ADDQ $4, DX
	DECQ CX
	JNZ  vq8loop

	VEPILOGUE
	VZEROUPPER
	RET

// func vnniQ4Tile4x4(nib *byte, nstride int, a *byte, astride int, nb int, unused *byte, out *float32, ostride int, dw, dx *float32)
TEXT ·vnniQ4Tile4x4(SB), NOSPLIT, $0-80
	MOVQ nib+0(FP), SI
	MOVQ nstride+8(FP), BX
	MOVQ a+16(FP), DI
	MOVQ astride+24(FP), R10
	MOVQ nb+32(FP), CX
	MOVQ dw+64(FP), R12
	MOVQ dx+72(FP), R13
	LEAQ (SI)(BX*2), R8
	LEAQ (DI)(R10*2), R11
	LEAQ (CX*4), R14
	LEAQ (R13)(R14*2), DX
	VZERO16

vq4loop:
	VSCALESR
	VMOVDQU (SI), Y0
	VMOVDQU (SI)(BX*1), Y1
	VMOVDQU (R8), Y2
	VMOVDQU (R8)(BX*1), Y3
	VMOVDQU (DI), Y4
	VMOVDQU (DI)(R10*1), Y5
	VMOVDQU (R11), Y6
	VMOVDQU (R11)(R10*1), Y7
	VPAIRR(Y4, Y0, 32(DI), Y12, Y8, 0x00, Y14, Y16)
	VPAIRR(Y5, Y0, 32(DI)(R10*1), Y13, Y9, 0x00, Y15, Y17)
	VPAIRR(Y6, Y0, 32(R11), Y12, Y10, 0x00, Y14, Y18)
	VPAIRR(Y7, Y0, 32(R11)(R10*1), Y13, Y11, 0x00, Y15, Y19)
	VPAIRR(Y4, Y1, 32(DI), Y12, Y8, 0x55, Y14, Y20)
	VPAIRR(Y5, Y1, 32(DI)(R10*1), Y13, Y9, 0x55, Y15, Y21)
	VPAIRR(Y6, Y1, 32(R11), Y12, Y10, 0x55, Y14, Y22)
	VPAIRR(Y7, Y1, 32(R11)(R10*1), Y13, Y11, 0x55, Y15, Y23)
	VPAIRR(Y4, Y2, 32(DI), Y12, Y8, 0xaa, Y14, Y24)
	VPAIRR(Y5, Y2, 32(DI)(R10*1), Y13, Y9, 0xaa, Y15, Y25)
	VPAIRR(Y6, Y2, 32(R11), Y12, Y10, 0xaa, Y14, Y26)
	VPAIRR(Y7, Y2, 32(R11)(R10*1), Y13, Y11, 0xaa, Y15, Y27)
	VPAIRR(Y4, Y3, 32(DI), Y12, Y8, 0xff, Y14, Y28)
	VPAIRR(Y5, Y3, 32(DI)(R10*1), Y13, Y9, 0xff, Y15, Y29)
	VPAIRR(Y6, Y3, 32(R11), Y12, Y10, 0xff, Y14, Y30)
	VPAIRR(Y7, Y3, 32(R11)(R10*1), Y13, Y11, 0xff, Y15, Y31)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $16, R12
	ADDQ $4, R13
	ADDQ $4, DX
	DECQ CX
	JNZ  vq4loop

	VEPILOGUE
	VZEROUPPER
	RET

// func vnniQ4Dot4(w *byte, stride int, a *byte, nb int, out *float32, dx *float32)
//
// out[r] = the Q4_0 dot product of weight row r at w + r·stride (r < 4)
// and one token's activations at a (vnniQ4ActInit blocks) with scales dx[b]
// (scalesQ8AVX2): per row and block, the nibbles unpacked as in
// q4Dot4AVX2, lanes = -8·Σx + VPDPBUSD(q, x), acc += fp32(dw·dx)·lanes; the
// same bits as q4Dot4AVX2 in fewer instructions (decode is compute-bound on
// Q4_0 with one thread).
TEXT ·vnniQ4Dot4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), BX
	MOVQ a+16(FP), DI
	MOVQ nb+24(FP), CX
	MOVQ dx+40(FP), R13
	LEAQ (SI)(BX*2), R8
	LEAQ (R8)(BX*2), R12
	VMOVDQU vnninib<>(SB), Y14
	VMOVDQU vnnishift<>(SB), Y13
	VPXORD  Y16, Y16, Y16
	VPXORD  Y17, Y17, Y17
	VPXORD  Y18, Y18, Y18
	VPXORD  Y19, Y19, Y19

vq4d4loop:
	PREFETCHT0 0(R12)
	PREFETCHT0 64(R12)
	ADDQ $72, R12
	// Y10 = fp32(dw_r)·fp32(dx) for rows 0..3 in both 128-bit halves
	MOVWLZX 0(SI), AX
	MOVWLZX 0(SI)(BX*1), R11
	SHLQ    $16, R11
	ORQ     R11, AX
	MOVWLZX 0(R8), R11
	SHLQ    $32, R11
	ORQ     R11, AX
	MOVWLZX 0(R8)(BX*1), R11
	SHLQ    $48, R11
	ORQ     R11, AX
	VMOVQ   AX, X10
	VCVTPH2PS X10, X10
	VBROADCASTSS (R13), X11
	VMULPS  X11, X10, X10
	VINSERTF128 $1, X10, Y10, Y10
	VMOVDQU (DI), Y4
	VMOVDQU 32(DI), Y5

#define VQ4ROW(wq, imm, acc) \
	VBROADCASTI128 wq, Y6     \
	VPSRLVD  Y13, Y6, Y6      \
	VPAND    Y14, Y6, Y6      \
	VMOVDQA  Y5, Y8           \
	VPDPBUSD Y4, Y6, Y8       \
	VCVTDQ2PS Y8, Y8          \
	VSHUFPS  $imm, Y10, Y10, Y11 \
	VFMADD231PS Y11, Y8, acc

	VQ4ROW(2(SI), 0x00, Y16)
	VQ4ROW(2(SI)(BX*1), 0x55, Y17)
	VQ4ROW(2(R8), 0xaa, Y18)
	VQ4ROW(2(R8)(BX*1), 0xff, Y19)
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  vq4d4loop

	MOVQ out+32(FP), DX
	HSUMV(Y16)
	VMOVSS X0, 0(DX)
	HSUMV(Y17)
	VMOVSS X0, 4(DX)
	HSUMV(Y18)
	VMOVSS X0, 8(DX)
	HSUMV(Y19)
	VMOVSS X0, 12(DX)
	VZEROUPPER
	RET
