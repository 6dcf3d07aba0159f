package tokenizer

// GPT-2's byte-level BPE stores every token as a string of printable runes: each
// byte b maps to one rune, the printable Latin-1 bytes to themselves and the rest
// (control bytes, space, 0x7F-0xA0, 0xAD) to U+0100 upwards, in byte order. This
// is bytes_to_unicode() from openai/gpt-2 encoder.py; HF's ByteLevel
// pre-tokenizer and decoder use the same table.

var (
	byteToRune [256]rune
	runeToByte map[rune]byte
)

func init() {
	runeToByte = make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		printable := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		if printable {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = 256 + n
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
	}
}

// ByteToRune returns the rune that GPT-2's byte-level alphabet uses for byte b.
func ByteToRune(b byte) rune { return byteToRune[b] }

// RuneToByte is the inverse of ByteToRune; ok is false for a rune outside the
// byte-level alphabet.
func RuneToByte(r rune) (b byte, ok bool) {
	b, ok = runeToByte[r]
	return b, ok
}

// BytesToByteLevel maps raw bytes to their byte-level string ("Ġhello" for " hello").
func BytesToByteLevel(p []byte) string {
	rs := make([]rune, len(p))
	for i, b := range p {
		rs[i] = byteToRune[b]
	}
	return string(rs)
}

// ByteLevelToBytes maps a byte-level string back to raw bytes; ok is false when
// s holds a rune outside the alphabet.
func ByteLevelToBytes(s string) (p []byte, ok bool) {
	p = make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := runeToByte[r]
		if !ok {
			return nil, false
		}
		p = append(p, b)
	}
	return p, true
}
