package mmap

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data, unmap, err := File(fh, 7)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "linux" {
		if data != nil {
			t.Fatalf("mapped on %s", runtime.GOOS)
		}
		return
	}
	if string(data) != "weights" {
		t.Fatalf("mapped %q", data)
	}
	if err := unmap(); err != nil {
		t.Fatal(err)
	}
	if d, _, err := File(fh, 0); d != nil || err != nil {
		t.Fatalf("File(size 0) = %q, %v", d, err)
	}
}
