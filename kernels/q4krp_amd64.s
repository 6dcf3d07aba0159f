//go:build amd64 && !purego

#include "textflag.h"

// The row-lane AVX-512 VNNI tile of the repacked-Q4_K order (q4krp.go):
// up to 16 weight rows sit in the 16 int32 lanes of a zmm (lane r = row r,
// its dwords fetched with VPGATHERDD at r·wstride), up to four tokens
// share each weight vector. Per super-block and token, every lane's int32
// sums are llama.cpp's exact S_b and M_b (VPDPBUSD of 4 nibbles × 4
// activation bytes per lane, times the sub-block scale with VPMULLD; the
// mins with VPDPWSSD against the activation block's bsum pairs), then one
// VCVTDQ2PS and one VFMADD231PS each for the sums and the mins, with
// fp16(d)·y.d formed by one VMULPS: the float operations of
// dotQ4KRPRef, lane for lane. Ends with VZEROUPPER.

// q4rpIota is the int32 lanes 0..15.
DATA q4rpIota<>+0(SB)/8, $0x0000000100000000
DATA q4rpIota<>+8(SB)/8, $0x0000000300000002
DATA q4rpIota<>+16(SB)/8, $0x0000000500000004
DATA q4rpIota<>+24(SB)/8, $0x0000000700000006
DATA q4rpIota<>+32(SB)/8, $0x0000000900000008
DATA q4rpIota<>+40(SB)/8, $0x0000000b0000000a
DATA q4rpIota<>+48(SB)/8, $0x0000000d0000000c
DATA q4rpIota<>+56(SB)/8, $0x0000000f0000000e
GLOBL q4rpIota<>(SB), RODATA|NOPTR, $64

// q4rpC: 0x0f bytes, 0x3f bytes, 0x03 bytes, 0xff (dwords to broadcast).
DATA q4rpC<>+0(SB)/4, $0x0f0f0f0f
DATA q4rpC<>+4(SB)/4, $0x3f3f3f3f
DATA q4rpC<>+8(SB)/4, $0x03030303
DATA q4rpC<>+12(SB)/4, $0x000000ff
GLOBL q4rpC<>(SB), RODATA|NOPTR, $16

// GATHER loads the dword at off of every row's block into z (lanes of
// rows past nrows keep z's old value).
#define GATHER(off, z) \
	KMOVW      K2, K1 \
	VPGATHERDD off(SI)(Z23*1), K1, z

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
	GATHER(qoff, Z25) \
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

// func q4KRPTile4(w *byte, wstride, nrows, nb int, x *byte, xstride, ntok int, out *float32, ostride int)
//
// For rows r < nrows (1..16) at w + r·wstride and tokens t < ntok (1..4) at
// x + t·xstride: *(out + t·ostride + 4r bytes) = dotQ4KRPRef(row r,
// token t, nb·256), bit for bit. Tokens past ntok repeat token ntok-1 and
// are not stored. 15·wstride must fit in an int32.
TEXT ·q4KRPTile4(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	// Row mask K2 = (1<<nrows)-1.
	MOVQ  nrows+16(FP), CX
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2
	MOVQ nb+24(FP), CX
	MOVQ x+32(FP), DI
	MOVQ xstride+40(FP), AX
	MOVQ ntok+48(FP), R13
	MOVQ out+56(FP), R11
	MOVQ ostride+64(FP), R12
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
	// Row offsets Z23 = r·wstride.
	MOVQ  wstride+8(FP), AX
	VPBROADCASTD AX, Z28
	VPMULLD q4rpIota<>(SB), Z28, Z23
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
	GATHER(0, Z20)
	GATHER(4, Z21)
	GATHER(8, Z8)
	GATHER(12, Z22)
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
	ADDQ $144, SI
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
