//go:build amd64 && !purego

#include "textflag.h"

// Every float32 dot product of this package (and the F16/BF16 kernels of
// f16_amd64.s) sums in one order, whatever kernel computes it, so that
// MatVec, MatMul, the tiled kernels and thread counts all give the same
// bits: one 8-lane FMA accumulator per output, acc = fma(w[8j:8j+8],
// x[8j:8j+8], acc) for chunks j = 0, 1, ..., the last partial chunk loaded
// with its missing lanes zero (VMASKMOVPS), then the lanes are joined as
// ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)).

// f32TailMask<>+32-4m holds 8 dwords whose first m are all ones: the
// VMASKMOVPS mask of a last chunk of m < 8 elements.
DATA f32TailMask<>+0(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+8(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+16(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+24(SB)/8, $0xffffffffffffffff
DATA f32TailMask<>+32(SB)/8, $0
DATA f32TailMask<>+40(SB)/8, $0
DATA f32TailMask<>+48(SB)/8, $0
DATA f32TailMask<>+56(SB)/8, $0
GLOBL f32TailMask<>(SB), RODATA|NOPTR, $64

// TAILMASK loads into y the mask for the m = reg (1..7) last elements;
// reg is clobbered (×4), t holds an address.
#define TAILMASK(reg, t, y) \
	SHLQ $2, reg \
	LEAQ f32TailMask<>+32(SB), t \
	SUBQ reg, t \
	VMOVDQU (t), y

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
	TAILMASK(BX, AX, Y3)
	VMASKMOVPS (SI), Y3, Y1
	VMASKMOVPS (DI), Y3, Y2
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

loop8:
	TESTQ CX, CX
	JEQ   tail8
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
	TAILMASK(BX, R10, Y9)
	VMASKMOVPS (DI), Y9, Y8
	VMASKMOVPS (SI), Y9, Y10
	VFMADD231PS Y10, Y8, Y0
	VMASKMOVPS (SI)(AX*1), Y9, Y10
	VFMADD231PS Y10, Y8, Y1
	VMASKMOVPS (SI)(AX*2), Y9, Y10
	VFMADD231PS Y10, Y8, Y2
	VMASKMOVPS (R8), Y9, Y10
	VFMADD231PS Y10, Y8, Y3
	VMASKMOVPS (SI)(AX*4), Y9, Y10
	VFMADD231PS Y10, Y8, Y4
	VMASKMOVPS (R8)(AX*2), Y9, Y10
	VFMADD231PS Y10, Y8, Y5
	VMASKMOVPS (R9), Y9, Y10
	VFMADD231PS Y10, Y8, Y6
	VMASKMOVPS (R8)(AX*4), Y9, Y10
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
// are in use.
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
	TAILMASK(DX, R9, Y15)
	VMASKMOVPS (DI), Y15, Y12
	VMASKMOVPS (DI)(BX*1), Y15, Y13
	VMASKMOVPS (DI)(BX*2), Y15, Y14
	VMOVUPS Y12, 0(SP)
	VMOVUPS Y13, 32(SP)
	VMOVUPS Y14, 64(SP)
	VMASKMOVPS (SI), Y15, Y12
	VMASKMOVPS (SI)(AX*1), Y15, Y13
	VMASKMOVPS (SI)(AX*2), Y15, Y14
	VMASKMOVPS (R8), Y15, Y15
	VFMADD231PS 0(SP), Y12, Y0
	VFMADD231PS 32(SP), Y12, Y1
	VFMADD231PS 64(SP), Y12, Y2
	VFMADD231PS 0(SP), Y13, Y3
	VFMADD231PS 32(SP), Y13, Y4
	VFMADD231PS 64(SP), Y13, Y5
	VFMADD231PS 0(SP), Y14, Y6
	VFMADD231PS 32(SP), Y14, Y7
	VFMADD231PS 64(SP), Y14, Y8
	VFMADD231PS 0(SP), Y15, Y9
	VFMADD231PS 32(SP), Y15, Y10
	VFMADD231PS 64(SP), Y15, Y11

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
