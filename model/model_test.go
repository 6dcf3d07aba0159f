package model

import (
	"bytes"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
)

func ggufWithArch(t *testing.T, arch string) *gguf.File {
	t.Helper()
	f := &gguf.File{}
	if arch != "" {
		f.KV = []gguf.KV{{Key: "general.architecture", Value: gguf.MustValue(arch)}}
	}
	var buf bytes.Buffer
	if _, err := gguf.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	g, err := gguf.Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestRegistryUnknownArch(t *testing.T) {
	loaded := false
	r := NewRegistry(Arch{Name: "llama", Load: func(*gguf.File) (Model, error) { loaded = true; return nil, nil }})
	_, err := r.Load(ggufWithArch(t, "mamba9"))
	if err == nil || !strings.Contains(err.Error(), `"mamba9"`) || !strings.Contains(err.Error(), "llama") {
		t.Errorf("unknown arch: err = %v", err)
	}
	if _, err := r.Load(ggufWithArch(t, "")); err == nil || !strings.Contains(err.Error(), "general.architecture") {
		t.Errorf("no arch: err = %v", err)
	}
	if _, err := r.Load(ggufWithArch(t, "llama")); err != nil || !loaded {
		t.Errorf("llama: err = %v, loaded = %v", err, loaded)
	}
}
