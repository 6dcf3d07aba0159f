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

// TestRelease: released pages of a mapping read back from the file, and
// the bytes around them (parts of pages) are untouched; an empty slice or
// one inside a page is a no-op.
func TestRelease(t *testing.T) {
	ps := os.Getpagesize()
	want := make([]byte, 5*ps+123)
	for i := range want {
		want[i] = byte(i*7 + i>>8)
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, want, 0o644); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	data, unmap, err := File(fh, int64(len(want)))
	if err != nil {
		t.Fatal(err)
	}
	if data == nil {
		if err := Release(want[1:100]); err != nil {
			t.Fatal(err)
		}
		return
	}
	defer unmap()
	for _, r := range [][2]int{{0, 0}, {10, 20}, {100, 3*ps + 7}, {0, len(want)}, {ps, 2 * ps}} {
		if err := Release(data[r[0]:r[1]]); err != nil {
			t.Fatalf("Release [%d, %d): %v", r[0], r[1], err)
		}
		if string(data) != string(want) {
			t.Fatalf("after Release [%d, %d): the mapping reads other bytes", r[0], r[1])
		}
	}
}
