package shared

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"testing"
)

// OpenFixture opens a test fixture (a file in the package's testdata/, or
// one named by an environment variable) for reading, decompressing it when
// it is gzipped (detected by gzip's magic bytes, whatever its name). The file
// is closed when t ends; any error fails t.
func OpenFixture(t testing.TB, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	br := bufio.NewReader(f)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return zr
	}
	return br
}
