//go:build amd64 && !purego

#include "textflag.h"

// HSUM leaves the sum of the eight lanes of y0 (+ y1) in the low lane of x0.
#define HSUM(y0, y1, x0, x1) \
	VADDPS y1, y0, y0 \
	VEXTRACTF128 $1, y0, x1 \
	VADDPS x1, x0, x0 \
	VHADDPS x0, x0, x0 \
	VHADDPS x0, x0, x0

// func attnScoresF32(sc, q *float32, k *float32, stride, n, hd int, scale float32) float32
//
// sc[p] = scale · Σ_{i<hd} q[i]·k[p·stride+i] for p < n (hd a
// positive multiple of 8), and returns the largest sc[p] (NaNs may be
// skipped). Eight positions at a time, one ymm accumulator each over hd,
// reduced together by a VHADDPS tree; the n%8 last positions one at a time
// with two accumulators (16 elements a step).
TEXT ·attnScoresF32(SB), NOSPLIT, $0-60
	MOVQ sc+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R13
	SHLQ $2, R13
	MOVQ n+32(FP), CX
	MOVQ hd+40(FP), R9
	VBROADCASTSS scale+48(FP), Y15
	MOVL $0xff800000, AX
	VMOVD AX, X14
	VBROADCASTSS X14, Y14

attnScoresF32grp:
	CMPQ CX, $8
	JLT  attnScoresF32max
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, R10
	MOVQ DX, R11
	LEAQ (R11)(R13*2), AX
	ADDQ R13, AX
	LEAQ (AX)(R13*2), BX
	ADDQ R13, BX
	MOVQ R9, R12

attnScoresF32col:
	VMOVUPS 0(R10), Y8
	VFMADD231PS 0(R11), Y8, Y0
	VFMADD231PS 0(R11)(R13*1), Y8, Y1
	VFMADD231PS 0(R11)(R13*2), Y8, Y2
	VFMADD231PS 0(AX), Y8, Y3
	VFMADD231PS 0(R11)(R13*4), Y8, Y4
	VFMADD231PS 0(AX)(R13*2), Y8, Y5
	VFMADD231PS 0(BX), Y8, Y6
	VFMADD231PS 0(BX)(R13*1), Y8, Y7
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $8, R12
	JNZ  attnScoresF32col
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS Y2, Y1, Y1
	VMULPS Y15, Y1, Y1
	VMOVUPS Y1, 0(DI)
	VMAXPS Y1, Y14, Y14
	ADDQ $32, DI
	LEAQ (DX)(R13*8), DX
	SUBQ $8, CX
	JMP  attnScoresF32grp

attnScoresF32max:
	// the max of Y14's eight lanes into every lane of X14
	VEXTRACTF128 $1, Y14, X0
	VMAXPS X0, X14, X14
	VPERMILPS $0x4e, X14, X0
	VMAXPS X0, X14, X14
	VPERMILPS $0xb1, X14, X0
	VMAXPS X0, X14, X14

attnScoresF32pos:
	TESTQ CX, CX
	JEQ   attnScoresF32done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, R12

attnScoresF32in16:
	CMPQ R12, $16
	JLT  attnScoresF32in8
	VMOVUPS 0(R10), Y2
	VMOVUPS 32(R10), Y3
	VFMADD231PS 0(R11), Y2, Y0
	VFMADD231PS 32(R11), Y3, Y1
	ADDQ $64, R10
	ADDQ $64, R11
	SUBQ $16, R12
	JMP  attnScoresF32in16

attnScoresF32in8:
	TESTQ R12, R12
	JEQ   attnScoresF32red
	VMOVUPS 0(R10), Y2
	VFMADD231PS 0(R11), Y2, Y0

attnScoresF32red:
	HSUM(Y0, Y1, X0, X1)
	VMULSS X15, X0, X0
	VMOVSS X0, 0(DI)
	VMAXSS X0, X14, X14
	ADDQ $4, DI
	ADDQ R13, DX
	DECQ CX
	JMP  attnScoresF32pos

attnScoresF32done:
	VZEROUPPER
	VMOVSS X14, ret+56(FP)
	RET

// func attnScoresF16(sc, q *float32, k *uint16, stride, n, hd int, scale float32) float32
//
// sc[p] = scale · Σ_{i<hd} q[i]·k[p·stride+i] for p < n (keys as IEEE half floats, converted exactly by VCVTPH2PS;
// hd a
// positive multiple of 8), and returns the largest sc[p] (NaNs may be
// skipped). Eight positions at a time, one ymm accumulator each over hd,
// reduced together by a VHADDPS tree; the n%8 last positions one at a time
// with two accumulators (16 elements a step).
TEXT ·attnScoresF16(SB), NOSPLIT, $0-60
	MOVQ sc+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), DX
	MOVQ stride+24(FP), R13
	SHLQ $1, R13
	MOVQ n+32(FP), CX
	MOVQ hd+40(FP), R9
	VBROADCASTSS scale+48(FP), Y15
	MOVL $0xff800000, AX
	VMOVD AX, X14
	VBROADCASTSS X14, Y14

attnScoresF16grp:
	CMPQ CX, $8
	JLT  attnScoresF16max
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, R10
	MOVQ DX, R11
	LEAQ (R11)(R13*2), AX
	ADDQ R13, AX
	LEAQ (AX)(R13*2), BX
	ADDQ R13, BX
	MOVQ R9, R12

attnScoresF16col:
	VMOVUPS 0(R10), Y8
	VCVTPH2PS 0(R11), Y9
	VFMADD231PS Y9, Y8, Y0
	VCVTPH2PS 0(R11)(R13*1), Y10
	VFMADD231PS Y10, Y8, Y1
	VCVTPH2PS 0(R11)(R13*2), Y11
	VFMADD231PS Y11, Y8, Y2
	VCVTPH2PS 0(AX), Y12
	VFMADD231PS Y12, Y8, Y3
	VCVTPH2PS 0(R11)(R13*4), Y13
	VFMADD231PS Y13, Y8, Y4
	VCVTPH2PS 0(AX)(R13*2), Y9
	VFMADD231PS Y9, Y8, Y5
	VCVTPH2PS 0(BX), Y10
	VFMADD231PS Y10, Y8, Y6
	VCVTPH2PS 0(BX)(R13*1), Y11
	VFMADD231PS Y11, Y8, Y7
	ADDQ $32, R10
	ADDQ $16, R11
	ADDQ $16, AX
	ADDQ $16, BX
	SUBQ $8, R12
	JNZ  attnScoresF16col
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y2, Y0, Y0
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS Y2, Y1, Y1
	VMULPS Y15, Y1, Y1
	VMOVUPS Y1, 0(DI)
	VMAXPS Y1, Y14, Y14
	ADDQ $32, DI
	LEAQ (DX)(R13*8), DX
	SUBQ $8, CX
	JMP  attnScoresF16grp

attnScoresF16max:
	// the max of Y14's eight lanes into every lane of X14
	VEXTRACTF128 $1, Y14, X0
	VMAXPS X0, X14, X14
	VPERMILPS $0x4e, X14, X0
	VMAXPS X0, X14, X14
	VPERMILPS $0xb1, X14, X0
	VMAXPS X0, X14, X14

attnScoresF16pos:
	TESTQ CX, CX
	JEQ   attnScoresF16done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ SI, R10
	MOVQ DX, R11
	MOVQ R9, R12

attnScoresF16in16:
	CMPQ R12, $16
	JLT  attnScoresF16in8
	VCVTPH2PS 0(R11), Y2
	VCVTPH2PS 16(R11), Y3
	VFMADD231PS 0(R10), Y2, Y0
	VFMADD231PS 32(R10), Y3, Y1
	ADDQ $64, R10
	ADDQ $32, R11
	SUBQ $16, R12
	JMP  attnScoresF16in16

attnScoresF16in8:
	TESTQ R12, R12
	JEQ   attnScoresF16red
	VCVTPH2PS 0(R11), Y2
	VFMADD231PS 0(R10), Y2, Y0

attnScoresF16red:
	HSUM(Y0, Y1, X0, X1)
	VMULSS X15, X0, X0
	VMOVSS X0, 0(DI)
	VMAXSS X0, X14, X14
	ADDQ $4, DI
	ADDQ R13, DX
	DECQ CX
	JMP  attnScoresF16pos

attnScoresF16done:
	VZEROUPPER
	VMOVSS X14, ret+56(FP)
	RET

// func attnAccumF32(out, w, v *float32, stride, n, hd int)
//
// out[i] += Σ_{p<n} w[p]·v[p·stride+i] for i < hd (a positive multiple of
// 8) with FMA: columns in blocks of 64 (eight ymm accumulators, each element
// summed in order of p), then blocks of 8 (four accumulators taking every
// fourth position); every block is a pass over the n rows.
TEXT ·attnAccumF32(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9

a32col64:
	CMPQ R9, $64
	JLT  a32col8
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ w+8(FP), R10
	MOVQ DX, R11
	MOVQ n+32(FP), CX

a32p64:
	TESTQ CX, CX
	JEQ   a32st64
	VBROADCASTSS 0(R10), Y15
	VFMADD231PS 0(R11), Y15, Y0
	VFMADD231PS 32(R11), Y15, Y1
	VFMADD231PS 64(R11), Y15, Y2
	VFMADD231PS 96(R11), Y15, Y3
	VFMADD231PS 128(R11), Y15, Y4
	VFMADD231PS 160(R11), Y15, Y5
	VFMADD231PS 192(R11), Y15, Y6
	VFMADD231PS 224(R11), Y15, Y7
	ADDQ $4, R10
	ADDQ R8, R11
	DECQ CX
	JMP  a32p64

a32st64:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, DX
	SUBQ $64, R9
	JMP  a32col64

a32col8:
	// columns 8 at a time: positions p, p+1, p+2, p+3 into four
	// accumulators (out, 0, 0, 0), summed as (Y0+Y1)+(Y2+Y3) at the end
	TESTQ R9, R9
	JEQ   a32done
	VMOVUPS 0(DI), Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ w+8(FP), R10
	MOVQ DX, R11
	MOVQ n+32(FP), CX

a32p8x4:
	CMPQ CX, $4
	JLT  a32p8
	VBROADCASTSS 0(R10), Y15
	VFMADD231PS 0(R11), Y15, Y0
	VBROADCASTSS 4(R10), Y14
	VFMADD231PS 0(R11)(R8*1), Y14, Y1
	VBROADCASTSS 8(R10), Y13
	VFMADD231PS 0(R11)(R8*2), Y13, Y2
	LEAQ (R11)(R8*2), R12
	ADDQ R8, R12
	VBROADCASTSS 12(R10), Y12
	VFMADD231PS 0(R12), Y12, Y3
	ADDQ $16, R10
	LEAQ (R11)(R8*4), R11
	SUBQ $4, CX
	JMP  a32p8x4

a32p8:
	TESTQ CX, CX
	JEQ   a32st8
	VBROADCASTSS 0(R10), Y15
	VFMADD231PS 0(R11), Y15, Y0
	ADDQ $4, R10
	ADDQ R8, R11
	DECQ CX
	JMP  a32p8

a32st8:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, R9
	JMP  a32col8

a32done:
	VZEROUPPER
	RET

// func attnAccumF16(out, w *float32, v *uint16, stride, n, hd int)
//
// attnAccumF32 with values stored as IEEE half floats (VCVTPH2PS).
TEXT ·attnAccumF16(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+16(FP), DX
	MOVQ stride+24(FP), R8
	SHLQ $1, R8
	MOVQ hd+40(FP), R9

a16col64:
	CMPQ R9, $64
	JLT  a16col8
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	MOVQ w+8(FP), R10
	MOVQ DX, R11
	MOVQ n+32(FP), CX

a16p64:
	TESTQ CX, CX
	JEQ   a16st64
	VBROADCASTSS 0(R10), Y15
	VCVTPH2PS 0(R11), Y8
	VCVTPH2PS 16(R11), Y9
	VCVTPH2PS 32(R11), Y10
	VCVTPH2PS 48(R11), Y11
	VFMADD231PS Y8, Y15, Y0
	VFMADD231PS Y9, Y15, Y1
	VFMADD231PS Y10, Y15, Y2
	VFMADD231PS Y11, Y15, Y3
	VCVTPH2PS 64(R11), Y8
	VCVTPH2PS 80(R11), Y9
	VCVTPH2PS 96(R11), Y10
	VCVTPH2PS 112(R11), Y11
	VFMADD231PS Y8, Y15, Y4
	VFMADD231PS Y9, Y15, Y5
	VFMADD231PS Y10, Y15, Y6
	VFMADD231PS Y11, Y15, Y7
	ADDQ $4, R10
	ADDQ R8, R11
	DECQ CX
	JMP  a16p64

a16st64:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $128, DX
	SUBQ $64, R9
	JMP  a16col64

a16col8:
	// columns 8 at a time: positions p, p+1, p+2, p+3 into four
	// accumulators (out, 0, 0, 0), summed as (Y0+Y1)+(Y2+Y3) at the end
	TESTQ R9, R9
	JEQ   a16done
	VMOVUPS 0(DI), Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ w+8(FP), R10
	MOVQ DX, R11
	MOVQ n+32(FP), CX

a16p8x4:
	CMPQ CX, $4
	JLT  a16p8
	VBROADCASTSS 0(R10), Y15
	VCVTPH2PS 0(R11), Y8
	VFMADD231PS Y8, Y15, Y0
	VBROADCASTSS 4(R10), Y14
	VCVTPH2PS 0(R11)(R8*1), Y9
	VFMADD231PS Y9, Y14, Y1
	VBROADCASTSS 8(R10), Y13
	VCVTPH2PS 0(R11)(R8*2), Y10
	VFMADD231PS Y10, Y13, Y2
	LEAQ (R11)(R8*2), R12
	ADDQ R8, R12
	VBROADCASTSS 12(R10), Y12
	VCVTPH2PS 0(R12), Y11
	VFMADD231PS Y11, Y12, Y3
	ADDQ $16, R10
	LEAQ (R11)(R8*4), R11
	SUBQ $4, CX
	JMP  a16p8x4

a16p8:
	TESTQ CX, CX
	JEQ   a16st8
	VBROADCASTSS 0(R10), Y15
	VCVTPH2PS 0(R11), Y8
	VFMADD231PS Y8, Y15, Y0
	ADDQ $4, R10
	ADDQ R8, R11
	DECQ CX
	JMP  a16p8

a16st8:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, 0(DI)
	ADDQ $32, DI
	ADDQ $16, DX
	SUBQ $8, R9
	JMP  a16col8

a16done:
	VZEROUPPER
	RET

// Constants of attnExpSum and swigluAVX2, eight copies each (one ymm):
// log2(e); ln 2 split into a short high part and the rest (Cody & Waite);
// the clamp bounds -87 and 88; the Taylor coefficients 1, 1/2!, …, 1/7!; the
// float32 exponent bias 127 (integer); -88.72284 (swigluAVX2).
// log2e at 0
DATA expc<>+0(SB)/4, $0x3fb8aa3b
DATA expc<>+4(SB)/4, $0x3fb8aa3b
DATA expc<>+8(SB)/4, $0x3fb8aa3b
DATA expc<>+12(SB)/4, $0x3fb8aa3b
DATA expc<>+16(SB)/4, $0x3fb8aa3b
DATA expc<>+20(SB)/4, $0x3fb8aa3b
DATA expc<>+24(SB)/4, $0x3fb8aa3b
DATA expc<>+28(SB)/4, $0x3fb8aa3b
// ln2hi at 32
DATA expc<>+32(SB)/4, $0x3f318000
DATA expc<>+36(SB)/4, $0x3f318000
DATA expc<>+40(SB)/4, $0x3f318000
DATA expc<>+44(SB)/4, $0x3f318000
DATA expc<>+48(SB)/4, $0x3f318000
DATA expc<>+52(SB)/4, $0x3f318000
DATA expc<>+56(SB)/4, $0x3f318000
DATA expc<>+60(SB)/4, $0x3f318000
// ln2lo at 64
DATA expc<>+64(SB)/4, $0xb95e8083
DATA expc<>+68(SB)/4, $0xb95e8083
DATA expc<>+72(SB)/4, $0xb95e8083
DATA expc<>+76(SB)/4, $0xb95e8083
DATA expc<>+80(SB)/4, $0xb95e8083
DATA expc<>+84(SB)/4, $0xb95e8083
DATA expc<>+88(SB)/4, $0xb95e8083
DATA expc<>+92(SB)/4, $0xb95e8083
// lo at 96
DATA expc<>+96(SB)/4, $0xc2ae0000
DATA expc<>+100(SB)/4, $0xc2ae0000
DATA expc<>+104(SB)/4, $0xc2ae0000
DATA expc<>+108(SB)/4, $0xc2ae0000
DATA expc<>+112(SB)/4, $0xc2ae0000
DATA expc<>+116(SB)/4, $0xc2ae0000
DATA expc<>+120(SB)/4, $0xc2ae0000
DATA expc<>+124(SB)/4, $0xc2ae0000
// hi at 128
DATA expc<>+128(SB)/4, $0x42b00000
DATA expc<>+132(SB)/4, $0x42b00000
DATA expc<>+136(SB)/4, $0x42b00000
DATA expc<>+140(SB)/4, $0x42b00000
DATA expc<>+144(SB)/4, $0x42b00000
DATA expc<>+148(SB)/4, $0x42b00000
DATA expc<>+152(SB)/4, $0x42b00000
DATA expc<>+156(SB)/4, $0x42b00000
// one at 160
DATA expc<>+160(SB)/4, $0x3f800000
DATA expc<>+164(SB)/4, $0x3f800000
DATA expc<>+168(SB)/4, $0x3f800000
DATA expc<>+172(SB)/4, $0x3f800000
DATA expc<>+176(SB)/4, $0x3f800000
DATA expc<>+180(SB)/4, $0x3f800000
DATA expc<>+184(SB)/4, $0x3f800000
DATA expc<>+188(SB)/4, $0x3f800000
// c2 at 192
DATA expc<>+192(SB)/4, $0x3f000000
DATA expc<>+196(SB)/4, $0x3f000000
DATA expc<>+200(SB)/4, $0x3f000000
DATA expc<>+204(SB)/4, $0x3f000000
DATA expc<>+208(SB)/4, $0x3f000000
DATA expc<>+212(SB)/4, $0x3f000000
DATA expc<>+216(SB)/4, $0x3f000000
DATA expc<>+220(SB)/4, $0x3f000000
// c3 at 224
DATA expc<>+224(SB)/4, $0x3e2aaaab
DATA expc<>+228(SB)/4, $0x3e2aaaab
DATA expc<>+232(SB)/4, $0x3e2aaaab
DATA expc<>+236(SB)/4, $0x3e2aaaab
DATA expc<>+240(SB)/4, $0x3e2aaaab
DATA expc<>+244(SB)/4, $0x3e2aaaab
DATA expc<>+248(SB)/4, $0x3e2aaaab
DATA expc<>+252(SB)/4, $0x3e2aaaab
// c4 at 256
DATA expc<>+256(SB)/4, $0x3d2aaaab
DATA expc<>+260(SB)/4, $0x3d2aaaab
DATA expc<>+264(SB)/4, $0x3d2aaaab
DATA expc<>+268(SB)/4, $0x3d2aaaab
DATA expc<>+272(SB)/4, $0x3d2aaaab
DATA expc<>+276(SB)/4, $0x3d2aaaab
DATA expc<>+280(SB)/4, $0x3d2aaaab
DATA expc<>+284(SB)/4, $0x3d2aaaab
// c5 at 288
DATA expc<>+288(SB)/4, $0x3c088889
DATA expc<>+292(SB)/4, $0x3c088889
DATA expc<>+296(SB)/4, $0x3c088889
DATA expc<>+300(SB)/4, $0x3c088889
DATA expc<>+304(SB)/4, $0x3c088889
DATA expc<>+308(SB)/4, $0x3c088889
DATA expc<>+312(SB)/4, $0x3c088889
DATA expc<>+316(SB)/4, $0x3c088889
// c6 at 320
DATA expc<>+320(SB)/4, $0x3ab60b61
DATA expc<>+324(SB)/4, $0x3ab60b61
DATA expc<>+328(SB)/4, $0x3ab60b61
DATA expc<>+332(SB)/4, $0x3ab60b61
DATA expc<>+336(SB)/4, $0x3ab60b61
DATA expc<>+340(SB)/4, $0x3ab60b61
DATA expc<>+344(SB)/4, $0x3ab60b61
DATA expc<>+348(SB)/4, $0x3ab60b61
// c7 at 352
DATA expc<>+352(SB)/4, $0x39500d01
DATA expc<>+356(SB)/4, $0x39500d01
DATA expc<>+360(SB)/4, $0x39500d01
DATA expc<>+364(SB)/4, $0x39500d01
DATA expc<>+368(SB)/4, $0x39500d01
DATA expc<>+372(SB)/4, $0x39500d01
DATA expc<>+376(SB)/4, $0x39500d01
DATA expc<>+380(SB)/4, $0x39500d01
// i127 at 384
DATA expc<>+384(SB)/4, $0x0000007f
DATA expc<>+388(SB)/4, $0x0000007f
DATA expc<>+392(SB)/4, $0x0000007f
DATA expc<>+396(SB)/4, $0x0000007f
DATA expc<>+400(SB)/4, $0x0000007f
DATA expc<>+404(SB)/4, $0x0000007f
DATA expc<>+408(SB)/4, $0x0000007f
DATA expc<>+412(SB)/4, $0x0000007f
// -88.72284 at 416 (exp of its negation overflows float32)
DATA expc<>+416(SB)/4, $0xc2b17218
DATA expc<>+420(SB)/4, $0xc2b17218
DATA expc<>+424(SB)/4, $0xc2b17218
DATA expc<>+428(SB)/4, $0xc2b17218
DATA expc<>+432(SB)/4, $0xc2b17218
DATA expc<>+436(SB)/4, $0xc2b17218
DATA expc<>+440(SB)/4, $0xc2b17218
DATA expc<>+444(SB)/4, $0xc2b17218
GLOBL expc<>(SB), RODATA|NOPTR, $448

// func attnExpSum(x *float32, n int, m float32) float64
//
// x[i] = exp(x[i] - m) for i < n (a multiple of 8), and returns Σ x[i]
// summed in float64 (two 4-lane accumulators: even and odd halves of each 8).
// exp(y): y clamped to [-87, 88]; k = round(y·log2 e); r = y - k·ln2 (two
// FMAs, Cody-Waite); exp(r) by its degree-7 Taylor polynomial (Horner, FMA;
// |r| ≤ 0.347, truncation < 5e-9 relative); times 2^k built in the exponent
// bits. y < -87 gives 0 (exp(-87) ≈ 1.6e-38); NaN stays NaN (the clamps keep
// a NaN operand). Meant for y ≤ 0: softmax after subtracting the maximum.
TEXT ·attnExpSum(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y15
	VMOVUPS expc<>+0(SB), Y12
	VMOVUPS expc<>+32(SB), Y11
	VMOVUPS expc<>+64(SB), Y10
	VMOVUPS expc<>+96(SB), Y14
	VMOVUPS expc<>+128(SB), Y13
	VMOVUPS expc<>+160(SB), Y9
	VMOVUPS expc<>+384(SB), Y8
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7

expLoop:
	TESTQ CX, CX
	JEQ   expDone
	VMOVUPS 0(DI), Y0
	VSUBPS Y15, Y0, Y0
	VCMPPS $1, Y14, Y0, Y5
	VMAXPS Y0, Y14, Y0
	VMINPS Y0, Y13, Y0
	VMULPS Y12, Y0, Y1
	VROUNDPS $0, Y1, Y1
	VMOVAPS Y0, Y2
	VFNMADD231PS Y11, Y1, Y2
	VFNMADD231PS Y10, Y1, Y2
	VMOVUPS expc<>+352(SB), Y3
	VFMADD213PS expc<>+320(SB), Y2, Y3
	VFMADD213PS expc<>+288(SB), Y2, Y3
	VFMADD213PS expc<>+256(SB), Y2, Y3
	VFMADD213PS expc<>+224(SB), Y2, Y3
	VFMADD213PS expc<>+192(SB), Y2, Y3
	VFMADD213PS Y9, Y2, Y3
	VFMADD213PS Y9, Y2, Y3
	VCVTPS2DQ Y1, Y4
	VPADDD Y8, Y4, Y4
	VPSLLD $23, Y4, Y4
	VMULPS Y4, Y3, Y3
	VANDNPS Y3, Y5, Y3
	VMOVUPS Y3, 0(DI)
	VCVTPS2PD X3, Y4
	VADDPD Y4, Y6, Y6
	VEXTRACTF128 $1, Y3, X3
	VCVTPS2PD X3, Y4
	VADDPD Y4, Y7, Y7
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  expLoop

expDone:
	VADDPD Y7, Y6, Y6
	VEXTRACTF128 $1, Y6, X7
	VADDPD X7, X6, X6
	VHADDPD X6, X6, X6
	VZEROUPPER
	VMOVSD X6, ret+24(FP)
	RET

// EXP replaces y by exp(y) as attnExpSum computes it (Y9..Y14 hold its
// constants; Y1..Y5 are scratch).
#define EXP(y) \
	VCMPPS $1, Y14, y, Y5 \
	VMAXPS y, Y14, y \
	VMINPS y, Y13, y \
	VMULPS Y12, y, Y1 \
	VROUNDPS $0, Y1, Y1 \
	VMOVAPS y, Y2 \
	VFNMADD231PS Y11, Y1, Y2 \
	VFNMADD231PS Y10, Y1, Y2 \
	VMOVUPS expc<>+352(SB), Y3 \
	VFMADD213PS expc<>+320(SB), Y2, Y3 \
	VFMADD213PS expc<>+288(SB), Y2, Y3 \
	VFMADD213PS expc<>+256(SB), Y2, Y3 \
	VFMADD213PS expc<>+224(SB), Y2, Y3 \
	VFMADD213PS expc<>+192(SB), Y2, Y3 \
	VFMADD213PS Y9, Y2, Y3 \
	VFMADD213PS Y9, Y2, Y3 \
	VCVTPS2DQ Y1, Y4 \
	VPADDD expc<>+384(SB), Y4, Y4 \
	VPSLLD $23, Y4, Y4 \
	VMULPS Y4, Y3, Y3 \
	VANDNPS Y3, Y5, y

// func swigluAVX2(out, gate, up *float32, n int)
//
// out[i] = gate[i]/(1 + exp(-gate[i])) · up[i] for i < n (a multiple of 8),
// exp as attnExpSum's (its argument clamped at 88). For gate ≤ -88.72284,
// where float32 exp(-gate) overflows, SiLU is gate·0 as the formula then
// gives (-0, or NaN for -Inf), not gate/exp(88).
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPS expc<>+0(SB), Y12
	VMOVUPS expc<>+32(SB), Y11
	VMOVUPS expc<>+64(SB), Y10
	VMOVUPS expc<>+96(SB), Y14
	VMOVUPS expc<>+128(SB), Y13
	VMOVUPS expc<>+160(SB), Y9
	VXORPS Y15, Y15, Y15

sgLoop:
	TESTQ CX, CX
	JEQ   sgDone
	VMOVUPS 0(SI), Y0
	VSUBPS Y0, Y15, Y6
	EXP(Y6)
	VADDPS Y9, Y6, Y6
	VDIVPS Y6, Y0, Y7
	VCMPPS $2, expc<>+416(SB), Y0, Y8
	VMULPS Y15, Y0, Y6
	VBLENDVPS Y8, Y6, Y7, Y7
	VMULPS 0(DX), Y7, Y7
	VMOVUPS Y7, 0(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sgLoop

sgDone:
	VZEROUPPER
	RET
