//go:build amd64 && !purego

#include "textflag.h"

// Shuffle masks for VPSHUFB: mask g (32 bytes) broadcasts 16-bit word g of
// each 128-bit lane (the 8 group scales, zero-extended to words).
DATA oqShufK4<>+0(SB)/8, $0x0100010001000100
DATA oqShufK4<>+8(SB)/8, $0x0100010001000100
DATA oqShufK4<>+16(SB)/8, $0x0100010001000100
DATA oqShufK4<>+24(SB)/8, $0x0100010001000100
DATA oqShufK4<>+32(SB)/8, $0x0302030203020302
DATA oqShufK4<>+40(SB)/8, $0x0302030203020302
DATA oqShufK4<>+48(SB)/8, $0x0302030203020302
DATA oqShufK4<>+56(SB)/8, $0x0302030203020302
DATA oqShufK4<>+64(SB)/8, $0x0504050405040504
DATA oqShufK4<>+72(SB)/8, $0x0504050405040504
DATA oqShufK4<>+80(SB)/8, $0x0504050405040504
DATA oqShufK4<>+88(SB)/8, $0x0504050405040504
DATA oqShufK4<>+96(SB)/8, $0x0706070607060706
DATA oqShufK4<>+104(SB)/8, $0x0706070607060706
DATA oqShufK4<>+112(SB)/8, $0x0706070607060706
DATA oqShufK4<>+120(SB)/8, $0x0706070607060706
DATA oqShufK4<>+128(SB)/8, $0x0908090809080908
DATA oqShufK4<>+136(SB)/8, $0x0908090809080908
DATA oqShufK4<>+144(SB)/8, $0x0908090809080908
DATA oqShufK4<>+152(SB)/8, $0x0908090809080908
DATA oqShufK4<>+160(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufK4<>+168(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufK4<>+176(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufK4<>+184(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufK4<>+192(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufK4<>+200(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufK4<>+208(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufK4<>+216(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufK4<>+224(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA oqShufK4<>+232(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA oqShufK4<>+240(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA oqShufK4<>+248(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL oqShufK4<>(SB), RODATA|NOPTR, $256

DATA oqNib<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA oqNib<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA oqNib<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA oqNib<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL oqNib<>(SB), RODATA|NOPTR, $32

DATA oqBit4<>+0(SB)/8, $0x1010101010101010
DATA oqBit4<>+8(SB)/8, $0x1010101010101010
DATA oqBit4<>+16(SB)/8, $0x1010101010101010
DATA oqBit4<>+24(SB)/8, $0x1010101010101010
GLOBL oqBit4<>(SB), RODATA|NOPTR, $32

// func q5kDotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 super-blocks of block_q5_K (w, 176 bytes each) against block_q8_K
// (x, 292 bytes each). Per super-block: the 8 scales and 8 mins unpacked in
// general registers; the mins term Σ bsums·min as 4 int32 lanes
// (VPHADDW + VPMADDWD), converted and FMA'd by dmin = y.d·x.dmin into X1;
// the 256 5-bit values (nibble | qh bit << 4) times q8 with VPMADDUBSW
// (pairs, int16), times the group's scale with VPMADDWD (int32), summed in
// 8 int32 lanes, converted and FMA'd by d = y.d·x.d into Y0. All integer
// sums are exact; the result is hsum(Y0 low+high − X1).
TEXT ·q5kDotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VMOVDQU oqNib<>(SB), Y15
	VMOVDQU oqBit4<>(SB), Y14

block:
	// Scales and mins (ggml's utmp unpacking of the 12 scale bytes).
	MOVL 4(SI), AX
	MOVL 8(SI), BX
	MOVL 12(SI), DX
	MOVL DX, R8
	SHRL $4, R8
	ANDL $0x0f0f0f0f, R8
	MOVL BX, R9
	SHRL $6, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL  R9, R8              // mins 4..7
	MOVL BX, R10
	ANDL $0x3f3f3f3f, R10    // mins 0..3
	ANDL $0x0f0f0f0f, DX
	MOVL AX, R9
	SHRL $6, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL  R9, DX              // scales 4..7
	ANDL $0x3f3f3f3f, AX     // scales 0..3
	SHLQ $32, DX
	ORQ  DX, AX
	SHLQ $32, R8
	ORQ  R8, R10
	MOVQ AX, X2
	VPMOVZXBW X2, X2
	VINSERTI128 $1, X2, Y2, Y2   // 8 scales as words, in both 128-bit lanes
	MOVQ R10, X3
	VPMOVZXBW X3, X3             // 8 mins as words

	// Mins term: pair sums of the 16 bsums, times the mins.
	VMOVDQU 260(DI), Y4
	VEXTRACTI128 $1, Y4, X5
	VPHADDW X5, X4, X4
	VPMADDWD X3, X4, X4
	VCVTDQ2PS X4, X4

	// d·y.d and dmin·y.d.
	VMOVD 0(SI), X6
	VCVTPH2PS X6, X6
	VBROADCASTSS 0(DI), X7
	VMULPS X7, X6, X6
	VBROADCASTSS X6, Y8
	VPSHUFD $0x55, X6, X9
	VFMADD231PS X9, X4, X1

	VMOVDQU 16(SI), Y10          // qh
	VPXOR Y11, Y11, Y11

	// Groups 0 and 1.
	VMOVDQU 48(SI), Y12
	VPAND Y15, Y12, Y13
	VPSRLW $4, Y12, Y12
	VPAND Y15, Y12, Y12
	VPSLLW $4, Y10, Y5
	VPAND Y14, Y5, Y5
	VPOR Y5, Y13, Y13
	VPSLLW $3, Y10, Y6
	VPAND Y14, Y6, Y6
	VPOR Y6, Y12, Y12
	VPMADDUBSW 4(DI), Y13, Y13
	VPMADDUBSW 36(DI), Y12, Y12
	VPSHUFB oqShufK4<>+0(SB), Y2, Y5
	VPSHUFB oqShufK4<>+32(SB), Y2, Y6
	VPMADDWD Y5, Y13, Y13
	VPMADDWD Y6, Y12, Y12
	VPADDD Y13, Y11, Y11
	VPADDD Y12, Y11, Y11

	// Groups 2 and 3.
	VMOVDQU 80(SI), Y12
	VPAND Y15, Y12, Y13
	VPSRLW $4, Y12, Y12
	VPAND Y15, Y12, Y12
	VPSLLW $2, Y10, Y5
	VPAND Y14, Y5, Y5
	VPOR Y5, Y13, Y13
	VPSLLW $1, Y10, Y6
	VPAND Y14, Y6, Y6
	VPOR Y6, Y12, Y12
	VPMADDUBSW 68(DI), Y13, Y13
	VPMADDUBSW 100(DI), Y12, Y12
	VPSHUFB oqShufK4<>+64(SB), Y2, Y5
	VPSHUFB oqShufK4<>+96(SB), Y2, Y6
	VPMADDWD Y5, Y13, Y13
	VPMADDWD Y6, Y12, Y12
	VPADDD Y13, Y11, Y11
	VPADDD Y12, Y11, Y11

	// Groups 4 and 5.
	VMOVDQU 112(SI), Y12
	VPAND Y15, Y12, Y13
	VPSRLW $4, Y12, Y12
	VPAND Y15, Y12, Y12
	VMOVDQA Y10, Y5
	VPAND Y14, Y5, Y5
	VPOR Y5, Y13, Y13
	VPSRLW $1, Y10, Y6
	VPAND Y14, Y6, Y6
	VPOR Y6, Y12, Y12
	VPMADDUBSW 132(DI), Y13, Y13
	VPMADDUBSW 164(DI), Y12, Y12
	VPSHUFB oqShufK4<>+128(SB), Y2, Y5
	VPSHUFB oqShufK4<>+160(SB), Y2, Y6
	VPMADDWD Y5, Y13, Y13
	VPMADDWD Y6, Y12, Y12
	VPADDD Y13, Y11, Y11
	VPADDD Y12, Y11, Y11

	// Groups 6 and 7.
	VMOVDQU 144(SI), Y12
	VPAND Y15, Y12, Y13
	VPSRLW $4, Y12, Y12
	VPAND Y15, Y12, Y12
	VPSRLW $2, Y10, Y5
	VPAND Y14, Y5, Y5
	VPOR Y5, Y13, Y13
	VPSRLW $3, Y10, Y6
	VPAND Y14, Y6, Y6
	VPOR Y6, Y12, Y12
	VPMADDUBSW 196(DI), Y13, Y13
	VPMADDUBSW 228(DI), Y12, Y12
	VPSHUFB oqShufK4<>+192(SB), Y2, Y5
	VPSHUFB oqShufK4<>+224(SB), Y2, Y6
	VPMADDWD Y5, Y13, Y13
	VPMADDWD Y6, Y12, Y12
	VPADDD Y13, Y11, Y11
	VPADDD Y12, Y11, Y11

	VCVTDQ2PS Y11, Y11
	VFMADD231PS Y8, Y11, Y0

	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  block

	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VSUBPS X1, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// Shuffle masks for VPSHUFB: mask s (32 bytes) puts 16-bit word 2s in
// every word of the low 128-bit lane and word 2s+1 in the high lane: the
// scales of the two 16-element groups of a 32-element slice.
DATA oqShufQ3<>+0(SB)/8, $0x0100010001000100
DATA oqShufQ3<>+8(SB)/8, $0x0100010001000100
DATA oqShufQ3<>+16(SB)/8, $0x0302030203020302
DATA oqShufQ3<>+24(SB)/8, $0x0302030203020302
DATA oqShufQ3<>+32(SB)/8, $0x0504050405040504
DATA oqShufQ3<>+40(SB)/8, $0x0504050405040504
DATA oqShufQ3<>+48(SB)/8, $0x0706070607060706
DATA oqShufQ3<>+56(SB)/8, $0x0706070607060706
DATA oqShufQ3<>+64(SB)/8, $0x0908090809080908
DATA oqShufQ3<>+72(SB)/8, $0x0908090809080908
DATA oqShufQ3<>+80(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufQ3<>+88(SB)/8, $0x0b0a0b0a0b0a0b0a
DATA oqShufQ3<>+96(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufQ3<>+104(SB)/8, $0x0d0c0d0c0d0c0d0c
DATA oqShufQ3<>+112(SB)/8, $0x0f0e0f0e0f0e0f0e
DATA oqShufQ3<>+120(SB)/8, $0x0f0e0f0e0f0e0f0e
GLOBL oqShufQ3<>(SB), RODATA|NOPTR, $128

DATA oqM3<>+0(SB)/8, $0x0303030303030303
DATA oqM3<>+8(SB)/8, $0x0303030303030303
DATA oqM3<>+16(SB)/8, $0x0303030303030303
DATA oqM3<>+24(SB)/8, $0x0303030303030303
GLOBL oqM3<>(SB), RODATA|NOPTR, $32

DATA oqBit2<>+0(SB)/8, $0x0404040404040404
DATA oqBit2<>+8(SB)/8, $0x0404040404040404
DATA oqBit2<>+16(SB)/8, $0x0404040404040404
DATA oqBit2<>+24(SB)/8, $0x0404040404040404
GLOBL oqBit2<>(SB), RODATA|NOPTR, $32

DATA oq32<>+0(SB)/8, $0x2020202020202020
DATA oq32<>+8(SB)/8, $0x2020202020202020
DATA oq32<>+16(SB)/8, $0x2020202020202020
DATA oq32<>+24(SB)/8, $0x2020202020202020
GLOBL oq32<>(SB), RODATA|NOPTR, $32

// func q3kDotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 super-blocks of block_q3_K (w, 110 bytes each) against block_q8_K
// (x, 292 bytes each). Per super-block: the 16 6-bit scales unpacked in
// general registers, minus 32, sign-extended to words; for each 32-element
// slice the low 2 bits times q8 (VPMADDUBSW) minus 4·q8 where the high bit
// is clear (VPMADDUBSW of 4 or 0), times the groups' scales (VPMADDWD),
// summed in 8 int32 lanes, converted and FMA'd by d = y.d·x.d into Y0.
TEXT ·q3kDotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VMOVDQU oqM3<>(SB), Y15
	VMOVDQU oqBit2<>(SB), Y14

q3block:
	MOVL 96(SI), AX          // aux0
	MOVL 100(SI), BX         // aux1
	MOVL 104(SI), DX         // aux2
	MOVL AX, R8
	ANDL $0x0f0f0f0f, R8
	MOVL DX, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL  R9, R8              // scales 0..3
	MOVL BX, R10
	ANDL $0x0f0f0f0f, R10
	MOVL DX, R9
	SHRL $2, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL  R9, R10             // scales 4..7
	SHLQ $32, R10
	ORQ  R10, R8             // scales 0..7
	SHRL $4, AX
	ANDL $0x0f0f0f0f, AX
	MOVL DX, R9
	SHRL $4, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL  R9, AX              // scales 8..11
	SHRL $4, BX
	ANDL $0x0f0f0f0f, BX
	SHRL $6, DX
	ANDL $0x03030303, DX
	SHLL $4, DX
	ORL  DX, BX              // scales 12..15
	SHLQ $32, BX
	ORQ  BX, AX              // scales 8..15
	MOVQ R8, X2
	VPINSRQ $1, AX, X2, X2
	VPSUBB oq32<>(SB), X2, X2
	VPMOVSXBW X2, Y2            // 16 scales - 32 as words
	VPERMQ $0x44, Y2, Y3        // scales 0..7 in both lanes
	VPERMQ $0xEE, Y2, Y2        // scales 8..15 in both lanes

	MOVWLZX 108(SI), AX
	MOVQ AX, X6
	VCVTPH2PS X6, X6
	VMULSS 0(DI), X6, X6
	VBROADCASTSS X6, Y8

	VMOVDQU 0(SI), Y10          // hmask
	VPXOR Y11, Y11, Y11
	VMOVDQU 32(SI), Y12

	// Elements 0..31.
	VPAND Y15, Y12, Y13
	VPSLLW $2, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 4(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+0(SB), Y3, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 32..63.
	VPSRLW $2, Y12, Y13
	VPAND Y15, Y13, Y13
	VPSLLW $1, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 36(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+32(SB), Y3, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 64..95.
	VPSRLW $4, Y12, Y13
	VPAND Y15, Y13, Y13
	VMOVDQA Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 68(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+64(SB), Y3, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 96..127.
	VPSRLW $6, Y12, Y13
	VPAND Y15, Y13, Y13
	VPSRLW $1, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 100(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+96(SB), Y3, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11
	VMOVDQU 64(SI), Y12

	// Elements 128..159.
	VPAND Y15, Y12, Y13
	VPSRLW $2, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 132(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+0(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 160..191.
	VPSRLW $2, Y12, Y13
	VPAND Y15, Y13, Y13
	VPSRLW $3, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 164(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+32(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 192..223.
	VPSRLW $4, Y12, Y13
	VPAND Y15, Y13, Y13
	VPSRLW $4, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 196(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+64(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 224..255.
	VPSRLW $6, Y12, Y13
	VPAND Y15, Y13, Y13
	VPSRLW $5, Y10, Y5
	VPANDN Y14, Y5, Y5
	VMOVDQU 228(DI), Y7
	VPMADDUBSW Y7, Y13, Y13
	VPMADDUBSW Y7, Y5, Y5
	VPSUBW Y5, Y13, Y13
	VPSHUFB oqShufQ3<>+96(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	VCVTDQ2PS Y11, Y11
	VFMADD231PS Y8, Y11, Y0

	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q3block

	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func q2kDotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 super-blocks of block_q2_K (w, 84 bytes each) against block_q8_K
// (x, 292 bytes each). Per super-block: the mins term Σ bsums·min as 8
// int32 lanes (VPMADDWD), converted and FMA'd by dmin = y.d·x.dmin into Y1;
// the 2-bit values times q8 (VPMADDUBSW), times the groups' scales
// (VPMADDWD), summed in 8 int32 lanes, converted and FMA'd by
// d = y.d·x.d into Y0. The result is hsum(Y0 − Y1).
TEXT ·q2kDotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VMOVDQU oqM3<>(SB), Y15
	VMOVDQU oqNib<>(SB), X14

q2block:
	VMOVDQU 0(SI), X2
	VPSRLW $4, X2, X3
	VPAND X14, X2, X2
	VPAND X14, X3, X3
	VPMOVZXBW X3, Y3            // 16 mins as words
	VPMADDWD 260(DI), Y3, Y3     // · bsums, pairwise
	VCVTDQ2PS Y3, Y3
	VPMOVZXBW X2, Y2            // 16 scales as words
	VPERMQ $0x44, Y2, Y4        // scales 0..7 in both lanes
	VPERMQ $0xEE, Y2, Y2        // scales 8..15 in both lanes

	VMOVD 80(SI), X6
	VCVTPH2PS X6, X6
	VBROADCASTSS 0(DI), X7
	VMULPS X7, X6, X6           // d·y.d, dmin·y.d
	VBROADCASTSS X6, Y8
	VPSHUFD $0x55, X6, X9
	VBROADCASTSS X9, Y9
	VFMADD231PS Y9, Y3, Y1

	VPXOR Y11, Y11, Y11
	VMOVDQU 16(SI), Y12

	// Elements 0..31.
	VPAND Y15, Y12, Y13
	VPMADDUBSW 4(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+0(SB), Y4, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 32..63.
	VPSRLW $2, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 36(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+32(SB), Y4, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 64..95.
	VPSRLW $4, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 68(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+64(SB), Y4, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 96..127.
	VPSRLW $6, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 100(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+96(SB), Y4, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11
	VMOVDQU 48(SI), Y12

	// Elements 128..159.
	VPAND Y15, Y12, Y13
	VPMADDUBSW 132(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+0(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 160..191.
	VPSRLW $2, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 164(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+32(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 192..223.
	VPSRLW $4, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 196(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+64(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	// Elements 224..255.
	VPSRLW $6, Y12, Y13
	VPAND Y15, Y13, Y13
	VPMADDUBSW 228(DI), Y13, Y13
	VPSHUFB oqShufQ3<>+96(SB), Y2, Y6
	VPMADDWD Y6, Y13, Y13
	VPADDD Y13, Y11, Y11

	VCVTDQ2PS Y11, Y11
	VFMADD231PS Y8, Y11, Y0

	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNZ  q2block

	VSUBPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// bytes_from_bits: VPSHUFB mask spreading byte k of a 32-bit word over
// bytes 8k..8k+7, and the OR mask that leaves bit (i mod 8) of byte i as
// its only possibly-clear bit (so VPCMPEQB with all ones tests it).
DATA oqBitShuf<>+0(SB)/8, $0x0000000000000000
DATA oqBitShuf<>+8(SB)/8, $0x0101010101010101
DATA oqBitShuf<>+16(SB)/8, $0x0202020202020202
DATA oqBitShuf<>+24(SB)/8, $0x0303030303030303
GLOBL oqBitShuf<>(SB), RODATA|NOPTR, $32
DATA oqBitOr<>+0(SB)/8, $0x7fbfdfeff7fbfdfe
DATA oqBitOr<>+8(SB)/8, $0x7fbfdfeff7fbfdfe
DATA oqBitOr<>+16(SB)/8, $0x7fbfdfeff7fbfdfe
DATA oqBitOr<>+24(SB)/8, $0x7fbfdfeff7fbfdfe
GLOBL oqBitOr<>(SB), RODATA|NOPTR, $32
DATA oqF0<>+0(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA oqF0<>+8(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA oqF0<>+16(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA oqF0<>+24(SB)/8, $0xf0f0f0f0f0f0f0f0
GLOBL oqF0<>(SB), RODATA|NOPTR, $32
DATA oqOnes16<>+0(SB)/8, $0x0001000100010001
DATA oqOnes16<>+8(SB)/8, $0x0001000100010001
DATA oqOnes16<>+16(SB)/8, $0x0001000100010001
DATA oqOnes16<>+24(SB)/8, $0x0001000100010001
GLOBL oqOnes16<>(SB), RODATA|NOPTR, $32

// func q50DotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 blocks of block_q5_0 (w, 22 bytes) against block_q8_0 (x, 34
// bytes): the 32 signed values (nibble | fifth bit << 4) - 16 built as
// bytes, times q8 with VPSIGNB/VPMADDUBSW/VPMADDWD (ggml's
// mul_sum_i8_pairs), 8 int32 lanes converted and FMA'd by x.d·y.d.
TEXT ·q50DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	VMOVDQU oqNib<>(SB), Y15
	VMOVDQU oqOnes16<>(SB), Y14
	VMOVDQU oqBitShuf<>(SB), Y13
	VMOVDQU oqBitOr<>(SB), Y12
	VPCMPEQB Y11, Y11, Y11     // all ones
	VMOVDQU oqF0<>(SB), Y10

q50Dblock:
	VMOVDQU 6(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y15, Y2, Y2          // element j: low nibble j (j<16), high nibble j-16
	VPBROADCASTD 2(SI), Y3
	VPSHUFB Y13, Y3, Y3
	VPOR Y12, Y3, Y3
	VPCMPEQB Y11, Y3, Y3       // 0xFF where element j has its fifth bit
	VPANDN Y10, Y3, Y3         // 0xF0 where it has not: nibble|0xF0 = nibble-16
	VPOR Y3, Y2, Y2
	VMOVDQU 2(DI), Y4
	VPSIGNB Y2, Y2, Y5         // |w|
	VPSIGNB Y2, Y4, Y4         // x with the sign of w
	VPMADDUBSW Y4, Y5, Y5
	VPMADDWD Y14, Y5, Y5
	VCVTDQ2PS Y5, Y5
	MOVWLZX 0(SI), AX
	MOVWLZX 0(DI), BX
	SHLL $16, BX
	ORL BX, AX
	MOVQ AX, X6
	VCVTPH2PS X6, X6           // x.d, y.d
	VMOVSHDUP X6, X7
	VMULSS X7, X6, X6
	VBROADCASTSS X6, Y7
	VFMADD231PS Y7, Y5, Y0
	ADDQ $22, SI
	ADDQ $34, DI
	DECQ CX
	JNZ  q50Dblock

	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VADDSS X1, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func q41DotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 blocks of block_q4_1 (w, 20 bytes) against block_q8_1 (x, 36
// bytes): the nibbles (0..15) times q8 (VPMADDUBSW/VPMADDWD), 8 int32 lanes
// converted and FMA'd by x.d·y.d; the x.m·y.s terms summed in X1.
TEXT ·q41DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	VMOVDQU oqNib<>(SB), Y15
	VMOVDQU oqOnes16<>(SB), Y14

q41Dblock:
	VMOVDQU 4(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y15, Y2, Y2          // element j: low nibble j (j<16), high nibble j-16
	VPMADDUBSW 4(DI), Y2, Y5
	VPMADDWD Y14, Y5, Y5
	VCVTDQ2PS Y5, Y5
	VMOVD 0(SI), X6
	VMOVD 0(DI), X7
	VCVTPH2PS X6, X6           // x.d, x.m
	VCVTPH2PS X7, X7           // y.d, y.s
	VMULPS X7, X6, X6          // x.d·y.d, x.m·y.s
	VBROADCASTSS X6, Y7
	VFMADD231PS Y7, Y5, Y0
	VMOVSHDUP X6, X6
	VADDSS X6, X1, X1
	ADDQ $20, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  q41Dblock

	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VADDSS X1, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func q51DotAVX2(w, x *byte, nb int) float32
//
// nb ≥ 1 blocks of block_q5_1 (w, 24 bytes) against block_q8_1 (x, 36
// bytes): the values nibble | fifth bit << 4 (0..31) times q8, as
// q41DotAVX2.
TEXT ·q51DotAVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	VMOVDQU oqNib<>(SB), Y15
	VMOVDQU oqOnes16<>(SB), Y14
	VMOVDQU oqBitShuf<>(SB), Y13
	VMOVDQU oqBitOr<>(SB), Y12
	VPCMPEQB Y11, Y11, Y11     // all ones
	VMOVDQU oqBit4<>(SB), Y10

q51Dblock:
	VMOVDQU 8(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y15, Y2, Y2          // element j: low nibble j (j<16), high nibble j-16
	VPBROADCASTD 4(SI), Y3
	VPSHUFB Y13, Y3, Y3
	VPOR Y12, Y3, Y3
	VPCMPEQB Y11, Y3, Y3       // 0xFF where element j has its fifth bit
	VPAND Y10, Y3, Y3          // 0x10 where it has
	VPOR Y3, Y2, Y2
	VPMADDUBSW 4(DI), Y2, Y5
	VPMADDWD Y14, Y5, Y5
	VCVTDQ2PS Y5, Y5
	VMOVD 0(SI), X6
	VMOVD 0(DI), X7
	VCVTPH2PS X6, X6           // x.d, x.m
	VCVTPH2PS X7, X7           // y.d, y.s
	VMULPS X7, X6, X6          // x.d·y.d, x.m·y.s
	VBROADCASTSS X6, Y7
	VFMADD231PS Y7, Y5, Y0
	VMOVSHDUP X6, X6
	VADDSS X6, X1, X1
	ADDQ $24, SI
	ADDQ $36, DI
	DECQ CX
	JNZ  q51Dblock

	VEXTRACTF128 $1, Y0, X2
	VADDPS X2, X0, X0
	VMOVHLPS X0, X0, X2
	VADDPS X2, X0, X0
	VMOVSHDUP X0, X2
	VADDSS X2, X0, X0
	VADDSS X1, X0, X0
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET
