//go:build amd64 && !purego

#include "textflag.h"

// Q4_K and Q6_K dot products with Q8_K activations in AVX2 (+FMA, F16C),
// following ggml's ggml_vec_dot_q4_K_q8_K / ggml_vec_dot_q6_K_q8_K for
// __AVX2__ (ggml-cpu/arch/x86/quants.c): the integer part of each block is
// exact, so the result depends only on the float order, which is ggml's:
//
//	Q4_K: acc (8 lanes) = fma(d, float(sumi), acc) per block, sumi lane k
//	      the sum of 4 adjacent products of each 32-quant chunk times its
//	      scale; accm (4 lanes) = fma(-dmin, float(mins·pair sums of bsums),
//	      accm); result hsum8(acc) + ((m0+m2)+(m1+m3)).
//	Q6_K: acc = fma(d, float(sumi - 32·scales·bsums), acc); result hsum8(acc).
//
// hsum8 is ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)) (ggml's hsum_float_8).
// Every function ends with VZEROUPPER.

// kqShufK4 entry i (32 bytes) broadcasts int16 word i of a 128-bit lane
// to all its words with VPSHUFB (ggml's get_scale_shuffle_k4).
DATA kqShufK4<>+0(SB)/8, $0x0100010001000100
DATA kqShufK4<>+8(SB)/8, $0x0100010001000100
DATA kqShufK4<>+16(SB)/8, $0x0100010001000100
DATA kqShufK4<>+24(SB)/8, $0x0100010001000100
DATA kqShufK4<>+32(SB)/8, $0x0302030203020302
DATA kqShufK4<>+40(SB)/8, $0x0302030203020302
DATA kqShufK4<>+48(SB)/8, $0x0302030203020302
DATA kqShufK4<>+56(SB)/8, $0x0302030203020302
DATA kqShufK4<>+64(SB)/8, $0x0504050405040504
DATA kqShufK4<>+72(SB)/8, $0x0504050405040504
DATA kqShufK4<>+80(SB)/8, $0x0504050405040504
DATA kqShufK4<>+88(SB)/8, $0x0504050405040504
DATA kqShufK4<>+96(SB)/8, $0x0706070607060706
DATA kqShufK4<>+104(SB)/8, $0x0706070607060706
DATA kqShufK4<>+112(SB)/8, $0x0706070607060706
DATA kqShufK4<>+120(SB)/8, $0x0706070607060706
DATA kqShufK4<>+128(SB)/8, $0x0908090809080908
DATA kqShufK4<>+136(SB)/8, $0x0908090809080908
DATA kqShufK4<>+144(SB)/8, $0x0908090809080908
DATA kqShufK4<>+152(SB)/8, $0x0908090809080908
DATA kqShufK4<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kqShufK4<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kqShufK4<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kqShufK4<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA kqShufK4<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kqShufK4<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kqShufK4<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kqShufK4<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA kqShufK4<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kqShufK4<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kqShufK4<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA kqShufK4<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL kqShufK4<>(SB), RODATA|NOPTR, $256

// kqShufQ6 entry i (16 bytes) is bytes 2i (×8) then 2i+1 (×8): with
// VPSHUFB it picks two Q6_K group scales for one 32-quant chunk
// (ggml's get_scale_shuffle).
DATA kqShufQ6<>+0(SB)/8, $0x0000000000000000
DATA kqShufQ6<>+8(SB)/8, $0x0101010101010101
DATA kqShufQ6<>+16(SB)/8, $0x0202020202020202
DATA kqShufQ6<>+24(SB)/8, $0x0303030303030303
DATA kqShufQ6<>+32(SB)/8, $0x0404040404040404
DATA kqShufQ6<>+40(SB)/8, $0x0505050505050505
DATA kqShufQ6<>+48(SB)/8, $0x0606060606060606
DATA kqShufQ6<>+56(SB)/8, $0x0707070707070707
DATA kqShufQ6<>+64(SB)/8, $0x0808080808080808
DATA kqShufQ6<>+72(SB)/8, $0x0909090909090909
DATA kqShufQ6<>+80(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA kqShufQ6<>+88(SB)/8, $0x0b0b0b0b0b0b0b0b
DATA kqShufQ6<>+96(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA kqShufQ6<>+104(SB)/8, $0x0d0d0d0d0d0d0d0d
DATA kqShufQ6<>+112(SB)/8, $0x0e0e0e0e0e0e0e0e
DATA kqShufQ6<>+120(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL kqShufQ6<>(SB), RODATA|NOPTR, $128

// kqMasks: 32 bytes each of 0x03, 0x0c, 0x30, 0xc0 (the 2-bit fields of Q6_K's qh).
DATA kqMasks<>+0(SB)/8, $0x0303030303030303
DATA kqMasks<>+8(SB)/8, $0x0303030303030303
DATA kqMasks<>+16(SB)/8, $0x0303030303030303
DATA kqMasks<>+24(SB)/8, $0x0303030303030303
DATA kqMasks<>+32(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA kqMasks<>+40(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA kqMasks<>+48(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA kqMasks<>+56(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA kqMasks<>+64(SB)/8, $0x3030303030303030
DATA kqMasks<>+72(SB)/8, $0x3030303030303030
DATA kqMasks<>+80(SB)/8, $0x3030303030303030
DATA kqMasks<>+88(SB)/8, $0x3030303030303030
DATA kqMasks<>+96(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA kqMasks<>+104(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA kqMasks<>+112(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA kqMasks<>+120(SB)/8, $0xc0c0c0c0c0c0c0c0
GLOBL kqMasks<>(SB), RODATA|NOPTR, $128

// kqK4Lo and kqK4Hi mask the dwords of the Q4_K scale unpacking (Q4K_SCALES).
DATA kqK4Lo<>+0(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA kqK4Lo<>+8(SB)/8, $0x0f0f0f0f3f3f3f3f
GLOBL kqK4Lo<>(SB), RODATA|NOPTR, $16
DATA kqK4Hi<>+0(SB)/8, $0x3030303000000000
DATA kqK4Hi<>+8(SB)/8, $0x3030303000000000
GLOBL kqK4Hi<>(SB), RODATA|NOPTR, $16

// kqNib is 32 bytes of 0x0f (the four-token kernels keep it in memory).
DATA kqNib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA kqNib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA kqNib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA kqNib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL kqNib<>(SB), RODATA|NOPTR, $32


// HSUM8 sets the low lane of x to hsum8(y) (x is y's xmm name; t a
// scratch xmm).
#define HSUM8(y, x, t) \
	VEXTRACTF128 $1, y, t \
	VADDPS       x, t, x \
	VMOVHLPS     x, x, t \
	VADDPS       t, x, x \
	VMOVSHDUP    x, t \
	VADDSS       t, x, x

// Q4K_SCALES reads a block_q4_K at SI: xd = [d, dmin, 0, 0] (fp16 → fp32),
// Y7 = the 8 6-bit scales as int16 in both 128-bit lanes, X5 = the 8 mins
// as int16; xt/yt is a scratch register. The 12 scale bytes are unpacked
// as ggml's utmp shuffle does, in SIMD: from the scale dwords s0, s1, s2,
// the dwords [s0 & 0x3f, s2 & 0x0f | (s0>>6)<<4, s1 & 0x3f,
// s2>>4 & 0x0f | (s1>>6)<<4] (bytewise) hold the scales of groups 0-3 and
// 4-7, then the mins of groups 0-3 and 4-7. Clobbers AX, X6.
#define Q4K_SCALES(xd, xt, yt) \
	MOVL         0(SI), AX \
	VMOVD        AX, xd \
	VCVTPH2PS    xd, xd \
	VMOVDQU      4(SI), xt \
	VPSHUFD      $0x98, xt, X5 \
	VPSRLD       $4, X5, X6 \
	VPBLENDD     $8, X6, X5, X5 \
	VPAND        kqK4Lo<>(SB), X5, X5 \
	VPSHUFD      $0x50, xt, X6 \
	VPSRLD       $2, X6, X6 \
	VPAND        kqK4Hi<>(SB), X6, X6 \
	VPOR         X6, X5, xt \
	VPMOVZXBW    xt, yt \
	VEXTRACTI128 $1, yt, X5 \
	VINSERTI128  $1, xt, yt, Y7

// Q4K_CHUNK adds to Y8 the scaled products of 64-quant chunk j (byte
// offsets qoff = 16+32j in the block_q4_K at SI, xoff = 4+64j in the
// block_q8_K at xp; soff = 64j into kqShufK4). Y15 = 0x0f bytes, Y7 the
// scales. Clobbers Y9-Y12.
#define Q4K_CHUNK(qoff, xoff, soff, xp) \
	VMOVDQU    qoff(SI), Y9 \
	VPSRLW     $4, Y9, Y10 \
	VPAND      Y15, Y9, Y9 \
	VPAND      Y15, Y10, Y10 \
	VPMADDUBSW xoff(xp), Y9, Y9 \
	VPMADDUBSW xoff+32(xp), Y10, Y10 \
	VPSHUFB    kqShufK4<>+soff(SB), Y7, Y11 \
	VPSHUFB    kqShufK4<>+soff+32(SB), Y7, Y12 \
	VPMADDWD   Y11, Y9, Y9 \
	VPMADDWD   Y12, Y10, Y10 \
	VPADDD     Y9, Y10, Y9 \
	VPADDD     Y9, Y8, Y8

// func dotQ4KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ4KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y14, Y14, Y14
	VXORPS X13, X13, X13
	TESTQ CX, CX
	JEQ  q4done

q4block:
	Q4K_SCALES(X0, X4, Y4)
	// [d, dmin] · y.d; X3 = dmin·y.d in every lane, Y2 = d·y.d.
	VBROADCASTSS 0(DI), X1
	VMULPS       X1, X0, X0
	VPSHUFD      $0x55, X0, X3
	VBROADCASTSS X0, Y2
	// accm -= dmin·float(mins · (bsums[2i]+bsums[2i+1])).
	VMOVDQU      260(DI), X6
	VPHADDW      276(DI), X6, X6
	VPMADDWD     X6, X5, X5
	VCVTDQ2PS    X5, X5
	VFNMADD231PS X5, X3, X13
	VPXOR        Y8, Y8, Y8
	Q4K_CHUNK(16, 4, 0, DI)
	Q4K_CHUNK(48, 68, 64, DI)
	Q4K_CHUNK(80, 132, 128, DI)
	Q4K_CHUNK(112, 196, 192, DI)
	VCVTDQ2PS    Y8, Y8
	VFMADD231PS  Y8, Y2, Y14
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4block

q4done:
	VMOVHLPS  X13, X13, X1
	VADDPS    X1, X13, X13
	VMOVSHDUP X13, X1
	VADDSS    X1, X13, X13
	HSUM8(Y14, X14, X1)
	VADDSS    X13, X14, X14
	VZEROUPPER
	VMOVSS    X14, ret+24(FP)
	RET

// Q6K_MUL adds to Y8 the scaled products of one 32-quant chunk: its low 4
// bits are the low nibbles of lo, its high 2 bits already sit in bits 4-5
// of Y12; activations at xoff(xp), the pair of group scales picked from X4
// (the 16 int8 scales) by kqShufQ6 offset soff. Y15 = 0x0f bytes. Clobbers
// Y12, Y13.
#define Q6K_MUL(lo, xoff, soff, xp) \
	VPAND      Y15, lo, Y13 \
	VPOR       Y12, Y13, Y13 \
	VPMADDUBSW xoff(xp), Y13, Y13 \
	VPSHUFB    kqShufQ6<>+soff(SB), X4, X12 \
	VPMOVSXBW  X12, Y12 \
	VPMADDWD   Y12, Y13, Y13 \
	VPADDD     Y13, Y8, Y8

// Q6K_HALF adds to Y8 the products of one 128-quant half of the block_q6_K
// at SI: ql at qlo, qh at qho, activations at xo(xp), scale pairs from
// kqShufQ6 offset so. Clobbers Y9-Y13.
#define Q6K_HALF(qlo, qho, xo, so, xp) \
	VMOVDQU qlo(SI), Y9 \
	VMOVDQU qlo+32(SI), Y10 \
	VMOVDQU qho(SI), Y11 \
	VPAND   kqMasks<>+0(SB), Y11, Y12 \
	VPSLLW  $4, Y12, Y12 \
	Q6K_MUL(Y9, xo, so, xp) \
	VPAND   kqMasks<>+32(SB), Y11, Y12 \
	VPSLLW  $2, Y12, Y12 \
	Q6K_MUL(Y10, xo+32, so+16, xp) \
	VPSRLW  $4, Y9, Y9 \
	VPSRLW  $4, Y10, Y10 \
	VPAND   kqMasks<>+64(SB), Y11, Y12 \
	Q6K_MUL(Y9, xo+64, so+32, xp) \
	VPAND   kqMasks<>+96(SB), Y11, Y12 \
	VPSRLW  $2, Y12, Y12 \
	Q6K_MUL(Y10, xo+96, so+48, xp)

// func dotQ6KAVX2(w, x *byte, nb int) float32
TEXT ·dotQ6KAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JEQ  q6done

q6block:
	MOVWLZX      208(SI), AX
	VMOVD        AX, X0
	VCVTPH2PS    X0, X0
	VMULSS       0(DI), X0, X0
	VBROADCASTSS X0, Y2
	// Y3 = 32·(scales · bsums) in pairs: the -32 offset of every quant.
	VMOVDQU      192(SI), X4
	VPMOVSXBW    X4, Y5
	VPMADDWD     260(DI), Y5, Y3
	VPSLLD       $5, Y3, Y3
	VPXOR        Y8, Y8, Y8
	Q6K_HALF(0, 128, 4, 0, DI)
	Q6K_HALF(64, 160, 132, 64, DI)
	VPSUBD       Y3, Y8, Y8
	VCVTDQ2PS    Y8, Y8
	VFMADD231PS  Y8, Y2, Y14
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q6block

q6done:
	HSUM8(Y14, X14, X1)
	VZEROUPPER
	VMOVSS X14, ret+24(FP)
	RET

// The four-token kernels compute one weight row against four activation
// rows at once, unpacking each weight block once. Every token goes through
// exactly the float operations of dotQ4KAVX2/dotQ6KAVX2 in the same order
// (only the exact integer sums are formed in another order), so each
// result is bit-identical to the one-token kernel's.

// Q4K_TOK adds token xp's scaled products of chunk quants Y12 (low) and
// Y13 (high nibbles), scales Y5/Y6, into s. Clobbers Y1.
#define Q4K_TOK(xp, s, xoff) \
	VPMADDUBSW xoff(xp), Y12, Y1 \
	VPMADDWD   Y5, Y1, Y1 \
	VPADDD     Y1, s, s \
	VPMADDUBSW xoff+32(xp), Y13, Y1 \
	VPMADDWD   Y6, Y1, Y1 \
	VPADDD     Y1, s, s

// Q4K_CHUNK4 is Q4K_CHUNK for the four tokens at DI, R8, R9, R10 (sums in
// Y8-Y11), the nibble mask read from memory. Clobbers Y1, Y5, Y6, Y12,
// Y13.
#define Q4K_CHUNK4(qoff, xoff, soff) \
	VMOVDQU qoff(SI), Y12 \
	VPSRLW  $4, Y12, Y13 \
	VPAND   kqNib<>(SB), Y12, Y12 \
	VPAND   kqNib<>(SB), Y13, Y13 \
	VPSHUFB kqShufK4<>+soff(SB), Y7, Y5 \
	VPSHUFB kqShufK4<>+soff+32(SB), Y7, Y6 \
	Q4K_TOK(DI, Y8, xoff) \
	Q4K_TOK(R8, Y9, xoff) \
	Q4K_TOK(R9, Y10, xoff) \
	Q4K_TOK(R10, Y11, xoff)

// Q4K_MINS2 does dotQ4KAVX2's accm step for two tokens at once: m holds
// token pa's 4 accm lanes in its low half and pb's in its high half. The
// pair sums of both tokens' bsums come from one VPHADDW (then VPERMQ puts
// each token's 8 sums in its own half); Y5 = the weight block's mins in both
// halves, Y1 = its dmin in every lane. Lane for lane these are the
// operations of dotQ4KAVX2. Clobbers X6 (Y6), Y8, Y12.
#define Q4K_MINS2(pa, pb, m) \
	VMOVDQU      260(pa), Y12 \
	VPHADDW      260(pb), Y12, Y12 \
	VPERMQ       $0xd8, Y12, Y12 \
	VPMADDWD     Y12, Y5, Y12 \
	VCVTDQ2PS    Y12, Y12 \
	VBROADCASTSS 0(pa), X6 \
	VBROADCASTSS 0(pb), X8 \
	VINSERTF128  $1, X8, Y6, Y6 \
	VMULPS       Y1, Y6, Y6 \
	VFNMADD231PS Y12, Y6, m

// Q4K_ACC does dotQ4KAVX2's acc step for token xp: a += (d·y.d)·float(s),
// X5 = [d, dmin] of the weight block. Clobbers Y1.
#define Q4K_ACC(xp, s, a) \
	VCVTDQ2PS    s, s \
	VBROADCASTSS 0(xp), X1 \
	VMULPS       X1, X5, X1 \
	VBROADCASTSS X1, Y1 \
	VFMADD231PS  s, Y1, a

// Q4K_FINISH stores hsum8(a) + reduce(accm xmm m) to dst, as dotQ4KAVX2
// returns it. Clobbers X1.
#define Q4K_FINISH(m, a, xa, dst) \
	VMOVHLPS  m, m, X1 \
	VADDPS    X1, m, m \
	VMOVSHDUP m, X1 \
	VADDSS    X1, m, m \
	HSUM8(a, xa, X1) \
	VADDSS    m, xa, xa \
	VMOVSS    xa, dst

// func dotQ4KAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)
//
// For t = 0..3: *(out + t·ostride bytes) = dotQ4KAVX2(w, x + t·xstride, nb).
// acc of the tokens in Y2, Y3, Y4, Y14; accm of tokens 0, 1 in Y15 and of
// tokens 2, 3 in Y0 (low, high halves).
TEXT ·dotQ4KAVX2x4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ xstride+16(FP), AX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ  q4x4done

q4x4block:
	Q4K_SCALES(X13, X1, Y1)
	VINSERTI128  $1, X5, Y5, Y5
	VMOVSHDUP    X13, X1
	VBROADCASTSS X1, Y1
	Q4K_MINS2(DI, R8, Y15)
	Q4K_MINS2(R9, R10, Y0)
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	Q4K_CHUNK4(16, 4, 0)
	Q4K_CHUNK4(48, 68, 64)
	Q4K_CHUNK4(80, 132, 128)
	Q4K_CHUNK4(112, 196, 192)
	MOVL      0(SI), AX
	VMOVD     AX, X5
	VCVTPH2PS X5, X5
	Q4K_ACC(DI, Y8, Y2)
	Q4K_ACC(R8, Y9, Y3)
	Q4K_ACC(R9, Y10, Y4)
	Q4K_ACC(R10, Y11, Y14)
	ADDQ $144, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	DECQ CX
	JNZ  q4x4block

q4x4done:
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), BX
	VEXTRACTF128 $1, Y15, X13
	VEXTRACTF128 $1, Y0, X12
	Q4K_FINISH(X15, Y2, X2, (DX))
	Q4K_FINISH(X13, Y3, X3, (DX)(BX*1))
	Q4K_FINISH(X0, Y4, X4, (DX)(BX*2))
	LEAQ (BX)(BX*2), BX
	Q4K_FINISH(X12, Y14, X14, (DX)(BX*1))
	VZEROUPPER
	RET

// Q4KRP_MLANES sets x to the 4 int32 lanes of min_j·pair sums of token
// xp's bsums (X5 = the weight block's 8 mins as int16).
#define Q4KRP_MLANES(xp, x) \
	VMOVDQU  260(xp), x \
	VPHADDW  276(xp), x, x \
	VPMADDWD x, X5, x

// Q4KRP_M4 sets X0 = [M_a, M_b, M_c, M_d], the exact min sums of the block
// (Σ min_j·(bsums[2j]+bsums[2j+1])) of the four tokens at DI, R8, R9, R10.
// Clobbers X1, X6, X12.
#define Q4KRP_M4 \
	Q4KRP_MLANES(DI, X0) \
	Q4KRP_MLANES(R8, X1) \
	VPHADDD  X1, X0, X0 \
	Q4KRP_MLANES(R9, X6) \
	Q4KRP_MLANES(R10, X12) \
	VPHADDD  X12, X6, X6 \
	VPHADDD  X6, X0, X0

// Q4KRP_FOLD adds the high half of y to its low half x (8 int32 lanes
// to 4, exactly). Clobbers X1.
#define Q4KRP_FOLD(y, x) \
	VEXTRACTI128 $1, y, X1 \
	VPADDD       X1, x, x

// func dotQ4KRPAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)
//
// For t = 0..3: *(out + t·ostride bytes) = dotQ4KRPRef(w, x + t·xstride,
// nb·256), bit for bit: dotQ4KAVX2x4's exact chunk sums (Y8-Y11), reduced
// per token to S (VPADDD, VPHADDD), the tokens' M likewise, then the four
// tokens' float steps side by side in the lanes of X2 (acc) and X3
// (accmin): one VFMADD231PS each per block with [d·y_t.d] and
// [dmin·y_t.d].
TEXT ·dotQ4KRPAVX2x4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ xstride+16(FP), AX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	TESTQ CX, CX
	JEQ  q4rx4done

q4rx4block:
	Q4K_SCALES(X13, X1, Y1)
	Q4KRP_M4
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11
	Q4K_CHUNK4(16, 4, 0)
	Q4K_CHUNK4(48, 68, 64)
	Q4K_CHUNK4(80, 132, 128)
	Q4K_CHUNK4(112, 196, 192)
	// S of the four tokens in X8.
	Q4KRP_FOLD(Y8, X8)
	Q4KRP_FOLD(Y9, X9)
	Q4KRP_FOLD(Y10, X10)
	Q4KRP_FOLD(Y11, X11)
	VPHADDD X9, X8, X8
	VPHADDD X11, X10, X10
	VPHADDD X10, X8, X8
	// X13 = [d, dmin] again (the chunks clobber it), X4 = [y_a.d, y_b.d,
	// y_c.d, y_d.d].
	MOVL      0(SI), AX
	VMOVD     AX, X13
	VCVTPH2PS X13, X13
	VMOVSS   0(DI), X4
	VINSERTPS $0x10, 0(R8), X4, X4
	VINSERTPS $0x20, 0(R9), X4, X4
	VINSERTPS $0x30, 0(R10), X4, X4
	VBROADCASTSS X13, X6
	VMULPS       X4, X6, X6
	VCVTDQ2PS    X8, X8
	VFMADD231PS  X8, X6, X2
	VMOVSHDUP    X13, X1
	VBROADCASTSS X1, X1
	VMULPS       X4, X1, X1
	VCVTDQ2PS    X0, X0
	VFMADD231PS  X0, X1, X3
	ADDQ $144, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	DECQ CX
	JNZ  q4rx4block

q4rx4done:
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), BX
	VSUBPS    X3, X2, X2
	VMOVSS    X2, (DX)
	VEXTRACTPS $1, X2, (DX)(BX*1)
	VEXTRACTPS $2, X2, (DX)(BX*2)
	LEAQ (BX)(BX*2), BX
	VEXTRACTPS $3, X2, (DX)(BX*1)
	VZEROUPPER
	RET

// Q6K_TOK adds token xp's scaled products of chunk quants Y0 (scales Y5)
// into s. Clobbers Y1.
#define Q6K_TOK(xp, s, xoff) \
	VPMADDUBSW xoff(xp), Y0, Y1 \
	VPMADDWD   Y5, Y1, Y1 \
	VPADDD     Y1, s, s

// Q6K_MUL4 is Q6K_MUL for the four tokens at DI, R8, R9, R10 (sums in
// Y8-Y11): the chunk's high bits in Y0, low bits the low nibbles of lo,
// the 16 int8 scales in X6. Clobbers Y0, Y1, Y5.
#define Q6K_MUL4(lo, xoff, soff) \
	VPAND     Y15, lo, Y1 \
	VPOR      Y0, Y1, Y0 \
	VPSHUFB   kqShufQ6<>+soff(SB), X6, X5 \
	VPMOVSXBW X5, Y5 \
	Q6K_TOK(DI, Y8, xoff) \
	Q6K_TOK(R8, Y9, xoff) \
	Q6K_TOK(R9, Y10, xoff) \
	Q6K_TOK(R10, Y11, xoff)

// Q6K_HALF4 is Q6K_HALF for four tokens. Clobbers Y0, Y1, Y5, Y7, Y12,
// Y13.
#define Q6K_HALF4(qlo, qho, xo, so) \
	VMOVDQU qlo(SI), Y12 \
	VMOVDQU qlo+32(SI), Y13 \
	VMOVDQU qho(SI), Y7 \
	VPAND   kqMasks<>+0(SB), Y7, Y0 \
	VPSLLW  $4, Y0, Y0 \
	Q6K_MUL4(Y12, xo, so) \
	VPAND   kqMasks<>+32(SB), Y7, Y0 \
	VPSLLW  $2, Y0, Y0 \
	Q6K_MUL4(Y13, xo+32, so+16) \
	VPSRLW  $4, Y12, Y12 \
	VPSRLW  $4, Y13, Y13 \
	VPAND   kqMasks<>+64(SB), Y7, Y0 \
	Q6K_MUL4(Y12, xo+64, so+32) \
	VPAND   kqMasks<>+96(SB), Y7, Y0 \
	VPSRLW  $2, Y0, Y0 \
	Q6K_MUL4(Y13, xo+96, so+48)

// Q6K_SUB starts token xp's integer sum s at -32·(scales · bsums) (Y5 the
// int16 scales), as dotQ6KAVX2 ends it. Clobbers Y1.
#define Q6K_SUB(xp, s) \
	VPMADDWD 260(xp), Y5, Y1 \
	VPSLLD   $5, Y1, Y1 \
	VPXOR    s, s, s \
	VPSUBD   Y1, s, s

// Q6K_ACC does dotQ6KAVX2's acc step for token xp (X0 = fp16(d) as fp32).
// Clobbers Y1.
#define Q6K_ACC(xp, s, a) \
	VMULSS       0(xp), X0, X1 \
	VBROADCASTSS X1, Y1 \
	VCVTDQ2PS    s, s \
	VFMADD231PS  s, Y1, a

// func dotQ6KAVX2x4(w, x *byte, xstride, nb int, out *float32, ostride int)
//
// For t = 0..3: *(out + t·ostride bytes) = dotQ6KAVX2(w, x + t·xstride, nb).
TEXT ·dotQ6KAVX2x4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ xstride+16(FP), AX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JEQ  q6x4done

q6x4block:
	VMOVDQU   192(SI), X6
	VPMOVSXBW X6, Y5
	Q6K_SUB(DI, Y8)
	Q6K_SUB(R8, Y9)
	Q6K_SUB(R9, Y10)
	Q6K_SUB(R10, Y11)
	Q6K_HALF4(0, 128, 4, 0)
	Q6K_HALF4(64, 160, 132, 64)
	MOVWLZX   208(SI), AX
	VMOVD     AX, X0
	VCVTPH2PS X0, X0
	Q6K_ACC(DI, Y8, Y2)
	Q6K_ACC(R8, Y9, Y3)
	Q6K_ACC(R9, Y10, Y4)
	Q6K_ACC(R10, Y11, Y14)
	ADDQ $210, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	DECQ CX
	JNZ  q6x4block

q6x4done:
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), BX
	HSUM8(Y2, X2, X1)
	VMOVSS X2, (DX)
	HSUM8(Y3, X3, X1)
	VMOVSS X3, (DX)(BX*1)
	HSUM8(Y4, X4, X1)
	VMOVSS X4, (DX)(BX*2)
	LEAQ (BX)(BX*2), BX
	HSUM8(Y14, X14, X1)
	VMOVSS X14, (DX)(BX*1)
	VZEROUPPER
	RET

// The AVX-512 four-token kernels (AVX512F/BW/VL + AVX512_VNNI) are the
// four-token kernels above with 64 quants per instruction: a zmm holds a
// whole 64-quant chunk of Q4_K (low nibbles = group 2j in its low half,
// high nibbles = group 2j+1 in its high half) and VPDPWSSD folds
// VPMADDWD's scale products into the accumulator. Lane k of the low and
// high halves are added at the end of each block, so every token's 8
// integer lanes are the exact sums dotQ4KAVX2 forms; the float steps are
// the same instructions (EVEX-encoded, same rounding). So each result is
// bit-identical to dotQ4KAVX2's.

// Q4K_TOK512 adds token xp's products of chunk Z24 (scales Z25) into s.
// Clobbers Z27.
#define Q4K_TOK512(xp, s, xoff) \
	VPMADDUBSW xoff(xp), Z24, Z27 \
	VPDPWSSD   Z25, Z27, s

// Q4K_CHUNK512 is Q4K_CHUNK4 in zmm (Z26 = 0x0f bytes, Z28 = the 8 scales
// as words in every 128-bit lane). Clobbers Y24/Z24, Y25/Z25, Z27.
#define Q4K_CHUNK512(qoff, xoff, soff) \
	VMOVDQU32    qoff(SI), Y24 \
	VPSRLW       $4, Y24, Y25 \
	VINSERTI64X4 $1, Y25, Z24, Z24 \
	VPANDD       Z26, Z24, Z24 \
	VPSHUFB      kqShufK4<>+soff(SB), Z28, Z25 \
	Q4K_TOK512(DI, Z16, xoff) \
	Q4K_TOK512(R8, Z17, xoff) \
	Q4K_TOK512(R9, Z18, xoff) \
	Q4K_TOK512(R10, Z19, xoff)

// Q4K_FOLD512 adds the high 8 lanes of zmm s into its low 8 (ymm ys).
#define Q4K_FOLD512(s, ys) \
	VEXTRACTI64X4 $1, s, Y27 \
	VPADDD        Y27, ys, ys

// func dotQ4KAVX512x4(w, x *byte, xstride, nb int, out *float32, ostride int)
//
// dotQ4KAVX2x4 with AVX-512 (see above), bit for bit.
TEXT ·dotQ4KAVX512x4(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ xstride+16(FP), AX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z26
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ  q4z4done

q4z4block:
	Q4K_SCALES(X13, X1, Y1)
	VINSERTI64X4 $1, Y7, Z7, Z28
	VINSERTI128  $1, X5, Y5, Y5
	VMOVSHDUP    X13, X1
	VBROADCASTSS X1, Y1
	Q4K_MINS2(DI, R8, Y15)
	Q4K_MINS2(R9, R10, Y0)
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	Q4K_CHUNK512(16, 4, 0)
	Q4K_CHUNK512(48, 68, 64)
	Q4K_CHUNK512(80, 132, 128)
	Q4K_CHUNK512(112, 196, 192)
	Q4K_FOLD512(Z16, Y16)
	Q4K_FOLD512(Z17, Y17)
	Q4K_FOLD512(Z18, Y18)
	Q4K_FOLD512(Z19, Y19)
	MOVL      0(SI), AX
	VMOVD     AX, X5
	VCVTPH2PS X5, X5
	Q4K_ACC(DI, Y16, Y2)
	Q4K_ACC(R8, Y17, Y3)
	Q4K_ACC(R9, Y18, Y4)
	Q4K_ACC(R10, Y19, Y14)
	ADDQ $144, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	DECQ CX
	JNZ  q4z4block

q4z4done:
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), BX
	VEXTRACTF128 $1, Y15, X13
	VEXTRACTF128 $1, Y0, X12
	Q4K_FINISH(X15, Y2, X2, (DX))
	Q4K_FINISH(X13, Y3, X3, (DX)(BX*1))
	Q4K_FINISH(X0, Y4, X4, (DX)(BX*2))
	LEAQ (BX)(BX*2), BX
	Q4K_FINISH(X12, Y14, X14, (DX)(BX*1))
	VZEROUPPER
	RET

// Q4K_CHUNK8 is Q4K_CHUNK512 for the eight tokens at DI, R8-R13, BX (sums
// in Z16-Z23).
#define Q4K_CHUNK8(qoff, xoff, soff) \
	VMOVDQU32    qoff(SI), Y24 \
	VPSRLW       $4, Y24, Y25 \
	VINSERTI64X4 $1, Y25, Z24, Z24 \
	VPANDD       Z26, Z24, Z24 \
	VPSHUFB      kqShufK4<>+soff(SB), Z28, Z25 \
	Q4K_TOK512(DI, Z16, xoff) \
	Q4K_TOK512(R8, Z17, xoff) \
	Q4K_TOK512(R9, Z18, xoff) \
	Q4K_TOK512(R10, Z19, xoff) \
	Q4K_TOK512(R11, Z20, xoff) \
	Q4K_TOK512(R12, Z21, xoff) \
	Q4K_TOK512(R13, Z22, xoff) \
	Q4K_TOK512(BX, Z23, xoff)

// kqQ6Shl and kqQ6Shr are VPSLLVW/VPSRLVW counts (32 words each): 4 then
// 2, and 0 then 2, which bring Q6_K's 2-bit high fields of chunks 0, 1
// (Shl) and 2, 3 (Shr) of a 128-quant half to bits 4-5 of each byte.
DATA kqQ6Shl<>+0(SB)/8, $0x0004000400040004
DATA kqQ6Shl<>+8(SB)/8, $0x0004000400040004
DATA kqQ6Shl<>+16(SB)/8, $0x0004000400040004
DATA kqQ6Shl<>+24(SB)/8, $0x0004000400040004
DATA kqQ6Shl<>+32(SB)/8, $0x0002000200020002
DATA kqQ6Shl<>+40(SB)/8, $0x0002000200020002
DATA kqQ6Shl<>+48(SB)/8, $0x0002000200020002
DATA kqQ6Shl<>+56(SB)/8, $0x0002000200020002
GLOBL kqQ6Shl<>(SB), RODATA|NOPTR, $64
DATA kqQ6Shr<>+0(SB)/8, $0
DATA kqQ6Shr<>+8(SB)/8, $0
DATA kqQ6Shr<>+16(SB)/8, $0
DATA kqQ6Shr<>+24(SB)/8, $0
DATA kqQ6Shr<>+32(SB)/8, $0x0002000200020002
DATA kqQ6Shr<>+40(SB)/8, $0x0002000200020002
DATA kqQ6Shr<>+48(SB)/8, $0x0002000200020002
DATA kqQ6Shr<>+56(SB)/8, $0x0002000200020002
GLOBL kqQ6Shr<>(SB), RODATA|NOPTR, $64

// Q6K_SUBZ starts token xp's zmm sum s at -32·(scales · bsums) in its low
// 8 lanes and 0 in its high 8, as dotQ6KAVX2 ends it (Y5 = the int16
// scales, Y7 = 0). Clobbers Y27.
#define Q6K_SUBZ(xp, ys) \
	VPMADDWD 260(xp), Y5, Y27 \
	VPSLLD   $5, Y27, Y27 \
	VPSUBD   Y27, Y7, ys

// Q6K_TOKZ adds token xp's products of the chunk pairs Z24 (scales Z29)
// and Z25 (scales Z30) of one half into s. Clobbers Z27.
#define Q6K_TOKZ(xp, s, xo) \
	VPMADDUBSW xo(xp), Z24, Z27 \
	VPDPWSSD   Z29, Z27, s \
	VPMADDUBSW xo+64(xp), Z25, Z27 \
	VPDPWSSD   Z30, Z27, s

// Q6K_HALF8 does one 128-quant half of the block_q6_K at SI for the eight
// tokens: Z24 = chunks 0, 1 (ql low nibbles | qh bits 0-1, 2-3 at bits
// 4-5), Z25 = chunks 2, 3 (ql high nibbles | qh bits 4-5, 6-7); Z29, Z30
// their scale words. Z26 = 0x0f bytes, Z12 = 0x30 bytes, Z13/Z6 the
// shift counts, Y31 the 16 scales in both lanes. Clobbers Z24, Z25,
// Z27-Z30.
#define Q6K_HALF8(qlo, qho, xo, so) \
	VPSHUFB          kqShufQ6<>+so(SB), Y31, Y27 \
	VPMOVSXBW        Y27, Z29 \
	VPSHUFB          kqShufQ6<>+so+32(SB), Y31, Y27 \
	VPMOVSXBW        Y27, Z30 \
	VPANDD           qlo(SI), Z26, Z24 \
	VPSRLW           $4, qlo(SI), Z25 \
	VPANDD           Z26, Z25, Z25 \
	VBROADCASTI64X4  qho(SI), Z28 \
	VPSLLVW          Z13, Z28, Z27 \
	VPANDD           Z12, Z27, Z27 \
	VPORD            Z27, Z24, Z24 \
	VPSRLVW          Z6, Z28, Z27 \
	VPANDD           Z12, Z27, Z27 \
	VPORD            Z27, Z25, Z25 \
	Q6K_TOKZ(DI, Z16, xo) \
	Q6K_TOKZ(R8, Z17, xo) \
	Q6K_TOKZ(R9, Z18, xo) \
	Q6K_TOKZ(R10, Z19, xo) \
	Q6K_TOKZ(R11, Z20, xo) \
	Q6K_TOKZ(R12, Z21, xo) \
	Q6K_TOKZ(R13, Z22, xo) \
	Q6K_TOKZ(BX, Z23, xo)

// Q6K_ACCZ folds token xp's zmm sums s into ys and does dotQ6KAVX2's acc
// step (X0 = fp16(d) as fp32). Clobbers Y1, Y27.
#define Q6K_ACCZ(xp, s, ys, a) \
	VEXTRACTI64X4 $1, s, Y27 \
	VPADDD        Y27, ys, ys \
	Q6K_ACC(xp, ys, a)

// func dotQ6KAVX512x8(w, x *byte, xstride, nb int, out *float32, ostride int)
//
// dotQ6KAVX2x4 for eight tokens in AVX-512: for t = 0..7, *(out +
// t·ostride bytes) = dotQ6KAVX2(w, x + t·xstride, nb), bit for bit (the
// same 8 integer lanes per block, summed in another order, then the same
// float steps).
TEXT ·dotQ6KAVX512x8(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ xstride+16(FP), AX
	MOVQ nb+24(FP), CX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), BX
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z26
	MOVL $0x30303030, AX
	VPBROADCASTD AX, Z12
	VMOVDQU32 kqQ6Shl<>(SB), Z13
	VMOVDQU32 kqQ6Shr<>(SB), Z6
	VPXOR  Y7, Y7, Y7
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ  q6z8done

q6z8block:
	VPMOVSXBW     192(SI), Y5
	VBROADCASTI32X4 192(SI), Y31
	Q6K_SUBZ(DI, Y16)
	Q6K_SUBZ(R8, Y17)
	Q6K_SUBZ(R9, Y18)
	Q6K_SUBZ(R10, Y19)
	Q6K_SUBZ(R11, Y20)
	Q6K_SUBZ(R12, Y21)
	Q6K_SUBZ(R13, Y22)
	Q6K_SUBZ(BX, Y23)
	Q6K_HALF8(0, 128, 4, 0)
	Q6K_HALF8(64, 160, 132, 64)
	MOVWLZX   208(SI), AX
	VMOVD     AX, X0
	VCVTPH2PS X0, X0
	Q6K_ACCZ(DI, Z16, Y16, Y2)
	Q6K_ACCZ(R8, Z17, Y17, Y3)
	Q6K_ACCZ(R9, Z18, Y18, Y4)
	Q6K_ACCZ(R10, Z19, Y19, Y9)
	Q6K_ACCZ(R11, Z20, Y20, Y10)
	Q6K_ACCZ(R12, Z21, Y21, Y11)
	Q6K_ACCZ(R13, Z22, Y22, Y14)
	Q6K_ACCZ(BX, Z23, Y23, Y15)
	ADDQ $210, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	ADDQ $292, R11
	ADDQ $292, R12
	ADDQ $292, R13
	ADDQ $292, BX
	DECQ CX
	JNZ  q6z8block

q6z8done:
	MOVQ out+32(FP), DX
	MOVQ ostride+40(FP), BX
	HSUM8(Y2, X2, X1)
	VMOVSS X2, (DX)
	ADDQ BX, DX
	HSUM8(Y3, X3, X1)
	VMOVSS X3, (DX)
	ADDQ BX, DX
	HSUM8(Y4, X4, X1)
	VMOVSS X4, (DX)
	ADDQ BX, DX
	HSUM8(Y9, X9, X1)
	VMOVSS X9, (DX)
	ADDQ BX, DX
	HSUM8(Y10, X10, X1)
	VMOVSS X10, (DX)
	ADDQ BX, DX
	HSUM8(Y11, X11, X1)
	VMOVSS X11, (DX)
	ADDQ BX, DX
	HSUM8(Y14, X14, X1)
	VMOVSS X14, (DX)
	ADDQ BX, DX
	HSUM8(Y15, X15, X1)
	VMOVSS X15, (DX)
	VZEROUPPER
	RET

// func dotQ4KRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)
//
// For r = 0..nrows-1: out[r] = dotQ4KAVX2(w + r·wstride, x, nb), bit for
// bit (the same instructions per row), without a call per row: the
// decode path, where a 768-wide row is only 3 blocks. Each block
// prefetches the weight bytes 4 KiB ahead (into the next rows), which cut
// the CPU time of a 110M Q4_K decode by ~3% on the loaded test machine.
TEXT ·dotQ4KRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R8
	MOVQ wstride+8(FP), R13
	MOVQ x+16(FP), R9
	MOVQ nb+24(FP), R10
	MOVQ out+32(FP), R11
	MOVQ nrows+40(FP), R12
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ R12, R12
	JEQ  q4rdone

q4rrow:
	MOVQ R8, SI
	MOVQ R9, DI
	MOVQ R10, CX
	VXORPS Y14, Y14, Y14
	VXORPS X13, X13, X13
	TESTQ CX, CX
	JEQ  q4rfinish

q4rblock:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	Q4K_SCALES(X0, X4, Y4)
	VBROADCASTSS 0(DI), X1
	VMULPS       X1, X0, X0
	VPSHUFD      $0x55, X0, X3
	VBROADCASTSS X0, Y2
	VMOVDQU      260(DI), X6
	VPHADDW      276(DI), X6, X6
	VPMADDWD     X6, X5, X5
	VCVTDQ2PS    X5, X5
	VFNMADD231PS X5, X3, X13
	VPXOR        Y8, Y8, Y8
	Q4K_CHUNK(16, 4, 0, DI)
	Q4K_CHUNK(48, 68, 64, DI)
	Q4K_CHUNK(80, 132, 128, DI)
	Q4K_CHUNK(112, 196, 192, DI)
	VCVTDQ2PS    Y8, Y8
	VFMADD231PS  Y8, Y2, Y14
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4rblock

q4rfinish:
	VMOVHLPS  X13, X13, X1
	VADDPS    X1, X13, X13
	VMOVSHDUP X13, X1
	VADDSS    X1, X13, X13
	HSUM8(Y14, X14, X1)
	VADDSS    X13, X14, X14
	VMOVSS    X14, (R11)
	ADDQ $4, R11
	ADDQ R13, R8
	DECQ R12
	JNZ  q4rrow

q4rdone:
	VZEROUPPER
	RET

// func dotQ4KRPRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)
//
// For r = 0..nrows-1: out[r] = dotQ4KRPRef(w + r·wstride, x, nb·256), bit
// for bit: llama.cpp's repacked-Q4_K order (q4krp.go). Per block the
// chunk products and scales are those of dotQ4KAVX2 (exact int32 lanes),
// the 8 sum lanes and the 4 min lanes are then added up exactly (VPHADDD)
// into S and M, and X14 = [acc, accmin] takes one FMA with
// [fp16(d)·y.d, fp16(dmin)·y.d]; the result is acc - accmin. The same
// prefetches as dotQ4KRowsAVX2.
TEXT ·dotQ4KRPRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R8
	MOVQ wstride+8(FP), R13
	MOVQ x+16(FP), R9
	MOVQ nb+24(FP), R10
	MOVQ out+32(FP), R11
	MOVQ nrows+40(FP), R12
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ R12, R12
	JEQ  q4prdone

q4prrow:
	MOVQ R8, SI
	MOVQ R9, DI
	MOVQ R10, CX
	VXORPS X14, X14, X14
	TESTQ CX, CX
	JEQ  q4prfinish

q4prblock:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	Q4K_SCALES(X0, X4, Y4)
	VBROADCASTSS 0(DI), X1
	VMULPS       X1, X0, X0
	VMOVDQU      260(DI), X6
	VPHADDW      276(DI), X6, X6
	VPMADDWD     X6, X5, X5
	VPXOR        Y8, Y8, Y8
	Q4K_CHUNK(16, 4, 0, DI)
	Q4K_CHUNK(48, 68, 64, DI)
	Q4K_CHUNK(80, 132, 128, DI)
	Q4K_CHUNK(112, 196, 192, DI)
	VEXTRACTI128 $1, Y8, X9
	VPADDD       X9, X8, X8
	VPHADDD      X5, X8, X8
	VPHADDD      X8, X8, X8
	VCVTDQ2PS    X8, X8
	VFMADD231PS  X8, X0, X14
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q4prblock

q4prfinish:
	VMOVSHDUP X14, X1
	VSUBSS    X1, X14, X14
	VMOVSS    X14, (R11)
	ADDQ $4, R11
	ADDQ R13, R8
	DECQ R12
	JNZ  q4prrow

q4prdone:
	VZEROUPPER
	RET

// func dotQ6KRowsAVX2(w *byte, wstride int, x *byte, nb int, out *float32, nrows int)
//
// dotQ4KRowsAVX2 for block_q6_K weights: out[r] = dotQ6KAVX2(w +
// r·wstride, x, nb), bit for bit.
TEXT ·dotQ6KRowsAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), R8
	MOVQ wstride+8(FP), R13
	MOVQ x+16(FP), R9
	MOVQ nb+24(FP), R10
	MOVQ out+32(FP), R11
	MOVQ nrows+40(FP), R12
	MOVL $0x0f0f0f0f, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	TESTQ R12, R12
	JEQ  q6rdone

q6rrow:
	MOVQ R8, SI
	MOVQ R9, DI
	MOVQ R10, CX
	VXORPS Y14, Y14, Y14
	TESTQ CX, CX
	JEQ  q6rfinish

q6rblock:
	PREFETCHT0 4096(SI)
	PREFETCHT0 4160(SI)
	PREFETCHT0 4224(SI)
	MOVWLZX      208(SI), AX
	VMOVD        AX, X0
	VCVTPH2PS    X0, X0
	VMULSS       0(DI), X0, X0
	VBROADCASTSS X0, Y2
	VMOVDQU      192(SI), X4
	VPMOVSXBW    X4, Y5
	VPMADDWD     260(DI), Y5, Y3
	VPSLLD       $5, Y3, Y3
	VPXOR        Y8, Y8, Y8
	Q6K_HALF(0, 128, 4, 0, DI)
	Q6K_HALF(64, 160, 132, 64, DI)
	VPSUBD       Y3, Y8, Y8
	VCVTDQ2PS    Y8, Y8
	VFMADD231PS  Y8, Y2, Y14
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q6rblock

q6rfinish:
	HSUM8(Y14, X14, X1)
	VMOVSS X14, (R11)
	ADDQ $4, R11
	ADDQ R13, R8
	DECQ R12
	JNZ  q6rrow

q6rdone:
	VZEROUPPER
	RET

// Q4K_MINSS is Q4K_MINS2 for the eight-token kernel, with the token pair's side data at off(DX):
// its 16 bsum pair sums (what VPHADDW + VPERMQ give) and its [y.d ×4,
// y.d ×4] (what the broadcasts give). Y5 = mins in both halves, Y1 =
// dmin. Clobbers Y6, Y12.
#define Q4K_MINSS(off, m) \
	VPMADDWD     off(DX), Y5, Y12 \
	VCVTDQ2PS    Y12, Y12 \
	VMULPS       off+32(DX), Y1, Y6 \
	VFNMADD231PS Y12, Y6, m

// Q4K_ACCS folds token xp's zmm sums s into ys and does dotQ4KAVX2's acc
// step, d broadcast in Y13: a += (d·y.d)·float(sum). Clobbers Y1, Y27.
#define Q4K_ACCS(xp, s, ys, a) \
	VEXTRACTI64X4 $1, s, Y27 \
	VPADDD        Y27, ys, ys \
	VCVTDQ2PS     ys, ys \
	VBROADCASTSS  0(xp), Y1 \
	VMULPS        Y13, Y1, Y1 \
	VFMADD231PS   ys, Y1, a

// Q4K_FIN2 is Q4K_FINISH for the token pair whose acc are a and b and
// whose accm lanes are the halves of m, both at once: the same adds with
// the same operands in the same lanes (a's in the low 128 bits, b's in the
// high), lane 0 of each half stored to (DX) and (DX)(BX*1); then DX +=
// 2·BX. Clobbers Y12, Y13 and m.
#define Q4K_FIN2(a, b, m) \
	VPERM2F128   $0x20, b, a, Y12 \
	VPERM2F128   $0x31, b, a, Y13 \
	VADDPS       Y12, Y13, Y12 \
	VPERMILPS    $0xEE, Y12, Y13 \
	VADDPS       Y13, Y12, Y12 \
	VMOVSHDUP    Y12, Y13 \
	VADDPS       Y13, Y12, Y12 \
	VPERMILPS    $0xEE, m, Y13 \
	VADDPS       Y13, m, m \
	VMOVSHDUP    m, Y13 \
	VADDPS       Y13, m, m \
	VADDPS       m, Y12, Y12 \
	VMOVSS       X12, (DX) \
	VEXTRACTF128 $1, Y12, X13 \
	VMOVSS       X13, (DX)(BX*1) \
	LEAQ         (DX)(BX*2), DX

// func dotQ4KAVX512x8s(w *byte, wstride int, x *byte, xstride, nb int, out *float32, ostride int, side *byte, nrows int)
//
// dotQ4KAVX512x4 for eight tokens and nrows weight rows (row r at w +
// r·wstride): for t = 0..7, *(out + 4r + t·ostride bytes) =
// dotQ4KAVX2(w + r·wstride, x + t·xstride, nb), bit for bit. Each weight
// block is unpacked once for the eight tokens, and the token-side work is
// done once per Rows call instead of once per row: side holds, per block
// and token pair, 64 bytes (the 8 bsum pair sums of each token as int16,
// then [y.d ×4] of each token; see q4KSide). acc of the tokens in Y2, Y3,
// Y4, Y9, Y10, Y11, Y14, Y15; accm of token pairs (0,1), (2,3), (4,5),
// (6,7) in Y0, Y29, Y30, Y31. The row loop keeps its state in the
// argument slots (w, out and nrows advance there).
TEXT ·dotQ4KAVX512x8s(SB), NOSPLIT, $0-72
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z26
	CMPQ nrows+64(FP), $0
	JLE  q4s8ret

q4s8row:
	MOVQ w+0(FP), SI
	MOVQ x+16(FP), DI
	MOVQ xstride+24(FP), AX
	MOVQ nb+32(FP), CX
	MOVQ side+56(FP), DX
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JEQ  q4s8done

q4s8block:
	Q4K_SCALES(X13, X1, Y1)
	VINSERTI64X4 $1, Y7, Z7, Z28
	VINSERTI128  $1, X5, Y5, Y5
	VMOVSHDUP    X13, X1
	VBROADCASTSS X1, Y1
	VBROADCASTSS X13, Y13
	Q4K_MINSS(0, Y0)
	Q4K_MINSS(64, Y29)
	Q4K_MINSS(128, Y30)
	Q4K_MINSS(192, Y31)
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	Q4K_CHUNK8(16, 4, 0)
	Q4K_CHUNK8(48, 68, 64)
	Q4K_CHUNK8(80, 132, 128)
	Q4K_CHUNK8(112, 196, 192)
	Q4K_ACCS(DI, Z16, Y16, Y2)
	Q4K_ACCS(R8, Z17, Y17, Y3)
	Q4K_ACCS(R9, Z18, Y18, Y4)
	Q4K_ACCS(R10, Z19, Y19, Y9)
	Q4K_ACCS(R11, Z20, Y20, Y10)
	Q4K_ACCS(R12, Z21, Y21, Y11)
	Q4K_ACCS(R13, Z22, Y22, Y14)
	Q4K_ACCS(BX, Z23, Y23, Y15)
	ADDQ $144, SI
	ADDQ $256, DX
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	ADDQ $292, R11
	ADDQ $292, R12
	ADDQ $292, R13
	ADDQ $292, BX
	DECQ CX
	JNZ  q4s8block

q4s8done:
	MOVQ out+40(FP), DX
	MOVQ ostride+48(FP), BX
	Q4K_FIN2(Y2, Y3, Y0)
	Q4K_FIN2(Y4, Y9, Y29)
	Q4K_FIN2(Y10, Y11, Y30)
	Q4K_FIN2(Y14, Y15, Y31)
	ADDQ $4, out+40(FP)
	MOVQ wstride+8(FP), AX
	ADDQ AX, w+0(FP)
	DECQ nrows+64(FP)
	JNZ  q4s8row

q4s8ret:
	VZEROUPPER
	RET

// Q4K_SIDE_TOK writes token xp's side data for one block at off(SI): its
// 8 bsum pair sums (VPHADDW, as the kernels form them) and [y.d ×4] at
// off+32. Clobbers X0, X1.
#define Q4K_SIDE_TOK(xp, off) \
	VMOVDQU      260(xp), X0 \
	VPHADDW      276(xp), X0, X0 \
	VMOVDQU      X0, off(SI) \
	VBROADCASTSS 0(xp), X1 \
	VMOVDQU      X1, off+32(SI)

// func q4KSideAVX2(side, xq *byte, xstride, nb, ngroups int)
//
// q4KSide in AVX2 for ngroups groups of eight tokens (byte for byte).
TEXT ·q4KSideAVX2(SB), NOSPLIT, $0-40
	MOVQ side+0(FP), SI
	MOVQ xq+8(FP), DX
	MOVQ xstride+16(FP), AX
	CMPQ ngroups+32(FP), $0
	JLE  sidedone

sidegroup:
	MOVQ DX, DI
	LEAQ (DI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
	LEAQ (R9)(AX*1), R10
	LEAQ (R10)(AX*1), R11
	LEAQ (R11)(AX*1), R12
	LEAQ (R12)(AX*1), R13
	LEAQ (R13)(AX*1), BX
	MOVQ nb+24(FP), CX
	TESTQ CX, CX
	JEQ  sidenext

sideblock:
	Q4K_SIDE_TOK(DI, 0)
	Q4K_SIDE_TOK(R8, 16)
	Q4K_SIDE_TOK(R9, 64)
	Q4K_SIDE_TOK(R10, 80)
	Q4K_SIDE_TOK(R11, 128)
	Q4K_SIDE_TOK(R12, 144)
	Q4K_SIDE_TOK(R13, 192)
	Q4K_SIDE_TOK(BX, 208)
	ADDQ $256, SI
	ADDQ $292, DI
	ADDQ $292, R8
	ADDQ $292, R9
	ADDQ $292, R10
	ADDQ $292, R11
	ADDQ $292, R12
	ADDQ $292, R13
	ADDQ $292, BX
	DECQ CX
	JNZ  sideblock

sidenext:
	LEAQ (DX)(AX*8), DX
	DECQ ngroups+32(FP)
	JNZ  sidegroup

sidedone:
	VZEROUPPER
	RET
