package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/format/safetensors"
)

type testConfig struct {
	Layers int    `json:"layers"`
	Dim    int    `json:"dim"`
	Arch   string `json:"arch"`
}

type testMeta struct {
	Step int       `json:"step"`
	RNG  [2]uint64 `json:"rng"`
	LR   float64   `json:"lr"`
}

func testState(seed uint64) State {
	rng := rand.New(rand.NewPCG(seed, 1))
	mk := func(name string, shape ...int) Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return Tensor{Name: name, Shape: shape, Data: v}
	}
	return State{
		Config:  testConfig{Layers: 2, Dim: 8, Arch: "llama"},
		Meta:    testMeta{Step: int(seed), RNG: [2]uint64{seed, 7}, LR: 3e-4},
		Tensors: []Tensor{mk("w.b", 8, 4), mk("adam.m.w.b", 8, 4), mk("norm", 8), mk("scalar")},
	}
}

func requireEqual(t *testing.T, l *Loaded, s State) {
	t.Helper()
	if len(l.Tensors) != len(s.Tensors) {
		t.Fatalf("%d tensors, want %d", len(l.Tensors), len(s.Tensors))
	}
	for _, want := range s.Tensors {
		got, ok := l.Tensor(want.Name)
		if !ok {
			t.Fatalf("tensor %q missing", want.Name)
		}
		if !slices.Equal(got.Shape, want.Shape) || !slices.Equal(got.Data, want.Data) {
			t.Fatalf("tensor %q: shape %v (want %v) or values differ", want.Name, got.Shape, want.Shape)
		}
	}
	var m testMeta
	if err := l.DecodeMeta(&m); err != nil {
		t.Fatal(err)
	}
	if m != s.Meta.(testMeta) {
		t.Fatalf("meta %+v, want %+v", m, s.Meta)
	}
}

func TestSaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	s := testState(1)
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path, testConfig{Layers: 2, Dim: 8, Arch: "llama"})
	if err != nil {
		t.Fatal(err)
	}
	requireEqual(t, l, s)
	// The same config as a map with another key order is the same config.
	if _, err := Load(path, map[string]any{"arch": "llama", "dim": 8.0, "layers": 2}); err != nil {
		t.Errorf("same config as a map: %v", err)
	}
	if _, err := Load(path, nil); err != nil {
		t.Errorf("no config check: %v", err)
	}
	// The file is a plain safetensors file other tools can read.
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestConfigMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	if err := Save(path, testState(1)); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, testConfig{Layers: 4, Dim: 8, Arch: "gpt2"})
	if !errors.Is(err, ErrConfigMismatch) {
		t.Fatalf("err %v, want ErrConfigMismatch", err)
	}
	for _, want := range []string{"layers: checkpoint 2, want 4", `arch: checkpoint "llama", want "gpt2"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	_, err = Load(path, map[string]any{"layers": 2, "dim": 8, "arch": "llama", "heads": 4})
	if !errors.Is(err, ErrConfigMismatch) || !strings.Contains(err.Error(), "heads: absent in the checkpoint") {
		t.Errorf("extra field: %v", err)
	}
}

// failAfter is a writer that fails after n bytes, like a process killed or
// a disk filling up mid-write.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("injected write failure")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestFailedSaveKeepsPrevious: a save that fails at any byte leaves the
// previous checkpoint intact and loadable, and no temporary file.
func TestFailedSaveKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := testState(1)
	if err := Save(path, old); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	for _, n := range []int{0, 1, 8, 100, len(before) / 2, len(before) - 1} {
		err := save(path, testState(2), func(w io.Writer) io.Writer { return &failAfter{w: w, n: n} })
		if err == nil || !strings.Contains(err.Error(), "injected") {
			t.Fatalf("fail after %d bytes: err %v", n, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
			t.Fatalf("fail after %d bytes: the previous checkpoint changed", n)
		}
		l, err := Load(path, old.Config)
		if err != nil {
			t.Fatal(err)
		}
		requireEqual(t, l, old)
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Fatalf("fail after %d bytes: folder holds %d entries", n, len(ents))
		}
	}
}

func TestCorrupt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := Save(path, testState(1)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	flipped := slices.Clone(b)
	flipped[len(flipped)-3] ^= 0x40
	var plain bytes.Buffer
	safetensors.Write(&plain, []safetensors.WriteTensor{{Name: "x", DType: safetensors.F32, Shape: []uint64{1}, Data: make([]byte, 4)}}, nil)
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, ""},
		{"truncated", b[:len(b)-10], ""},
		{"flipped bit", flipped, "sha256"},
		{"not a checkpoint", plain.Bytes(), "not an llmpipe checkpoint"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
		os.WriteFile(p, tc.b, 0o644)
		_, err := Load(p, nil)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want ErrCorrupt containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("missing file: no error")
	}
	bad := testState(1)
	bad.Tensors[0].Shape = []int{3, 3}
	if err := Save(path, bad); err == nil || !strings.Contains(err.Error(), "needs 9 values") {
		t.Errorf("bad shape: %v", err)
	}
	dup := testState(1)
	dup.Tensors[1].Name = dup.Tensors[0].Name
	if err := Save(path, dup); err == nil {
		t.Error("duplicate names: no error")
	}
}

// TestKill9 runs a child process that saves checkpoints in a loop and kills
// it with SIGKILL at random moments: the file under the final name always
// loads and is one of the saved states.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := Save(path, testState(0)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$")
		cmd.Env = append(os.Environ(), "CHECKPOINT_KILL9_PATH="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL on Unix
		cmd.Wait()
		l, err := Load(path, testConfig{Layers: 2, Dim: 8, Arch: "llama"})
		if err != nil {
			t.Fatalf("round %d: after kill -9: %v", round, err)
		}
		var m testMeta
		if err := l.DecodeMeta(&m); err != nil {
			t.Fatal(err)
		}
		requireEqual(t, l, testState(uint64(m.Step)))
		t.Logf("round %d: killed after step %d; checkpoint intact", round, m.Step)
	}
}

// TestKill9Child is TestKill9's child: it saves forever.
func TestKill9Child(t *testing.T) {
	path := os.Getenv("CHECKPOINT_KILL9_PATH")
	if path == "" {
		t.Skip("run by TestKill9")
	}
	for step := uint64(1); ; step++ {
		if err := Save(path, testState(step)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
