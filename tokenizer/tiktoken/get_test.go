package tiktoken

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// rankServer serves body for /r50k_base.tiktoken (any other path is a 404)
// and counts the requests.
func rankServer(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/enc/r50k_base.tiktoken" {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func readShared(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(shared.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noTemp fails t when dir holds leftover temporary files.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("leftover temporary file %s", e.Name())
		}
	}
}

func TestGetDownloadsAndCaches(t *testing.T) {
	body := readShared(t, "tokenizers/tiktoken/r50k_base.tiktoken")
	srv, hits := rankServer(t, body)
	dir := t.TempDir()
	var log strings.Builder
	opts := Options{CacheDir: dir, BaseURL: srv.URL + "/enc/", HTTPClient: srv.Client(), Progress: &log}
	e, err := Get(context.Background(), "r50k_base", opts)
	if err != nil {
		t.Fatal(err)
	}
	if e.VocabSize() != 50257 {
		t.Errorf("VocabSize %d, want 50257", e.VocabSize())
	}
	cached, err := os.ReadFile(filepath.Join(dir, "r50k_base.tiktoken"))
	if err != nil || string(cached) != string(body) {
		t.Fatalf("cache file: %v (%d bytes, want %d)", err, len(cached), len(body))
	}
	if !strings.Contains(log.String(), "downloading") {
		t.Errorf("progress log %q does not mention the download", log.String())
	}
	noTemp(t, dir)
	// Second call: served from the cache.
	if _, err := Get(context.Background(), "r50k_base", opts); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (the second Get should read the cache)", n)
	}
	// A corrupted cache file is downloaded again.
	if err := os.WriteFile(filepath.Join(dir, "r50k_base.tiktoken"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Get(context.Background(), "r50k_base", opts); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (a corrupted cache file is fetched again)", n)
	}
}

func TestGetErrors(t *testing.T) {
	body := readShared(t, "tokenizers/tiktoken/r50k_base.tiktoken")
	corrupt := append([]byte(nil), body...)
	corrupt[100] ^= 1
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		enc     string
		body    []byte
		base    string // path under the server
		ctx     context.Context
		wantErr string
		is      error
	}{
		{name: "corrupted body", enc: "r50k_base", body: corrupt, base: "/enc/", ctx: context.Background(), wantErr: "sha256"},
		{name: "404", enc: "r50k_base", body: body, base: "/missing/", ctx: context.Background(), wantErr: "404"},
		{name: "cancelled context", enc: "r50k_base", body: body, base: "/enc/", ctx: cancelled, is: context.Canceled},
		{name: "unknown name", enc: "nope_base", body: body, base: "/enc/", ctx: context.Background(), wantErr: "unknown encoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := rankServer(t, tc.body)
			dir := t.TempDir()
			_, err := Get(tc.ctx, tc.enc, Options{CacheDir: dir, BaseURL: srv.URL + tc.base, HTTPClient: srv.Client()})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
			if _, err := os.Stat(filepath.Join(dir, tc.enc+".tiktoken")); err == nil {
				t.Error("a file was cached under the final name")
			}
			noTemp(t, dir)
		})
	}
}

// TestGetCancelMidBody cancels while the body is streaming.
func TestGetCancelMidBody(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := Get(ctx, "r50k_base", Options{CacheDir: dir, BaseURL: srv.URL, HTTPClient: srv.Client()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	noTemp(t, dir)
}

// TestGetTooLarge: a body larger than any rank file is refused before it is
// read or cached.
func TestGetTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000000")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := Get(context.Background(), "cl100k_base", Options{CacheDir: dir, BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err == nil || !strings.Contains(err.Error(), "more than a rank file can be") {
		t.Fatalf("error %v, want a size error", err)
	}
	noTemp(t, dir)
}
