package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/tiktoken"
)

// cacheEnv names the environment variable that overrides llmpipe's cache
// root (default os.UserCacheDir()/llmpipe); tiktoken rank files go in its
// tiktoken/ folder.
const cacheEnv = "LLMPIPE_CACHE"

// loadTiktokenName loads a tiktoken encoding by name (cl100k_base…),
// downloading its rank file into the cache on first use. Ctrl-C cancels the
// download.
func loadTiktokenName(spec string) (tokenizer.Tokenizer, error) {
	opts := tiktoken.Options{Progress: os.Stderr}
	if d := os.Getenv(cacheEnv); d != "" {
		opts.CacheDir = filepath.Join(d, "tiktoken")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return tiktoken.Get(ctx, spec, opts)
}

// loadTiktokenFile loads a .tiktoken rank file; the encoding (split pattern,
// special tokens) is inferred from the file's sha256 or its base name.
func loadTiktokenFile(spec string) (tokenizer.Tokenizer, error) {
	return tiktoken.Open(spec)
}
