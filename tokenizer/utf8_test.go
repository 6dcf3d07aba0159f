package tokenizer

import "testing"

func TestValidUTF8(t *testing.T) {
	// Expected values follow Unicode §3.9's worked examples of maximal
	// subparts, which Python's b.decode("utf-8", "replace") reproduces.
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "valid", in: "héllo 😉", want: "héllo 😉"},
		{name: "empty", in: "", want: ""},
		{name: "lone continuation", in: "a\x80b", want: "a\uFFFDb"},
		{name: "two continuations are two subparts", in: "\x80\x80", want: "\uFFFD\uFFFD"},
		{name: "cut 3-byte char", in: "\xe2\x82", want: "\uFFFD"},
		{name: "cut 4-byte char then ascii", in: "\xf0\x9f\x98x", want: "\uFFFDx"},
		{name: "overlong lead C0", in: "\xc0\xaf", want: "\uFFFD\uFFFD"},
		{name: "surrogate ED A0", in: "\xed\xa0\x80", want: "\uFFFD\uFFFD\uFFFD"},
		{name: "E0 needs A0..BF", in: "\xe0\x80\x80", want: "\uFFFD\uFFFD\uFFFD"},
		{name: "F4 90 is past U+10FFFF", in: "\xf4\x90\x80\x80", want: "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{name: "F5 invalid lead", in: "\xf5", want: "\uFFFD"},
		{name: "unicode 3.9 example", in: "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", want: "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidUTF8([]byte(tc.in)); got != tc.want {
				t.Errorf("ValidUTF8(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
