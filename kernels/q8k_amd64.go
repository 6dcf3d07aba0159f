//go:build amd64 && !purego

package kernels

import "github.com/llmpipe/llmpipe/quant"

// quantizeQ8KAVX2 quantizes nb blocks of 256 float32 at x into nb
// block_q8_K at y, byte for byte as quant's reference (see q8k_amd64.s).
// Ends with VZEROUPPER.
//
//go:noescape
func quantizeQ8KAVX2(x *float32, y *byte, nb int)

// quantizeRowQ8KFast is the Q8_K activation quantizer registered with
// quant.RegisterFastQuantizer: the assembly where it can run, quant's
// reference otherwise (useAsm off). len(x) is a multiple of 256 and y holds
// len(x)/256 blocks of 292 bytes (quant.Quantize checks both).
func quantizeRowQ8KFast(x []float32, y []byte) {
	nb := len(x) / qkK
	if !useAsm || !haveAVX2FMA || nb == 0 {
		if _, err := quant.QuantizeRef(quant.Q8_K, x, y); err != nil {
			panic("kernels: Q8_K quantizer: " + err.Error())
		}
		return
	}
	_, _ = x[nb*qkK-1], y[nb*q8KBlockBytes-1]
	quantizeQ8KAVX2(&x[0], &y[0], nb)
}

func init() {
	if haveAVX2FMA {
		if err := quant.RegisterFastQuantizer(quant.Q8_K, quantizeRowQ8KFast); err != nil {
			panic("kernels: " + err.Error())
		}
	}
}
