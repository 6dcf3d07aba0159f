package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// fakeAPI is an OpenAI-compatible chat endpoint that streams a fixed reply
// per request, recording each request body.
type fakeAPI struct {
	mu       sync.Mutex
	requests []map[string]any
	replies  [][]string // the content pieces of each reply, in order
	// cancelled counts requests whose client went away mid-stream.
	cancelled int
}

func (f *fakeAPI) chat(w http.ResponseWriter, r *http.Request) {
	var req map[string]any
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	n := len(f.requests)
	f.mu.Unlock()
	msgs, _ := req["messages"].([]any)
	last, _ := msgs[len(msgs)-1].(map[string]any)
	if last["content"] == "please fail" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"message":"unsupported field: logit_bias_x","type":"invalid_request_error","param":"logit_bias_x","code":null}}`)
		return
	}
	pieces := f.replies[(n-1)%len(f.replies)]
	if last["content"] == "tell a long story" {
		pieces = slices.Repeat([]string{" and", " then"}, 100) // 8 s at 40 ms a piece: the page stops it
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl := w.(http.Flusher)
	send := func(v string) {
		fmt.Fprintf(w, "data: %s\n\n", v)
		fl.Flush()
	}
	chunk := func(delta, finish string) string {
		fin := "null"
		if finish != "" {
			fin = `"` + finish + `"`
		}
		return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"fake","choices":[{"index":0,"delta":%s,"finish_reason":%s}]}`, delta, fin)
	}
	send(chunk(`{"role":"assistant","content":""}`, ""))
	for _, p := range pieces {
		select {
		case <-time.After(40 * time.Millisecond):
		case <-r.Context().Done(): // the page stopped the request
			f.mu.Lock()
			f.cancelled++
			f.mu.Unlock()
			return
		}
		b, _ := json.Marshal(p)
		send(chunk(`{"content":`+string(b)+`}`, ""))
	}
	send(chunk(`{}`, "stop"))
	if so, _ := req["stream_options"].(map[string]any); so["include_usage"] == true {
		send(fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"fake","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":%d,"total_tokens":%d}}`, len(pieces), 9+len(pieces)))
	}
	send("[DONE]")
}

func (f *fakeAPI) models(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"object":"list","data":[{"id":"fake-model","object":"model","created":1,"owned_by":"llmpipe"}]}`)
}

// TestBrowser loads the page in headless Chromium against a fake streaming
// API, has two exchanges, stops a third reply and shows an error, and saves a screenshot to
// $LLMPIPE_TEST_OUT (or the test's temporary folder).
func TestBrowser(t *testing.T) {
	chromium, node, modules := shared.Browser(t)
	api := &fakeAPI{replies: [][]string{
		{"Once", " upon", " a", " time", "."},
		{"The", " end", "!"},
	}}
	mux := http.NewServeMux()
	mux.Handle("/", Handler())
	mux.HandleFunc("/v1/chat/completions", api.chat)
	mux.HandleFunc("GET /v1/models", api.models)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	out := os.Getenv("LLMPIPE_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(out, "web-chat.png")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "e2e.mjs"))
	cmd.Env = append(os.Environ(),
		"E2E_URL="+srv.URL+"/",
		"E2E_SCREENSHOT="+shot,
		"E2E_CHROMIUM="+chromium,
		"LLMPIPE_NODE_MODULES="+modules,
		`E2E_MESSAGES=["Tell me a story","And then?"]`,
		`E2E_EXPECT=["Once upon a time.","The end!"]`,
		"E2E_SYSTEM=You are terse.",
		"E2E_TEMPERATURE=0.5",
		"E2E_MAX_TOKENS=64",
		"E2E_STOP_MESSAGE=tell a long story",
		"E2E_ERROR_MESSAGE=please fail",
		"E2E_ERROR_TEXT=unsupported field: logit_bias_x (invalid_request_error)",
	)
	b, err := cmd.CombinedOutput()
	t.Logf("e2e.mjs:\n%s", b)
	if err != nil {
		t.Fatalf("e2e.mjs: %v (screenshot, if any: %s)", err, shot)
	}
	t.Logf("screenshot saved to %s", shot)
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}

	srv.Close() // waits for the handlers: the stopped stream has seen its cancellation

	// What the page sent: the whole conversation each time, the system
	// prompt first, the settings, and a streaming request with usage.
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.requests) != 4 {
		t.Fatalf("the page made %d chat requests, want 4", len(api.requests))
	}
	if api.cancelled != 1 {
		t.Errorf("%d streams were cancelled by the client, want 1 (the stopped one)", api.cancelled)
	}
	type msg struct{ Role, Content string }
	wantMsgs := [][]msg{
		{{"system", "You are terse."}, {"user", "Tell me a story"}},
		{{"system", "You are terse."}, {"user", "Tell me a story"}, {"assistant", "Once upon a time."}, {"user", "And then?"}},
	}
	for i, want := range wantMsgs {
		req := api.requests[i]
		var got []msg
		raw, _ := json.Marshal(req["messages"])
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("request %d: messages: %v", i+1, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("request %d: messages %v, want %v", i+1, got, want)
		}
		so, _ := req["stream_options"].(map[string]any)
		if req["stream"] != true || so["include_usage"] != true {
			t.Errorf("request %d: stream %v, stream_options %v; want true, include_usage", i+1, req["stream"], req["stream_options"])
		}
		if req["model"] != "fake-model" || req["temperature"] != 0.5 || req["top_p"] != 1.0 || req["max_tokens"] != 64.0 {
			t.Errorf("request %d: model %v temperature %v top_p %v max_tokens %v; want fake-model, 0.5, 1, 64",
				i+1, req["model"], req["temperature"], req["top_p"], req["max_tokens"])
		}
		if _, ok := req["seed"]; ok {
			t.Errorf("request %d: sent a seed though the box was empty", i+1)
		}
	}
	// The stopped reply's text stays in the conversation: the failing
	// request carries system, 3 exchanges and its message.
	if last := api.requests[3]["messages"].([]any); len(last) != 8 {
		t.Errorf("the failing request carried %d messages, want 8", len(last))
	}
	if !strings.Contains(string(b), "stopped reply: ") {
		t.Error("the long reply was not stopped with the Stop button")
	}
	if strings.Contains(string(b), "outside its origin") {
		t.Error("the page fetched from outside its origin")
	}
}
