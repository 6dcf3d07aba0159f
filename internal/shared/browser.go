package shared

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Browser finds what the headless-browser tests need: Chromium
// ($E2E_CHROMIUM or /usr/bin/chromium), node, and a node_modules folder
// holding playwright-core ($LLMPIPE_NODE_MODULES, which .ci/run sets after
// installing it). A missing tool skips t, or fails it under CI=true.
func Browser(t testing.TB) (chromium, node, modules string) {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := "browser test: missing " + what + " (.ci/run installs it: apt-get install chromium; npm install playwright-core, with LLMPIPE_NODE_MODULES set)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chromium = os.Getenv("E2E_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node")
	}
	modules = os.Getenv("LLMPIPE_NODE_MODULES")
	if modules == "" {
		missing("LLMPIPE_NODE_MODULES")
	}
	if _, err := os.Stat(filepath.Join(modules, "playwright-core", "package.json")); err != nil {
		missing("playwright-core in " + modules)
	}
	return chromium, node, modules
}
