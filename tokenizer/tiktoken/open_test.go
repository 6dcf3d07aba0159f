package tiktoken

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestOpenInference(t *testing.T) {
	body := readShared(t, "tokenizers/tiktoken/o200k_base.tiktoken")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A published file under another name is known by its sha256; a changed
	// file is known by its name; anything else is an error.
	changed := []byte(strings.Replace(string(body), "IQ== 0\n", "", 1) + "IQ== 199998\n")
	tests := []struct {
		name, file string
		data       []byte
		want       string // encoding name, or "" for an error
		wantErr    string
	}{
		{"sha256", "ranks.tiktoken", body, "o200k_base", ""},
		{"base name", "o200k_base.tiktoken", changed, "o200k_base", ""},
		{"unknown", "mystery.tiktoken", changed, "", "unknown encoding"},
		{"not a rank file", "cl100k_base.tiktoken", []byte("hello\n"), "", "cl100k_base.tiktoken:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Open(write(tc.file, tc.data))
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Name() != tc.want || e.Pattern() != PatternO200k {
				t.Errorf("encoding %s, want %s", e.Name(), tc.want)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "absent.tiktoken")); err == nil {
		t.Error("Open of a missing file: no error")
	}
}

func TestEncodeBatchAndConcurrency(t *testing.T) {
	e := sharedEncoding(t, "cl100k_base")
	v := sharedVectors(t)
	texts := append(slices.Clone(v.Strings), strings.Repeat("x", 5000), "")
	for _, workers := range []int{0, 1, 2, 7} {
		out := e.EncodeBatch(texts, workers)
		if len(out) != len(texts) {
			t.Fatalf("workers=%d: %d results for %d texts", workers, len(out), len(texts))
		}
		for i, s := range texts {
			if want := e.EncodeOrdinary(s); !slices.Equal(out[i], want) {
				t.Errorf("workers=%d: EncodeBatch[%d] = %v, want %v", workers, i, out[i], want)
			}
		}
	}
	// Concurrent callers share the rank table and scratch pool.
	ref := v.Set(t, "tiktoken:cl100k_base")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				for i, s := range v.Strings {
					if got := e.EncodeOrdinary(s); !slices.Equal(got, ref.IDs[i]) {
						t.Errorf("concurrent encode of %q = %v, want %v", s, got, ref.IDs[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}
