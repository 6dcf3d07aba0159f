package quant

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTypeTable(t *testing.T) {
	want := map[Type][3]any{
		F32: {"F32", 1, 4}, F16: {"F16", 1, 2}, BF16: {"BF16", 1, 2},
		Q4_0: {"Q4_0", 32, 18}, Q4_1: {"Q4_1", 32, 20}, Q5_0: {"Q5_0", 32, 22}, Q5_1: {"Q5_1", 32, 24},
		Q8_0: {"Q8_0", 32, 34}, Q8_1: {"Q8_1", 32, 36},
		Q2_K: {"Q2_K", 256, 84}, Q3_K: {"Q3_K", 256, 110}, Q4_K: {"Q4_K", 256, 144},
		Q5_K: {"Q5_K", 256, 176}, Q6_K: {"Q6_K", 256, 210}, Q8_K: {"Q8_K", 256, 292},
	}
	if len(Types()) != len(want) {
		t.Fatalf("Types() has %d, want %d", len(Types()), len(want))
	}
	for _, typ := range Types() {
		w := want[typ]
		if typ.String() != w[0] || typ.BlockSize() != w[1] || typ.TypeSize() != w[2] || !typ.Known() {
			t.Errorf("%d: %v %d %d, want %v", uint32(typ), typ, typ.BlockSize(), typ.TypeSize(), w)
		}
	}
	if s := Type(4).String(); s != "ggml_type(4)" || Type(4).Known() || Type(4).BlockSize() != 0 {
		t.Errorf("unknown type: %q", s)
	}
}

func TestRowSize(t *testing.T) {
	for _, c := range []struct {
		t    Type
		n    int64
		want int64
		err  string
	}{
		{F32, 7, 28, ""}, {F16, 0, 0, ""}, {Q8_0, 64, 68, ""}, {Q4_K, 512, 288, ""}, {Q8_K, 256, 292, ""},
		{Q4_0, 33, 0, "not a multiple"}, {Q6_K, 128, 0, "not a multiple"}, {F32, -1, 0, "negative"},
		{Type(5), 32, 0, "unknown type"}, {F32, math.MaxInt64 / 2, 0, "overflows"},
		{Q8_0, math.MaxInt64 / 32 * 32, 0, "overflows"}, {Q8_K, math.MaxInt64 / 256 * 256, 0, "overflows"}, {Q8_K, 1 << 60, 1 << 52 * 292, ""},
		{F16, math.MaxInt64 / 2, math.MaxInt64 - 1, ""},
	} {
		got, err := c.t.RowSize(c.n)
		if c.err == "" {
			if err != nil || got != c.want {
				t.Errorf("%v.RowSize(%d) = %d, %v; want %d", c.t, c.n, got, err, c.want)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "quant:") {
			t.Errorf("%v.RowSize(%d) = %d, %v; want error %q", c.t, c.n, got, err, c.err)
		}
	}
}

func TestArgumentErrors(t *testing.T) {
	if err := Dequantize(Q8_0, make([]byte, 33), make([]float32, 32)); err == nil || !strings.Contains(err.Error(), "need 34 bytes, have 33") {
		t.Errorf("short src: %v", err)
	}
	if err := Dequantize(Q8_0, make([]byte, 34), make([]float32, 31)); err == nil {
		t.Error("31 elements accepted")
	}
	if err := Dequantize(Type(99), nil, nil); err == nil {
		t.Error("unknown type accepted")
	}
	if _, err := Quantize(Q4_0, make([]float32, 32), make([]byte, 17)); err == nil {
		t.Error("short dst accepted")
	}
	if _, err := Quantize(Q2_K, make([]float32, 256), make([]byte, 84)); CanQuantize(Q2_K) != (err == nil) {
		t.Errorf("Q2_K: CanQuantize %v, err %v", CanQuantize(Q2_K), err)
	}
	// extra bytes are ignored, nothing is written past RowSize
	dst := []byte{0: 1, 34: 0xAA}
	if n, err := Quantize(Q8_0, make([]float32, 32), dst); n != 34 || err != nil || dst[34] != 0xAA || dst[0] != 0 {
		t.Errorf("Quantize wrote %d, %v, tail %x", n, err, dst[34])
	}
}

// TestHalfSpecials checks the conversions on hand-picked values whose
// binary16/bfloat16 encodings follow from IEEE 754 by hand.
func TestHalfSpecials(t *testing.T) {
	f := math.Float32frombits
	for _, c := range []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000}, {float32(math.Copysign(0, -1)), 0x8000}, {1, 0x3C00}, {-2, 0xC000}, {0.5, 0x3800},
		{65504, 0x7BFF}, {65519.996, 0x7BFF}, {65520, 0x7C00}, {1e10, 0x7C00}, {-1e10, 0xFC00},
		{float32(math.Inf(1)), 0x7C00}, {float32(math.Inf(-1)), 0xFC00},
		{f(0x7FC00000), 0x7E00}, {f(0xFFC00001), 0xFE00}, {f(0x7F800001), 0x7E00},
		{0x1p-14, 0x0400}, {0x1p-24, 0x0001}, {0x1p-25, 0x0000}, {0x1.000002p-25, 0x0001}, {0x1.8p-24, 0x0002},
		{0x1p-15, 0x0200}, {1 + 0x1p-11, 0x3C00}, {1 + 0x3p-11, 0x3C02}, {1 + 0x1p-11 + 0x1p-20, 0x3C01},
		{0.1, 0x2E66}, {f(1), 0}, {float32(math.MaxFloat32), 0x7C00},
	} {
		if got := FP32ToFP16(c.in); got != c.want {
			t.Errorf("FP32ToFP16(%g = %#08x) = %#04x, want %#04x", c.in, math.Float32bits(c.in), got, c.want)
		}
	}
	for _, c := range []struct {
		in   uint16
		want uint32
	}{
		{0x0000, 0}, {0x8000, 0x80000000}, {0x3C00, 0x3F800000}, {0x7BFF, 0x477FE000}, {0x0001, 0x33800000},
		{0x03FF, 0x387FC000}, {0x0400, 0x38800000}, {0x7C00, 0x7F800000}, {0xFC00, 0xFF800000},
		{0x7E00, 0x7FC00000}, {0x7C01, 0x7FC02000}, {0xFE01, 0xFFC02000}, {0x8001, 0xB3800000},
	} {
		if got := math.Float32bits(FP16ToFP32(c.in)); got != c.want {
			t.Errorf("FP16ToFP32(%#04x) = %#08x, want %#08x", c.in, got, c.want)
		}
	}
	// Every finite half survives the round trip exactly.
	for h := 0; h < 1<<16; h++ {
		if h&0x7C00 == 0x7C00 && h&0x3FF != 0 {
			continue
		}
		if got := FP32ToFP16(FP16ToFP32(uint16(h))); got != uint16(h) {
			t.Fatalf("round trip %#04x -> %#04x", h, got)
		}
	}
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3F800000, 0x3F80}, {0x3F808000, 0x3F80}, {0x3F818000, 0x3F82}, {0x3F808001, 0x3F81},
		{0x7F7FFFFF, 0x7F80}, {0xFF800000, 0xFF80}, {0x7F800001, 0x7FC0}, {0xFFA00000, 0xFFE0},
		{0x00000001, 0x0000}, {0x00008000, 0x0000}, {0x00018000, 0x0002}, {0x80000000, 0x8000},
	} {
		if got := FP32ToBF16(f(c.in)); got != c.want {
			t.Errorf("FP32ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := math.Float32bits(BF16ToFP32(0xC0A0)); got != 0xC0A00000 {
		t.Errorf("BF16ToFP32(0xC0A0) = %#08x", got)
	}
}

// checkDeq dequantizes one hand-made block and checks every value against a
// formula applied by hand to the layout.
func checkDeq(t *testing.T, typ Type, b []byte, want func(i int) float32) {
	t.Helper()
	y := make([]float32, typ.BlockSize())
	if err := Dequantize(typ, b, y); err != nil {
		t.Fatal(err)
	}
	for i, v := range y {
		if w := want(i); v != w {
			t.Errorf("%v element %d = %v, want %v", typ, i, v, w)
			return
		}
	}
}

func TestHandMadeBlocks(t *testing.T) {
	one, two, half := uint16(0x3C00), uint16(0x4000), uint16(0x3800)
	le16 := binary.LittleEndian.PutUint16

	// Q4_0: d = 1, qs[j] = j | (15-j)<<4: element j = j-8, element j+16 = 7-j.
	b := make([]byte, 18)
	le16(b, one)
	for j := 0; j < 16; j++ {
		b[2+j] = uint8(j) | uint8(15-j)<<4
	}
	checkDeq(t, Q4_0, b, func(i int) float32 {
		if i < 16 {
			return float32(i - 8)
		}
		return float32(7 - (i - 16))
	})

	// Q4_1: d = 2, m = -1: element = 2q - 1.
	b = make([]byte, 20)
	le16(b, two)
	le16(b[2:], 0xBC00)
	for j := 0; j < 16; j++ {
		b[4+j] = uint8(j) | uint8(15-j)<<4
	}
	checkDeq(t, Q4_1, b, func(i int) float32 {
		q := i
		if i >= 16 {
			q = 15 - (i - 16)
		}
		return float32(2*q - 1)
	})

	// Q5_0: d = 0.5, nibble j&15, fifth bit set for odd elements: q = (i&15) + 16*(i&1) - 16.
	b = make([]byte, 22)
	le16(b, half)
	binary.LittleEndian.PutUint32(b[2:], 0xAAAAAAAA)
	for j := 0; j < 16; j++ {
		b[6+j] = uint8(j) | uint8(j)<<4
	}
	checkDeq(t, Q5_0, b, func(i int) float32 { return float32((i&15)+16*(i&1)-16) * 0.5 })

	// Q5_1: d = 1, m = 0.5, same quants without the -16.
	b = make([]byte, 24)
	le16(b, one)
	le16(b[2:], half)
	binary.LittleEndian.PutUint32(b[4:], 0xAAAAAAAA)
	for j := 0; j < 16; j++ {
		b[8+j] = uint8(j) | uint8(j)<<4
	}
	checkDeq(t, Q5_1, b, func(i int) float32 { return float32((i&15)+16*(i&1)) + 0.5 })

	// Q8_0 and Q8_1: d = 2, qs = i-16 (Q8_1's s is ignored).
	b = make([]byte, 34)
	le16(b, two)
	for j := 0; j < 32; j++ {
		b[2+j] = uint8(int8(j - 16))
	}
	checkDeq(t, Q8_0, b, func(i int) float32 { return float32(2 * (i - 16)) })
	b = append([]byte{b[0], b[1], 0xFF, 0x7F}, b[2:]...)
	checkDeq(t, Q8_1, b, func(i int) float32 { return float32(2 * (i - 16)) })

	// Q8_K: float32 d = 0.25, qs = int8(i-128).
	b = make([]byte, 292)
	binary.LittleEndian.PutUint32(b, math.Float32bits(0.25))
	for j := 0; j < 256; j++ {
		b[4+j] = uint8(int8(j - 128))
	}
	checkDeq(t, Q8_K, b, func(i int) float32 { return float32(i-128) * 0.25 })

	// Q2_K: d = 1, dmin = 0.5; group g scale g&15 ... scales[g] = sc | mn<<4 with sc = g%16, mn = 15-g;
	// qs[k] = 0b11100100 (quants 0,1,2,3 at shifts 0,2,4,6). Element i: half n = i/128,
	// shift index s = (i%128)/32, quant = s; group = i/16; value = sc*q - 0.5*mn.
	b = make([]byte, 84)
	for g := 0; g < 16; g++ {
		b[g] = uint8(g) | uint8(15-g)<<4
	}
	for k := 0; k < 64; k++ {
		b[16+k] = 0b11100100
	}
	le16(b[80:], one)
	le16(b[82:], half)
	checkDeq(t, Q2_K, b, func(i int) float32 {
		g, q := i/16, (i%128)/32
		return float32(g*q) - 0.5*float32(15-g)
	})

	// Q3_K: d = 1, all 16 six-bit scales 33 (so scale-32 = 1): low nibble 1 in bytes 0..7, high bits 2 (0b10)
	// in every pair of bytes 8..11; low bits as Q2_K (q = shift index), high bit set only for the first 128 elements
	// (hmask bits 0..3). value = q - (high ? 0 : 4).
	b = make([]byte, 110)
	for l := 0; l < 32; l++ {
		b[l] = 0x0F
	}
	for k := 0; k < 64; k++ {
		b[32+k] = 0b11100100
	}
	for j := 0; j < 8; j++ {
		b[96+j] = 0x11
	}
	for j := 8; j < 12; j++ {
		b[96+j] = 0b10101010
	}
	le16(b[108:], one)
	checkDeq(t, Q3_K, b, func(i int) float32 {
		q := (i % 128) / 32
		if i >= 128 {
			q -= 4
		}
		return float32(q)
	})

	// Q4_K and Q5_K: d = 1, dmin = 1; scales: group j has scale j+1 and min j (6-bit packing by hand);
	// qs nibbles: low = l&15, high = 15-(l&15). Q5_K adds 16 where qh bit (group) is set: set for even groups.
	var sc [12]byte
	for j := 0; j < 8; j++ {
		s, m := uint8(j+1), uint8(j)
		if j < 4 {
			sc[j], sc[j+4] = s, m
		} else {
			sc[j+4] = s&0xF | (m&0xF)<<4
			sc[j-4] |= (s >> 4) << 6
			sc[j] |= (m >> 4) << 6
		}
	}
	for j := 0; j < 8; j++ {
		s, m := scaleMinK4(j, sc[:])
		if s != uint8(j+1) || m != uint8(j) {
			t.Fatalf("scaleMinK4(%d) = %d, %d", j, s, m)
		}
	}
	nib := func(i int) int {
		l := i % 32
		if (i/32)%2 == 0 {
			return l & 15
		}
		return 15 - l&15
	}
	b = make([]byte, 144)
	le16(b, one)
	le16(b[2:], one)
	copy(b[4:], sc[:])
	for k := 0; k < 128; k++ {
		l := k % 32
		b[16+k] = uint8(l&15) | uint8(15-l&15)<<4
	}
	checkDeq(t, Q4_K, b, func(i int) float32 { g := i / 32; return float32((g+1)*nib(i) - g) })
	b = make([]byte, 176)
	le16(b, one)
	le16(b[2:], one)
	copy(b[4:], sc[:])
	for l := 0; l < 32; l++ {
		b[16+l] = 0x55 // bits 0, 2, 4, 6: groups 0, 2, 4, 6
	}
	for k := 0; k < 128; k++ {
		l := k % 32
		b[48+k] = uint8(l&15) | uint8(15-l&15)<<4
	}
	checkDeq(t, Q5_K, b, func(i int) float32 {
		g := i / 32
		q := nib(i)
		if g%2 == 0 {
			q += 16
		}
		return float32((g+1)*q - g)
	})

	// Q6_K: d = 0.5, scales[g] = g-8; every 6-bit quant = 33 (q-32 = 1): ql nibbles 1, qh pairs 0b10.
	b = make([]byte, 210)
	for k := 0; k < 128; k++ {
		b[k] = 0x11
	}
	for k := 0; k < 64; k++ {
		b[128+k] = 0b10101010
	}
	for g := 0; g < 16; g++ {
		b[192+g] = uint8(int8(g - 8))
	}
	le16(b[208:], half)
	checkDeq(t, Q6_K, b, func(i int) float32 { return 0.5 * float32(i/16-8) })
}

// TestRoundTripBounds quantizes random data and bounds the error of each type
// by its grid: half a step plus the rounding of the fp16 scales (and, for the
// asymmetric Q4_0/Q5_0 grids, the clipped top step).
func TestRoundTripBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range Types() {
		if !CanQuantize(typ) {
			continue
		}
		bs := typ.BlockSize()
		x := make([]float32, 64*256)
		for i := range x {
			s := float32(math.Pow(10, float64(i/bs%7-4)))
			x[i] = float32(rng.NormFloat64()) * s
		}
		b := make([]byte, len(x)/bs*typ.TypeSize())
		if _, err := Quantize(typ, x, b); err != nil {
			t.Fatal(err)
		}
		y := make([]float32, len(x))
		if err := Dequantize(typ, b, y); err != nil {
			t.Fatal(err)
		}
		var worst float64
		for blk := 0; blk < len(x); blk += bs {
			xs, ys := x[blk:blk+bs], y[blk:blk+bs]
			amax, mn, mx := 0.0, math.Inf(1), math.Inf(-1)
			for _, v := range xs {
				amax = max(amax, math.Abs(float64(v)))
				mn, mx = min(mn, float64(v)), max(mx, float64(v))
			}
			var bound float64
			const h = 0x1p-10 // fp16 rounding of a scale, with margin
			const u = 0x1p-25 // fp16 rounding of a subnormal scale (absolute)
			switch typ {
			case F32:
				bound = 0
			case F16:
				bound = amax*0x1p-11 + u
			case BF16:
				bound = amax * 0x1p-8
			case Q8_0, Q8_1:
				bound = amax/254 + amax*h + 127*u
			case Q8_K:
				bound = amax/254*(1+1e-6) + 1e-30
			case Q4_0:
				bound = amax/8 + amax*h + 8*u
			case Q5_0:
				bound = amax/16 + amax*h + 16*u
			case Q4_1:
				bound = (mx-mn)/30 + (mx-mn+math.Abs(mn))*h + 16*u
			case Q5_1:
				bound = (mx-mn)/62 + (mx-mn+math.Abs(mn))*h + 32*u
			case Q4_K:
				bound = (mx-mn)/15 + 63*16*u // a step (6-bit scales and mins add error); fp16 d, dmin
			case Q2_K:
				bound = (mx-mn)/2 + 16*16*u // 4 levels, 4-bit scales and mins; fp16 d, dmin
			case Q3_K:
				bound = amax/3 + 32*8*u // 8 levels, 6-bit scales; fp16 d
			case Q5_K:
				bound = (mx-mn)/31 + 63*32*u // a step (6-bit scales and mins add error); fp16 d, dmin
			case Q6_K:
				bound = amax/31 + 128*32*u // a step of the 64-level grid (8-bit scales); fp16 d
			}
			for i := range xs {
				e := math.Abs(float64(ys[i]) - float64(xs[i]))
				if e > bound {
					t.Fatalf("%v: block %d element %d: x %g y %g err %g > bound %g", typ, blk/bs, i, xs[i], ys[i], e, bound)
				}
				if amax > 1e-2 {
					worst = max(worst, e/amax)
				}
			}
		}
		t.Logf("%v: max |err|/amax %.5f (blocks with amax > 0.01)", typ, worst)
	}
}

// TestNonFinite: quantizers never panic on NaN/Inf and produce deterministic bytes.
func TestNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, typ := range Types() {
		if !CanQuantize(typ) {
			continue
		}
		x := make([]float32, 256)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		x[5], x[40], x[200] = nan, inf, -inf
		a := make([]byte, typ.TypeSize()*256/typ.BlockSize())
		b := make([]byte, len(a))
		if _, err := Quantize(typ, x, a); err != nil {
			t.Fatal(err)
		}
		Quantize(typ, x, b)
		if string(a) != string(b) {
			t.Errorf("%v: not deterministic", typ)
		}
		Dequantize(typ, a, make([]float32, 256))
	}
}

func TestHelpers(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want int32
	}{{0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2}, {3.4999998, 3}, {-7.6, -8}, {4194303, 4194303}} {
		if got := nearestInt(c.f); got != c.want {
			t.Errorf("nearestInt(%v) = %d, want %d", c.f, got, c.want)
		}
	}
	for _, c := range []struct {
		f    float32
		want int32
	}{{2.9, 2}, {-2.9, -2}, {float32(math.NaN()), math.MinInt32}, {3e9, math.MinInt32}, {-3e9, math.MinInt32}} {
		if got := cvtt(c.f); got != c.want {
			t.Errorf("cvtt(%v) = %d, want %d", c.f, got, c.want)
		}
	}
	if roundf(2.5) != 3 || roundf(-2.5) != -3 || roundf(0.49999997) != 0 {
		t.Error("roundf")
	}
}

// FuzzDequantize: arbitrary bytes, types and lengths never panic, and a length
// accepted by RowSize with enough bytes always succeeds.
func FuzzDequantize(f *testing.F) {
	f.Add(uint8(8), uint16(32), []byte("0123456789abcdef0123456789abcdef01"))
	f.Add(uint8(14), uint16(256), make([]byte, 210))
	f.Add(uint8(3), uint16(31), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, typ uint8, n uint16, data []byte) {
		tt := Type(typ)
		if typ >= 31 {
			tt = Types()[int(typ)%len(Types())]
		}
		dst := make([]float32, n)
		err := Dequantize(tt, data, dst)
		size, rerr := tt.RowSize(int64(n))
		if rerr == nil && int64(len(data)) >= size && err != nil {
			t.Fatalf("%v n=%d len=%d: %v", tt, n, len(data), err)
		}
		if err == nil && (rerr != nil || int64(len(data)) < size) {
			t.Fatalf("%v n=%d len=%d accepted", tt, n, len(data))
		}
	})
}

// FuzzQuantize: arbitrary float bits never panic and dequantize again.
func FuzzQuantize(f *testing.F) {
	f.Add(uint8(2), make([]byte, 1024))
	f.Add(uint8(12), []byte("\x00\x00\xc0\x7f\x00\x00\x80\x7f"))
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		tt := Types()[int(typ)%len(Types())]
		x := make([]float32, 256)
		for i := range x {
			if 4*i+4 <= len(data) {
				x[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
			}
		}
		b := make([]byte, 256/tt.BlockSize()*tt.TypeSize())
		if _, err := Quantize(tt, x, b); err != nil {
			if CanQuantize(tt) {
				t.Fatal(err)
			}
			return
		}
		if err := Dequantize(tt, b, make([]float32, 256)); err != nil {
			t.Fatal(err)
		}
	})
}
