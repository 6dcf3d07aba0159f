//go:build amd64 && !purego

#include "textflag.h"

// Q4_0×Q8_0 for one token with AVX-512 VNNI (VPDPBUSD on ymm registers,
// AVX512VL; Y16-Y19 hold the accumulators). VPDPBUSD adds to each int32
// lane k the four products u8[4k+i]·s8[4k+i], i < 4: exactly the integer
// lanes of ggml's AVX2 dot products (VPMADDUBSW then VPMADDWD by ones; see
// q8_amd64.s), so with the same per-block float32 step, acc +=
// fp32(dw·dx)·float(lanes), and the same final hsum_float_8, every result
// has the same bits as q4DotAVX2. VPDPBUSD wants one unsigned operand: the
// Q4_0 nibbles q ∈ [0,15] are it as they are, the activations the signed
// one, and each lane starts from -8·Σx of its four activations
// (vnniQ4ActInit stores it after the 32 activation bytes): -8·Σx + Σq·x =
// Σ(q-8)·x. Batches of 2 or more tokens run the row-lane tiles of
// q8il_amd64.s, which read vnniQ4ActInit's blocks too.

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

// HSUMV leaves hsum_float_8 of acc (one of Y16-Y19) in X0, using X1.
#define HSUMV(acc) \
	VMOVAPS      acc, Y0  \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVHLPS     X0, X0, X1 \
	VADDPS       X1, X0, X0 \
	VMOVSHDUP    X0, X1     \
	VADDSS       X1, X0, X0

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
