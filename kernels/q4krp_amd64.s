//go:build amd64 && !purego

#include "textflag.h"

// The row-lane AVX-512 VNNI tile of the repacked-Q4_K order (q4krp.go):
// up to 16 weight rows sit in the 16 int32 lanes of a zmm (lane r = row r),
// up to four tokens share each weight vector. q4KRPPack8 first transposes
// 8 rows' blocks into the packed layout the tile reads: per block
// (q4KRPPackBytes = 2304 bytes) 36 slots of 64 bytes, slot v holding
// dword v of the block_q4_K of rows 0-7 (low 32 bytes) and 8-15 (high):
// v = 0 d and dmin, 1-3 the scale bytes, 4-35 the quants. Per super-block and token, every lane's int32
// sums are llama.cpp's exact S_b and M_b (VPDPBUSD of 4 nibbles × 4
// activation bytes per lane, times the sub-block scale with VPMULLD; the
// mins with VPDPWSSD against the activation block's bsum pairs), then one
// VCVTDQ2PS and one VFMADD231PS each for the sums and the mins, with
// fp16(d)·y.d formed by one VMULPS: the float operations of
// dotQ4KRPRef, lane for lane. Ends with VZEROUPPER.

// q4rpC: 0x0f bytes, 0x3f bytes, 0x03 bytes, 0xff (dwords to broadcast).
DATA q4rpC<>+0(SB)/4, $0x0f0f0f0f
DATA q4rpC<>+4(SB)/4, $0x3f3f3f3f
DATA q4rpC<>+8(SB)/4, $0x03030303
DATA q4rpC<>+12(SB)/4, $0x000000ff
GLOBL q4rpC<>(SB), RODATA|NOPTR, $16

// SLOT loads packed slot off/4 (dword off of the 16 rows' block) into z.
#define SLOT(off, z) \
	VMOVDQU32 (16*(off))(SI), z

// Q4P_LOAD sets y to the 16 bytes at lo in its low half and those at hi
// in its high half. Uses Y14.
#define Q4P_LOAD(lo, hi, y) \
	VBROADCASTI128 lo, y           \
	VBROADCASTI128 hi, Y14         \
	VPBLENDD       $0xf0, Y14, y, y

// Q4P_T4 transposes the 4×4 dword blocks of Y0-Y3 in each 128-bit half
// (Y_r = [row r dwords 4c..4c+3 | row r+4 dwords 4c..4c+3]) and stores
// slots 4c..4c+3 (lanes = rows 0-7) at off = 256c of DI. Uses Y8-Y11.
#define Q4P_T4(off) \
	VPUNPCKLDQ  Y1, Y0, Y8   \
	VPUNPCKHDQ  Y1, Y0, Y9   \
	VPUNPCKLDQ  Y3, Y2, Y10  \
	VPUNPCKHDQ  Y3, Y2, Y11  \
	VPUNPCKLQDQ Y10, Y8, Y0  \
	VPUNPCKHQDQ Y10, Y8, Y1  \
	VPUNPCKLQDQ Y11, Y9, Y2  \
	VPUNPCKHQDQ Y11, Y9, Y3  \
	VMOVDQU     Y0, off(DI)       \
	VMOVDQU     Y1, 64+off(DI)    \
	VMOVDQU     Y2, 128+off(DI)   \
	VMOVDQU     Y3, 192+off(DI)

// Q4P_COL packs bytes 16c..16c+15 of the 8 rows' block.
#define Q4P_COL(c) \
	Q4P_LOAD((16*c)(SI), (16*c)(R8), Y0) \
	Q4P_LOAD((16*c)(SI)(BX*1), (16*c)(R8)(BX*1), Y1) \
	Q4P_LOAD((16*c)(SI)(BX*2), (16*c)(R8)(BX*2), Y2) \
	Q4P_LOAD((16*c)(SI)(R9*1), (16*c)(R8)(R9*1), Y3) \
	Q4P_T4(256*c)

// Q4P_PF prefetches into L2 the 144 bytes of this block of the 8 rows
// at R10 and R11 (pf bytes ahead of SI and R8).
#define Q4P_PFO(o) \
	PREFETCHT1 o(R10)          \
	PREFETCHT1 o(R10)(BX*1)    \
	PREFETCHT1 o(R10)(BX*2)    \
	PREFETCHT1 o(R10)(R9*1)    \
	PREFETCHT1 o(R11)          \
	PREFETCHT1 o(R11)(BX*1)    \
	PREFETCHT1 o(R11)(BX*2)    \
	PREFETCHT1 o(R11)(R9*1)

#define Q4P_PF \
	Q4P_PFO(0)  \
	Q4P_PFO(64) \
	Q4P_PFO(128)

// func q4KRPPack8(dst, w *byte, wstride, nb, pf int)
//
// Packs the nb blocks of the 8 rows at w + r·wstride into dst (the low 32
// bytes of each slot; dst + 32 for rows 8-15 of a group), as
// q4KRPPackRef does, and prefetches the same bytes of the rows pf bytes
// further on (the next group's; none when pf is 0).
TEXT ·q4KRPPack8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ wstride+16(FP), BX
	MOVQ nb+24(FP), CX
	MOVQ pf+32(FP), DX
	LEAQ (BX)(BX*2), R9
	LEAQ (SI)(BX*4), R8
	LEAQ (SI)(DX*1), R10
	LEAQ (R8)(DX*1), R11
	TESTQ CX, CX
	JEQ   q4pdone

q4pblock:
	TESTQ DX, DX
	JEQ   q4pnopf
	Q4P_PF

q4pnopf:
	Q4P_COL(0)
	Q4P_COL(1)
	Q4P_COL(2)
	Q4P_COL(3)
	Q4P_COL(4)
	Q4P_COL(5)
	Q4P_COL(6)
	Q4P_COL(7)
	Q4P_COL(8)
	ADDQ $144, SI
	ADDQ $144, R8
	ADDQ $144, R10
	ADDQ $144, R11
	ADDQ $2304, DI
	DECQ CX
	JNZ  q4pblock

q4pdone:
	VZEROUPPER
	RET

// MINJ adds min_j·(bsums[2j]+bsums[2j+1]) of every token to M (Z12-Z15):
// mn holds the mins' bytes (j%4 at shift sh), boff = 260+4j.
#define MINJ(mn, sh, boff) \
	VPSRLD        $sh, mn, Z28 \
	VPANDD        Z30, Z28, Z28 \
	VPSLLD        $16, Z28, Z29 \
	VPORD         Z29, Z28, Z28 \
	VPDPWSSD.BCST boff(DI), Z28, Z12 \
	VPDPWSSD.BCST boff(R8), Z28, Z13 \
	VPDPWSSD.BCST boff(R9), Z28, Z14 \
	VPDPWSSD.BCST boff(R10), Z28, Z15

// QK4 adds the products of dword k of 64-quant chunk j (qoff = 16+32j+4k)
// to Tlo (Z12-Z15, low nibbles: activations at xoff = 4+64j+4k) and Thi
// (Z16-Z19, high nibbles: xoff+32) of the four tokens.
#define QK4(qoff, xoff) \
	SLOT(qoff, Z25) \
	VPANDD        Z24, Z25, Z26 \
	VPSRLD        $4, Z25, Z27 \
	VPANDD        Z24, Z27, Z27 \
	VPDPBUSD.BCST xoff(DI), Z26, Z12 \
	VPDPBUSD.BCST xoff(R8), Z26, Z13 \
	VPDPBUSD.BCST xoff(R9), Z26, Z14 \
	VPDPBUSD.BCST xoff(R10), Z26, Z15 \
	VPDPBUSD.BCST xoff+32(DI), Z27, Z16 \
	VPDPBUSD.BCST xoff+32(R8), Z27, Z17 \
	VPDPBUSD.BCST xoff+32(R9), Z27, Z18 \
	VPDPBUSD.BCST xoff+32(R10), Z27, Z19

// SCALE1 adds Tlo·sclo + Thi·schi of one token into S.
#define SCALE1(tlo, thi, s) \
	VPMULLD Z28, tlo, tlo \
	VPADDD  tlo, s, s \
	VPMULLD Z29, thi, thi \
	VPADDD  thi, s, s

// CHUNK does 64-quant chunk j of the block for the four tokens: sc holds
// the scale bytes of its two sub-blocks at shifts sh and sh+8.
#define CHUNK(j, sc, sh) \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15 \
	VPXORD Z16, Z16, Z16 \
	VPXORD Z17, Z17, Z17 \
	VPXORD Z18, Z18, Z18 \
	VPXORD Z19, Z19, Z19 \
	QK4(16+32*j+4*0, 4+64*j+4*0) \
	QK4(16+32*j+4*1, 4+64*j+4*1) \
	QK4(16+32*j+4*2, 4+64*j+4*2) \
	QK4(16+32*j+4*3, 4+64*j+4*3) \
	QK4(16+32*j+4*4, 4+64*j+4*4) \
	QK4(16+32*j+4*5, 4+64*j+4*5) \
	QK4(16+32*j+4*6, 4+64*j+4*6) \
	QK4(16+32*j+4*7, 4+64*j+4*7) \
	VPSRLD  $sh, sc, Z28 \
	VPANDD  Z30, Z28, Z28 \
	VPSRLD  $(sh+8), sc, Z29 \
	VPANDD  Z30, Z29, Z29 \
	SCALE1(Z12, Z16, Z8) \
	SCALE1(Z13, Z17, Z9) \
	SCALE1(Z14, Z18, Z10) \
	SCALE1(Z15, Z19, Z11)

// func q4KRPTile4(p *byte, nrows, nb int, x *byte, xstride, ntok int, out *float32, ostride int)
//
// For rows r < nrows (1..16) of the packed group at p and tokens t < ntok
// (1..4) at x + t·xstride: *(out + t·ostride + 4r bytes) =
// dotQ4KRPRef(row r, token t, nb·256), bit for bit. Tokens past ntok
// repeat token ntok-1 and are not stored.
TEXT ·q4KRPTile4(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), SI
	// Row mask K2 = (1<<nrows)-1.
	MOVQ  nrows+8(FP), CX
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2
	MOVQ nb+16(FP), CX
	MOVQ x+24(FP), DI
	MOVQ xstride+32(FP), AX
	MOVQ ntok+40(FP), R13
	MOVQ out+48(FP), R11
	MOVQ ostride+56(FP), R12
	MOVQ DI, R8
	MOVQ DI, R9
	MOVQ DI, R10
	CMPQ R13, $2
	JLT  q4tptrs
	ADDQ AX, R8
	MOVQ R8, R9
	MOVQ R8, R10
	CMPQ R13, $3
	JLT  q4tptrs
	ADDQ AX, R9
	MOVQ R9, R10
	CMPQ R13, $4
	JLT  q4tptrs
	ADDQ AX, R10

q4tptrs:
	VPBROADCASTD q4rpC<>+0(SB), Z24
	VPBROADCASTD q4rpC<>+12(SB), Z30
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ CX, CX
	JEQ   q4tstore

q4tblock:
	SLOT(0, Z20)
	SLOT(4, Z21)
	SLOT(8, Z8)
	SLOT(12, Z22)
	// mins 0-3 (Z9) = s1 & 0x3f; mins 4-7 (Z10) = (s2>>4)&0x0f | ((s1>>6)&3)<<4.
	VPANDD.BCST q4rpC<>+4(SB), Z8, Z9
	VPSRLD      $4, Z22, Z10
	VPANDD      Z24, Z10, Z10
	VPSRLD      $6, Z8, Z11
	VPANDD.BCST q4rpC<>+8(SB), Z11, Z11
	VPSLLD      $4, Z11, Z11
	VPORD       Z11, Z10, Z10
	// scales 4-7 (Z22) = s2&0x0f | ((s0>>6)&3)<<4; scales 0-3 (Z21) = s0 & 0x3f.
	VPSRLD      $6, Z21, Z11
	VPANDD.BCST q4rpC<>+8(SB), Z11, Z11
	VPSLLD      $4, Z11, Z11
	VPANDD      Z24, Z22, Z22
	VPORD       Z11, Z22, Z22
	VPANDD.BCST q4rpC<>+4(SB), Z21, Z21
	// M of the four tokens, then accmin = fma(float(M), fp16(dmin)·y.d, accmin).
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	MINJ(Z9, 0, 260)
	MINJ(Z9, 8, 264)
	MINJ(Z9, 16, 268)
	MINJ(Z9, 24, 272)
	MINJ(Z10, 0, 276)
	MINJ(Z10, 8, 280)
	MINJ(Z10, 16, 284)
	MINJ(Z10, 24, 288)
	VPSRLD    $16, Z20, Z28
	VPMOVDW   Z28, Y28
	VCVTPH2PS Y28, Z28
	VMULPS.BCST (DI), Z28, Z29
	VCVTDQ2PS   Z12, Z12
	VFMADD231PS Z29, Z12, Z4
	VMULPS.BCST (R8), Z28, Z29
	VCVTDQ2PS   Z13, Z13
	VFMADD231PS Z29, Z13, Z5
	VMULPS.BCST (R9), Z28, Z29
	VCVTDQ2PS   Z14, Z14
	VFMADD231PS Z29, Z14, Z6
	VMULPS.BCST (R10), Z28, Z29
	VCVTDQ2PS   Z15, Z15
	VFMADD231PS Z29, Z15, Z7
	// S of the four tokens (Z8-Z11).
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	CHUNK(0, Z21, 0)
	CHUNK(1, Z21, 16)
	CHUNK(2, Z22, 0)
	CHUNK(3, Z22, 16)
	// acc = fma(float(S), fp16(d)·y.d, acc).
	VPMOVDW   Z20, Y28
	VCVTPH2PS Y28, Z28
	VMULPS.BCST (DI), Z28, Z29
	VCVTDQ2PS   Z8, Z8
	VFMADD231PS Z29, Z8, Z0
	VMULPS.BCST (R8), Z28, Z29
	VCVTDQ2PS   Z9, Z9
	VFMADD231PS Z29, Z9, Z1
	VMULPS.BCST (R9), Z28, Z29
	VCVTDQ2PS   Z10, Z10
	VFMADD231PS Z29, Z10, Z2
	VMULPS.BCST (R10), Z28, Z29
	VCVTDQ2PS   Z11, Z11
	VFMADD231PS Z29, Z11, Z3
	ADDQ $2304, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	DECQ CX
	JNZ  q4tblock

q4tstore:
	VSUBPS  Z4, Z0, Z0
	VMOVUPS Z0, K2, (R11)
	CMPQ    R13, $2
	JLT     q4tdone
	ADDQ    R12, R11
	VSUBPS  Z5, Z1, Z1
	VMOVUPS Z1, K2, (R11)
	CMPQ    R13, $3
	JLT     q4tdone
	ADDQ    R12, R11
	VSUBPS  Z6, Z2, Z2
	VMOVUPS Z2, K2, (R11)
	CMPQ    R13, $4
	JLT     q4tdone
	ADDQ    R12, R11
	VSUBPS  Z7, Z3, Z3
	VMOVUPS Z3, K2, (R11)

q4tdone:
	VZEROUPPER
	RET
