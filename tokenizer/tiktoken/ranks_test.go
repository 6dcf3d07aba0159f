package tiktoken

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseRanksErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"no space", "YQ==\n", "t.tiktoken:1: want `base64 rank`"},
		{"bad base64", "YQ== 0\n!!!! 1\n", "t.tiktoken:2: bad base64"},
		{"unpadded base64", "YQ 0\n", "t.tiktoken:1: bad base64"},
		{"empty token", " 0\n", "t.tiktoken:1: empty token"},
		{"negative rank", "YQ== -1\n", "t.tiktoken:1: rank \"-1\": negative"},
		{"rank not a number", "YQ== x1\n", "t.tiktoken:1: rank \"x1\": not a decimal number"},
		{"missing rank", "YQ== \n", "t.tiktoken:1: rank \"\": missing"},
		{"two spaces", "YQ==  1\n", "t.tiktoken:1: rank \" 1\": not a decimal number"},
		{"huge rank", "YQ== 99999999999999999999\n", "above the limit"},
		{"rank far beyond the file", "YQ== 5000000\n", "t.tiktoken:1: rank 5000000 is too large"},
		{"duplicate rank", "YQ== 0\nYg== 1\nYw== 1\n", "t.tiktoken:3: rank 1 is already used at line 2"},
		{"duplicate byte token", "YQ== 0\nYg== 1\nYQ== 2\n", "t.tiktoken:3: token \"a\" is already listed at line 1"},
		{"duplicate long token", "YWJj 0\nYg== 1\nYWJj 2\n", "t.tiktoken:3: token \"abc\" is already listed at line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRanks("t.tiktoken", []byte(tc.data))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseRanksAccepts(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		len     int
		maxRank int
	}{
		{"empty file", "", 0, -1},
		{"CRLF and blank lines", "YQ== 0\r\n\r\nYWJj 2\r\n", 2, 2},
		{"no final newline", "YQ== 1\nYg== 0", 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRanks("t", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if r.Len() != tc.len || r.MaxRank() != tc.maxRank {
				t.Errorf("Len %d MaxRank %d, want %d %d", r.Len(), r.MaxRank(), tc.len, tc.maxRank)
			}
		})
	}
}

func TestRanksLookup(t *testing.T) {
	r, err := ParseRanks("toy", toyRankFile())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tok  string
		rank int
		ok   bool
	}{
		{"\x00", 0, true},
		{"a", 'a', true},
		{"he", 256, true},
		{"hell", 258, true},
		{" world", 264, true},
		{"    ", 271, true},
		{"hel", 0, false},
		{"", 0, false},
		{"zz", 0, false},
		{"hellohello", 0, false},
	}
	for _, tc := range tests {
		rank, ok := r.Rank([]byte(tc.tok))
		if ok != tc.ok || (ok && rank != tc.rank) {
			t.Errorf("Rank(%q) = %d, %v; want %d, %v", tc.tok, rank, ok, tc.rank, tc.ok)
		}
		if tc.ok {
			if b, ok := r.Token(tc.rank); !ok || string(b) != tc.tok {
				t.Errorf("Token(%d) = %q, %v; want %q", tc.rank, b, ok, tc.tok)
			}
		}
	}
	for _, rank := range []int{-1, 272, 1 << 30} {
		if _, ok := r.Token(rank); ok {
			t.Errorf("Token(%d) found a token", rank)
		}
	}
}

// FuzzParseRanks: no panic on any input; what parses must be consistent
// (every token looks up to its own rank).
func FuzzParseRanks(f *testing.F) {
	f.Add([]byte("YQ== 0\nYg== 1\nYWI= 2\n"))
	f.Add([]byte("YQ== 0\r\n\r\nYWJj 5\r\n"))
	f.Add([]byte("YQ== -1\n"))
	f.Add([]byte("!!!! 0\n"))
	f.Add(toyRankFile())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRanks("fuzz", data)
		if err != nil {
			return
		}
		n := 0
		for rank := 0; rank <= r.MaxRank(); rank++ {
			tok, ok := r.Token(rank)
			if !ok {
				continue
			}
			n++
			if got, ok := r.Rank(bytes.Clone(tok)); !ok || got != rank {
				t.Fatalf("Rank(Token(%d) = %q) = %d, %v", rank, tok, got, ok)
			}
		}
		if n != r.Len() {
			t.Fatalf("%d tokens reachable, Len %d", n, r.Len())
		}
	})
}
