package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy keeps the page to its own origin: its own script
// and stylesheet, fetch only to the same server, no frames, no forms posted
// elsewhere.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// file is one embedded file, read once.
type file struct {
	name string // for the Content-Type, by extension
	data []byte
	etag string
}

// Handler returns the chat page's handler: GET or HEAD of "/" serves the
// page and "/assets/NAME" its embedded stylesheet and script; any other
// path is 404 and any other method 405. Mount it at the root of the
// server's mux, beside the API's /v1/ routes that the page calls.
func Handler() http.Handler {
	files := map[string]file{}
	entries, _ := fs.ReadDir(static, "static")
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(static, "static/"+e.Name())
		if err != nil { // embedded at build time: cannot fail
			panic("web: embedded " + e.Name() + ": " + err.Error())
		}
		sum := sha256.Sum256(b)
		f := file{name: e.Name(), data: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		if e.Name() == "index.html" {
			files["/"] = f
		} else {
			files["/assets/"+e.Name()] = f
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", f.etag)
		if strings.HasSuffix(f.name, ".html") {
			h.Set("Content-Type", "text/html; charset=utf-8")
		}
		http.ServeContent(w, r, path.Base(f.name), time.Time{}, bytes.NewReader(f.data))
	})
}
