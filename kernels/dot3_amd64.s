//go:build amd64 && !purego

#include "textflag.h"

// REDUCE sums the four accumulators a0..a3 of one row into the low lane of
// x0 (the xmm name of a0) in the order of dotAVX2 (ggml's GGML_F32x8_REDUCE).
#define REDUCE(a0, a1, a2, a3, x0, x1) \
	VADDPS a2, a0, a0 \
	VADDPS a3, a1, a1 \
	VADDPS a1, a0, a0 \
	VEXTRACTF128 $1, a0, x1 \
	VADDPS x1, x0, x0 \
	VHADDPS x0, x0, x0 \
	VHADDPS x0, x0, x0

// func dot3AVX2(w *float32, stride int, x *float32, n int, out *float32)
//
// out[i] = Σ_{j<n} w[i·stride+j]·x[j] for i = 0, 1, 2, each row summed in
// exactly the order of dotAVX2 (bit-identical results), sharing the loads of x.
TEXT ·dot3AVX2(SB), NOSPLIT, $0-40
	MOVQ w+0(FP), SI
	MOVQ stride+8(FP), AX
	MOVQ x+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ out+32(FP), DX
	SHLQ $2, AX
	LEAQ (SI)(AX*1), R8
	LEAQ (R8)(AX*1), R9
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

loop32:
	CMPQ CX, $32
	JLT  loop8
	VMOVUPS 0(DI), Y12
	VMOVUPS 32(DI), Y13
	VMOVUPS 64(DI), Y14
	VMOVUPS 96(DI), Y15
	VFMADD231PS 0(SI), Y12, Y0
	VFMADD231PS 32(SI), Y13, Y1
	VFMADD231PS 64(SI), Y14, Y2
	VFMADD231PS 96(SI), Y15, Y3
	VFMADD231PS 0(R8), Y12, Y4
	VFMADD231PS 32(R8), Y13, Y5
	VFMADD231PS 64(R8), Y14, Y6
	VFMADD231PS 96(R8), Y15, Y7
	VFMADD231PS 0(R9), Y12, Y8
	VFMADD231PS 32(R9), Y13, Y9
	VFMADD231PS 64(R9), Y14, Y10
	VFMADD231PS 96(R9), Y15, Y11
	ADDQ $128, SI
	ADDQ $128, R8
	ADDQ $128, R9
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  loop32

loop8:
	CMPQ CX, $8
	JLT  reduce
	VMOVUPS 0(DI), Y12
	VFMADD231PS 0(SI), Y12, Y0
	VFMADD231PS 0(R8), Y12, Y4
	VFMADD231PS 0(R9), Y12, Y8
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  loop8

reduce:
	REDUCE(Y0, Y1, Y2, Y3, X0, X1)
	REDUCE(Y4, Y5, Y6, Y7, X4, X5)
	REDUCE(Y8, Y9, Y10, Y11, X8, X9)

tail:
	TESTQ CX, CX
	JEQ  done
	VMOVSS 0(DI), X12
	VFMADD231SS 0(SI), X12, X0
	VFMADD231SS 0(R8), X12, X4
	VFMADD231SS 0(R9), X12, X8
	ADDQ $4, SI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, DI
	DECQ CX
	JMP  tail

done:
	VZEROUPPER
	VMOVSS X0, 0(DX)
	VMOVSS X4, 4(DX)
	VMOVSS X8, 8(DX)
	RET
