package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeHub behaves like huggingface.co for one repository: resolve URLs of LFS
// files answer 302 to a CDN server with X-Linked-Etag (the sha256) and
// X-Linked-Size; the CDN serves bytes with Range support and its own ETag;
// small non-LFS files are served directly with a git-blob ETag.
type fakeHub struct {
	hub, cdn *httptest.Server
	files    map[string][]byte // FILE → content (LFS)
	small    map[string][]byte // FILE → content (not LFS)

	mu          sync.Mutex
	ranges      []string // Range headers the CDN saw ("" for none)
	hubHits     int
	cutAfter    int64 // >0: the next CDN answer breaks after this many body bytes
	stall       chan struct{}
	ignoreRange bool   // answer 200 with the whole file to a Range request
	badRange    bool   // answer 206 with a Content-Range starting elsewhere
	publish     string // when set, the sha256 the hub publishes instead of the true one
}

func newFakeHub(t *testing.T) *fakeHub {
	t.Helper()
	f := &fakeHub{files: map[string][]byte{}, small: map[string][]byte{}}
	f.cdn = httptest.NewServer(http.HandlerFunc(f.serveCDN))
	f.hub = httptest.NewServer(http.HandlerFunc(f.serveHub))
	t.Cleanup(func() {
		f.hub.Close()
		f.cdn.Close()
	})
	return f
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (f *fakeHub) serveHub(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hubHits++
	publish := f.publish
	f.mu.Unlock()
	// /OWNER/REPO/resolve/REV/FILE
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
	if len(parts) != 5 || parts[0] != "owner" || parts[1] != "repo" || parts[2] != "resolve" || parts[3] != "main" {
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	w.Header().Set("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567")
	if b, ok := f.small[parts[4]]; ok {
		id := gitBlobID(b)
		if publish != "" {
			id = publish[:40]
		}
		w.Header().Set("ETag", `"`+id+`"`)
		w.Write(b)
		return
	}
	b, ok := f.files[parts[4]]
	if !ok {
		http.Error(w, "Entry not found", http.StatusNotFound)
		return
	}
	s := sum(b)
	if publish != "" {
		s = publish
	}
	w.Header().Set("X-Linked-Etag", `"`+s+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(b)))
	w.Header().Set("ETag", `W/"1234-git"`)
	w.Header().Set("Location", f.cdn.URL+"/repos/ab/cd/"+sum(b)+"?X-Amz-Signature=x")
	w.WriteHeader(http.StatusFound)
}

// gitBlobID is git's object id of a blob: sha1("blob SIZE\x00" + content).
func gitBlobID(b []byte) string {
	s := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(b))), b...))
	return hex.EncodeToString(s[:])
}

func (f *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/repos/ab/cd/")
	var b []byte
	for _, c := range f.files {
		if sum(c) == key {
			b = c
		}
	}
	if b == nil {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.ranges = append(f.ranges, r.Header.Get("Range"))
	cut, stall, ignore, bad := f.cutAfter, f.stall, f.ignoreRange, f.badRange
	f.cutAfter, f.stall = 0, nil
	f.mu.Unlock()

	w.Header().Set("ETag", `"cdn-etag-not-a-hash"`)
	w.Header().Set("Accept-Ranges", "bytes")
	start := int64(0)
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" && !ignore {
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || n >= int64(len(b)) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(b)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, status = n, http.StatusPartialContent
		shown := start
		if bad {
			shown = 0
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", shown, len(b)-1, len(b)))
	}
	body := b[start:]
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	switch {
	case stall != nil:
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		close(stall)
		<-r.Context().Done()
	case cut > 0 && cut < int64(len(body)):
		w.Write(body[:cut])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.Write(body)
	}
}

func (f *fakeHub) seenRanges() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ranges...)
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func (f *fakeHub) opts(t *testing.T, progress *bytes.Buffer) Options {
	o := Options{CacheDir: t.TempDir(), BaseURL: f.hub.URL, HTTPClient: f.hub.Client()}
	if progress != nil {
		o.Progress = progress
	}
	return o
}

func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, not the served %d", path, len(got), len(want))
	}
	if _, err := os.Stat(path + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.part left behind: %v", path, err)
	}
}

func noFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a failed pull (%v)", path, err)
	}
}

// TestPullLFS: an LFS file is fetched through the CDN redirect, checked
// against X-Linked-Etag (not the CDN's ETag), stored under
// hf/OWNER/REPO/REVISION/FILE, and served from the cache afterwards.
func TestPullLFS(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(300_000)
	f.files["sub/model.gguf"] = content
	var progress bytes.Buffer
	o := f.opts(t, &progress)
	path, err := Pull(context.Background(), "hf://owner/repo/sub/model.gguf", o)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "sub", "model.gguf"); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	checkFile(t, path, content)
	if p := progress.String(); !strings.Contains(p, "100%") || !strings.Contains(p, "verified") {
		t.Errorf("progress:\n%s", p)
	}
	hits := f.hubHits
	if again, err := Pull(context.Background(), "hf://owner/repo/sub/model.gguf", o); err != nil || again != path || f.hubHits != hits {
		t.Errorf("second pull: %s %v, %d requests (want the cached file, none)", again, err, f.hubHits-hits)
	}
	if r := f.seenRanges(); len(r) != 1 || r[0] != "" {
		t.Errorf("CDN saw ranges %q", r)
	}
}

// TestPullResumesAfterCut: the connection breaks mid-body; the same Pull
// resumes with a Range request from the bytes it has.
func TestPullResumesAfterCut(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(200_000)
	f.files["model.gguf"] = content
	f.cutAfter = 70_000
	var progress bytes.Buffer
	path, err := Pull(context.Background(), "hf://owner/repo/model.gguf", f.opts(t, &progress))
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, content)
	if r := f.seenRanges(); len(r) != 2 || r[0] != "" || r[1] != "bytes=70000-" {
		t.Errorf("CDN saw ranges %q, want none then bytes=70000-", r)
	}
	if !strings.Contains(progress.String(), "resuming") {
		t.Errorf("progress does not mention the resume:\n%s", progress.String())
	}
}

// TestPullResumesNextTime: with resumes off, a cut leaves the .part file
// (and no final file); the next Pull continues it.
func TestPullResumesNextTime(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(150_000)
	f.files["model.gguf"] = content
	f.cutAfter = 40_000
	o := f.opts(t, nil)
	o.MaxResumes = -1
	_, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
	if err == nil || !strings.Contains(err.Error(), "connection broke") && !strings.Contains(err.Error(), "ended after") {
		t.Fatalf("cut: error %v", err)
	}
	final := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "model.gguf")
	noFile(t, final)
	st, err := os.Stat(final + ".part")
	if err != nil || st.Size() != 40_000 {
		t.Fatalf(".part after the cut: %v %v", st, err)
	}
	path, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, content)
	if r := f.seenRanges(); len(r) != 2 || r[1] != "bytes=40000-" {
		t.Errorf("CDN saw ranges %q", r)
	}
}

// TestPullRangeNotHonoured: a server that ignores Range (200) or answers a
// Content-Range at another offset makes the download restart from byte 0.
func TestPullRangeNotHonoured(t *testing.T) {
	for _, mode := range []string{"ignore", "wrong-start"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeHub(t)
			content := randomBytes(100_000)
			f.files["model.gguf"] = content
			f.ignoreRange = mode == "ignore"
			f.badRange = mode == "wrong-start"
			o := f.opts(t, nil)
			final := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "model.gguf")
			os.MkdirAll(filepath.Dir(final), 0o755)
			// A .part whose bytes would corrupt the file if spliced in at
			// the wrong place.
			if err := os.WriteFile(final+".part", content[30_000:60_000], 0o644); err != nil {
				t.Fatal(err)
			}
			path, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, path, content)
		})
	}
}

// TestPullStalePartRestarts: a .part from another file passes the range
// checks but not the sha256; Pull starts over once and succeeds.
func TestPullStalePartRestarts(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(80_000)
	f.files["model.gguf"] = content
	o := f.opts(t, nil)
	final := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "model.gguf")
	os.MkdirAll(filepath.Dir(final), 0o755)
	if err := os.WriteFile(final+".part", randomBytes(1000), 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, content)
	if r := f.seenRanges(); len(r) != 2 || r[0] != "bytes=1000-" || r[1] != "" {
		t.Errorf("CDN saw ranges %q", r)
	}
}

// TestPullWrongHash: a body whose sha256 differs from X-Linked-Etag is an
// error and leaves neither the final file nor the .part.
func TestPullWrongHash(t *testing.T) {
	f := newFakeHub(t)
	f.files["model.gguf"] = randomBytes(50_000)
	f.publish = strings.Repeat("ab", 32)
	o := f.opts(t, nil)
	_, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
	if err == nil || !strings.Contains(err.Error(), "sha256") || !strings.Contains(err.Error(), f.publish) {
		t.Fatalf("error %v, want a sha256 mismatch naming the published hash", err)
	}
	final := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "model.gguf")
	noFile(t, final)
	noFile(t, final+".part")
}

// TestPullNotFound: 404 names the URL and what to check.
func TestPullNotFound(t *testing.T) {
	f := newFakeHub(t)
	o := f.opts(t, nil)
	_, err := Pull(context.Background(), "hf://owner/repo/missing.gguf", o)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "missing.gguf") || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("error %v", err)
	}
	noFile(t, filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "missing.gguf"))
}

// TestPullCancel: cancelling mid-body stops the download with ctx's error,
// keeps the .part for a resume and writes no final file.
func TestPullCancel(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(400_000)
	f.files["model.gguf"] = content
	stall := make(chan struct{})
	f.stall = stall
	o := f.opts(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-stall
		cancel()
	}()
	_, err := Pull(ctx, "hf://owner/repo/model.gguf", o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	final := filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "model.gguf")
	noFile(t, final)
	// The kept .part resumes.
	path, err := Pull(context.Background(), "hf://owner/repo/model.gguf", o)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, content)
}

// TestPullSmallFile: a non-LFS file is served directly with its git blob
// id as ETag (no sha256): the blob id is checked instead.
func TestPullSmallFile(t *testing.T) {
	f := newFakeHub(t)
	f.small["config.json"] = []byte(`{"a":1}`)
	if got := gitBlobID([]byte("hello\n")); got != "ce013625030ba8dba906f756967f9e9ca394464a" { // git hash-object
		t.Fatalf("gitBlobID %s", got)
	}
	var progress bytes.Buffer
	o := f.opts(t, &progress)
	path, err := Pull(context.Background(), "hf://owner/repo/config.json", o)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, f.small["config.json"])
	if !strings.Contains(progress.String(), "git blob id "+gitBlobID(f.small["config.json"])+" verified") {
		t.Errorf("progress:\n%s", progress.String())
	}
	f.small["other.json"] = []byte(`{"b":2}`)
	f.publish = strings.Repeat("cd", 32)
	if _, err := Pull(context.Background(), "hf://owner/repo/other.json", o); err == nil || !strings.Contains(err.Error(), "git blob id") {
		t.Errorf("wrong blob id: %v", err)
	}
	noFile(t, filepath.Join(o.CacheDir, "hf", "owner", "repo", "main", "other.json"))
}

// TestPullHTTPS: a plain https URL (TLS test server, injected client) is
// stored under url/HOST/PATH.
func TestPullHTTPS(t *testing.T) {
	content := randomBytes(10_000)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old/m.bin" {
			http.Redirect(w, r, "/files/m.bin", http.StatusMovedPermanently)
			return
		}
		if r.URL.Path != "/files/m.bin" {
			http.NotFound(w, r)
			return
		}
		w.Write(content)
	}))
	defer srv.Close()
	o := Options{CacheDir: t.TempDir(), HTTPClient: srv.Client()}
	path, err := Pull(context.Background(), srv.URL+"/old/m.bin", o)
	if err != nil {
		t.Fatal(err)
	}
	checkFile(t, path, content)
	if !strings.HasPrefix(path, filepath.Join(o.CacheDir, "url")) || !strings.HasSuffix(path, filepath.Join("old", "m.bin")) {
		t.Errorf("path %s", path)
	}
	if _, err := Pull(context.Background(), srv.URL+"/nope.bin", o); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
}

func TestParse(t *testing.T) {
	s, err := Parse("hf://TheBloke/Llama-2-7B-GGUF/llama-2-7b.Q4_0.gguf@v1.0", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "https://huggingface.co/TheBloke/Llama-2-7B-GGUF/resolve/v1.0/llama-2-7b.Q4_0.gguf" || s.Revision != "v1.0" || !s.Hub {
		t.Errorf("%+v", s)
	}
	s, err = Parse("hf://o/r/dir/a b.gguf", "http://127.0.0.1:1/")
	if err != nil || s.URL != "http://127.0.0.1:1/o/r/resolve/main/dir/a%20b.gguf" || s.File != "dir/a b.gguf" {
		t.Errorf("%+v %v", s, err)
	}
	for _, bad := range []string{"hf://o/r", "hf://o/r/", "hf://o/../f", "hf://o/r/f@", "hf://o/r/x/../../f", "ftp://h/f", "https://h/", "https://h", "model.gguf", "hf://o/r/f.part", `hf://o/r/a\b`} {
		if _, err := Parse(bad, ""); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzParse: Parse never panics, and an accepted name's cache path stays
// inside the cache folder.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"hf://o/r/f.gguf", "hf://o/r/a/b@rev", "https://h:8080/a/b.gguf?x=1", "https://h/%2e%2e/x", "hf://o/r/..%2f/x", "http://[::1]/a"} {
		f.Add(s)
	}
	dir := filepath.Join(os.TempDir(), "cache")
	f.Fuzz(func(t *testing.T, name string) {
		src, err := Parse(name, "")
		if err != nil {
			return
		}
		p := CachePath(dir, src)
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			t.Fatalf("%q: cache path %s leaves %s", name, p, dir)
		}
	})
}

// TestCached: Cached finds pulled names without a server and explains how to
// pull the others.
func TestCached(t *testing.T) {
	f := newFakeHub(t)
	f.files["m.gguf"] = randomBytes(1000)
	o := f.opts(t, nil)
	if _, err := Cached("hf://owner/repo/m.gguf", o); !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "llmpipe pull hf://owner/repo/m.gguf") {
		t.Errorf("before pull: %v", err)
	}
	path, err := Pull(context.Background(), "hf://owner/repo/m.gguf", o)
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Close()
	if got, err := Cached("hf://owner/repo/m.gguf", o); err != nil || got != path {
		t.Errorf("after pull: %s %v, want %s", got, err, path)
	}
	if !IsName("hf://o/r/f") || !IsName("https://h/f") || IsName("models/x.gguf") || IsName("/abs/x.gguf") {
		t.Error("IsName")
	}
}

// TestPullConcurrent: pulls of one name at the same time download it once;
// the others wait and return the same file.
func TestPullConcurrent(t *testing.T) {
	f := newFakeHub(t)
	content := randomBytes(500_000)
	f.files["model.gguf"] = content
	o := f.opts(t, nil)
	var wg sync.WaitGroup
	paths := make([]string, 4)
	errs := make([]error, 4)
	for i := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths[i], errs[i] = Pull(context.Background(), "hf://owner/repo/model.gguf", o)
		}()
	}
	wg.Wait()
	for i := range paths {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Errorf("pull %d: %s %v", i, paths[i], errs[i])
		}
	}
	checkFile(t, paths[0], content)
	if r := f.seenRanges(); len(r) != 1 {
		t.Errorf("CDN saw %d requests, want 1", len(r))
	}
}
