package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// servedTurn is one streamed chat answer: its text, cached prompt tokens and
// time to its first content.
type servedTurn struct {
	text           string
	prompt, cached int
	ttft           time.Duration
}

// streamChat sends messages as a streaming chat request and collects the
// answer.
func streamChat(t *testing.T, url string, messages []map[string]string, opts map[string]any) servedTurn {
	t.Helper()
	req := map[string]any{"messages": messages, "stream": true, "stream_options": map[string]bool{"include_usage": true}}
	for k, v := range opts {
		req[k] = v
	}
	body, _ := json.Marshal(req)
	start := time.Now()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var turn servedTurn
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || l == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				Prompt  int `json:"prompt_tokens"`
				Details struct {
					Cached int `json:"cached_tokens"`
				} `json:"prompt_tokens_details"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		for _, ch := range c.Choices {
			if (ch.Delta.Content != "" || ch.FinishReason != nil) && turn.ttft == 0 {
				turn.ttft = time.Since(start)
			}
			turn.text += ch.Delta.Content
		}
		if c.Usage != nil {
			turn.prompt, turn.cached = c.Usage.Prompt, c.Usage.Details.Cached
		}
	}
	return turn
}

// TestServePrefixCache: a three-turn chat (each turn re-sending the
// conversation) gives the same answers with the prefix cache as without
// (greedy and seeded), and turns 2 and 3 take the conversation so far from
// the cache. With LLMPIPE_SERVE_PREFIX_MODEL (a model path, or 1 for the
// 110M benchmark model) it runs on that model instead of stories260K and
// logs each turn's time to first token with and without the cache.
func TestServePrefixCache(t *testing.T) {
	path, bench := os.Getenv("LLMPIPE_SERVE_PREFIX_MODEL"), true
	switch path {
	case "":
		path, bench = shared.Path(t, "models/stories260K.gguf"), false
	case "1":
		path = defaultLoadModel
	}
	system := "You are a storyteller. " + strings.Repeat("Tell short and happy stories about animals in a forest, with a friendly ending. ", 5)
	users := []string{"Tell me a story about a cat.", "Now tell me what the dog did next.", "And how did the day end?"}
	const maxTokens = 24
	for _, opts := range []map[string]any{{"temperature": 0}, {"temperature": 0.9, "seed": 3}} {
		var turns [2][]servedTurn
		for k, cache := range []string{"0", "16"} {
			url := startServe(t, "--model", path, "--prefix-cache", cache)
			o := map[string]any{"max_tokens": maxTokens}
			for k, v := range opts {
				o[k] = v
			}
			streamChat(t, url, []map[string]string{{"role": "user", "content": "warm up"}}, map[string]any{"max_tokens": 2}) // pages the weights in
			msgs := []map[string]string{{"role": "system", "content": system}}
			for _, u := range users {
				msgs = append(msgs, map[string]string{"role": "user", "content": u})
				turn := streamChat(t, url, msgs, o)
				turns[k] = append(turns[k], turn)
				msgs = append(msgs, map[string]string{"role": "assistant", "content": turn.text})
			}
		}
		for i := range users {
			off, on := turns[0][i], turns[1][i]
			if off.text != on.text || off.cached != 0 {
				t.Errorf("%v turn %d: %q (cached %d) without the cache, %q with it", opts, i+1, off.text, off.cached, on.text)
			}
			if (i == 0) != (on.cached == 0) {
				t.Errorf("%v turn %d: %d cached tokens", opts, i+1, on.cached)
			}
			if bench {
				t.Logf("%v turn %d: TTFT %v without the cache, %v with it (%d of %d prompt tokens cached)", opts, i+1, off.ttft, on.ttft, on.cached, on.prompt)
			}
		}
	}
}
