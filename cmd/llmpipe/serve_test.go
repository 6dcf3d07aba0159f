package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/server"
)

// startServe runs `llmpipe serve` in-process on a free port and returns its
// base URL; the server is shut down (as by SIGTERM) when the test ends, and
// the command must then return nil.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	cmd.SetErr(pw)
	cmd.SetOut(io.Discard)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); pw.Close() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		close(addr)
	}()
	var url string
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("serve ended: %v", <-done)
		}
		url = u
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not shut down")
		}
	})
	return url
}

type serveChoice struct {
	Text    string `json:"text"`
	Message struct {
		Content string `json:"content"`
	} `json:"message"`
	FinishReason string `json:"finish_reason"`
}

type serveResult struct {
	Choices []serveChoice `json:"choices"`
	Usage   struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func servePost(t *testing.T, url, body string) serveResult {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return serveResult{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r serveResult
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil || len(r.Choices) == 0 {
		t.Errorf("%s: %d %s", body, resp.StatusCode, b)
	}
	return r
}

// TestServeMatchesRun: on stories260K, greedy completions of four prompts
// sent at once (so decoded in one batch) each equal `llmpipe run`'s text,
// with usage counts equal to its token counts; a chat request equals run on
// the plain format; a seeded sampled completion equals run with the seed.
func TestServeMatchesRun(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	url := startServe(t, "--model", path, "--parallel", "4")
	prompts := []string{"Once upon a time", "The little dog", "Lily and Ben went to the park. They saw a big", "One day"}
	got := make([]serveResult, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = servePost(t, url+"/v1/completions", fmt.Sprintf(`{"prompt":%q,"max_tokens":48,"temperature":0}`, p))
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, p := range prompts {
		want := runResultOf(t, "--model", path, "--prompt", p, "--max-tokens", "48")
		g := got[i]
		if g.Choices[0].Text != want.Text || g.Choices[0].FinishReason != want.FinishReason ||
			g.Usage.PromptTokens != len(want.PromptIDs) || g.Usage.CompletionTokens != len(want.IDs) {
			t.Errorf("prompt %q:\nserve %q (%s, usage %+v)\nrun   %q (%s, %d+%d ids)", p, g.Choices[0].Text, g.Choices[0].FinishReason, g.Usage,
				want.Text, want.FinishReason, len(want.PromptIDs), len(want.IDs))
		}
	}
	msgs := []chat.Message{chat.NewMessage("user", "Tell me a story")}
	c := servePost(t, url+"/v1/chat/completions", `{"messages":[{"role":"user","content":"Tell me a story"}],"max_tokens":40,"temperature":0}`)
	want := runResultOf(t, "--model", path, "--prompt", server.PlainFormat(msgs), "--max-tokens", "40")
	if c.Choices[0].Message.Content != want.Text || c.Usage.PromptTokens != len(want.PromptIDs) {
		t.Errorf("chat: serve %q, run %q", c.Choices[0].Message.Content, want.Text)
	}
	// the chat page is mounted at /
	if resp, err := http.Get(url + "/"); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	s := servePost(t, url+"/v1/completions", `{"prompt":"Once upon a time","max_tokens":40,"temperature":0.8,"seed":42}`)
	want = runResultOf(t, "--model", path, "--prompt", "Once upon a time", "--max-tokens", "40", "--temperature", "0.8", "--seed", "42")
	if s.Choices[0].Text != want.Text {
		t.Errorf("seed 42: serve %q, run %q", s.Choices[0].Text, want.Text)
	}
}

func TestServeFlagErrors(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	for _, args := range [][]string{
		{"serve", "--tokenizer", "tok512.bin"}, // no --model: the built-in model, which has its own tokenizer
		{"serve", "--model", path, "--ctx", "100000"},
		{"serve", "--model", path, "--parallel", "-1"},
		{"serve", "--model", path, "--addr", "256.0.0.1:99999"},
	} {
		if _, err := runCLI(t, "", args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
