//go:build amd64 && !purego

#include "textflag.h"

// Register tiles of 3 weight rows × 8 tokens for small batches (the
// server's batched decode) with AVX-512VL: 24 accumulators in ymm registers
// (Y8-Y15 row 0, Y16-Y23 row 1, Y24-Y31 row 2; Y16-Y31 need EVEX), so each
// chunk of 8 weights is loaded (for F16: converted) once for 8 tokens and
// each chunk of a token once for 3 rows. Every output is summed in the
// order of dot_amd64.s: one 8-lane FMA accumulator over chunks of 8 in
// order, then ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7)), so it has the bits of
// dotAVX2 (F32) or dotF16AVX2 (F16) for the same row and token. n is a
// multiple of 8 (no partial chunk).
//
// The 8 tokens are given as 8 pointers (the Go caller repeats the group's
// first token for missing ones; only nt tokens' outputs are stored), read
// at one common offset R14. Further below, 6 × 4 tiles of the same
// accumulators serve groups of up to 4 tokens. The weights ahead (pf bytes past row 0, e.g. the next tiles'
// rows) are fetched into L2 as one stream: with few tokens they come from
// DRAM.

// TOKLOADS loads the 8 token pointers from the array at r into DI, BX, DX,
// R8, R9, R11, R12, R13.
#define TOKLOADS(r) \
	MOVQ 0(r), DI   \
	MOVQ 8(r), BX   \
	MOVQ 16(r), DX  \
	MOVQ 24(r), R8  \
	MOVQ 32(r), R9  \
	MOVQ 40(r), R11 \
	MOVQ 48(r), R12 \
	MOVQ 56(r), R13

#define ZEROACC \
	VXORPS Y8, Y8, Y8       \
	VXORPS Y9, Y9, Y9       \
	VXORPS Y10, Y10, Y10    \
	VXORPS Y11, Y11, Y11    \
	VXORPS Y12, Y12, Y12    \
	VXORPS Y13, Y13, Y13    \
	VXORPS Y14, Y14, Y14    \
	VXORPS Y15, Y15, Y15    \
	VPXORD Y16, Y16, Y16    \
	VPXORD Y17, Y17, Y17    \
	VPXORD Y18, Y18, Y18    \
	VPXORD Y19, Y19, Y19    \
	VPXORD Y20, Y20, Y20    \
	VPXORD Y21, Y21, Y21    \
	VPXORD Y22, Y22, Y22    \
	VPXORD Y23, Y23, Y23    \
	VPXORD Y24, Y24, Y24    \
	VPXORD Y25, Y25, Y25    \
	VPXORD Y26, Y26, Y26    \
	VPXORD Y27, Y27, Y27    \
	VPXORD Y28, Y28, Y28    \
	VPXORD Y29, Y29, Y29    \
	VPXORD Y30, Y30, Y30    \
	VPXORD Y31, Y31, Y31

// TOK loads the chunk of the token at p (offset R14) into x and adds
// it times the 3 weight chunks Y0-Y2 to the token's accumulators a, b, c.
#define TOK(p, x, a, b, c) \
	VMOVUPS (p)(R14*1), x   \
	VFMADD231PS x, Y0, a    \
	VFMADD231PS x, Y1, b    \
	VFMADD231PS x, Y2, c

#define TOKS8 \
	TOK(DI, Y3, Y8, Y16, Y24)  \
	TOK(BX, Y4, Y9, Y17, Y25)  \
	TOK(DX, Y3, Y10, Y18, Y26) \
	TOK(R8, Y4, Y11, Y19, Y27) \
	TOK(R9, Y3, Y12, Y20, Y28) \
	TOK(R11, Y4, Y13, Y21, Y29) \
	TOK(R12, Y3, Y14, Y22, Y30) \
	TOK(R13, Y4, Y15, Y23, Y31)

// STORE3 joins the accumulators a, b, c (rows 0-2 of one token) each in
// dotAVX2's order and stores them at DI, DI+4, DI+8.
#define STORE3(a, b, c) \
	VMOVAPS a, Y0           \
	VMOVAPS b, Y1           \
	VMOVAPS c, Y2           \
	VHADDPS Y1, Y0, Y0      \
	VHADDPS Y2, Y2, Y2      \
	VHADDPS Y2, Y0, Y0      \
	VEXTRACTF128 $1, Y0, X3 \
	VADDPS X3, X0, X0       \
	VMOVSD X0, (DI)         \
	VEXTRACTPS $2, X0, 8(DI)

// EPILOGUE stores the nt (1..8) tokens' 3 outputs, token t at out + t·os
// floats.
#define EPILOGUE \
	MOVQ out+32(FP), DI     \
	MOVQ os+40(FP), BX      \
	SHLQ $2, BX             \
	MOVQ nt+48(FP), CX      \
	STORE3(Y8, Y16, Y24)    \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y9, Y17, Y25)    \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y10, Y18, Y26)   \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y11, Y19, Y27)   \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y12, Y20, Y28)   \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y13, Y21, Y29)   \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y14, Y22, Y30)   \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE3(Y15, Y23, Y31)

// func tile38F32X(w *float32, ws int, xp *[8]*float32, n int, out *float32, os int, nt int, pf int)
//
// out[t·os+r] = Σ_{j<n} w[r·ws+j]·xp[t][j] for rows r < 3 and tokens
// t < nt (1..8); tokens nt..7 are computed and dropped. n a positive
// multiple of 8; pf ≥ 0 bytes.
TEXT ·tile38F32X(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), AX
	SHLQ $2, AX
	MOVQ xp+16(FP), R10
	TOKLOADS(R10)
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	MOVQ pf+56(FP), R10
	ADDQ SI, R10
	XORQ R14, R14
	ZEROACC

loop_f32:
	// 96 bytes of the 3 rows per step: fetch 128 bytes of the stream
	// ahead (every line of it is fetched at least once).
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	ADDQ $96, R10
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	TOKS8
	ADDQ $32, SI
	ADDQ $32, R14
	DECQ CX
	JNE  loop_f32

	EPILOGUE
done:
	VZEROUPPER
	RET

// func tile38F16X(w *byte, ws int, xp *[8]*float32, n int, out *float32, os int, nt int, pf int)
//
// tile38F32X for binary16 weight rows ws bytes apart (VCVTPH2PS from
// memory, exact), float32 tokens.
TEXT ·tile38F16X(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), AX
	MOVQ xp+16(FP), R10
	TOKLOADS(R10)
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	MOVQ pf+56(FP), R10
	ADDQ SI, R10
	XORQ R14, R14
	ZEROACC

loop_f16:
	// 48 bytes of the 3 rows per step: fetch the line 48 bytes on in the
	// stream ahead (every line of it is fetched at least once).
	PREFETCHT1 (R10)
	ADDQ $48, R10
	VCVTPH2PS (SI), Y0
	VCVTPH2PS (SI)(AX*1), Y1
	VCVTPH2PS (SI)(AX*2), Y2
	TOKS8
	ADDQ $16, SI
	ADDQ $32, R14
	DECQ CX
	JNE  loop_f16

	EPILOGUE
done:
	VZEROUPPER
	RET

// The 6-row × 4-token tiles: the same 24 accumulators as 6 rows of 4
// tokens (row r, token t in Y(8+4r+t)), for batches of 3 or 4 tokens,
// where a 3 × 8 tile would spend half its FMAs on repeated tokens. The
// weight chunks are in Y0-Y5, the rows at SI, SI+AX, SI+2AX, R8, SI+4AX,
// R8+2AX (R8 = SI+3AX); the 4 tokens at DI, BX, DX, R9 (offset R14).

#define TOKLOADS4(r) \
	MOVQ 0(r), DI   \
	MOVQ 8(r), BX   \
	MOVQ 16(r), DX  \
	MOVQ 24(r), R9

// TOK6 adds the chunk of the token at p times the 6 weight chunks to the
// token's accumulators.
#define TOK6(p, x, a0, a1, a2, a3, a4, a5) \
	VMOVUPS (p)(R14*1), x   \
	VFMADD231PS x, Y0, a0   \
	VFMADD231PS x, Y1, a1   \
	VFMADD231PS x, Y2, a2   \
	VFMADD231PS x, Y3, a3   \
	VFMADD231PS x, Y4, a4   \
	VFMADD231PS x, Y5, a5

#define TOKS4 \
	TOK6(DI, Y6, Y8, Y12, Y16, Y20, Y24, Y28) \
	TOK6(BX, Y7, Y9, Y13, Y17, Y21, Y25, Y29) \
	TOK6(DX, Y6, Y10, Y14, Y18, Y22, Y26, Y30) \
	TOK6(R9, Y7, Y11, Y15, Y19, Y23, Y27, Y31)

// STORE6 joins the accumulators of rows 0-5 of one token, each in
// dotAVX2's order, and stores them at DI..DI+20.
#define STORE6(a0, a1, a2, a3, a4, a5) \
	VMOVAPS a0, Y0          \
	VMOVAPS a1, Y1          \
	VMOVAPS a2, Y2          \
	VMOVAPS a3, Y3          \
	VMOVAPS a4, Y4          \
	VMOVAPS a5, Y5          \
	VHADDPS Y1, Y0, Y0      \
	VHADDPS Y3, Y2, Y2      \
	VHADDPS Y2, Y0, Y0      \
	VEXTRACTF128 $1, Y0, X6 \
	VADDPS X6, X0, X0       \
	VMOVUPS X0, (DI)        \
	VHADDPS Y5, Y4, Y4      \
	VHADDPS Y4, Y4, Y4      \
	VEXTRACTF128 $1, Y4, X6 \
	VADDPS X6, X4, X4       \
	VMOVSD X4, 16(DI)

// EPILOGUE4 stores the nt (1..4) tokens' 6 outputs, token t at out + t·os
// floats.
#define EPILOGUE4 \
	MOVQ out+32(FP), DI     \
	MOVQ os+40(FP), BX      \
	SHLQ $2, BX             \
	MOVQ nt+48(FP), CX      \
	STORE6(Y8, Y12, Y16, Y20, Y24, Y28) \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE6(Y9, Y13, Y17, Y21, Y25, Y29) \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE6(Y10, Y14, Y18, Y22, Y26, Y30) \
	DECQ CX                 \
	JEQ  done               \
	ADDQ BX, DI             \
	STORE6(Y11, Y15, Y19, Y23, Y27, Y31)

// func tile64F32X(w *float32, ws int, xp *[4]*float32, n int, out *float32, os int, nt int, pf int)
//
// tile38F32X for 6 rows and nt (1..4) of 4 tokens.
TEXT ·tile64F32X(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), AX
	SHLQ $2, AX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	MOVQ xp+16(FP), R10
	TOKLOADS4(R10)
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	MOVQ pf+56(FP), R10
	ADDQ SI, R10
	XORQ R14, R14
	ZEROACC

loop64_f32:
	// 192 bytes of the 6 rows per step: 3 lines of the stream ahead.
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	PREFETCHT1 128(R10)
	ADDQ $192, R10
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	VMOVUPS (R8), Y3
	VMOVUPS (SI)(AX*4), Y4
	VMOVUPS (R8)(AX*2), Y5
	TOKS4
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop64_f32

	EPILOGUE4
done:
	VZEROUPPER
	RET

// func tile64F16X(w *byte, ws int, xp *[4]*float32, n int, out *float32, os int, nt int, pf int)
//
// tile64F32X for binary16 weight rows ws bytes apart.
TEXT ·tile64F16X(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), AX
	LEAQ (SI)(AX*2), R8
	ADDQ AX, R8              // row 3
	MOVQ xp+16(FP), R10
	TOKLOADS4(R10)
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	MOVQ pf+56(FP), R10
	ADDQ SI, R10
	XORQ R14, R14
	ZEROACC

loop64_f16:
	// 96 bytes of the 6 rows per step: 2 lines of the stream ahead (every
	// line is fetched at least once).
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	ADDQ $96, R10
	VCVTPH2PS (SI), Y0
	VCVTPH2PS (SI)(AX*1), Y1
	VCVTPH2PS (SI)(AX*2), Y2
	VCVTPH2PS (R8), Y3
	VCVTPH2PS (SI)(AX*4), Y4
	VCVTPH2PS (R8)(AX*2), Y5
	TOKS4
	ADDQ $16, SI
	ADDQ $16, R8
	ADDQ $32, R14
	DECQ CX
	JNE  loop64_f16

	EPILOGUE4
done:
	VZEROUPPER
	RET
