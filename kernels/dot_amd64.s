//go:build amd64 && !purego

#include "textflag.h"

// Every float32 dot product of this package (and the F16/BF16 kernels of
// f16_amd64.s) sums in one order, whatever kernel computes it, so that
// MatVec, MatMul, the tiled kernels and thread counts all give the same
// bits: one 8-lane FMA accumulator per output, acc = fma(w[8j:8j+8],
// x[8j:8j+8], acc) for chunks j = 0, 1, ..., the last partial chunk with
// its missing lanes zero, then the lanes are joined as
// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).
//
// A last partial chunk of m < 8 elements is read as the 8 elements that end
// the row (never a byte outside it: masked loads may fault on AMD for
// masked-off lanes, the APM leaves it to the implementation), moved down
// by VPERMPS and masked, so the kernels need n ≥ 8 or n a multiple of 8;
// the Go callers pad shorter rows.

// f32TailPerm<>+32m holds the VPERMPS indices (8-m+i)&7 that move the last
// m of 8 loaded elements to lanes 0..m-1.
DATA f32TailPerm<>+0(SB)/8, $0x0000000100000000
DATA f32TailPerm<>+8(SB)/8, $0x0000000300000002
DATA f32TailPerm<>+16(SB)/8, $0x0000000500000004
DATA f32TailPerm<>+24(SB)/8, $0x0000000700000006
DATA f32TailPerm<>+32(SB)/8, $0x0000000000000007
DATA f32TailPerm<>+40(SB)/8, $0x0000000200000001
DATA f32TailPerm<>+48(SB)/8, $0x0000000400000003
DATA f32TailPerm<>+56(SB)/8, $0x0000000600000005
DATA f32TailPerm<>+64(SB)/8, $0x0000000700000006
DATA f32TailPerm<>+72(SB)/8, $0x0000000100000000
DATA f32TailPerm<>+80(SB)/8, $0x0000000300000002
DATA f32TailPerm<>+88(SB)/8, $0x0000000500000004
DATA f32TailPerm<>+96(SB)/8, $0x0000000600000005
DATA f32TailPerm<>+104(SB)/8, $0x0000000000000007
DATA f32TailPerm<>+112(SB)/8, $0x0000000200000001
DATA f32TailPerm<>+120(SB)/8, $0x0000000400000003
DATA f32TailPerm<>+128(SB)/8, $0x0000000500000004
DATA f32TailPerm<>+136(SB)/8, $0x0000000700000006
DATA f32TailPerm<>+144(SB)/8, $0x0000000100000000
DATA f32TailPerm<>+152(SB)/8, $0x0000000300000002
DATA f32TailPerm<>+160(SB)/8, $0x0000000400000003
DATA f32TailPerm<>+168(SB)/8, $0x0000000600000005
DATA f32TailPerm<>+176(SB)/8, $0x0000000000000007
DATA f32TailPerm<>+184(SB)/8, $0x0000000200000001
DATA f32TailPerm<>+192(SB)/8, $0x0000000300000002
DATA f32TailPerm<>+200(SB)/8, $0x0000000500000004
DATA f32TailPerm<>+208(SB)/8, $0x0000000700000006
DATA f32TailPerm<>+216(SB)/8, $0x0000000100000000
DATA f32TailPerm<>+224(SB)/8, $0x0000000200000001
DATA f32TailPerm<>+232(SB)/8, $0x0000000400000003
DATA f32TailPerm<>+240(SB)/8, $0x0000000600000005
DATA f32TailPerm<>+248(SB)/8, $0x0000000000000007
GLOBL f32TailPerm<>(SB), RODATA|NOPTR, $256

// f32TailMask<>+32-4m holds 8 dwords whose first m are all ones.
DATA f32TailMask<>+0(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+8(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+16(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+24(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+32(SB)/8, $0
DATA f32TailMask<>+40(SB)/8, $0
DATA f32TailMask<>+48(SB)/8, $0
DATA f32TailMask<>+56(SB)/8, $0
GLOBL f32TailMask<>(SB), RODATA|NOPTR, $64

// TAILSETUP loads the permutation (into p) and the mask (into k) for a last
// chunk of m = reg (1..7) elements and leaves 4m in reg; t and u are
// clobbered.
#define TAILSETUP(reg, t, u, p, k) \
	MOVQ reg, t \
	SHLQ $5, t \
	LEAQ f32TailPerm<>(SB), u \
	VMOVDQU (u)(t*1), p \
	SHLQ $2, reg \
	LEAQ f32TailMask<>+32(SB), t \
	SUBQ reg, t \
	VMOVDQU (t), k

// TAILLOAD sets y to the last chunk whose 8 elements end at m (an address
// expression 32 bytes before the row's end): lanes 0..m-1 hold the row's
// last m elements, the others +0.
#define TAILLOAD(m, p, k, y) \
	VPERMPS m, p, y \
	VANDPS k, y, y

// REDUCE8 sums the 8 lanes of y into the low lane of x (y's xmm name) in
// the order ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).
#define REDUCE8(y, x, t) \
	VHADDPS y, y, y \
	VHADDPS y, y, y \
	VEXTRACTF128 $1, y, t \
	VADDPS t, x, x

// REDUCE4 sums each of a, b, c, d in REDUCE8's order into lanes 0-3 of xa
// (a's xmm name); b and c are clobbered.
#define REDUCE4(a, b, c, d, xa, t) \
	VHADDPS b, a, a \
	VHADDPS d, c, c \
	VHADDPS c, a, a \
	VEXTRACTF128 $1, a, t \
	VADDPS t, xa, xa

// func dotAVX2(a, b *float32, n int) float32
//
// n ≥ 8 or n a multiple of 8.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0

loop:
	TESTQ CX, CX
	JEQ   tail
	VMOVUPS (SI), Y1
	VFMADD231PS (DI), Y1, Y0
	ADDQ  $32, SI
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop

tail:
	TESTQ BX, BX
	JEQ   reduce
	TAILSETUP(BX, AX, DX, Y4, Y3)
	ADDQ  BX, SI
	ADDQ  BX, DI
	TAILLOAD(-32(SI), Y4, Y3, Y1)
	TAILLOAD(-32(DI), Y4, Y3, Y2)
	VFMADD231PS Y2, Y1, Y0

reduce:
	REDUCE8(Y0, X0, X1)
	VZEROUPPER
	VMOVSS X0, ret+24(FP)
	RET

// func dot8AVX2(w *float32, stride int, x *float32, n int, out *float32)
//
// out[i] = Σ_{j<n} w[i·stride+j]·x[j] for the 8 rows i = 0..7, each in
// dotAVX2's order, loading x once for 8 rows (8 independent FMA chains).
// n ≥ 8 or n a multiple of 8.
TEXT ·dot8AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	SHLQ $2, AX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	LEAQ (R8)(AX*2), R9
	ADDQ AX, R9              // row 6
	MOVQ CX, BX
	ANDQ $7, BX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	LEAQ (SI)(AX*8), R10     // the next 8 rows, prefetched as one stream

loop8:
	TESTQ CX, CX
	JEQ   tail8
	// 256 bytes of the 8 rows are used per step: fetch the next 256 bytes
	// of the next 8 rows' region (as long as this one) into L2 (dot8F16X
	// does the same): from DRAM the 8 interleaved row streams alone read
	// well below one sequential stream.
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	PREFETCHT1 128(R10)
	PREFETCHT1 192(R10)
	ADDQ  $256, R10
	VMOVUPS (DI), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(AX*1), Y8, Y1
	VFMADD231PS (SI)(AX*2), Y8, Y2
	VFMADD231PS (R8), Y8, Y3
	VFMADD231PS (SI)(AX*4), Y8, Y4
	VFMADD231PS (R8)(AX*2), Y8, Y5
	VFMADD231PS (R9), Y8, Y6
	VFMADD231PS (R8)(AX*4), Y8, Y7
	ADDQ  $32, SI
	ADDQ  $32, R8
	ADDQ  $32, R9
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop8

tail8:
	TESTQ BX, BX
	JEQ   reduce8
	TAILSETUP(BX, R10, R11, Y11, Y9)
	ADDQ  BX, SI
	ADDQ  BX, R8
	ADDQ  BX, R9
	ADDQ  BX, DI
	TAILLOAD(-32(DI), Y11, Y9, Y8)
	TAILLOAD(-32(SI), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y0
	TAILLOAD(-32(SI)(AX*1), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y1
	TAILLOAD(-32(SI)(AX*2), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y2
	TAILLOAD(-32(R8), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y3
	TAILLOAD(-32(SI)(AX*4), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y4
	TAILLOAD(-32(R8)(AX*2), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y5
	TAILLOAD(-32(R9), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y6
	TAILLOAD(-32(R8)(AX*4), Y11, Y9, Y10)
	VFMADD231PS Y10, Y8, Y7

reduce8:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X8)
	REDUCE4(Y4, Y5, Y6, Y7, X4, X8)
	VMOVUPS X0, (DX)
	VMOVUPS X4, 16(DX)
	VZEROUPPER
	RET

// func tile43AVX2(w *float32, ws int, x *float32, xs int, n int, out *float32, os int)
//
// out[t·os+r] = Σ_{j<n} w[r·ws+j]·x[t·xs+j] for 4 rows r and 3 tokens t,
// each in dotAVX2's order: 12 accumulators, each chunk of w loaded once
// for 3 tokens and each chunk of x once for 4 rows. The last partial
// chunk's x goes through a 96-byte stack buffer, since all 16 registers
// are in use. n ≥ 8 or n a multiple of 8.
TEXT ·tile43AVX2(SB), NOSPLIT, $96-56
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ xs+24(FP), BX
	MOVQ n+32(FP), CX
	SHLQ $2, AX
	SHLQ $2, BX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	MOVQ CX, DX
	ANDQ $7, DX
	SHRQ $3, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

loop43:
	TESTQ CX, CX
	JEQ   tail43
	VMOVUPS (DI), Y12
	VMOVUPS (DI)(BX*1), Y13
	VMOVUPS (DI)(BX*2), Y14
	VMOVUPS (SI), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y1
	VFMADD231PS Y15, Y14, Y2
	VMOVUPS (SI)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y5
	VMOVUPS (SI)(AX*2), Y15
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS (R8), Y15
	VFMADD231PS Y15, Y12, Y9
	VFMADD231PS Y15, Y13, Y10
	VFMADD231PS Y15, Y14, Y11
	ADDQ  $32, SI
	ADDQ  $32, R8
	ADDQ  $32, DI
	DECQ  CX
	JMP   loop43

tail43:
	TESTQ DX, DX
	JEQ   reduce43
	TAILSETUP(DX, R9, R10, Y14, Y15)
	ADDQ  DX, SI
	ADDQ  DX, R8
	ADDQ  DX, DI
	TAILLOAD(-32(DI), Y14, Y15, Y12)
	TAILLOAD(-32(DI)(BX*1), Y14, Y15, Y13)
	VMOVUPS Y12, 0(SP)
	VMOVUPS Y13, 32(SP)
	TAILLOAD(-32(DI)(BX*2), Y14, Y15, Y12)
	VMOVUPS Y12, 64(SP)
	TAILLOAD(-32(SI), Y14, Y15, Y12)
	TAILLOAD(-32(SI)(AX*1), Y14, Y15, Y13)
	VFMADD231PS 0(SP), Y12, Y0
	VFMADD231PS 32(SP), Y12, Y1
	VFMADD231PS 64(SP), Y12, Y2
	VFMADD231PS 0(SP), Y13, Y3
	VFMADD231PS 32(SP), Y13, Y4
	VFMADD231PS 64(SP), Y13, Y5
	TAILLOAD(-32(SI)(AX*2), Y14, Y15, Y12)
	TAILLOAD(-32(R8), Y14, Y15, Y13)
	VFMADD231PS 0(SP), Y12, Y6
	VFMADD231PS 32(SP), Y12, Y7
	VFMADD231PS 64(SP), Y12, Y8
	VFMADD231PS 0(SP), Y13, Y9
	VFMADD231PS 32(SP), Y13, Y10
	VFMADD231PS 64(SP), Y13, Y11

reduce43:
	MOVQ out+40(FP), DI
	MOVQ os+48(FP), BX
	SHLQ $2, BX
	REDUCE4(Y0, Y3, Y6, Y9, X0, X12)
	REDUCE4(Y1, Y4, Y7, Y10, X1, X12)
	REDUCE4(Y2, Y5, Y8, Y11, X2, X12)
	VMOVUPS X0, (DI)
	VMOVUPS X1, (DI)(BX*1)
	VMOVUPS X2, (DI)(BX*2)
	VZEROUPPER
	RET
