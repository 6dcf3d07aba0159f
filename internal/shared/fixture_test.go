package shared

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenFixture(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.json")
	if err := os.WriteFile(plain, []byte(`{"x":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "a.json.gz")
	f, err := os.Create(gz)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(`{"x":1}`))
	zw.Close()
	f.Close()
	for _, p := range []string{plain, gz} {
		b, err := io.ReadAll(OpenFixture(t, p))
		if err != nil || string(b) != `{"x":1}` {
			t.Errorf("%s: read %q, %v", filepath.Base(p), b, err)
		}
	}
}
