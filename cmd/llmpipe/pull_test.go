package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPull: `llmpipe pull hf://...` against a local server that answers like
// the Hub (302 to a CDN path with X-Linked-Etag) prints the cached path of the
// verified file; a wrong hash and a missing file are errors.
func TestPull(t *testing.T) {
	content := []byte(strings.Repeat("GGUF model bytes ", 1000))
	s := sha256.Sum256(content)
	good := hex.EncodeToString(s[:])
	publish := good
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/o/r/resolve/main/m.gguf":
			w.Header().Set("X-Linked-Etag", `"`+publish+`"`)
			w.Header().Set("X-Linked-Size", strconv.Itoa(len(content)))
			http.Redirect(w, r, "/cdn/"+good, http.StatusFound)
		case "/cdn/" + good:
			http.ServeContent(w, r, "m.gguf", time.Time{}, bytes.NewReader(content))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cache := t.TempDir()
	out, err := runCLI(t, "", "pull", "--endpoint", srv.URL, "--cache-dir", cache, "-q", "hf://o/r/m.gguf")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "hf", "o", "r", "main", "m.gguf")
	if out != want+"\n" {
		t.Errorf("printed %q, want %q", out, want)
	}
	if b, err := os.ReadFile(want); err != nil || string(b) != string(content) {
		t.Errorf("cached file: %v", err)
	}

	publish = strings.Repeat("0", 64)
	cache2 := t.TempDir()
	if _, err := runCLI(t, "", "pull", "--endpoint", srv.URL, "--cache-dir", cache2, "hf://o/r/m.gguf"); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("wrong hash: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache2, "hf", "o", "r", "main", "m.gguf")); err == nil {
		t.Error("a file that failed verification is in the cache")
	}
	if _, err := runCLI(t, "", "pull", "--endpoint", srv.URL, "--cache-dir", cache2, "hf://o/r/none.gguf"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := runCLI(t, "", "pull", "--cache-dir", cache2, "ftp://x/y"); err == nil || !strings.Contains(err.Error(), "hf://") {
		t.Errorf("bad name: %v", err)
	}
}
