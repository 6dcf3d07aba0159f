package shared

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// OpenAIClient finds what the tests driven by the official openai npm
// package need: node, and the folder $LLMPIPE_OPENAI_NODE_DIR whose
// node_modules holds openai (.ci/run installs it there). Without them it
// skips t, or fails it under CI=true.
func OpenAIClient(t testing.TB) (node, dir string) {
	t.Helper()
	dir = os.Getenv("LLMPIPE_OPENAI_NODE_DIR")
	node, nodeErr := exec.LookPath("node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openai", "package.json")); dir == "" || err != nil || nodeErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node and the openai npm package ($LLMPIPE_OPENAI_NODE_DIR=%q) are needed under CI", dir)
		}
		t.Skip("node or the openai npm package is missing: set LLMPIPE_OPENAI_NODE_DIR (see .ci/run)")
	}
	return node, dir
}
