// Package shared locates the shared test data (../shared/data: real models,
// tokenizers, corpora and reference outputs made by independent tools) for tests.
//
// Tests call [Dir] or [Path]: when the data is absent they skip with a
// message, except under CI=true, where absence is a failure.
package shared

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar overrides the location of the shared data folder.
const EnvVar = "LLMPIPE_SHARED"

// root returns the candidate data folder: $LLMPIPE_SHARED, or ../shared/data
// beside the repository root.
func root() string {
	if d := os.Getenv(EnvVar); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// file is <repo>/internal/shared/shared.go.
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	return filepath.Join(filepath.Dir(repo), "shared", "data")
}

// Dir returns the shared data folder, or skips t (fails under CI=true) when it
// is missing.
func Dir(t testing.TB) string {
	t.Helper()
	d := root()
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		missing(t, d)
	}
	return d
}

// Path returns the path of rel (slash-separated) inside the shared data
// folder, or skips t (fails under CI=true) when that file is missing.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, p)
	}
	return p
}

func missing(t testing.TB, p string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared data %s is missing (CI=true requires it; set %s to its folder)", p, EnvVar)
	}
	t.Skipf("shared data %s is missing; set %s to run this test", p, EnvVar)
}
