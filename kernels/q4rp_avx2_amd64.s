//go:build amd64 && !purego

#include "textflag.h"

// Q4_0×Q8_0 row-lane tiles in llama.cpp's repacked order (see q4rp.go) for
// CPUs with AVX2, FMA and F16C only (no AVX-512: ymm registers Y0-Y15, VEX
// encodings): per row r, token t and block b, S = Σ (q-8)·x exact in int32,
// then acc = fma(float32(S), dw·dx, acc); the result is acc. The same bits
// as the VNNI tiles of q4rp_amd64.s and dotQ4_0RPRef.
//
// Layout: the packed 16-row group of vnniILPackQ4 (q8il_amd64.s), which
// q4rpAVX2Pack below writes with fewer shuffles: per block (576 bytes) 8
// vectors W_k at 64k, lane r = row r's nibbles q ∈ [0,15] of quants
// 4k..4k+3 (rows 0-7 in the low 32 bytes, rows 8-15 in the high 32), then
// the 16 rows' scales as float32 at 512. A token's block is 64 bytes
// (q4rpAct, q4rpActAVX2): its 32 quants, then at 32 the int32 c = -8·Σx.
//
// Per block, k and token: VPBROADCASTD of the token's quants 4k..4k+3, and
// per 8-row half VPMADDUBSW(W_k unsigned, x signed) gives int16 lanes
// q·x + q'·x' (|.| <= 2·15·128 = 3840: never saturates); VPADDW over the
// 8 k (|.| <= 30720: exact); then per token and half VPMADDWD with ones
// (int32: Σ q·x of the row), VPADDD c (S), VCVTDQ2PS, VMULPS of the rows'
// scales by the broadcast dx, VFMADD231PS into the accumulator. All exact
// in integers for any int8 activations.
//
// q4rpAVX2TileN (N = 2, 3 tokens): func(p, a *byte, astride, nb int, out
// *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep
// int) stores, for the 16 rows packed at p and token t < N at a +
// t·astride with block scales at dx + t·dxstride bytes (float32,
// scalesQ8AVX2), the 16 rows' results at out + t·ostride bytes; per block
// it prefetches into L2 the five cache lines at pf and advances pf by
// pfstep bytes. Registers: Y0-Y5 the int16 sums (token t: Y{t} rows 0-7,
// Y{3+t} rows 8-15), Y6-Y11 the accumulators (Y{6+2t}, Y{7+2t}), Y12/Y13
// W_k, Y14 the broadcast quants, Y15 a product. Three tokens fill the 16
// registers; measured on Zen 4 (BenchmarkQ4RPAVX2Tile, 768 columns) 0.26
// and 0.24 ns per row × token × block for 2 and 3 tokens, against 0.30
// for 6 tokens of 8 rows (weights loaded once per 8 rows) and 0.25-0.27
// for 4-6 tokens of 16 rows with the accumulators on the stack: bound by
// the vector pipes (about 20 instructions per 8 rows × token × block).

DATA q4avx2ones16<>+0(SB)/8, $0x0001000100010001
DATA q4avx2ones16<>+8(SB)/8, $0x0001000100010001
DATA q4avx2ones16<>+16(SB)/8, $0x0001000100010001
DATA q4avx2ones16<>+24(SB)/8, $0x0001000100010001
GLOBL q4avx2ones16<>(SB), RODATA|NOPTR, $32

DATA q4avx2ones8<>+0(SB)/8, $0x0101010101010101
DATA q4avx2ones8<>+8(SB)/8, $0x0101010101010101
DATA q4avx2ones8<>+16(SB)/8, $0x0101010101010101
DATA q4avx2ones8<>+24(SB)/8, $0x0101010101010101
GLOBL q4avx2ones8<>(SB), RODATA|NOPTR, $32

DATA q4avx2nib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4avx2nib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4avx2nib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA q4avx2nib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL q4avx2nib<>(SB), RODATA|NOPTR, $32

// func q4rpAVX2Tile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
TEXT ·q4rpAVX2Tile2(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ astride+16(FP), R10
	MOVQ nb+24(FP), CX
	MOVQ dx+48(FP), R13
	MOVQ dxstride+56(FP), R14
	MOVQ pf+64(FP), R11
	MOVQ pfstep+72(FP), R12
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
q4avx2t2loop:
	PREFETCHT1 0(R11)
	PREFETCHT1 64(R11)
	PREFETCHT1 128(R11)
	PREFETCHT1 192(R11)
	PREFETCHT1 256(R11)
	ADDQ R12, R11
	VMOVDQU 0(SI), Y12
	VMOVDQU 32(SI), Y13
	VPBROADCASTD 0(DI), Y14
	VPMADDUBSW Y14, Y12, Y0
	VPMADDUBSW Y14, Y13, Y3
	VPBROADCASTD 0(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y1
	VPMADDUBSW Y14, Y13, Y4
	VMOVDQU 64(SI), Y12
	VMOVDQU 96(SI), Y13
	VPBROADCASTD 4(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 4(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 128(SI), Y12
	VMOVDQU 160(SI), Y13
	VPBROADCASTD 8(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 8(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 192(SI), Y12
	VMOVDQU 224(SI), Y13
	VPBROADCASTD 12(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 12(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 256(SI), Y12
	VMOVDQU 288(SI), Y13
	VPBROADCASTD 16(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 16(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 320(SI), Y12
	VMOVDQU 352(SI), Y13
	VPBROADCASTD 20(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 20(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 384(SI), Y12
	VMOVDQU 416(SI), Y13
	VPBROADCASTD 24(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 24(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VMOVDQU 448(SI), Y12
	VMOVDQU 480(SI), Y13
	VPBROADCASTD 28(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 28(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 32(DI), Y14
	VBROADCASTSS (R13), Y15
	VPMADDWD q4avx2ones16<>(SB), Y0, Y0
	VPADDD Y14, Y0, Y0
	VCVTDQ2PS Y0, Y0
	VMULPS 512(SI), Y15, Y12
	VFMADD231PS Y12, Y0, Y6
	VPMADDWD q4avx2ones16<>(SB), Y3, Y3
	VPADDD Y14, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VMULPS 544(SI), Y15, Y13
	VFMADD231PS Y13, Y3, Y7
	VPBROADCASTD 32(DI)(R10*1), Y14
	VBROADCASTSS (R13)(R14*1), Y15
	VPMADDWD q4avx2ones16<>(SB), Y1, Y1
	VPADDD Y14, Y1, Y1
	VCVTDQ2PS Y1, Y1
	VMULPS 512(SI), Y15, Y12
	VFMADD231PS Y12, Y1, Y8
	VPMADDWD q4avx2ones16<>(SB), Y4, Y4
	VPADDD Y14, Y4, Y4
	VCVTDQ2PS Y4, Y4
	VMULPS 544(SI), Y15, Y13
	VFMADD231PS Y13, Y4, Y9
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  q4avx2t2loop
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), CX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VMOVUPS Y8, (DX)(CX*1)
	VMOVUPS Y9, 32(DX)(CX*1)
	VZEROUPPER
	RET

// func q4rpAVX2Tile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
TEXT ·q4rpAVX2Tile3(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), SI
	MOVQ a+8(FP), DI
	MOVQ astride+16(FP), R10
	MOVQ nb+24(FP), CX
	MOVQ dx+48(FP), R13
	MOVQ dxstride+56(FP), R14
	MOVQ pf+64(FP), R11
	MOVQ pfstep+72(FP), R12
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
q4avx2t3loop:
	PREFETCHT1 0(R11)
	PREFETCHT1 64(R11)
	PREFETCHT1 128(R11)
	PREFETCHT1 192(R11)
	PREFETCHT1 256(R11)
	ADDQ R12, R11
	VMOVDQU 0(SI), Y12
	VMOVDQU 32(SI), Y13
	VPBROADCASTD 0(DI), Y14
	VPMADDUBSW Y14, Y12, Y0
	VPMADDUBSW Y14, Y13, Y3
	VPBROADCASTD 0(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y1
	VPMADDUBSW Y14, Y13, Y4
	VPBROADCASTD 0(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y2
	VPMADDUBSW Y14, Y13, Y5
	VMOVDQU 64(SI), Y12
	VMOVDQU 96(SI), Y13
	VPBROADCASTD 4(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 4(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 4(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 128(SI), Y12
	VMOVDQU 160(SI), Y13
	VPBROADCASTD 8(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 8(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 8(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 192(SI), Y12
	VMOVDQU 224(SI), Y13
	VPBROADCASTD 12(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 12(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 12(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 256(SI), Y12
	VMOVDQU 288(SI), Y13
	VPBROADCASTD 16(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 16(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 16(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 320(SI), Y12
	VMOVDQU 352(SI), Y13
	VPBROADCASTD 20(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 20(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 20(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 384(SI), Y12
	VMOVDQU 416(SI), Y13
	VPBROADCASTD 24(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 24(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 24(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VMOVDQU 448(SI), Y12
	VMOVDQU 480(SI), Y13
	VPBROADCASTD 28(DI), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y0, Y0
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y3, Y3
	VPBROADCASTD 28(DI)(R10*1), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y1, Y1
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y4, Y4
	VPBROADCASTD 28(DI)(R10*2), Y14
	VPMADDUBSW Y14, Y12, Y15
	VPADDW Y15, Y2, Y2
	VPMADDUBSW Y14, Y13, Y15
	VPADDW Y15, Y5, Y5
	VPBROADCASTD 32(DI), Y14
	VBROADCASTSS (R13), Y15
	VPMADDWD q4avx2ones16<>(SB), Y0, Y0
	VPADDD Y14, Y0, Y0
	VCVTDQ2PS Y0, Y0
	VMULPS 512(SI), Y15, Y12
	VFMADD231PS Y12, Y0, Y6
	VPMADDWD q4avx2ones16<>(SB), Y3, Y3
	VPADDD Y14, Y3, Y3
	VCVTDQ2PS Y3, Y3
	VMULPS 544(SI), Y15, Y13
	VFMADD231PS Y13, Y3, Y7
	VPBROADCASTD 32(DI)(R10*1), Y14
	VBROADCASTSS (R13)(R14*1), Y15
	VPMADDWD q4avx2ones16<>(SB), Y1, Y1
	VPADDD Y14, Y1, Y1
	VCVTDQ2PS Y1, Y1
	VMULPS 512(SI), Y15, Y12
	VFMADD231PS Y12, Y1, Y8
	VPMADDWD q4avx2ones16<>(SB), Y4, Y4
	VPADDD Y14, Y4, Y4
	VCVTDQ2PS Y4, Y4
	VMULPS 544(SI), Y15, Y13
	VFMADD231PS Y13, Y4, Y9
	VPBROADCASTD 32(DI)(R10*2), Y14
	VBROADCASTSS (R13)(R14*2), Y15
	VPMADDWD q4avx2ones16<>(SB), Y2, Y2
	VPADDD Y14, Y2, Y2
	VCVTDQ2PS Y2, Y2
	VMULPS 512(SI), Y15, Y12
	VFMADD231PS Y12, Y2, Y10
	VPMADDWD q4avx2ones16<>(SB), Y5, Y5
	VPADDD Y14, Y5, Y5
	VCVTDQ2PS Y5, Y5
	VMULPS 544(SI), Y15, Y13
	VFMADD231PS Y13, Y5, Y11
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  q4avx2t3loop
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), CX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VMOVUPS Y8, (DX)(CX*1)
	VMOVUPS Y9, 32(DX)(CX*1)
	VMOVUPS Y10, (DX)(CX*2)
	VMOVUPS Y11, 32(DX)(CX*2)
	VZEROUPPER
	RET
// Q4AVX2PACK8 writes the 8 rows at A, A+BX, A+2BX, A+R9 (rows 0-3 of the
// half) and B, B+BX, B+2BX, B+R9 (rows 4-7) of this block as W_0..W_7 at
// off+64k(DI): each row's 16 nibble bytes, rows r and r+4 in one register,
// a 4×4 dword transpose in each 128-bit lane gives G_j (lane r = row r's
// bytes 4j..4j+3), whose low nibbles are W_j (quants 4j..4j+3) and high
// nibbles W_{j+4} (quants 16+4j..16+4j+3). Uses Y0-Y11; Y15 = 0x0f bytes.
#define Q4AVX2PACK8(A, B, off) \
	VMOVDQU     2(A), X0              \
	VINSERTI128 $1, 2(B), Y0, Y0      \
	VMOVDQU     2(A)(BX*1), X1        \
	VINSERTI128 $1, 2(B)(BX*1), Y1, Y1 \
	VMOVDQU     2(A)(BX*2), X2        \
	VINSERTI128 $1, 2(B)(BX*2), Y2, Y2 \
	VMOVDQU     2(A)(R9*1), X3        \
	VINSERTI128 $1, 2(B)(R9*1), Y3, Y3 \
	VPUNPCKLDQ  Y1, Y0, Y4            \
	VPUNPCKHDQ  Y1, Y0, Y5            \
	VPUNPCKLDQ  Y3, Y2, Y6            \
	VPUNPCKHDQ  Y3, Y2, Y7            \
	VPUNPCKLQDQ Y6, Y4, Y0            \
	VPUNPCKHQDQ Y6, Y4, Y1            \
	VPUNPCKLQDQ Y7, Y5, Y2            \
	VPUNPCKHQDQ Y7, Y5, Y3            \
	VPSRLW      $4, Y0, Y8            \
	VPSRLW      $4, Y1, Y9            \
	VPSRLW      $4, Y2, Y10           \
	VPSRLW      $4, Y3, Y11           \
	VPAND       Y15, Y0, Y0           \
	VPAND       Y15, Y1, Y1           \
	VPAND       Y15, Y2, Y2           \
	VPAND       Y15, Y3, Y3           \
	VPAND       Y15, Y8, Y8           \
	VPAND       Y15, Y9, Y9           \
	VPAND       Y15, Y10, Y10         \
	VPAND       Y15, Y11, Y11         \
	VMOVDQU     Y0, off(DI)           \
	VMOVDQU     Y1, 64+off(DI)        \
	VMOVDQU     Y2, 128+off(DI)       \
	VMOVDQU     Y3, 192+off(DI)       \
	VMOVDQU     Y8, 256+off(DI)       \
	VMOVDQU     Y9, 320+off(DI)       \
	VMOVDQU     Y10, 384+off(DI)      \
	VMOVDQU     Y11, 448+off(DI)

// Q4AVX2SCALES4 gathers the fp16 scales of the 4 rows at A, A+BX, A+2BX,
// A+R9 into r (row j in bits 16j..16j+15) with zero-extending loads, shifts
// and ORs (no chain through r from one block to the next). Uses R14.
#define Q4AVX2SCALES4(A, r) \
	MOVWLZX 0(A), r           \
	MOVWLZX 0(A)(BX*1), R14   \
	SHLQ    $16, R14          \
	ORQ     R14, r            \
	MOVWLZX 0(A)(BX*2), R14   \
	SHLQ    $32, R14          \
	ORQ     R14, r            \
	MOVWLZX 0(A)(R9*1), R14   \
	SHLQ    $48, R14          \
	ORQ     R14, r

// func q4rpAVX2Pack(dst, w *byte, stride, nb int)
//
// q4rpAVX2Pack writes the nb Q4_0 blocks of the 16 weight rows at w (rows
// stride bytes apart) as nb packed blocks of ilGroupBytes at dst, the
// layout of vnniILPackQ4 (both halves of a group in one call) with one
// 4×4 transpose per 8 rows and block instead of two.
TEXT ·q4rpAVX2Pack(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ nb+24(FP), CX
	LEAQ (BX)(BX*2), R9
	LEAQ (SI)(BX*4), R8
	LEAQ (R8)(BX*4), R10
	LEAQ (R10)(BX*4), R11
	VMOVDQU q4avx2nib<>(SB), Y15

q4avx2packloop:
	Q4AVX2PACK8(SI, R8, 0)
	Q4AVX2PACK8(R10, R11, 32)
	Q4AVX2SCALES4(SI, AX)
	Q4AVX2SCALES4(R8, DX)
	Q4AVX2SCALES4(R10, R12)
	Q4AVX2SCALES4(R11, R13)
	VMOVQ     AX, X12
	VPINSRQ   $1, DX, X12, X12
	VCVTPH2PS X12, Y12
	VMOVUPS   Y12, 512(DI)
	VMOVQ     R12, X13
	VPINSRQ   $1, R13, X13, X13
	VCVTPH2PS X13, Y13
	VMOVUPS   Y13, 544(DI)
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $18, R10
	ADDQ $18, R11
	ADDQ $576, DI
	DECQ CX
	JNZ  q4avx2packloop
	VZEROUPPER
	RET

// func q4rpActAVX2(dst, x *byte, n int)
//
// q4rpActAVX2 is q4rpActVNNI (q4rp_amd64.s) for CPUs without VNNI: each
// of n block_q8_0 at x as 64 bytes at dst, its 32 quants, then at 32 the
// int32 -8·Σx (VPMADDUBSW of ones with the quants, VPMADDWD of ones, the
// 8 lanes summed); bytes 36..63 are left as they were.
TEXT ·q4rpActAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVDQU q4avx2ones8<>(SB), Y4
	VMOVDQU q4avx2ones16<>(SB), Y3
	VPXOR   X5, X5, X5

q4avx2actloop:
	VMOVDQU      2(SI), Y1
	VPMADDUBSW   Y1, Y4, Y0
	VPMADDWD     Y3, Y0, Y0
	VEXTRACTI128 $1, Y0, X2
	VPADDD       X2, X0, X0
	VPSHUFD      $0x4e, X0, X2
	VPADDD       X2, X0, X0
	VPSHUFD      $0xb1, X0, X2
	VPADDD       X2, X0, X0
	VPSLLD       $3, X0, X0
	VPSUBD       X0, X5, X0
	VMOVDQU      Y1, 0(DI)
	VMOVD        X0, 32(DI)
	ADDQ         $34, SI
	ADDQ         $64, DI
	DECQ         CX
	JNZ          q4avx2actloop
	VZEROUPPER
	RET
