//go:build amd64 && !purego

#include "textflag.h"

// Q8_0×Q8_0 and Q4_0×Q8_0 small-batch tiles with weight ROWS in the
// lanes (AVX-512 VL + VNNI; 16 rows on zmm registers, 8 on ymm), for
// rowsQVNNI when a pass has few tokens (the server's batched decode).
//
// ggml's AVX2 dot (q8DotAVX2 / q4DotAVX2) keeps, per block, 8 int32 lanes
// k = Σ_{j=4k}^{4k+3} w_j·x_j, converts them to float and accumulates
// acc_k = fma(float(lane_k), d, acc_k) with d = fp32(dw·dx), then
// hsum_float_8 = ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)). Here, for a group
// of 16 weight rows, vnniILPackQ8 / vnniILPackQ4 (8 rows a call) write
// per block 8 vectors W_k (lane r = row r's 4 weight bytes of group k as
// unsigned bytes: an 8×8 dword transpose per 8 rows) and the rows' scales
// as float32. For token t, VPDPBUSD of W_k with the token's 4 activation
// bytes of group k broadcast to all lanes ({1to16}) gives lane r = ggml's
// int lane k of row r and token t, so 8 accumulators A_k (vectors over
// rows) per token with A_k = fma(float(lanes), D_t, A_k), D_t = dw(rows)·dx_t
// (one VMULPS per token and block), and the vertical ((A0+A4)+(A2+A6)) +
// ((A1+A5)+(A3+A7)) give the rows' results for token t with the same bits
// as the dot, at one VPDPBUSD, VCVTDQ2PS and FMA per row × token pair and
// group instead of the 4×4 tiles' four vector instructions and a load.
// On Zen 4 a zmm instruction costs two ymm ones in the FP pipes but its
// two broadcast loads serve 16 rows: the ymm form, limited by the loads,
// takes about 1.4 cycles per pair and block, the zmm form about 1.1.
//
// Packed layout, per block of a group (ilGroupBytes = 576 bytes): W_k at
// 64k (rows 0-7 in the low 32 bytes, rows 8-15 in the high), the rows'
// scales at 512 (rows 0-7, then 8-15). The 8-row tiles read the low halves.
//
// VPDPBUSD wants the unsigned operand in the register (W_k) and takes the
// signed broadcast one from memory:
//
//   - Q8_0 weights are made unsigned, w XOR 0x80 = w+128, and each lane
//     starts from -128·Σx of the token's four activations of group k:
//     -128·Σx + Σ(w+128)·x = Σw·x (vnniILActQ8 stores these after each
//     activation block);
//   - Q4_0 nibbles q ∈ [0,15] are unsigned as they are and the lanes start
//     from -8·Σx (vnniQ4ActInit): -8·Σx + Σq·x = Σ(q-8)·x.
//
// Both are exact in int32 for activations in [-127, 127] (|lane| <= 4·255·127).

DATA ilx80<>+0(SB)/8, $0x8080808080808080
DATA ilx80<>+8(SB)/8, $0x8080808080808080
DATA ilx80<>+16(SB)/8, $0x8080808080808080
DATA ilx80<>+24(SB)/8, $0x8080808080808080
GLOBL ilx80<>(SB), RODATA|NOPTR, $32

DATA ilnib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ilnib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ilnib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA ilnib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL ilnib<>(SB), RODATA|NOPTR, $32

// ILT4 transposes the 4×4 dword blocks of Y(a0..a3) in each 128-bit half
// (a_r = [row r dwords j..j+3 | row r+4 dwords j..j+3]) and stores the 4
// vectors W_{j..j+3} (lane r = row r's dword) at off, off+64, off+128,
// off+192 of DI (the low halves of zmm-sized slots). Uses Y8-Y11.
#define ILT4(a0, a1, a2, a3, off) \
	VPUNPCKLDQ  a1, a0, Y8   \
	VPUNPCKHDQ  a1, a0, Y9   \
	VPUNPCKLDQ  a3, a2, Y10  \
	VPUNPCKHDQ  a3, a2, Y11  \
	VPUNPCKLQDQ Y10, Y8, a0  \
	VPUNPCKHQDQ Y10, Y8, a1  \
	VPUNPCKLQDQ Y11, Y9, a2  \
	VPUNPCKHQDQ Y11, Y9, a3  \
	VMOVDQU     a0, off(DI)       \
	VMOVDQU     a1, 64+off(DI)    \
	VMOVDQU     a2, 128+off(DI)   \
	VMOVDQU     a3, 192+off(DI)

// ILT8 transposes the 8×8 dwords of Y0-Y7 (Y_r = row r's 32 quants) and
// stores W_k (lane r = row r's dword k) at 64k(DI). Uses Y8-Y15.
#define ILT8 \
	VPUNPCKLDQ  Y1, Y0, Y8          \
	VPUNPCKHDQ  Y1, Y0, Y9          \
	VPUNPCKLDQ  Y3, Y2, Y10         \
	VPUNPCKHDQ  Y3, Y2, Y11         \
	VPUNPCKLDQ  Y5, Y4, Y12         \
	VPUNPCKHDQ  Y5, Y4, Y13         \
	VPUNPCKLDQ  Y7, Y6, Y14         \
	VPUNPCKHDQ  Y7, Y6, Y15         \
	VPUNPCKLQDQ Y10, Y8, Y0         \
	VPUNPCKHQDQ Y10, Y8, Y1         \
	VPUNPCKLQDQ Y11, Y9, Y2         \
	VPUNPCKHQDQ Y11, Y9, Y3         \
	VPUNPCKLQDQ Y14, Y12, Y4        \
	VPUNPCKHQDQ Y14, Y12, Y5        \
	VPUNPCKLQDQ Y15, Y13, Y6        \
	VPUNPCKHQDQ Y15, Y13, Y7        \
	VPERM2I128  $0x20, Y4, Y0, Y8   \
	VPERM2I128  $0x31, Y4, Y0, Y9   \
	VPERM2I128  $0x20, Y5, Y1, Y10  \
	VPERM2I128  $0x31, Y5, Y1, Y11  \
	VPERM2I128  $0x20, Y6, Y2, Y12  \
	VPERM2I128  $0x31, Y6, Y2, Y13  \
	VPERM2I128  $0x20, Y7, Y3, Y14  \
	VPERM2I128  $0x31, Y7, Y3, Y15  \
	VMOVDQU     Y8, 0(DI)           \
	VMOVDQU     Y10, 64(DI)         \
	VMOVDQU     Y12, 128(DI)        \
	VMOVDQU     Y14, 192(DI)        \
	VMOVDQU     Y9, 256(DI)         \
	VMOVDQU     Y11, 320(DI)        \
	VMOVDQU     Y13, 384(DI)        \
	VMOVDQU     Y15, 448(DI)

// ILSCALES stores the 8 rows' fp16 scales of this block (at 0 of rows SI,
// SI+BX, SI+2BX, SI+R9, R8, R8+BX, R8+2BX, R8+R9) as float32 at 512(DI),
// gathered in AX and R13 (integer ops: the vector shuffle pipes are the
// pack's bottleneck). Uses R12, X12.
#define ILSCALES \
	MOVWLZX   0(SI), AX              \
	MOVWLZX   0(SI)(BX*1), R12       \
	SHLQ      $16, R12               \
	ORQ       R12, AX                \
	MOVWLZX   0(SI)(BX*2), R12       \
	SHLQ      $32, R12               \
	ORQ       R12, AX                \
	MOVWLZX   0(SI)(R9*1), R12       \
	SHLQ      $48, R12               \
	ORQ       R12, AX                \
	MOVWLZX   0(R8), R13             \
	MOVWLZX   0(R8)(BX*1), R12       \
	SHLQ      $16, R12               \
	ORQ       R12, R13               \
	MOVWLZX   0(R8)(BX*2), R12       \
	SHLQ      $32, R12               \
	ORQ       R12, R13               \
	MOVWLZX   0(R8)(R9*1), R12       \
	SHLQ      $48, R12               \
	ORQ       R12, R13               \
	VMOVQ     AX, X12                \
	VPINSRQ   $1, R13, X12, X12      \
	VCVTPH2PS X12, Y12               \
	VMOVUPS   Y12, 512(DI)

// ILLOAD sets y to the 16 bytes at lo in its low half and those at hi in
// its high half: two broadcast loads (no shuffle on Zen 4) and a blend
// instead of VINSERTI128. Uses Y14.
#define ILLOAD(lo, hi, y) \
	VBROADCASTI128 lo, y           \
	VBROADCASTI128 hi, Y14         \
	VPBLENDD       $0xf0, Y14, y, y

// ILPF prefetches into L2 the 8 rows' bytes at this block plus DX.
#define ILPF \
	PREFETCHT1 (R10)          \
	PREFETCHT1 (R10)(BX*1)    \
	PREFETCHT1 (R10)(BX*2)    \
	PREFETCHT1 (R10)(R9*1)    \
	PREFETCHT1 (R11)          \
	PREFETCHT1 (R11)(BX*1)    \
	PREFETCHT1 (R11)(BX*2)    \
	PREFETCHT1 (R11)(R9*1)

// ILPAIR: acc = fma(float(start + VPDPBUSD(w, {1to8/16} act)), d, acc).
#define ILPAIR(act, start, w, tmp, d, acc) \
	VPBROADCASTD  start, tmp    \
	VPDPBUSD.BCST act, w, tmp   \
	VCVTDQ2PS     tmp, tmp      \
	VFMADD231PS   d, tmp, acc

// ILSUM stores ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)) at dst: the same
// additions, with the same first operands, as HSUMV (q8vnni_amd64.s).
#define ILSUM(a0, a1, a2, a3, a4, a5, a6, a7, dst) \
	VADDPS  a4, a0, a0 \
	VADDPS  a6, a2, a2 \
	VADDPS  a5, a1, a1 \
	VADDPS  a7, a3, a3 \
	VADDPS  a2, a0, a0 \
	VADDPS  a3, a1, a1 \
	VADDPS  a1, a0, a0 \
	VMOVUPS a0, dst

#define ILZERO8(a0, a1, a2, a3, a4, a5, a6, a7) \
	VPXORD a0, a0, a0 \
	VPXORD a1, a1, a1 \
	VPXORD a2, a2, a2 \
	VPXORD a3, a3, a3 \
	VPXORD a4, a4, a4 \
	VPXORD a5, a5, a5 \
	VPXORD a6, a6, a6 \
	VPXORD a7, a7, a7

// ILARGS loads the tile's arguments: SI packed group, DI activations, R10
// their token stride, CX blocks, R13 token 0's scales, R14 the scales'
// token stride, R11 the bytes to prefetch, R12 how far they advance a block.
#define ILARGS \
	MOVQ p+0(FP), SI         \
	MOVQ a+8(FP), DI         \
	MOVQ astride+16(FP), R10 \
	MOVQ nb+24(FP), CX       \
	MOVQ dx+48(FP), R13      \
	MOVQ dxstride+56(FP), R14 \
	MOVQ pf+64(FP), R11      \
	MOVQ pfstep+72(FP), R12

// func vnniILPackQ8(dst, w *byte, stride, nb, pf int)
TEXT ·vnniILPackQ8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ nb+24(FP), CX
	MOVQ pf+32(FP), DX
	LEAQ (BX)(BX*2), R9
	LEAQ (SI)(BX*4), R8
	LEAQ (SI)(DX*1), R10
	LEAQ (R8)(DX*1), R11
	VMOVDQU32 ilx80<>(SB), Y16

	TESTQ DX, DX
	JZ    ilpq8loopn

ilpq8loop:
	ILPF
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(BX*1), Y1
	VMOVDQU 2(SI)(BX*2), Y2
	VMOVDQU 2(SI)(R9*1), Y3
	VMOVDQU 2(R8), Y4
	VMOVDQU 2(R8)(BX*1), Y5
	VMOVDQU 2(R8)(BX*2), Y6
	VMOVDQU 2(R8)(R9*1), Y7
	VPXORD  Y16, Y0, Y0
	VPXORD  Y16, Y1, Y1
	VPXORD  Y16, Y2, Y2
	VPXORD  Y16, Y3, Y3
	VPXORD  Y16, Y4, Y4
	VPXORD  Y16, Y5, Y5
	VPXORD  Y16, Y6, Y6
	VPXORD  Y16, Y7, Y7
	ILT8
	ILSCALES
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $34, R10
	ADDQ $34, R11
	ADDQ $576, DI
	DECQ CX
	JNZ  ilpq8loop
	VZEROUPPER
	RET

// the same without prefetching
ilpq8loopn:
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(BX*1), Y1
	VMOVDQU 2(SI)(BX*2), Y2
	VMOVDQU 2(SI)(R9*1), Y3
	VMOVDQU 2(R8), Y4
	VMOVDQU 2(R8)(BX*1), Y5
	VMOVDQU 2(R8)(BX*2), Y6
	VMOVDQU 2(R8)(R9*1), Y7
	VPXORD  Y16, Y0, Y0
	VPXORD  Y16, Y1, Y1
	VPXORD  Y16, Y2, Y2
	VPXORD  Y16, Y3, Y3
	VPXORD  Y16, Y4, Y4
	VPXORD  Y16, Y5, Y5
	VPXORD  Y16, Y6, Y6
	VPXORD  Y16, Y7, Y7
	ILT8
	ILSCALES
	ADDQ $34, SI
	ADDQ $34, R8
	ADDQ $576, DI
	DECQ CX
	JNZ  ilpq8loopn
	VZEROUPPER
	RET

// func vnniILPackQ4(dst, w *byte, stride, nb, pf int)
TEXT ·vnniILPackQ4(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ stride+16(FP), BX
	MOVQ nb+24(FP), CX
	MOVQ pf+32(FP), DX
	LEAQ (BX)(BX*2), R9
	LEAQ (SI)(BX*4), R8
	LEAQ (SI)(DX*1), R10
	LEAQ (R8)(DX*1), R11
	VMOVDQU ilnib<>(SB), Y15

	TESTQ DX, DX
	JZ    ilpq4loopn

ilpq4loop:
	ILPF
	ILLOAD(2(SI), 2(R8), Y0)
	ILLOAD(2(SI)(BX*1), 2(R8)(BX*1), Y1)
	ILLOAD(2(SI)(BX*2), 2(R8)(BX*2), Y2)
	ILLOAD(2(SI)(R9*1), 2(R8)(R9*1), Y3)
	// low nibbles: quants 0..15 (dwords 0..3); high: 16..31 (dwords 4..7)
	VPSRLW $4, Y0, Y4
	VPSRLW $4, Y1, Y5
	VPSRLW $4, Y2, Y6
	VPSRLW $4, Y3, Y7
	VPAND  Y15, Y0, Y0
	VPAND  Y15, Y1, Y1
	VPAND  Y15, Y2, Y2
	VPAND  Y15, Y3, Y3
	VPAND  Y15, Y4, Y4
	VPAND  Y15, Y5, Y5
	VPAND  Y15, Y6, Y6
	VPAND  Y15, Y7, Y7
	ILT4(Y0, Y1, Y2, Y3, 0)
	ILT4(Y4, Y5, Y6, Y7, 256)
	ILSCALES
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $18, R10
	ADDQ $18, R11
	ADDQ $576, DI
	DECQ CX
	JNZ  ilpq4loop
	VZEROUPPER
	RET

// the same without prefetching
ilpq4loopn:
	ILLOAD(2(SI), 2(R8), Y0)
	ILLOAD(2(SI)(BX*1), 2(R8)(BX*1), Y1)
	ILLOAD(2(SI)(BX*2), 2(R8)(BX*2), Y2)
	ILLOAD(2(SI)(R9*1), 2(R8)(R9*1), Y3)
	// low nibbles: quants 0..15 (dwords 0..3); high: 16..31 (dwords 4..7)
	VPSRLW $4, Y0, Y4
	VPSRLW $4, Y1, Y5
	VPSRLW $4, Y2, Y6
	VPSRLW $4, Y3, Y7
	VPAND  Y15, Y0, Y0
	VPAND  Y15, Y1, Y1
	VPAND  Y15, Y2, Y2
	VPAND  Y15, Y3, Y3
	VPAND  Y15, Y4, Y4
	VPAND  Y15, Y5, Y5
	VPAND  Y15, Y6, Y6
	VPAND  Y15, Y7, Y7
	ILT4(Y0, Y1, Y2, Y3, 0)
	ILT4(Y4, Y5, Y6, Y7, 256)
	ILSCALES
	ADDQ $18, SI
	ADDQ $18, R8
	ADDQ $576, DI
	DECQ CX
	JNZ  ilpq4loopn
	VZEROUPPER
	RET

// func vnniILActQ8(dst, x *byte, n int)
//
// Like vnniQ4ActInit with -128 for -8: each of n block_q8_0 at x as 64
// bytes at dst, its 32 quants, then the int32 lanes -128·Σ_{j=4k}^{4k+3} x_j.
TEXT ·vnniILActQ8(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVDQU ilx80<>(SB), Y4
	VPXOR   Y5, Y5, Y5

ilactloop:
	VMOVDQU  2(SI), Y1
	VPXOR    Y0, Y0, Y0
	VPDPBUSD Y1, Y4, Y0
	VPSUBD   Y0, Y5, Y0
	VMOVDQU  Y1, 0(DI)
	VMOVDQU  Y0, 32(DI)
	ADDQ     $34, SI
	ADDQ     $64, DI
	DECQ     CX
	JNZ      ilactloop
	VZEROUPPER
	RET

// func vnniILTile3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// For the 8 rows packed at p (the low halves of vnniILPackQ8/Q4's slots)
// and tokens t < 3 at a + t·astride (64-byte blocks: 32 quants, 8 lane
// starts) with block scales at dx + t·dxstride bytes, stores the 8 rows'
// dot products of token t as float32 at out + t·ostride bytes. Y0-Y2 hold
// D_t, Y3 W_k, Y4-Y6 the lanes, Y7 the rows' scales, Y(8+8t+k) A_k of
// token t.
TEXT ·vnniILTile3(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	ILZERO8(Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
	ILZERO8(Y24, Y25, Y26, Y27, Y28, Y29, Y30, Y31)

ily3loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Y7
	VMULPS.BCST (R13), Y7, Y0
	VMULPS.BCST (R13)(R14*1), Y7, Y1
	VMULPS.BCST (R13)(R14*2), Y7, Y2
	VMOVDQU 0(SI), Y3
	ILPAIR(0(DI), 32(DI), Y3, Y4, Y0, Y8)
	ILPAIR(0(DI)(R10*1), 32(DI)(R10*1), Y3, Y5, Y1, Y16)
	ILPAIR(0(DI)(R10*2), 32(DI)(R10*2), Y3, Y6, Y2, Y24)
	VMOVDQU 64(SI), Y3
	ILPAIR(4(DI), 36(DI), Y3, Y4, Y0, Y9)
	ILPAIR(4(DI)(R10*1), 36(DI)(R10*1), Y3, Y5, Y1, Y17)
	ILPAIR(4(DI)(R10*2), 36(DI)(R10*2), Y3, Y6, Y2, Y25)
	VMOVDQU 128(SI), Y3
	ILPAIR(8(DI), 40(DI), Y3, Y4, Y0, Y10)
	ILPAIR(8(DI)(R10*1), 40(DI)(R10*1), Y3, Y5, Y1, Y18)
	ILPAIR(8(DI)(R10*2), 40(DI)(R10*2), Y3, Y6, Y2, Y26)
	VMOVDQU 192(SI), Y3
	ILPAIR(12(DI), 44(DI), Y3, Y4, Y0, Y11)
	ILPAIR(12(DI)(R10*1), 44(DI)(R10*1), Y3, Y5, Y1, Y19)
	ILPAIR(12(DI)(R10*2), 44(DI)(R10*2), Y3, Y6, Y2, Y27)
	VMOVDQU 256(SI), Y3
	ILPAIR(16(DI), 48(DI), Y3, Y4, Y0, Y12)
	ILPAIR(16(DI)(R10*1), 48(DI)(R10*1), Y3, Y5, Y1, Y20)
	ILPAIR(16(DI)(R10*2), 48(DI)(R10*2), Y3, Y6, Y2, Y28)
	VMOVDQU 320(SI), Y3
	ILPAIR(20(DI), 52(DI), Y3, Y4, Y0, Y13)
	ILPAIR(20(DI)(R10*1), 52(DI)(R10*1), Y3, Y5, Y1, Y21)
	ILPAIR(20(DI)(R10*2), 52(DI)(R10*2), Y3, Y6, Y2, Y29)
	VMOVDQU 384(SI), Y3
	ILPAIR(24(DI), 56(DI), Y3, Y4, Y0, Y14)
	ILPAIR(24(DI)(R10*1), 56(DI)(R10*1), Y3, Y5, Y1, Y22)
	ILPAIR(24(DI)(R10*2), 56(DI)(R10*2), Y3, Y6, Y2, Y30)
	VMOVDQU 448(SI), Y3
	ILPAIR(28(DI), 60(DI), Y3, Y4, Y0, Y15)
	ILPAIR(28(DI)(R10*1), 60(DI)(R10*1), Y3, Y5, Y1, Y23)
	ILPAIR(28(DI)(R10*2), 60(DI)(R10*2), Y3, Y6, Y2, Y31)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ily3loop

	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	ILSUM(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, (DX))
	ILSUM(Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23, (DX)(R9*1))
	ILSUM(Y24, Y25, Y26, Y27, Y28, Y29, Y30, Y31, (DX)(R9*2))
	VZEROUPPER
	RET

// func vnniILTile2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// vnniILTile3 for 2 tokens.
TEXT ·vnniILTile2(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)
	ILZERO8(Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)

ily2loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Y7
	VMULPS.BCST (R13), Y7, Y0
	VMULPS.BCST (R13)(R14*1), Y7, Y1
	VMOVDQU 0(SI), Y3
	ILPAIR(0(DI), 32(DI), Y3, Y4, Y0, Y8)
	ILPAIR(0(DI)(R10*1), 32(DI)(R10*1), Y3, Y5, Y1, Y16)
	VMOVDQU 64(SI), Y3
	ILPAIR(4(DI), 36(DI), Y3, Y4, Y0, Y9)
	ILPAIR(4(DI)(R10*1), 36(DI)(R10*1), Y3, Y5, Y1, Y17)
	VMOVDQU 128(SI), Y3
	ILPAIR(8(DI), 40(DI), Y3, Y4, Y0, Y10)
	ILPAIR(8(DI)(R10*1), 40(DI)(R10*1), Y3, Y5, Y1, Y18)
	VMOVDQU 192(SI), Y3
	ILPAIR(12(DI), 44(DI), Y3, Y4, Y0, Y11)
	ILPAIR(12(DI)(R10*1), 44(DI)(R10*1), Y3, Y5, Y1, Y19)
	VMOVDQU 256(SI), Y3
	ILPAIR(16(DI), 48(DI), Y3, Y4, Y0, Y12)
	ILPAIR(16(DI)(R10*1), 48(DI)(R10*1), Y3, Y5, Y1, Y20)
	VMOVDQU 320(SI), Y3
	ILPAIR(20(DI), 52(DI), Y3, Y4, Y0, Y13)
	ILPAIR(20(DI)(R10*1), 52(DI)(R10*1), Y3, Y5, Y1, Y21)
	VMOVDQU 384(SI), Y3
	ILPAIR(24(DI), 56(DI), Y3, Y4, Y0, Y14)
	ILPAIR(24(DI)(R10*1), 56(DI)(R10*1), Y3, Y5, Y1, Y22)
	VMOVDQU 448(SI), Y3
	ILPAIR(28(DI), 60(DI), Y3, Y4, Y0, Y15)
	ILPAIR(28(DI)(R10*1), 60(DI)(R10*1), Y3, Y5, Y1, Y23)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ily2loop

	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	ILSUM(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, (DX))
	ILSUM(Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23, (DX)(R9*1))
	VZEROUPPER
	RET

// func vnniILTile1(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// vnniILTile3 for 1 token.
TEXT ·vnniILTile1(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15)

ily1loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Y7
	VMULPS.BCST (R13), Y7, Y0
	VMOVDQU 0(SI), Y3
	ILPAIR(0(DI), 32(DI), Y3, Y4, Y0, Y8)
	VMOVDQU 64(SI), Y3
	ILPAIR(4(DI), 36(DI), Y3, Y4, Y0, Y9)
	VMOVDQU 128(SI), Y3
	ILPAIR(8(DI), 40(DI), Y3, Y4, Y0, Y10)
	VMOVDQU 192(SI), Y3
	ILPAIR(12(DI), 44(DI), Y3, Y4, Y0, Y11)
	VMOVDQU 256(SI), Y3
	ILPAIR(16(DI), 48(DI), Y3, Y4, Y0, Y12)
	VMOVDQU 320(SI), Y3
	ILPAIR(20(DI), 52(DI), Y3, Y4, Y0, Y13)
	VMOVDQU 384(SI), Y3
	ILPAIR(24(DI), 56(DI), Y3, Y4, Y0, Y14)
	VMOVDQU 448(SI), Y3
	ILPAIR(28(DI), 60(DI), Y3, Y4, Y0, Y15)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ily1loop

	MOVQ out+32(FP), DX
	ILSUM(Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15, (DX))
	VZEROUPPER
	RET

// func vnniILTileZ3(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// vnniILTile3 for 16 rows (both halves of the slots) on zmm registers.
TEXT ·vnniILTileZ3(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ILZERO8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	ILZERO8(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)

ilz3loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Z7
	VMULPS.BCST (R13), Z7, Z0
	VMULPS.BCST (R13)(R14*1), Z7, Z1
	VMULPS.BCST (R13)(R14*2), Z7, Z2
	VMOVDQU32 0(SI), Z3
	ILPAIR(0(DI), 32(DI), Z3, Z4, Z0, Z8)
	ILPAIR(0(DI)(R10*1), 32(DI)(R10*1), Z3, Z5, Z1, Z16)
	ILPAIR(0(DI)(R10*2), 32(DI)(R10*2), Z3, Z6, Z2, Z24)
	VMOVDQU32 64(SI), Z3
	ILPAIR(4(DI), 36(DI), Z3, Z4, Z0, Z9)
	ILPAIR(4(DI)(R10*1), 36(DI)(R10*1), Z3, Z5, Z1, Z17)
	ILPAIR(4(DI)(R10*2), 36(DI)(R10*2), Z3, Z6, Z2, Z25)
	VMOVDQU32 128(SI), Z3
	ILPAIR(8(DI), 40(DI), Z3, Z4, Z0, Z10)
	ILPAIR(8(DI)(R10*1), 40(DI)(R10*1), Z3, Z5, Z1, Z18)
	ILPAIR(8(DI)(R10*2), 40(DI)(R10*2), Z3, Z6, Z2, Z26)
	VMOVDQU32 192(SI), Z3
	ILPAIR(12(DI), 44(DI), Z3, Z4, Z0, Z11)
	ILPAIR(12(DI)(R10*1), 44(DI)(R10*1), Z3, Z5, Z1, Z19)
	ILPAIR(12(DI)(R10*2), 44(DI)(R10*2), Z3, Z6, Z2, Z27)
	VMOVDQU32 256(SI), Z3
	ILPAIR(16(DI), 48(DI), Z3, Z4, Z0, Z12)
	ILPAIR(16(DI)(R10*1), 48(DI)(R10*1), Z3, Z5, Z1, Z20)
	ILPAIR(16(DI)(R10*2), 48(DI)(R10*2), Z3, Z6, Z2, Z28)
	VMOVDQU32 320(SI), Z3
	ILPAIR(20(DI), 52(DI), Z3, Z4, Z0, Z13)
	ILPAIR(20(DI)(R10*1), 52(DI)(R10*1), Z3, Z5, Z1, Z21)
	ILPAIR(20(DI)(R10*2), 52(DI)(R10*2), Z3, Z6, Z2, Z29)
	VMOVDQU32 384(SI), Z3
	ILPAIR(24(DI), 56(DI), Z3, Z4, Z0, Z14)
	ILPAIR(24(DI)(R10*1), 56(DI)(R10*1), Z3, Z5, Z1, Z22)
	ILPAIR(24(DI)(R10*2), 56(DI)(R10*2), Z3, Z6, Z2, Z30)
	VMOVDQU32 448(SI), Z3
	ILPAIR(28(DI), 60(DI), Z3, Z4, Z0, Z15)
	ILPAIR(28(DI)(R10*1), 60(DI)(R10*1), Z3, Z5, Z1, Z23)
	ILPAIR(28(DI)(R10*2), 60(DI)(R10*2), Z3, Z6, Z2, Z31)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ilz3loop

	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	ILSUM(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, (DX))
	ILSUM(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, (DX)(R9*1))
	ILSUM(Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31, (DX)(R9*2))
	VZEROUPPER
	RET

// func vnniILTileZ2(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// vnniILTile2 for 16 rows (both halves of the slots) on zmm registers.
TEXT ·vnniILTileZ2(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ILZERO8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

ilz2loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Z7
	VMULPS.BCST (R13), Z7, Z0
	VMULPS.BCST (R13)(R14*1), Z7, Z1
	VMOVDQU32 0(SI), Z3
	ILPAIR(0(DI), 32(DI), Z3, Z4, Z0, Z8)
	ILPAIR(0(DI)(R10*1), 32(DI)(R10*1), Z3, Z5, Z1, Z16)
	VMOVDQU32 64(SI), Z3
	ILPAIR(4(DI), 36(DI), Z3, Z4, Z0, Z9)
	ILPAIR(4(DI)(R10*1), 36(DI)(R10*1), Z3, Z5, Z1, Z17)
	VMOVDQU32 128(SI), Z3
	ILPAIR(8(DI), 40(DI), Z3, Z4, Z0, Z10)
	ILPAIR(8(DI)(R10*1), 40(DI)(R10*1), Z3, Z5, Z1, Z18)
	VMOVDQU32 192(SI), Z3
	ILPAIR(12(DI), 44(DI), Z3, Z4, Z0, Z11)
	ILPAIR(12(DI)(R10*1), 44(DI)(R10*1), Z3, Z5, Z1, Z19)
	VMOVDQU32 256(SI), Z3
	ILPAIR(16(DI), 48(DI), Z3, Z4, Z0, Z12)
	ILPAIR(16(DI)(R10*1), 48(DI)(R10*1), Z3, Z5, Z1, Z20)
	VMOVDQU32 320(SI), Z3
	ILPAIR(20(DI), 52(DI), Z3, Z4, Z0, Z13)
	ILPAIR(20(DI)(R10*1), 52(DI)(R10*1), Z3, Z5, Z1, Z21)
	VMOVDQU32 384(SI), Z3
	ILPAIR(24(DI), 56(DI), Z3, Z4, Z0, Z14)
	ILPAIR(24(DI)(R10*1), 56(DI)(R10*1), Z3, Z5, Z1, Z22)
	VMOVDQU32 448(SI), Z3
	ILPAIR(28(DI), 60(DI), Z3, Z4, Z0, Z15)
	ILPAIR(28(DI)(R10*1), 60(DI)(R10*1), Z3, Z5, Z1, Z23)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ilz2loop

	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), R9
	ILSUM(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, (DX))
	ILSUM(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, (DX)(R9*1))
	VZEROUPPER
	RET

// func vnniILTileZ1(p, a *byte, astride, nb int, out *float32, ostride int, dx *float32, dxstride int, pf uintptr, pfstep int)
//
// vnniILTile1 for 16 rows (both halves of the slots) on zmm registers.
TEXT ·vnniILTileZ1(SB), NOSPLIT, $0-80
	ILARGS
	ILZERO8(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)

ilz1loop:
	PREFETCHT1  (R11)
	PREFETCHT1  64(R11)
	PREFETCHT1  128(R11)
	ADDQ        R12, R11
	VMOVUPS     512(SI), Z7
	VMULPS.BCST (R13), Z7, Z0
	VMOVDQU32 0(SI), Z3
	ILPAIR(0(DI), 32(DI), Z3, Z4, Z0, Z8)
	VMOVDQU32 64(SI), Z3
	ILPAIR(4(DI), 36(DI), Z3, Z4, Z0, Z9)
	VMOVDQU32 128(SI), Z3
	ILPAIR(8(DI), 40(DI), Z3, Z4, Z0, Z10)
	VMOVDQU32 192(SI), Z3
	ILPAIR(12(DI), 44(DI), Z3, Z4, Z0, Z11)
	VMOVDQU32 256(SI), Z3
	ILPAIR(16(DI), 48(DI), Z3, Z4, Z0, Z12)
	VMOVDQU32 320(SI), Z3
	ILPAIR(20(DI), 52(DI), Z3, Z4, Z0, Z13)
	VMOVDQU32 384(SI), Z3
	ILPAIR(24(DI), 56(DI), Z3, Z4, Z0, Z14)
	VMOVDQU32 448(SI), Z3
	ILPAIR(28(DI), 60(DI), Z3, Z4, Z0, Z15)
	ADDQ $576, SI
	ADDQ $64, DI
	ADDQ $4, R13
	DECQ CX
	JNZ  ilz1loop

	MOVQ out+32(FP), DX
	ILSUM(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15, (DX))
	VZEROUPPER
	RET

