package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/server"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// TestServeOpenAIClient drives `llmpipe serve` on stories260K with the
// official openai npm package (testdata/serve_openai.mjs; .ci/run installs
// the package into $LLMPIPE_OPENAI_NODE_DIR), then checks what the client
// saw against our tokenizer and `llmpipe run`. Without the package the test
// skips, and fails under CI=true.
func TestServeOpenAIClient(t *testing.T) {
	node, dir := shared.OpenAIClient(t)
	path := shared.Path(t, "models/stories260K.gguf")
	url := startServe(t, "--model", path, "--parallel", "4", "--api-key", "test-key")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script, _ := filepath.Abs("testdata/serve_openai.mjs")
	cmd := exec.CommandContext(ctx, node, script, url, "stories260K")
	cmd.Env = append(os.Environ(), "LLMPIPE_OPENAI_NODE_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	type usage struct {
		Prompt     int `json:"prompt_tokens"`
		Completion int `json:"completion_tokens"`
	}
	var got struct {
		Chat, Completion struct {
			Text  string `json:"text"`
			Usage usage  `json:"usage"`
		}
		Seeded, Stopped, JSON string
		Cached                []int // the chat's cached prompt tokens: first time, then streamed again
		EmbeddingDims         int   `json:"embeddingDims"`
		EmbeddingUsage        struct {
			Prompt int `json:"prompt_tokens"`
		} `json:"embeddingUsage"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	_, tok, closeModel, err := loadRunModel(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	count := func(text string) int {
		ids, err := tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}
	plain := server.PlainFormat([]chat.Message{chat.NewMessage("user", "Tell me a story")})
	if got.Chat.Usage.Prompt != count(plain) || got.Completion.Usage.Prompt != count("Once upon a time") ||
		got.EmbeddingUsage.Prompt != count("Once upon a time")+count("The dog") {
		t.Errorf("usage: chat %+v (want %d prompt tokens), completion %+v (want %d), embeddings %d", got.Chat.Usage, count(plain),
			got.Completion.Usage, count("Once upon a time"), got.EmbeddingUsage.Prompt)
	}
	if len(got.Cached) != 2 || got.Cached[0] != 0 || got.Cached[1] != count(plain)-1 {
		t.Errorf("cached tokens %v, want [0 %d] (the prefix cache holds the first chat's sequence)", got.Cached, count(plain)-1)
	}
	want := runResultOf(t, "--model", path, "--prompt", "Once upon a time", "--max-tokens", "40")
	if got.Completion.Text != want.Text || got.Completion.Usage.Completion != len(want.IDs) {
		t.Errorf("completion %q (%d tokens), run %q (%d)", got.Completion.Text, got.Completion.Usage.Completion, want.Text, len(want.IDs))
	}
	want = runResultOf(t, "--model", path, "--prompt", plain, "--max-tokens", "30")
	if got.Chat.Text != want.Text {
		t.Errorf("chat %q, run %q", got.Chat.Text, want.Text)
	}
	if got.EmbeddingDims != 64 {
		t.Errorf("embedding dims %d, want stories260K's 64", got.EmbeddingDims)
	}
	t.Logf("seeded %q; stopped %q; json %s", got.Seeded, got.Stopped, got.JSON)
}
