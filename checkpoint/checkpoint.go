package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/llmpipe/llmpipe/format/safetensors"
)

// Metadata keys in the safetensors header.
const (
	keyFormat = "format"         // "llmpipe-checkpoint"
	keyConfig = "llmpipe.config" // JSON of State.Config
	keyMeta   = "llmpipe.meta"   // JSON of State.Meta
	keySHA256 = "llmpipe.sha256" // hex sha256 of the data section
	formatTag = "llmpipe-checkpoint/1"
)

// ErrConfigMismatch is wrapped by Load's error when the checkpoint was saved
// for another configuration.
var ErrConfigMismatch = errors.New("checkpoint of another config")

// ErrCorrupt is wrapped by Load's errors about a damaged file.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Tensor is one named float32 tensor, row-major.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32 // product of Shape values
}

// State is what a checkpoint holds.
type State struct {
	// Config is the model/training configuration, stored as JSON; Load
	// compares it with the caller's.
	Config any
	// Meta is everything else as JSON: step, RNG state, optimizer
	// hyperparameters, loss history… (nil: none).
	Meta any
	// Tensors are the parameters and optimizer state; names are unique.
	Tensors []Tensor
}

// Save writes s to path atomically (see the package doc).
func Save(path string, s State) error {
	return save(path, s, func(w io.Writer) io.Writer { return w })
}

// save is Save with the file writer wrapped by wrap (tests inject
// failures).
func save(path string, s State, wrap func(io.Writer) io.Writer) (err error) {
	cfg, err := json.Marshal(s.Config)
	if err != nil {
		return fmt.Errorf("checkpoint: config: %w", err)
	}
	meta, err := json.Marshal(s.Meta)
	if err != nil {
		return fmt.Errorf("checkpoint: metadata: %w", err)
	}
	ts := make([]safetensors.WriteTensor, len(s.Tensors))
	for i, t := range s.Tensors {
		n := 1
		shape := make([]uint64, len(t.Shape))
		for k, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("checkpoint: tensor %q: negative dimension in shape %v", t.Name, t.Shape)
			}
			n *= d
			shape[k] = uint64(d)
		}
		if n != len(t.Data) {
			return fmt.Errorf("checkpoint: tensor %q: shape %v needs %d values, have %d", t.Name, t.Shape, n, len(t.Data))
		}
		ts[i] = safetensors.WriteTensor{Name: t.Name, DType: safetensors.F32, Shape: shape, Data: f32Bytes(t.Data)}
	}
	// The data section is the tensors sorted by name (all are F32, so this
	// is safetensors.Write's order): hash it in that order.
	order := make([]int, len(ts))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return ts[order[a]].Name < ts[order[b]].Name })
	h := sha256.New()
	for _, i := range order {
		h.Write(ts[i].Data)
	}
	md := map[string]string{
		keyFormat: formatTag,
		keyConfig: string(cfg),
		keyMeta:   string(meta),
		keySHA256: hex.EncodeToString(h.Sum(nil)),
	}

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return fmt.Errorf("checkpoint: %w", err)
	}
	if _, err = safetensors.Write(wrap(tmp), ts, md); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// Loaded is a checkpoint read back.
type Loaded struct {
	// Config and Meta are the stored JSON.
	Config, Meta json.RawMessage
	// Tensors are the tensors in file order (by name).
	Tensors []Tensor
	index   map[string]int
}

// Tensor returns the tensor called name.
func (l *Loaded) Tensor(name string) (Tensor, bool) {
	i, ok := l.index[name]
	if !ok {
		return Tensor{}, false
	}
	return l.Tensors[i], true
}

// DecodeMeta unmarshals the stored metadata into v.
func (l *Loaded) DecodeMeta(v any) error {
	if err := json.Unmarshal(l.Meta, v); err != nil {
		return fmt.Errorf("checkpoint: metadata: %w", err)
	}
	return nil
}

// Load reads the checkpoint at path. When wantConfig is not nil, its JSON
// must equal the stored config (compared as JSON values, so key order and
// number formatting do not matter); otherwise the error wraps
// ErrConfigMismatch and lists the differing fields. A file that is not an
// llmpipe checkpoint, or whose data does not match its recorded sha256, is
// an error wrapping ErrCorrupt.
func Load(path string, wantConfig any) (*Loaded, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w: %w", ErrCorrupt, err)
	}
	defer f.Close()
	if f.Metadata[keyFormat] != formatTag {
		return nil, fmt.Errorf("checkpoint: %w: %s is not an llmpipe checkpoint (format %q, want %q)", ErrCorrupt, path, f.Metadata[keyFormat], formatTag)
	}
	l := &Loaded{Config: json.RawMessage(f.Metadata[keyConfig]), Meta: json.RawMessage(f.Metadata[keyMeta]), index: map[string]int{}}
	if !json.Valid(l.Config) || !json.Valid(l.Meta) {
		return nil, fmt.Errorf("checkpoint: %w: %s: config or metadata is not JSON", ErrCorrupt, path)
	}
	if wantConfig != nil {
		if err := compareConfig(l.Config, wantConfig); err != nil {
			return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
		}
	}
	h := sha256.New()
	for _, ti := range f.Tensors { // data order
		if ti.DType != safetensors.F32 {
			return nil, fmt.Errorf("checkpoint: %w: tensor %q has dtype %s, want F32", ErrCorrupt, ti.Name, ti.DType)
		}
		b, err := f.TensorBytes(ti.Name)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w: %w", ErrCorrupt, err)
		}
		h.Write(b)
		shape := make([]int, len(ti.Shape))
		for k, d := range ti.Shape {
			if d > math.MaxInt32 {
				return nil, fmt.Errorf("checkpoint: %w: tensor %q: shape %v", ErrCorrupt, ti.Name, ti.Shape)
			}
			shape[k] = int(d)
		}
		data := make([]float32, len(b)/4)
		for i := range data {
			data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		l.index[ti.Name] = len(l.Tensors)
		l.Tensors = append(l.Tensors, Tensor{Name: ti.Name, Shape: shape, Data: data})
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.Metadata[keySHA256] {
		return nil, fmt.Errorf("checkpoint: %w: %s: tensor data sha256 %s, recorded %s", ErrCorrupt, path, got, f.Metadata[keySHA256])
	}
	return l, nil
}

// compareConfig reports the differences between the stored config JSON
// and want's JSON.
func compareConfig(stored json.RawMessage, want any) error {
	wb, err := json.Marshal(want)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var a, b any
	if err := json.Unmarshal(stored, &a); err != nil {
		return fmt.Errorf("%w: stored config: %w", ErrCorrupt, err)
	}
	if err := json.Unmarshal(wb, &b); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var diffs []string
	diffJSON("", a, b, &diffs)
	if len(diffs) == 0 {
		return nil
	}
	if len(diffs) > 8 {
		diffs = append(diffs[:8], fmt.Sprintf("and %d more", len(diffs)-8))
	}
	return fmt.Errorf("%w: %s", ErrConfigMismatch, strings.Join(diffs, "; "))
}

// diffJSON appends "path: checkpoint X, want Y" for every difference
// between decoded JSON values a (stored) and b (wanted).
func diffJSON(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			av, ain := am[k]
			bv, bin := bm[k]
			switch {
			case !ain:
				*out = append(*out, fmt.Sprintf("%s: absent in the checkpoint, want %s", p, js(bv)))
			case !bin:
				*out = append(*out, fmt.Sprintf("%s: checkpoint has %s, absent in this config", p, js(av)))
			default:
				diffJSON(p, av, bv, out)
			}
		}
		return
	}
	ja, jb := js(a), js(b)
	if ja != jb {
		if path == "" {
			path = "config"
		}
		*out = append(*out, fmt.Sprintf("%s: checkpoint %s, want %s", path, ja, jb))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}
