package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/internal/shared"
)

// TestServeBrowser: the chat page of a real `llmpipe serve` on stories260K,
// in headless Chromium (server/web/testdata/e2e.mjs through playwright-core):
// it loads /, sends two messages, sees each streamed reply appear and end,
// and saves a screenshot ($LLMPIPE_TEST_OUT/web-chat-serve.png, or the
// test's temporary folder). The tools are installed by .ci/run; without them
// the test skips, or fails under CI=true.
func TestServeBrowser(t *testing.T) {
	chromium, node, modules := shared.Browser(t)
	url := startServe(t, "--model", shared.Path(t, "models/stories260K.gguf"), "--parallel", "2")

	out := os.Getenv("LLMPIPE_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(out, "web-chat-serve.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("..", "..", "server", "web", "testdata", "e2e.mjs"))
	cmd.Env = append(os.Environ(),
		"E2E_URL="+url+"/",
		"E2E_SCREENSHOT="+shot,
		"E2E_CHROMIUM="+chromium,
		"LLMPIPE_NODE_MODULES="+modules,
		`E2E_MESSAGES=["Once upon a time","What did Lily see?"]`,
		"E2E_MAX_TOKENS=40",
	)
	b, err := cmd.CombinedOutput()
	t.Logf("e2e.mjs:\n%s", b)
	if err != nil {
		t.Fatalf("e2e.mjs against llmpipe serve: %v (screenshot, if any: %s)", err, shot)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot saved to %s", shot)
}
