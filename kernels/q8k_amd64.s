//go:build amd64 && !purego

#include "textflag.h"

// Q8_K activation quantizer in AVX2, byte-identical to quant's reference
// (ggml's quantize_row_q8_K_ref), one 256-value block at a time:
//
//  1. amax = max |x| (VMAXPS with the running maximum as second source, so
//     NaN values are skipped, as `amax < fabsf(v)` skips them); amax = 0
//     (all zeros or NaN) writes an all-zero block;
//  2. max = the first x with |x| == amax (VCMPPS + VMOVMSKPS + BSF);
//  3. iscale = -127/max, d = 1/iscale (VDIVSS: the same IEEE divisions);
//  4. q = min(127, nearest_int(iscale·x)) with nearest_int's bit trick
//     (add 1.5·2^23, keep the mantissa, subtract 2^22), then its low byte
//     (the reference's int8 conversion truncates: VPAND 0xff and unsigned
//     packs, which never saturate on 0..255);
//  5. bsums[j] = Σ of quants 16j..16j+15 (read back from the block: pairs
//     by VPMADDUBSW with ones, then VPMADDWD, then two VPHADDD).
// Every operation rounds as the scalar Go code does (no FMA).

// q8kConst: abs mask, 1.5·2^23, mantissa mask, 2^22, 127, 0xff (each a
// dword broadcast), then -127.0, 1.0.
DATA q8kConst<>+0(SB)/4, $0x7fffffff
DATA q8kConst<>+4(SB)/4, $0x4b400000
DATA q8kConst<>+8(SB)/4, $0x007fffff
DATA q8kConst<>+12(SB)/4, $0x00400000
DATA q8kConst<>+16(SB)/4, $127
DATA q8kConst<>+20(SB)/4, $0xff
DATA q8kConst<>+24(SB)/4, $0xc2fe0000
DATA q8kConst<>+28(SB)/4, $0x3f800000
GLOBL q8kConst<>(SB), RODATA|NOPTR, $32

// q8kPerm is the VPERMD index that puts the dwords of a VPACKUSDW +
// VPACKUSWB result back in order.
DATA q8kPerm<>+0(SB)/8, $0x0000000400000000
DATA q8kPerm<>+8(SB)/8, $0x0000000500000001
DATA q8kPerm<>+16(SB)/8, $0x0000000600000002
DATA q8kPerm<>+24(SB)/8, $0x0000000700000003
GLOBL q8kPerm<>(SB), RODATA|NOPTR, $32

// q8kOnes: 32 bytes of 1 then 16 words of 1.
DATA q8kOnes<>+0(SB)/8, $0x0101010101010101
DATA q8kOnes<>+8(SB)/8, $0x0101010101010101
DATA q8kOnes<>+16(SB)/8, $0x0101010101010101
DATA q8kOnes<>+24(SB)/8, $0x0101010101010101
DATA q8kOnes<>+32(SB)/8, $0x0001000100010001
DATA q8kOnes<>+40(SB)/8, $0x0001000100010001
DATA q8kOnes<>+48(SB)/8, $0x0001000100010001
DATA q8kOnes<>+56(SB)/8, $0x0001000100010001
GLOBL q8kOnes<>(SB), RODATA|NOPTR, $64

// Q8K_AMAX4 folds |x| of 4 vectors at off(SI) into Y0-Y3.
#define Q8K_AMAX4(off) \
	VANDPS off(SI), Y15, Y4 \
	VMAXPS Y0, Y4, Y0 \
	VANDPS off+32(SI), Y15, Y4 \
	VMAXPS Y1, Y4, Y1 \
	VANDPS off+64(SI), Y15, Y4 \
	VMAXPS Y2, Y4, Y2 \
	VANDPS off+96(SI), Y15, Y4 \
	VMAXPS Y3, Y4, Y3

// Q8K_Q sets dwords y to the low bytes of min(127, nearest_int(iscale·x))
// for the 8 values at off(SI) (Y5 = iscale broadcast).
#define Q8K_Q(off, y) \
	VMULPS off(SI), Y5, y \
	VADDPS Y14, y, y \
	VPAND  Y13, y, y \
	VPSUBD Y12, y, y \
	VPMINSD Y11, y, y \
	VPAND  Y10, y, y

// Q8K_Q32 quantizes the 32 values at off(SI) into the 32 bytes at
// qoff(DI).
#define Q8K_Q32(off, qoff) \
	Q8K_Q(off, Y4) \
	Q8K_Q(off+32, Y6) \
	Q8K_Q(off+64, Y7) \
	Q8K_Q(off+96, Y8) \
	VPACKUSDW Y6, Y4, Y4 \
	VPACKUSDW Y8, Y7, Y7 \
	VPACKUSWB Y7, Y4, Y4 \
	VPERMD    Y4, Y9, Y4 \
	VMOVDQU   Y4, qoff(DI)

// Q8K_SUM4 sets y to the dword sums of 4 adjacent quants of the 32 at
// qoff(DI) (Y5 = byte ones, Y6 = word ones).
#define Q8K_SUM4(qoff, y) \
	VMOVDQU    qoff(DI), y \
	VPMADDUBSW y, Y5, y \
	VPMADDWD   Y6, y, y

// func quantizeQ8KAVX2(x *float32, y *byte, nb int)
TEXT ·quantizeQ8KAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	TESTQ CX, CX
	JEQ  q8kdone

q8kblock:
	VBROADCASTSS q8kConst<>+0(SB), Y15
	VBROADCASTSS q8kConst<>+4(SB), Y14
	VPBROADCASTD q8kConst<>+8(SB), Y13
	VPBROADCASTD q8kConst<>+12(SB), Y12
	VPBROADCASTD q8kConst<>+16(SB), Y11
	VPBROADCASTD q8kConst<>+20(SB), Y10
	VMOVDQU      q8kPerm<>(SB), Y9
	// 1. amax.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	Q8K_AMAX4(0)
	Q8K_AMAX4(128)
	Q8K_AMAX4(256)
	Q8K_AMAX4(384)
	Q8K_AMAX4(512)
	Q8K_AMAX4(640)
	Q8K_AMAX4(768)
	Q8K_AMAX4(896)
	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VMAXSS       X1, X0, X0
	VXORPS       X1, X1, X1
	VUCOMISS     X1, X0
	JEQ          q8kzero
	VBROADCASTSS X0, Y0

	// 2. The first value of largest magnitude.
	XORQ AX, AX

q8kfind:
	VANDPS    (SI)(AX*4), Y15, Y4
	VCMPPS    $0, Y0, Y4, Y4
	VMOVMSKPS Y4, DX
	TESTL     DX, DX
	JNZ       q8kfound
	ADDQ      $8, AX
	CMPQ      AX, $256
	JLT       q8kfind
	// Not reached: amax is one of the |x|.
	JMP       q8kzero

q8kfound:
	BSFL   DX, DX
	ADDQ   DX, AX
	VMOVSS (SI)(AX*4), X1
	// 3. iscale = -127/max, d = 1/iscale.
	VMOVSS       q8kConst<>+24(SB), X5
	VDIVSS       X1, X5, X5
	VMOVSS       q8kConst<>+28(SB), X6
	VDIVSS       X5, X6, X6
	VMOVSS       X6, 0(DI)
	VBROADCASTSS X5, Y5

	// 4. The quants.
	Q8K_Q32(0, 4)
	Q8K_Q32(128, 36)
	Q8K_Q32(256, 68)
	Q8K_Q32(384, 100)
	Q8K_Q32(512, 132)
	Q8K_Q32(640, 164)
	Q8K_Q32(768, 196)
	Q8K_Q32(896, 228)

	// 5. bsums: hh0 = [g0 g2 g4 g6 | g1 g3 g5 g7], hh1 the same for
	// groups 8-15, packed to words and interleaved.
	VMOVDQU   q8kOnes<>+0(SB), Y5
	VMOVDQU   q8kOnes<>+32(SB), Y6
	Q8K_SUM4(4, Y0)
	Q8K_SUM4(36, Y1)
	Q8K_SUM4(68, Y2)
	Q8K_SUM4(100, Y3)
	VPHADDD   Y1, Y0, Y0
	VPHADDD   Y3, Y2, Y2
	VPHADDD   Y2, Y0, Y0
	Q8K_SUM4(132, Y1)
	Q8K_SUM4(164, Y2)
	Q8K_SUM4(196, Y3)
	Q8K_SUM4(228, Y4)
	VPHADDD   Y2, Y1, Y1
	VPHADDD   Y4, Y3, Y3
	VPHADDD   Y3, Y1, Y1
	VPACKSSDW Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPUNPCKLWD X1, X0, X2
	VPUNPCKHWD X1, X0, X3
	VMOVDQU   X2, 260(DI)
	VMOVDQU   X3, 276(DI)
	JMP       q8knext

q8kzero:
	VPXOR   Y0, Y0, Y0
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y0, 32(DI)
	VMOVDQU Y0, 64(DI)
	VMOVDQU Y0, 96(DI)
	VMOVDQU Y0, 128(DI)
	VMOVDQU Y0, 160(DI)
	VMOVDQU Y0, 192(DI)
	VMOVDQU Y0, 224(DI)
	VMOVDQU Y0, 256(DI)
	MOVL    $0, 288(DI)

q8knext:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q8kblock

q8kdone:
	VZEROUPPER
	RET
