package train

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/llmpipe/llmpipe/checkpoint"
)

// CheckpointFile is the checkpoint's file name inside the output folder.
const CheckpointFile = "checkpoint.safetensors"

// TokenizerSpec says how the training text was tokenized, so a resumed run
// and the runtime tokenize the same way.
type TokenizerSpec struct {
	Kind  string `json:"kind"`            // "bytes", "chars" or "file"
	Chars string `json:"chars,omitempty"` // chars: the vocabulary, in id order
	Path  string `json:"path,omitempty"`  // file: the tokenizer.json it was loaded from
}

// Metric is one logged step.
type Metric struct {
	Step    int      `json:"step"`
	Loss    float64  `json:"loss"`
	ValLoss *float64 `json:"val_loss,omitempty"`
	TokS    float64  `json:"tok_s"`
	LR      float64  `json:"lr"`
	Seconds float64  `json:"elapsed_s"`
}

// Meta is a checkpoint's JSON metadata.
type Meta struct {
	Config    Config        `json:"config"`
	Step      int           `json:"step"`       // optimizer steps taken
	AdamSteps int64         `json:"adam_steps"` // AdamW's t (bias correction)
	RNG       []byte        `json:"rng"`        // the batch sampler's PCG state
	Tokens    int64         `json:"tokens"`     // training tokens seen
	Seconds   float64       `json:"elapsed_s"`
	Tokenizer TokenizerSpec `json:"tokenizer"`
	History   []Metric      `json:"history"`
	// Settings are the caller's own record of how the run was started
	// (llmpipe train: its flags), saved as given (Options.Settings).
	Settings map[string]string `json:"settings,omitempty"`
}

// Checkpoint is everything a resumed run needs: the metadata and the named
// tensors (the parameters under their GGUF-style names, then AdamW's
// moments as "adam.m.NAME" and "adam.v.NAME").
type Checkpoint struct {
	Meta    Meta
	Tensors []checkpoint.Tensor
}

// Store saves and loads checkpoints in a folder. Save must be atomic: a
// crash at any moment leaves the previous checkpoint or the new one. Load
// with a non-nil want refuses a checkpoint of another Config.
type Store interface {
	Save(dir string, ck *Checkpoint) error
	Load(dir string, want *Config) (*Checkpoint, error)
}

// FileStore keeps a checkpoint in dir/CheckpointFile through package
// checkpoint: one safetensors file (the Config and Meta as JSON metadata,
// the tensors' sha256 checked on load), written to a temporary file, synced
// and renamed over the old one.
type FileStore struct{}

// Save implements Store.
func (FileStore) Save(dir string, ck *Checkpoint) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint folder: %w", err)
	}
	return checkpoint.Save(filepath.Join(dir, CheckpointFile), checkpoint.State{
		Config: ck.Meta.Config, Meta: ck.Meta, Tensors: ck.Tensors})
}

// Load implements Store. A missing checkpoint is an error wrapping
// os.ErrNotExist; one of another config wraps checkpoint.ErrConfigMismatch
// and names the fields that differ.
func (FileStore) Load(dir string, want *Config) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var wantCfg any
	if want != nil {
		wantCfg = *want
	}
	l, err := checkpoint.Load(path, wantCfg)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	ck := &Checkpoint{Tensors: l.Tensors}
	if err := l.DecodeMeta(&ck.Meta); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return ck, nil
}

// HasCheckpoint reports whether dir holds a checkpoint written by FileStore.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CheckpointFile))
	return err == nil
}

// tensorIndex maps a checkpoint's tensor names to their position.
func tensorIndex(ck *Checkpoint) map[string]int {
	idx := make(map[string]int, len(ck.Tensors))
	for i, t := range ck.Tensors {
		idx[t.Name] = i
	}
	return idx
}

// loadParams copies the checkpoint's tensors into m's parameters, checking
// every name and shape.
func loadParams(ck *Checkpoint, m *Model) error {
	idx := tensorIndex(ck)
	for i, p := range m.Params() {
		name := m.Names()[i]
		j, ok := idx[name]
		if !ok {
			return fmt.Errorf("the checkpoint has no tensor %q", name)
		}
		t := ck.Tensors[j]
		if len(t.Shape) != 2 || t.Shape[0] != p.Rows || t.Shape[1] != p.Cols {
			return fmt.Errorf("tensor %q is %v in the checkpoint, [%d %d] in the model", name, t.Shape, p.Rows, p.Cols)
		}
		copy(p.Data, t.Data)
	}
	return nil
}

// LoadModel rebuilds the model saved in dir's checkpoint (for llmpipe run,
// the exporters and sampling), with the checkpoint's metadata.
func LoadModel(store Store, dir string) (*Model, *Meta, error) {
	if store == nil {
		store = FileStore{}
	}
	ck, err := store.Load(dir, nil)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewModel(ck.Meta.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("train: checkpoint in %s: %w", dir, err)
	}
	if err := loadParams(ck, m); err != nil {
		return nil, nil, fmt.Errorf("train: checkpoint in %s: %w", dir, err)
	}
	return m, &ck.Meta, nil
}

// writeAtomic writes path through a temporary file in its folder, synced
// and renamed over path, so readers see the old file or the whole new one.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("train: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if d, e := os.Open(filepath.Dir(path)); e == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
