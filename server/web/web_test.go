package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		name, method, path string
		status             int
		ctype, body        string // body: a substring
	}{
		{name: "page", method: "GET", path: "/", status: 200, ctype: "text/html; charset=utf-8", body: "<title>llmpipe chat</title>"},
		{name: "page head", method: "HEAD", path: "/", status: 200, ctype: "text/html; charset=utf-8"},
		{name: "script", method: "GET", path: "/assets/app.js", status: 200, ctype: "text/javascript; charset=utf-8", body: "v1/chat/completions"},
		{name: "style", method: "GET", path: "/assets/style.css", status: 200, ctype: "text/css; charset=utf-8", body: ".msg"},
		{name: "page under assets", method: "GET", path: "/assets/index.html", status: 404},
		{name: "unknown", method: "GET", path: "/nope", status: 404},
		{name: "api path", method: "GET", path: "/v1/models", status: 404},
		{name: "traversal", method: "GET", path: "/assets/../web.go", status: 404},
		{name: "post", method: "POST", path: "/", status: 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned %d bytes of body", len(body))
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body does not contain %q", tc.body)
			}
		})
	}
}

func TestHandlerETag(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/app.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest("GET", "/assets/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", rec.Code)
	}
}

// TestSelfContained checks that no embedded file refers to anything outside
// the server: no URL with a scheme or a protocol-relative one, no @import.
func TestSelfContained(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:|wss?:|ftp:)?//[a-z0-9.-]+\.[a-z]{2,}|@import|url\(\s*['"]?(https?:)?//`)
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to %q, outside the server", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
