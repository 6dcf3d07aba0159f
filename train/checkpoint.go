package train

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// CheckpointFile is the checkpoint's file name inside the output folder.
const CheckpointFile = "checkpoint.bin"

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
	Step      int           `json:"step"`   // optimizer steps taken
	RNG       []byte        `json:"rng"`    // the batch sampler's PCG state
	Tokens    int64         `json:"tokens"` // training tokens seen
	Seconds   float64       `json:"elapsed_s"`
	Tokenizer TokenizerSpec `json:"tokenizer"`
	History   []Metric      `json:"history"`
}

// Checkpoint is everything a resumed run needs: the metadata, the named
// parameters and the optimizer state.
type Checkpoint struct {
	Meta      Meta
	Names     []string
	Tensors   [][]float32
	Shapes    [][2]int
	Optimizer []byte
}

// Store saves and loads checkpoints in a folder. Save must be atomic: a
// crash at any moment leaves the previous checkpoint or the new one.
type Store interface {
	Save(dir string, ck *Checkpoint) error
	Load(dir string) (*Checkpoint, error)
}

// FileStore keeps a checkpoint in one file, CheckpointFile: the magic
// "LLMPCKP1", a little-endian uint64 header length, the JSON header
// (metadata, tensor names and shapes, optimizer state length), the
// optimizer state, then every tensor's float32 values, little-endian. It is
// written to a temporary file in the same folder, synced and renamed over
// the old one.
type FileStore struct{}

const ckMagic = "LLMPCKP1"

type ckHeader struct {
	Meta      Meta     `json:"meta"`
	Names     []string `json:"names"`
	Shapes    [][2]int `json:"shapes"`
	Optimizer int      `json:"optimizer_bytes"`
}

// Save implements Store.
func (FileStore) Save(dir string, ck *Checkpoint) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: checkpoint folder: %w", err)
	}
	hdr, err := json.Marshal(ckHeader{Meta: ck.Meta, Names: ck.Names, Shapes: ck.Shapes, Optimizer: len(ck.Optimizer)})
	if err != nil {
		return fmt.Errorf("train: checkpoint header: %w", err)
	}
	return writeAtomic(filepath.Join(dir, CheckpointFile), func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(ckMagic)
		binary.Write(bw, binary.LittleEndian, uint64(len(hdr)))
		bw.Write(hdr)
		bw.Write(ck.Optimizer)
		var b [4]byte
		for _, t := range ck.Tensors {
			for _, v := range t {
				binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
				bw.Write(b[:])
			}
		}
		return bw.Flush()
	})
}

// Load implements Store. A missing checkpoint is an error wrapping
// os.ErrNotExist.
func (FileStore) Load(dir string) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	bad := func(what string) error { return fmt.Errorf("train: checkpoint %s: %s", path, what) }
	if len(data) < len(ckMagic)+8 || string(data[:len(ckMagic)]) != ckMagic {
		return nil, bad("not an llmpipe checkpoint (bad magic)")
	}
	data = data[len(ckMagic):]
	n := binary.LittleEndian.Uint64(data)
	data = data[8:]
	if n > uint64(len(data)) {
		return nil, bad("header length past the end of the file")
	}
	var h ckHeader
	dec := json.NewDecoder(bytes.NewReader(data[:n]))
	if err := dec.Decode(&h); err != nil {
		return nil, bad("header: " + err.Error())
	}
	data = data[n:]
	if len(h.Names) != len(h.Shapes) || h.Optimizer < 0 || h.Optimizer > len(data) {
		return nil, bad("inconsistent header")
	}
	ck := &Checkpoint{Meta: h.Meta, Names: h.Names, Shapes: h.Shapes}
	ck.Optimizer = append([]byte(nil), data[:h.Optimizer]...)
	data = data[h.Optimizer:]
	for i, s := range h.Shapes {
		if s[0] < 0 || s[1] < 0 || int64(s[0])*int64(s[1])*4 > int64(len(data)) {
			return nil, bad(fmt.Sprintf("tensor %q [%d, %d] runs past the end of the file", h.Names[i], s[0], s[1]))
		}
		t := make([]float32, s[0]*s[1])
		for j := range t {
			t[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*j:]))
		}
		data = data[4*len(t):]
		ck.Tensors = append(ck.Tensors, t)
	}
	if len(data) != 0 {
		return nil, bad(fmt.Sprintf("%d bytes after the last tensor", len(data)))
	}
	return ck, nil
}

// HasCheckpoint reports whether dir holds a checkpoint written by FileStore.
func HasCheckpoint(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, CheckpointFile))
	return err == nil
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

// errNoCheckpoint is returned by a resume from a folder without one.
var errNoCheckpoint = errors.New("no checkpoint to resume from")

// LoadModel rebuilds the model saved in dir's checkpoint (for llmpipe run,
// the exporters and sampling), with the checkpoint's metadata.
func LoadModel(store Store, dir string) (*Model, *Meta, error) {
	if store == nil {
		store = FileStore{}
	}
	ck, err := store.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := NewModel(ck.Meta.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("train: checkpoint in %s: %w", dir, err)
	}
	names, params := m.Names(), m.Params()
	if len(ck.Names) != len(names) {
		return nil, nil, fmt.Errorf("train: checkpoint in %s has %d tensors, its config %d", dir, len(ck.Names), len(names))
	}
	for i, p := range params {
		if ck.Names[i] != names[i] || len(ck.Tensors[i]) != len(p.Data) {
			return nil, nil, fmt.Errorf("train: checkpoint in %s: tensor %d is %q, want %q [%d %d]", dir, i, ck.Names[i], names[i], p.Rows, p.Cols)
		}
		copy(p.Data, ck.Tensors[i])
	}
	return m, &ck.Meta, nil
}
