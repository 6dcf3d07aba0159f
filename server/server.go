package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// Defaults of Config's zero fields.
const (
	DefaultParallel     = 4
	DefaultQueueSize    = 64
	DefaultPrefillChunk = 256
	DefaultMaxBodyBytes = 4 << 20
	DefaultTimeout      = 10 * time.Minute
	DefaultMaxN         = 8
)

// Config configures a Server. Model and Tokenizer are required.
type Config struct {
	// Model and Tokenizer run the requests. A model that implements
	// model.BatchForwarder runs each step of all active sequences as one
	// batched forward pass; model.Embedder enables /v1/embeddings.
	Model     model.Model
	Tokenizer tokenizer.Tokenizer
	// ModelID is the name /v1/models lists and requests must use (a request
	// without "model" gets this one).
	ModelID string
	// Template renders chat messages; nil uses the plain format (see
	// package doc). TemplateArgs gives its bos_token, eos_token and the other
	// special-token texts (chat.Config.Args).
	Template     *chat.Template
	TemplateArgs chat.Args
	// JSONSchema, when set, turns a JSON schema into a constraint for
	// response_format json_schema (and {"type": "object"} for json_object);
	// nil rejects those formats with a 400. It is called once per choice.
	JSONSchema func(schema []byte) (sample.Constraint, error)
	// Parallel is the most sequences decoded together (default 4); QueueSize
	// the most waiting (default 64; more gets 429).
	Parallel, QueueSize int
	// PrefillChunk is the most prompt ids fed in one step, over all
	// sequences (default 256).
	PrefillChunk int
	// MaxTokens caps max_tokens (0: the context is the only cap).
	MaxTokens int
	// MaxN caps n (default 8).
	MaxN int
	// MaxBodyBytes limits request bodies (default 4 MiB; more gets 413).
	MaxBodyBytes int64
	// Timeout bounds one request's generation (default 10 minutes).
	Timeout time.Duration
	// APIKey, when set, is required as "Authorization: Bearer KEY" on /v1/.
	APIKey string
	// KVF16 keeps the KV caches in float16.
	KVF16 bool
	// PrefixCache is the most finished sequences whose KV caches are kept
	// for later requests (0: none, the cache is off); PrefixCacheBytes
	// bounds their memory too (0: no byte bound; shared chunks count in
	// each sequence). A new prompt starts from the kept sequence that
	// shares the longest prefix of its ids (at least 4), running only the
	// rest; usage reports those ids as prompt_tokens_details.cached_tokens.
	// It needs sequences that implement model.Cloner and model.Truncater.
	PrefixCache      int
	PrefixCacheBytes int64
	// Web, when set, is served at "/" (the chat page).
	Web http.Handler
}

// Server is an OpenAI-compatible HTTP API over one model. Create it with
// New, serve Handler, and end it with Shutdown or Close.
type Server struct {
	cfg      Config
	sched    *scheduler
	metrics  *metrics
	mux      *http.ServeMux
	tools    bool // the template renders tools
	created  int64
	embedMu  sync.Mutex
	closeOne sync.Once
}

// New checks cfg and starts the scheduler.
func New(cfg Config) (*Server, error) {
	if cfg.Model == nil || cfg.Tokenizer == nil {
		return nil, errors.New("server: Config needs a Model and a Tokenizer")
	}
	if cfg.ModelID == "" {
		cfg.ModelID = cfg.Model.Arch()
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Parallel, DefaultParallel)
	def(&cfg.QueueSize, DefaultQueueSize)
	def(&cfg.PrefillChunk, DefaultPrefillChunk)
	def(&cfg.MaxN, DefaultMaxN)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	s := &Server{cfg: cfg, metrics: newMetrics(), created: time.Now().Unix()}
	s.tools = cfg.Template != nil && strings.Contains(cfg.Template.Source(), "tools")
	s.sched = newScheduler(cfg.Model, cfg.Tokenizer, cfg.Parallel, cfg.QueueSize, cfg.PrefillChunk, cfg.KVF16, s.metrics, cfg.PrefixCache, cfg.PrefixCacheBytes)
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", s.api("chat", http.MethodPost, s.handleChat))
	mux.HandleFunc("/v1/completions", s.api("completions", http.MethodPost, s.handleCompletions))
	mux.HandleFunc("/v1/embeddings", s.api("embeddings", http.MethodPost, s.handleEmbeddings))
	mux.HandleFunc("/v1/models", s.api("models", http.MethodGet, s.handleModels))
	mux.HandleFunc("/v1/models/{id}", s.api("models", http.MethodGet, s.handleModel))
	mux.HandleFunc("/v1/", s.api("other", "", func(w http.ResponseWriter, r *http.Request) *apiError {
		return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path), Type: "invalid_request_error"}
	}))
	mux.HandleFunc("/health", s.handleHealth)
	mux.HandleFunc("/metrics", s.handleMetrics)
	if cfg.Web != nil {
		mux.Handle("/", cfg.Web)
	}
	s.mux = mux
	return s, nil
}

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.mux }

// Shutdown stops admitting requests (new ones get 503) and waits until the
// running and queued ones finish or ctx ends; then it cancels what is left
// (Close).
func (s *Server) Shutdown(ctx context.Context) error {
	s.sched.drain()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for !s.sched.idle() {
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-t.C:
		}
	}
	s.Close()
	return nil
}

// Close cancels every queued and running sequence (their requests end with
// an error) and stops the scheduler.
func (s *Server) Close() {
	s.closeOne.Do(s.sched.close)
}

// statusWriter records the status code for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// api wraps an endpoint: method check, API key, body limit, metrics, and
// the error shape.
func (s *Server) api(name, method string, h func(http.ResponseWriter, *http.Request) *apiError) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() { s.metrics.request(name, sw.code) }()
		if s.cfg.APIKey != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIKey)) != 1 {
				writeError(sw, &apiError{Status: http.StatusUnauthorized, Message: "missing or wrong API key (Authorization: Bearer KEY)",
					Type: "invalid_request_error", Code: strp("invalid_api_key")})
				return
			}
		}
		if method != "" && r.Method != method {
			sw.Header().Set("Allow", method)
			writeError(sw, &apiError{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("%s needs %s, not %s", r.URL.Path, method, r.Method), Type: "invalid_request_error"})
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
		if e := h(sw, r); e != nil {
			writeError(sw, e)
		}
	}
}

// readBody reads the request body within the size limit.
func (s *Server) readBody(r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body exceeds the limit of %d bytes", mbe.Limit), Type: "invalid_request_error"}
	}
	if err != nil {
		return nil, invalid("", "reading the request body: %v", err)
	}
	return b, nil
}

// checkModel accepts the served model's id (or none).
func (s *Server) checkModel(name *string) *apiError {
	if name == nil || *name == s.cfg.ModelID {
		return nil
	}
	return &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("the model %q does not exist; this server serves %q", *name, s.cfg.ModelID),
		Type: "invalid_request_error", Param: strp("model"), Code: strp("model_not_found")}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	s.sched.mu.Lock()
	down := s.sched.draining || s.sched.closed
	s.sched.mu.Unlock()
	if down {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"shutting down"}`+"\n") //nolint:errcheck
		return
	}
	io.WriteString(w, `{"status":"ok"}`+"\n") //nolint:errcheck
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w)
}

func (s *Server) modelObject() map[string]any {
	return map[string]any{"id": s.cfg.ModelID, "object": "model", "created": s.created, "owned_by": "llmpipe"}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, map[string]any{"object": "list", "data": []any{s.modelObject()}})
	return nil
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) *apiError {
	id := r.PathValue("id")
	if e := s.checkModel(&id); e != nil {
		return e
	}
	writeJSON(w, s.modelObject())
	return nil
}

// newID returns prefix and 24 random hex digits.
func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
	return prefix + hex.EncodeToString(b[:])
}
