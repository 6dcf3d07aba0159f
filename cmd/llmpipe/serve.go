package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/grammar"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/server"
	"github.com/llmpipe/llmpipe/server/web"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// Defaults of serve's prefix cache: 16 sequences, 1 GiB (the 110M model's
// full 1024-position cache is 72 MiB in float32).
const (
	defaultPrefixCache   = 16
	defaultPrefixCacheMB = 1024
)

func newServeCmd() *cobra.Command {
	var applyThreads func() error
	var (
		modelPath, tokPath, addr, apiKey, modelID string
		parallel, ctxLen, queue, maxTokens        int
		prefill, prefixSeqs, prefixMB             int
		bodyLimit                                 int64
		timeout, grace                            time.Duration
		kvF16                                     bool
	)
	cmd := &cobra.Command{
		Use:   "serve [--model PATH] [--addr 127.0.0.1:8080] [--parallel N] [--ctx N] [--api-key KEY] [--threads N]",
		Short: "Serve a model over an OpenAI-compatible HTTP API with continuous batching",
		Long: `serve loads a model (as run does) and answers OpenAI API requests:
POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings,
GET /v1/models, GET /health and GET /metrics (Prometheus text). GET /
serves a chat page (embedded; no CDN) that talks to the same API.

Up to --parallel sequences are decoded together: each step runs all of them
through one batched forward pass, admitting queued requests between steps
(at most --queue wait; more get 429) and feeding long prompts in chunks of
--prefill-chunk ids so running streams keep getting tokens. A client that
disconnects cancels its sequences at once. A request with n > 1 runs its
prompt once and forks the sequence for every choice.

The prefix cache keeps the KV caches of the last --prefix-cache finished
sequences (at most --prefix-cache-mb MiB; 0 sequences turns it off): a new
prompt starts from the kept sequence sharing its longest prefix and runs only
the rest, so a chat's next turn, which re-sends the conversation, runs only
the new message. usage.prompt_tokens_details.cached_tokens and /metrics
report the ids taken from it.

Chat messages go through the model's chat template (GGUF
tokenizer.chat_template, or the HF folder's); a model without one, such as
stories260K, gets the plain format "Role: content" per line followed by
"Assistant:". A field the server does not implement is a 400 naming it, and
a prompt plus max_tokens longer than the context is a 400 naming the token
counts, never truncated.

The server binds 127.0.0.1 unless --addr says otherwise; --api-key makes
/v1/ require "Authorization: Bearer KEY". SIGTERM or Ctrl-C stops accepting
requests, lets running ones finish for up to --shutdown-timeout, then
cancels the rest. The address is printed on stderr once listening (use
--addr 127.0.0.1:0 for any free port).`,
		Example: `  llmpipe serve --model ../shared/data/models/stories260K.gguf
  llmpipe serve --model model.gguf --addr 127.0.0.1:9000 --parallel 8 --ctx 2048 --api-key secret
  curl -s http://127.0.0.1:8080/v1/completions -d '{"prompt":"Once upon a time","max_tokens":32,"temperature":0}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// SIGTERM (and Ctrl-C) from now on: a graceful stop once serving
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := applyThreads(); err != nil {
				return err
			}
			if modelPath == "" && modelID == "" {
				modelID = builtinModelID // no --model: the built-in model
			}
			for name, v := range map[string]int{"parallel": parallel, "ctx": ctxLen, "queue": queue, "max-tokens": maxTokens, "prefill-chunk": prefill, "prefix-cache": prefixSeqs, "prefix-cache-mb": prefixMB} {
				if v < 0 {
					return fmt.Errorf("--%s %d is negative", name, v)
				}
			}
			m, tok, closeModel, err := loadModelOrDefault(modelPath, tokPath)
			if err != nil {
				return err
			}
			defer closeModel()
			if ctxLen > 0 {
				lm, ok := m.(*llama.Model)
				if !ok {
					return fmt.Errorf("--ctx: the model %T has a fixed context", m)
				}
				if ctxLen > lm.Config.ContextLength {
					return fmt.Errorf("--ctx %d exceeds the model's trained context length %d", ctxLen, lm.Config.ContextLength)
				}
				lm.Config.ContextLength = ctxLen
			}
			cfg := server.Config{Model: m, Tokenizer: tok, ModelID: modelID, Parallel: parallel, QueueSize: queue,
				PrefillChunk: prefill, MaxTokens: maxTokens, MaxBodyBytes: bodyLimit, Timeout: timeout, APIKey: apiKey, KVF16: kvF16,
				PrefixCache: prefixSeqs, PrefixCacheBytes: int64(prefixMB) << 20}
			if cfg.ModelID == "" {
				cfg.ModelID = strings.TrimSuffix(filepath.Base(strings.TrimSuffix(modelPath, "/")), filepath.Ext(modelPath))
			}
			if cc := serveChatConfig(modelPath); cc != nil {
				if src, err := cc.Select("", false); err == nil {
					t, err := chat.Parse(src)
					if err != nil {
						return fmt.Errorf("%s: chat template: %w", modelPath, err)
					}
					cfg.Template, cfg.TemplateArgs = t, cc.Args()
				}
			}
			cfg.JSONSchema = schemaConstraints(tok)
			cfg.Web = web.Handler() // the chat page at "/"
			srv, err := server.New(cfg)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				srv.Close()
				return err
			}
			hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
			template := "plain format (no chat template)"
			if cfg.Template != nil {
				template = "the model's chat template"
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "llmpipe serve: %s (context %d, parallel %d, %s) listening on http://%s\n",
				cfg.ModelID, m.ContextLength(), cmp.Or(parallel, server.DefaultParallel), template, ln.Addr())
			served := make(chan error, 1)
			go func() { served <- hs.Serve(ln) }()
			select {
			case err := <-served:
				srv.Close()
				return err
			case <-ctx.Done():
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "llmpipe serve: shutting down: finishing running requests")
			gctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			done := make(chan struct{})
			go func() { srv.Shutdown(gctx); close(done) }() //nolint:errcheck // Shutdown cancels what is left itself
			if err := hs.Shutdown(gctx); err != nil {
				srv.Close()
				hs.Close()
			}
			<-done
			return nil
		},
	}
	applyThreads = addThreadsFlag(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "GGUF file, HF checkpoint folder, or llama2.c checkpoint with --tokenizer (default: the built-in model)")
	fl.StringVar(&tokPath, "tokenizer", "", "tokenizer for a llama2.c .bin or a HF checkpoint (as run)")
	fl.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fl.IntVar(&parallel, "parallel", server.DefaultParallel, "sequences decoded together in one batched forward pass")
	fl.IntVar(&ctxLen, "ctx", 0, "context length per sequence (0: the model's)")
	fl.IntVar(&queue, "queue", server.DefaultQueueSize, "most sequences waiting for a slot; more get 429")
	fl.IntVar(&maxTokens, "max-tokens", 0, "cap on a request's max_tokens (0: the context is the cap)")
	fl.IntVar(&prefill, "prefill-chunk", server.DefaultPrefillChunk, "most prompt tokens fed per step, over all sequences")
	fl.IntVar(&prefixSeqs, "prefix-cache", defaultPrefixCache, "finished sequences whose KV caches are kept to start later prompts that share a prefix (0: off)")
	fl.IntVar(&prefixMB, "prefix-cache-mb", defaultPrefixCacheMB, "most MiB of KV cache the prefix cache keeps (0: no byte bound)")
	fl.Int64Var(&bodyLimit, "body-limit", server.DefaultMaxBodyBytes, "largest request body in bytes; more gets 413")
	fl.DurationVar(&timeout, "timeout", server.DefaultTimeout, "longest a request may generate")
	fl.DurationVar(&grace, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long running requests may finish before they are cancelled")
	fl.StringVar(&apiKey, "api-key", "", "require Authorization: Bearer KEY on /v1/ (default: $LLMPIPE_API_KEY; none when empty)")
	fl.StringVar(&modelID, "model-id", "", "model name served on /v1/models (default: the file name without extension)")
	fl.BoolVar(&kvF16, "kv-f16", true, "keep the KV caches in float16, as llama.cpp does (--kv-f16=false: float32, twice the memory)")
	cmd.PreRun = func(cmd *cobra.Command, args []string) {
		if !cmd.Flags().Changed("api-key") {
			apiKey = os.Getenv("LLMPIPE_API_KEY")
		}
	}
	return cmd
}

// serveChatConfig returns the model's chat templates, or nil when it has
// none (the plain format is used then).
func serveChatConfig(modelPath string) *chat.Config {
	var cc *chat.Config
	var err error
	switch {
	case isGGUF(modelPath):
		cc, err = ggufChatConfig(modelPath)
	case isSafetensors(modelPath):
		dir := modelPath
		if st, e := os.Stat(modelPath); e == nil && !st.IsDir() {
			dir = filepath.Dir(modelPath)
		}
		cc, err = chat.FromDir(dir)
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	return cc
}

// schemaConstraints returns server.Config.JSONSchema: a JSON schema
// compiled by package grammar (compact JSON) into a token matcher over tok's
// vocabulary. The vocabulary trie is built on first use; compiled schemas
// are kept (up to 64), each request's choices getting a clone at the start.
func schemaConstraints(tok tokenizer.Tokenizer) func([]byte) (sample.Constraint, error) {
	var (
		once   sync.Once
		vocab  *grammar.Vocabulary
		vErr   error
		mu     sync.Mutex
		protos = map[string]*grammar.Matcher{}
	)
	return func(schema []byte) (sample.Constraint, error) {
		once.Do(func() {
			var vb [][]byte
			if vb, vErr = tokenizer.VocabBytes(tok); vErr != nil {
				return
			}
			vocab, vErr = grammar.NewVocabulary(vb, tok.Specials().EndIDs())
		})
		if vErr != nil {
			return nil, fmt.Errorf("constrained decoding: %w", vErr)
		}
		mu.Lock()
		defer mu.Unlock()
		if p, ok := protos[string(schema)]; ok {
			return p.Clone(), nil
		}
		g, err := grammar.CompileJSONSchema(schema, grammar.SchemaOptions{Whitespace: grammar.Compact})
		if err != nil {
			return nil, err
		}
		p, err := vocab.Matcher(g)
		if err != nil {
			return nil, err
		}
		if len(protos) >= 64 {
			clear(protos)
		}
		protos[string(schema)] = p
		return p.Clone(), nil
	}
}
