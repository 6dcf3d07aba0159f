package tiktoken

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/pretok"
)

var (
	encOnce  = map[string]*sync.Once{}
	encCache = map[string]*Encoding{}
	encErr   = map[string]error{}
	encMu    sync.Mutex
)

// sharedEncoding loads a named encoding from the shared rank files once per
// test binary.
func sharedEncoding(t testing.TB, name string) *Encoding {
	t.Helper()
	path := shared.Path(t, "tokenizers/tiktoken/"+name+".tiktoken")
	encMu.Lock()
	once, ok := encOnce[name]
	if !ok {
		once = new(sync.Once)
		encOnce[name] = once
	}
	encMu.Unlock()
	once.Do(func() {
		e, err := Open(path)
		encMu.Lock()
		encCache[name], encErr[name] = e, err
		encMu.Unlock()
	})
	encMu.Lock()
	defer encMu.Unlock()
	if encErr[name] != nil {
		t.Fatal(encErr[name])
	}
	return encCache[name]
}

var (
	vecOnce sync.Once
	vecs    *shared.TokenizerVectors
)

// sharedVectors loads reference/tokenizer_vectors.json once per test binary.
func sharedVectors(t testing.TB) *shared.TokenizerVectors {
	t.Helper()
	shared.Path(t, "reference/tokenizer_vectors.json")
	vecOnce.Do(func() { vecs = shared.LoadTokenizerVectors(t) })
	if vecs == nil {
		t.Fatal("reference/tokenizer_vectors.json did not load")
	}
	return vecs
}

func TestReferenceVectors(t *testing.T) {
	v := sharedVectors(t)
	for _, name := range referenceEncodings {
		t.Run(name, func(t *testing.T) {
			e := sharedEncoding(t, name)
			ord := v.Set(t, "tiktoken:"+name)
			all := v.Set(t, "tiktoken:"+name+":allow_all_special")
			for i, s := range v.Strings {
				got := e.EncodeOrdinary(s)
				if !slices.Equal(got, ord.IDs[i]) {
					t.Errorf("encode_ordinary(%q) = %v, want %v", s, got, ord.IDs[i])
				}
				got, err := e.EncodeSpecial(s, AllSpecial, NoSpecial)
				if err != nil {
					t.Errorf("encode(%q, all): %v", s, err)
				} else if !slices.Equal(got, all.IDs[i]) {
					t.Errorf("encode(%q, all) = %v, want %v", s, got, all.IDs[i])
				}
				got, _ = e.Encode(s, tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true})
				if !slices.Equal(got, all.IDs[i]) {
					t.Errorf("Encode(%q, ParseSpecial) = %v, want %v", s, got, all.IDs[i])
				}
				dec, err := e.Decode(ord.IDs[i], tokenizer.DecodeOptions{})
				if err != nil || dec != s {
					t.Errorf("decode(%v) = %q, %v; want %q", ord.IDs[i], dec, err, s)
				}
			}
		})
	}
}

// TestRegexpFallback runs the reference vectors with tokenizer/pretok's
// regexp2 engine instead of its hand-written scanners: both must give
// tiktoken's ids.
func TestRegexpFallback(t *testing.T) {
	v := sharedVectors(t)
	for _, name := range referenceEncodings {
		t.Run(name, func(t *testing.T) {
			fast := sharedEncoding(t, name)
			re, err := pretok.CompileRegexp(fast.Pattern())
			if err != nil {
				t.Fatal(err)
			}
			e := *fast
			e.split = re
			ord := v.Set(t, "tiktoken:"+name)
			for i, s := range v.Strings {
				if got := e.EncodeOrdinary(s); !slices.Equal(got, ord.IDs[i]) {
					t.Errorf("regexp2 split: encode_ordinary(%q) = %v, want %v", s, got, ord.IDs[i])
				}
			}
		})
	}
}

// TestStreamDecode feeds cl100k ids one at a time to tokenizer.StreamDecoder:
// tokens that split a UTF-8 character must be held back, and the pieces must
// add up to the text.
func TestStreamDecode(t *testing.T) {
	e := sharedEncoding(t, "cl100k_base")
	for _, s := range sharedVectors(t).Strings {
		d := tokenizer.NewStreamDecoder(e, tokenizer.DecodeOptions{})
		var out strings.Builder
		for _, id := range e.EncodeOrdinary(s) {
			piece, err := d.Add(id)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsRune(piece, utf8.RuneError) {
				t.Errorf("%q: streamed piece %q holds U+FFFD", s, piece)
			}
			out.WriteString(piece)
		}
		rest, err := d.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if out.WriteString(rest); out.String() != s {
			t.Errorf("streamed %q, want %q", out.String(), s)
		}
	}
}

// referenceEncodings are the encodings the reference files cover (and whose
// rank files the shared folder holds under their own names).
var referenceEncodings = []string{"r50k_base", "p50k_base", "cl100k_base", "o200k_base"}
