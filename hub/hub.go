package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the Hugging Face Hub that hf:// names resolve against.
const DefaultBaseURL = "https://huggingface.co"

// DefaultMaxResumes is how many times one Pull resumes after a broken
// connection when Options.MaxResumes is 0.
const DefaultMaxResumes = 3

// Options configures Pull. The zero value downloads from the Hub into
// DefaultCacheDir with http.DefaultClient.
type Options struct {
	// CacheDir holds the downloaded files (DefaultCacheDir when empty).
	CacheDir string
	// BaseURL replaces DefaultBaseURL for hf:// names (tests point it at a
	// local server).
	BaseURL string
	// HTTPClient downloads (http.DefaultClient when nil). Its redirect
	// policy is kept; Pull only reads the headers of the redirects.
	HTTPClient *http.Client
	// Progress, when non-nil, receives a progress line at the start, at
	// every tenth of the file (or every 64 MiB when the size is unknown)
	// and at the end.
	Progress io.Writer
	// MaxResumes is how many times one Pull resumes after the connection
	// breaks mid-file: 0 means DefaultMaxResumes, negative means never.
	MaxResumes int
}

// DefaultCacheDir is os.UserCacheDir()/llmpipe/models.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("hub: no cache folder (set Options.CacheDir): %w", err)
	}
	return filepath.Join(d, "llmpipe", "models"), nil
}

// Source is a parsed download name.
type Source struct {
	// URL is what is fetched.
	URL string
	// Hub is true for hf:// names; then Owner, Repo, File and Revision are set.
	Hub                         bool
	Owner, Repo, File, Revision string
	// rel is the path below the cache folder, slash-separated.
	rel string
}

// Parse reads an hf://OWNER/REPO/FILE[@REVISION] name (FILE may contain
// folders; REVISION defaults to main) or an https:// URL. baseURL is the Hub
// for hf:// names ("" means DefaultBaseURL).
func Parse(name, baseURL string) (Source, error) {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if rest, ok := strings.CutPrefix(name, "hf://"); ok {
		rev := "main"
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			rev = rest[i+1:]
			rest = rest[:i]
			if rev == "" {
				return Source{}, fmt.Errorf("hub: %q: empty revision after @", name)
			}
		}
		parts := strings.Split(rest, "/")
		if len(parts) < 3 {
			return Source{}, fmt.Errorf("hub: %q: want hf://OWNER/REPO/FILE[@REVISION]", name)
		}
		for _, p := range parts {
			if err := checkSegment(name, p); err != nil {
				return Source{}, err
			}
		}
		if err := checkSegment(name, rev); err != nil {
			return Source{}, err
		}
		file := strings.Join(parts[2:], "/")
		u := strings.TrimSuffix(baseURL, "/") + "/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1]) +
			"/resolve/" + url.PathEscape(rev) + "/" + escapePath(file)
		return Source{
			URL: u, Hub: true, Owner: parts[0], Repo: parts[1], File: file, Revision: rev,
			rel: path.Join("hf", parts[0], parts[1], rev, file),
		}, nil
	}
	u, err := url.Parse(name)
	if err != nil {
		return Source{}, fmt.Errorf("hub: %q: %w", name, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return Source{}, fmt.Errorf("hub: %q: want hf://OWNER/REPO/FILE or an https:// URL", name)
	}
	if u.Host == "" || u.Path == "" || strings.HasSuffix(u.Path, "/") {
		return Source{}, fmt.Errorf("hub: %q: the URL names no file", name)
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	for _, p := range segs {
		if err := checkSegment(name, p); err != nil {
			return Source{}, err
		}
	}
	host := strings.ReplaceAll(u.Host, ":", "_")
	if err := checkSegment(name, host); err != nil {
		return Source{}, err
	}
	return Source{URL: u.String(), rel: path.Join(append([]string{"url", host}, segs...)...)}, nil
}

// checkSegment refuses path segments that could leave the cache folder or
// that the file system cannot hold.
func checkSegment(name, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "\\\x00") || strings.HasSuffix(s, ".part") || strings.HasSuffix(s, ".part.lock") {
		return fmt.Errorf("hub: %q: bad path segment %q", name, s)
	}
	return nil
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// CachePath is where Pull stores src below cacheDir.
func CachePath(cacheDir string, src Source) string {
	return filepath.Join(cacheDir, filepath.FromSlash(src.rel))
}

// ErrNotCached is returned (wrapped) by Cached for a name that has not been
// pulled.
var ErrNotCached = errors.New("not in the model cache")

// IsName reports whether s is a name Pull takes (hf://, https://, http://)
// rather than a local path.
func IsName(s string) bool {
	for _, p := range []string{"hf://", "https://", "http://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Cached returns the cache path of name (see Parse) when it has been pulled,
// without contacting any server; otherwise an error wrapping ErrNotCached
// that says how to pull it. Only opts.CacheDir and opts.BaseURL are used.
func Cached(name string, opts Options) (string, error) {
	src, err := Parse(name, opts.BaseURL)
	if err != nil {
		return "", err
	}
	dir := opts.CacheDir
	if dir == "" {
		if dir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	final := CachePath(dir, src)
	if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
		return final, nil
	}
	return "", fmt.Errorf("hub: %s is %w (%s); run llmpipe pull %s first", name, ErrNotCached, final, name)
}

// Pull downloads name (see Parse) into the cache and returns the file's path.
// A file already in the cache is returned without contacting the server.
// The download stops when ctx is cancelled, keeping the .part file for a later
// resume.
func Pull(ctx context.Context, name string, opts Options) (string, error) {
	src, err := Parse(name, opts.BaseURL)
	if err != nil {
		return "", err
	}
	dir := opts.CacheDir
	if dir == "" {
		if dir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	final := CachePath(dir, src)
	if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
		return final, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("hub: cache folder: %w", err)
	}
	d := &downloader{src: src, final: final, part: final + ".part", opts: opts}
	unlock, err := d.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another pull may have finished the file while this one waited.
	if st, err := os.Stat(final); err == nil && st.Mode().IsRegular() {
		return final, nil
	}
	if err := d.run(ctx); err != nil {
		return "", err
	}
	return final, nil
}

// downloader is one Pull's transfer state.
type downloader struct {
	src         Source
	final, part string
	opts        Options
}

// meta is what the responses said about the file.
type meta struct {
	sha256 string // expected lowercase hex, "" when unknown
	// gitBlob is the Hub's ETag for a file kept in git itself (not LFS):
	// the git blob id, sha1("blob SIZE\x00" + content), 40 hex digits.
	gitBlob string
	size    int64 // expected size, -1 when unknown
	// resumed is set when the finished .part was continued from an earlier
	// attempt's bytes.
	resumed bool
}

// lockPoll is how often a pull waiting for another pull of the same name
// retries the lock.
const lockPoll = 100 * time.Millisecond

// lock serialises pulls of one name, across processes, with an advisory lock
// on FINAL.part.lock (left in place: removing a lock file races with its next
// taker). It waits, checking ctx, while another pull holds it.
func (d *downloader) lock(ctx context.Context) (unlock func(), err error) {
	name := d.part + ".lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: lock: %w", err)
	}
	for waited := false; ; waited = true {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("hub: lock %s: %w", name, err)
		}
		if ok {
			return func() { f.Close() }, nil
		}
		if !waited {
			d.progress("hub: waiting for another pull of %s (%s)", d.src.URL, name)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("hub: %s: waiting for another pull: %w", d.src.URL, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// errBroken marks a transfer that stopped mid-body and may be resumed.
type errBroken struct{ err error }

func (e errBroken) Error() string { return e.err.Error() }
func (e errBroken) Unwrap() error { return e.err }

func (d *downloader) run(ctx context.Context) error {
	resumes := d.opts.MaxResumes
	if resumes == 0 {
		resumes = DefaultMaxResumes
	}
	restarted := false
	for attempt := 0; ; attempt++ {
		m, err := d.attempt(ctx)
		if err == nil {
			err = d.verify(m)
			if err == nil {
				return nil
			}
			var bad errBadHash
			if errors.As(err, &bad) && bad.resumed && !restarted {
				// The kept .part may belong to an older version of the
				// file: start over once from the first byte.
				os.Remove(d.part)
				restarted = true
				attempt--
				continue
			}
			return err
		}
		var b errBroken
		if ctx.Err() != nil || !errors.As(err, &b) || attempt >= resumes {
			if ctx.Err() != nil {
				return fmt.Errorf("hub: %s: %w (the partial download %s is kept for a resume)", d.src.URL, ctx.Err(), d.part)
			}
			return err
		}
		d.progress("hub: %v; resuming", err)
	}
}

// attempt makes one request, resuming d.part when it holds bytes, and
// appends the body to it. It returns what the headers said about the file.
func (d *downloader) attempt(ctx context.Context) (meta, error) {
	var off int64
	if st, err := os.Stat(d.part); err == nil {
		off = st.Size()
	}
	resp, m, err := d.get(ctx, off)
	if err != nil {
		return meta{}, err
	}
	defer resp.Body.Close()

	switch {
	case off > 0 && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		// The .part is as long as the file, or longer: fetch it anew.
		resp.Body.Close()
		if err := os.Remove(d.part); err != nil {
			return meta{}, fmt.Errorf("hub: %w", err)
		}
		d.progress("hub: %s: the server refused the resume range; starting over", d.src.URL)
		if resp, m, err = d.get(ctx, 0); err != nil {
			return meta{}, err
		}
		defer resp.Body.Close()
		off = 0
	case off > 0 && resp.StatusCode == http.StatusPartialContent:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != off || (m.size >= 0 && total >= 0 && total != m.size) {
			// Not the range we asked for: do not splice it in.
			resp.Body.Close()
			os.Remove(d.part)
			d.progress("hub: %s: the server answered Content-Range %q to bytes=%d-; starting over", d.src.URL, resp.Header.Get("Content-Range"), off)
			if resp, m, err = d.get(ctx, 0); err != nil {
				return meta{}, err
			}
			defer resp.Body.Close()
			off = 0
		} else if m.size < 0 && total >= 0 {
			m.size = total
		}
	case off > 0 && resp.StatusCode == http.StatusOK:
		d.progress("hub: %s: the server ignored the resume range; starting over", d.src.URL)
		off = 0
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		return meta{}, statusError(d.src, resp)
	}
	if resp.StatusCode == http.StatusPartialContent && off == 0 {
		return meta{}, fmt.Errorf("hub: %s: HTTP 206 to a request without a range", d.src.URL)
	}
	if m.size < 0 && resp.StatusCode == http.StatusOK && resp.ContentLength >= 0 {
		m.size = resp.ContentLength
	}
	if m.size >= 0 && off > m.size {
		os.Remove(d.part)
		return meta{}, errBroken{fmt.Errorf("hub: %s: the partial download is longer than the file", d.src.URL)}
	}

	flag := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if off == 0 {
		flag |= os.O_TRUNC
	}
	f, err := os.OpenFile(d.part, flag, 0o644)
	if err != nil {
		return meta{}, fmt.Errorf("hub: %w", err)
	}
	pw := &progressWriter{d: d, done: off, total: m.size}
	if off == 0 {
		d.progress("hub: downloading %s (%s)", d.src.URL, sizeText(m.size))
	} else {
		d.progress("hub: resuming %s at byte %d of %s", d.src.URL, off, sizeText(m.size))
	}
	_, copyErr := io.Copy(io.MultiWriter(fileWriter{f}, pw), ctxReader{ctx, resp.Body})
	closeErr := f.Close()
	if copyErr != nil {
		if ctx.Err() != nil {
			return meta{}, ctx.Err()
		}
		var we writeError
		if errors.As(copyErr, &we) {
			return meta{}, fmt.Errorf("hub: writing %s: %w", d.part, copyErr)
		}
		return meta{}, errBroken{fmt.Errorf("hub: %s: connection broke after %d bytes: %w", d.src.URL, pw.done, copyErr)}
	}
	if closeErr != nil {
		return meta{}, fmt.Errorf("hub: writing %s: %w", d.part, closeErr)
	}
	if m.size >= 0 && pw.done < m.size {
		return meta{}, errBroken{fmt.Errorf("hub: %s: the body ended after %d of %d bytes", d.src.URL, pw.done, m.size)}
	}
	m.resumed = off > 0
	return m, nil
}

// get sends a GET for d.src.URL, from byte off when off > 0, following
// redirects and collecting the Hub's headers from every response on the way.
func (d *downloader) get(ctx context.Context, off int64) (*http.Response, meta, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.src.URL, nil)
	if err != nil {
		return nil, meta{}, fmt.Errorf("hub: %s: %w", d.src.URL, err)
	}
	// Ranges count bytes of the file, not of a compressed encoding of it.
	req.Header.Set("Accept-Encoding", "identity")
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
	}
	base := d.opts.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	client := *base
	m := meta{size: -1}
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if r.Response != nil {
			m.take(r.Response.Header, d.src.Hub)
		}
		if base.CheckRedirect != nil {
			return base.CheckRedirect(r, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, meta{}, fmt.Errorf("hub: %s: %w", d.src.URL, ctx.Err())
		}
		return nil, meta{}, errBroken{fmt.Errorf("hub: %s: %w", d.src.URL, err)}
	}
	// Headers of the Hub's own answer (no redirect) count too; a CDN's ETag
	// after a redirect is not the Hub's and is not read.
	if resp.Request == nil || resp.Request.URL.String() == d.src.URL {
		m.take(resp.Header, d.src.Hub)
		if e := normEtag(resp.Header.Get("ETag")); d.src.Hub && m.sha256 == "" && len(e) == 40 && isHex(e) {
			m.gitBlob = e
		}
	} else if m.sha256 == "" {
		m.takeLinked(resp.Header)
	}
	return resp, m, nil
}

// take reads the sha256 and size from one response's headers, the first
// response that has them winning: X-Linked-Etag/X-Linked-Size anywhere, and
// for hf:// names an ETag that is a sha256.
func (m *meta) take(h http.Header, hub bool) {
	m.takeLinked(h)
	if hub && m.sha256 == "" {
		if e := normEtag(h.Get("ETag")); isSHA256(e) {
			m.sha256 = e
		}
	}
}

func (m *meta) takeLinked(h http.Header) {
	if m.sha256 == "" {
		if e := normEtag(h.Get("X-Linked-Etag")); isSHA256(e) {
			m.sha256 = e
		}
	}
	if m.size < 0 {
		if n, err := strconv.ParseInt(h.Get("X-Linked-Size"), 10, 64); err == nil && n >= 0 {
			m.size = n
		}
	}
}

// normEtag strips a weak-validator prefix and the quotes, as huggingface_hub's
// _normalize_etag does.
func normEtag(e string) string {
	e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
	return strings.ToLower(strings.Trim(e, `"`))
}

func isSHA256(s string) bool { return len(s) == 64 && isHex(s) }

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || t <= end {
			return 0, 0, false
		}
		total = t
	}
	return start, total, true
}

func statusError(src Source, resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusNotFound:
		if src.Hub {
			return fmt.Errorf("hub: %s: not found (HTTP 404): check OWNER/REPO, the file name and the revision %q", src.URL, src.Revision)
		}
		return fmt.Errorf("hub: %s: not found (HTTP 404)", src.URL)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("hub: %s: HTTP %s: the repository may be private or gated (access tokens are not supported yet)", src.URL, resp.Status)
	}
	return fmt.Errorf("hub: %s: HTTP %s", src.URL, resp.Status)
}

// errBadHash is a finished download whose sha256 is not the published one.
type errBadHash struct {
	msg     string
	resumed bool
}

func (e errBadHash) Error() string { return e.msg }

// verify checks d.part's size and its sha256 (or, for a file kept in git,
// its git blob id) against m and renames it to d.final.
func (d *downloader) verify(m meta) error {
	f, err := os.Open(d.part)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("hub: %w", err)
	}
	var h hash.Hash = sha256.New()
	blob := sha1.New()
	fmt.Fprintf(blob, "blob %d\x00", st.Size())
	n, err := io.Copy(io.MultiWriter(h, blob), f)
	f.Close()
	if err != nil {
		return fmt.Errorf("hub: reading %s: %w", d.part, err)
	}
	if m.size >= 0 && n != m.size {
		os.Remove(d.part)
		return fmt.Errorf("hub: %s: %d bytes, the server announced %d", d.src.URL, n, m.size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if m.sha256 != "" && sum != m.sha256 {
		os.Remove(d.part)
		return errBadHash{msg: fmt.Sprintf("hub: %s: sha256 %s, the hub publishes %s; the download was discarded", d.src.URL, sum, m.sha256), resumed: m.resumed}
	}
	if b := hex.EncodeToString(blob.Sum(nil)); m.sha256 == "" && m.gitBlob != "" && b != m.gitBlob {
		os.Remove(d.part)
		return errBadHash{msg: fmt.Sprintf("hub: %s: git blob id %s, the hub publishes %s; the download was discarded", d.src.URL, b, m.gitBlob), resumed: m.resumed}
	}
	switch {
	case m.sha256 == "" && m.gitBlob != "":
		d.progress("hub: git blob id %s verified (a file kept in git, not LFS); sha256 %s", m.gitBlob, sum)
	case m.sha256 == "":
		d.progress("hub: %s: no published hash; sha256 %s", d.src.URL, sum)
	default:
		d.progress("hub: sha256 %s verified", sum)
	}
	if err := os.Rename(d.part, d.final); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

func (d *downloader) progress(format string, args ...any) {
	if d.opts.Progress != nil {
		fmt.Fprintf(d.opts.Progress, format+"\n", args...)
	}
}

func sizeText(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// progressWriter counts bytes and prints a line at every tenth of the total
// (every 64 MiB when the total is unknown).
type progressWriter struct {
	d           *downloader
	done, total int64
	last        int64 // the last reported step
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.total > 0 {
		if step := p.done * 10 / p.total; step > p.last {
			p.last = step
			p.d.progress("hub: %3d%% %s / %s", p.done*100/p.total, sizeText(p.done), sizeText(p.total))
		}
	} else if step := p.done >> 26; step > p.last {
		p.last = step
		p.d.progress("hub: %s", sizeText(p.done))
	}
	return len(b), nil
}

// writeError marks a failure to write the .part file (not the network's).
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }

// fileWriter reports its write failures as writeError.
type fileWriter struct{ f *os.File }

func (w fileWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

// ctxReader stops reading when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
