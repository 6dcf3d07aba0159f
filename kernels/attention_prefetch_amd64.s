//go:build amd64 && !purego

#include "textflag.h"

// func prefetchBytes(p *byte, n int)
//
// PREFETCHT0 of every 64-byte line of p[0:n] (n > 0). It touches no vector
// register, so it needs no VZEROUPPER and runs on any amd64 CPU.
TEXT ·prefetchBytes(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX

pfloop:
	PREFETCHT0 (SI)
	ADDQ $64, SI
	SUBQ $64, CX
	JGT  pfloop
	RET
