package tiktoken

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultBaseURL is where OpenAI publishes the rank files
// (tiktoken_ext/openai_public.py): BaseURL + NAME + ".tiktoken".
const DefaultBaseURL = "https://openaipublic.blob.core.windows.net/encodings/"

// maxDownload bounds a downloaded rank file (o200k_base is 3.6 MB).
const maxDownload = 64 << 20

// Options configures [Get].
type Options struct {
	// CacheDir holds downloaded rank files as NAME.tiktoken. The default is
	// os.UserCacheDir()/llmpipe/tiktoken.
	CacheDir string
	// BaseURL is the download location (DefaultBaseURL when empty).
	BaseURL string
	// HTTPClient downloads (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Progress, when non-nil, receives one line per download step.
	Progress io.Writer
}

// DefaultCacheDir is os.UserCacheDir()/llmpipe/tiktoken.
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("tiktoken: no cache folder (set Options.CacheDir): %w", err)
	}
	return filepath.Join(d, "llmpipe", "tiktoken"), nil
}

// Get returns the named encoding (see [Names]). It reads the encoding's
// rank file, CacheDir/FILE.tiktoken with FILE = [Spec.RankFileName] (p50k_edit
// borrows p50k_base's), when present and matching the sha256 that tiktoken
// pins; otherwise it downloads BaseURL/FILE.tiktoken, checks the sha256, and
// stores it in the cache through a temporary file and a rename, so the cache
// never holds a partial file under the final name. The download stops when
// ctx is cancelled.
func Get(ctx context.Context, name string, opts Options) (*Encoding, error) {
	spec, ok := SpecFor(name)
	if !ok {
		return nil, fmt.Errorf("tiktoken: unknown encoding %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	data, path, err := fetchRanks(ctx, spec, opts)
	if err != nil {
		return nil, err
	}
	return NewFromBytes(spec, path, data)
}

// fetchRanks returns the verified rank file of spec and its cache path.
func fetchRanks(ctx context.Context, spec Spec, opts Options) ([]byte, string, error) {
	dir := opts.CacheDir
	if dir == "" {
		d, err := DefaultCacheDir()
		if err != nil {
			return nil, "", err
		}
		dir = d
	}
	path := filepath.Join(dir, spec.RankFileName()+".tiktoken")
	if data, err := os.ReadFile(path); err == nil {
		if sumHex(data) == spec.SHA256 {
			return data, path, nil
		}
		progress(opts.Progress, "tiktoken: %s does not match the published sha256; downloading it again", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("tiktoken: %w", err)
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	url := strings.TrimSuffix(base, "/") + "/" + spec.RankFileName() + ".tiktoken"
	data, err := download(ctx, url, dir, path, spec.SHA256, opts)
	if err != nil {
		return nil, "", err
	}
	return data, path, nil
}

func sumHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// download fetches url into a temporary file in dir, checks its sha256 and
// renames it to path.
func download(ctx context.Context, url, dir, path, wantSum string, opts Options) (data []byte, err error) {
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: download %s: %w", url, err)
	}
	progress(opts.Progress, "tiktoken: downloading %s", url)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tiktoken: download %s: HTTP %s", url, resp.Status)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tiktoken: cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("tiktoken: cache: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	var buf bytes.Buffer
	if resp.ContentLength > maxDownload {
		return nil, fmt.Errorf("tiktoken: download %s: %d bytes is more than a rank file can be (%d)", url, resp.ContentLength, maxDownload)
	}
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength))
	}
	pw := &progressWriter{w: opts.Progress, total: resp.ContentLength, url: url}
	n, err := io.Copy(io.MultiWriter(tmp, h, &buf, pw), io.LimitReader(ctxReader{ctx, resp.Body}, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("tiktoken: download %s: %w", url, err)
	}
	if n > maxDownload {
		return nil, fmt.Errorf("tiktoken: download %s: more than %d bytes, more than a rank file can be", url, maxDownload)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSum {
		return nil, fmt.Errorf("tiktoken: download %s: sha256 %s, want %s (corrupted or changed file; nothing was cached)", url, got, wantSum)
	}
	if err = tmp.Close(); err != nil {
		return nil, fmt.Errorf("tiktoken: cache: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("tiktoken: cache: %w", err)
	}
	progress(opts.Progress, "tiktoken: saved %s (%d bytes)", path, n)
	return buf.Bytes(), nil
}

// ctxReader fails reads once ctx is done, so a stalled or slow body stops
// promptly on cancellation.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// progressWriter reports every tenth of a download of known size.
type progressWriter struct {
	w        io.Writer
	url      string
	total, n int64
	step     int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if p.w != nil && p.total > 0 {
		if s := p.n * 10 / p.total; s > p.step {
			p.step = s
			progress(p.w, "tiktoken: %d%% of %d bytes", s*10, p.total)
		}
	}
	return len(b), nil
}
