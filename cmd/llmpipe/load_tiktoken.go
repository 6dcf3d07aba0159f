package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/tiktoken"
)

// cacheEnv names the environment variable that overrides llmpipe's cache
// root (default os.UserCacheDir()/llmpipe); tiktoken rank files go in its
// tiktoken/ folder.
const cacheEnv = "LLMPIPE_CACHE"

// sharedEnv names the shared-data folder (models, tokenizers) that a name
// is also looked up in before anything is downloaded.
const sharedEnv = "LLMPIPE_SHARED"

// loadTiktokenName loads a tiktoken encoding by name (cl100k_base…). It
// looks in the cache, then in a local shared-data folder
// ($LLMPIPE_SHARED/tokenizers/tiktoken or ../shared/data/tokenizers/tiktoken),
// and only then downloads the rank file into the cache. Every copy is checked
// against the sha256 tiktoken pins. Ctrl-C cancels the download.
func loadTiktokenName(spec string) (tokenizer.Tokenizer, error) {
	opts := tiktoken.Options{
		Progress: os.Stderr,
		HTTPClient: &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: time.Minute,
		}},
	}
	if d := os.Getenv(cacheEnv); d != "" {
		opts.CacheDir = filepath.Join(d, "tiktoken")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if opts.CacheDir == "" {
		if d, err := tiktoken.DefaultCacheDir(); err == nil {
			opts.CacheDir = d
		}
	}
	file := spec + ".tiktoken"
	if s, ok := tiktoken.SpecFor(spec); ok {
		file = s.RankFileName() + ".tiktoken"
	}
	if _, err := os.Stat(filepath.Join(opts.CacheDir, file)); err != nil {
		for _, dir := range localTiktokenDirs() {
			if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
				local := opts
				local.CacheDir = dir
				if enc, err := tiktoken.Get(ctx, spec, local); err == nil {
					return enc, nil
				}
			}
		}
	}
	return tiktoken.Get(ctx, spec, opts)
}

// localTiktokenDirs lists the shared-data folders that may hold rank files.
func localTiktokenDirs() []string {
	var dirs []string
	if d := os.Getenv(sharedEnv); d != "" {
		dirs = append(dirs, filepath.Join(d, "tokenizers", "tiktoken"))
	}
	return append(dirs, filepath.Join("..", "shared", "data", "tokenizers", "tiktoken"))
}

// loadTiktokenFile loads a .tiktoken rank file; the encoding (split pattern,
// special tokens) is inferred from the file's sha256 or its base name.
func loadTiktokenFile(spec string) (tokenizer.Tokenizer, error) {
	return tiktoken.Open(spec)
}
