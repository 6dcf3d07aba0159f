package model

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/llmpipe/llmpipe/format/gguf"
)

// Model is a loaded network: immutable weights, safe for concurrent use by
// several Sequences.
type Model interface {
	// Arch is the general.architecture value the model was loaded as.
	Arch() string
	// ContextLength is the most positions a Sequence can hold.
	ContextLength() int
	// VocabSize is the number of logits per position.
	VocabSize() int
	// NewSequence returns an empty sequence (its own KV cache) at position 0.
	NewSequence(opts SequenceOptions) Sequence
}

// SequenceOptions configures one sequence's state. The zero value keeps the
// KV cache in float32.
type SequenceOptions struct {
	// KVF16 stores the cached keys and values as float16 (half the memory
	// of float32), as llama.cpp's default f16 KV cache does; its results
	// then match llama.cpp's more closely.
	KVF16 bool
}

// Sequence is the per-request state of one token sequence: the KV cache and
// the next position. It is not safe for concurrent use.
type Sequence interface {
	// Forward runs ids at the next len(ids) positions, appending them to the
	// cache, and returns logits: [len(ids), VocabSize] when all is true, or
	// only the last position's [VocabSize] otherwise. The returned slice is
	// valid until the next call. It returns ErrContextFull (wrapped) when the
	// ids do not fit, leaving the sequence unchanged; an id outside the
	// vocabulary is an error too. NaN or Inf in the logits is reported as an
	// error after the ids have been cached.
	Forward(ids []int, all bool) ([]float32, error)
	// Len is the number of positions cached so far.
	Len() int
}

// ErrContextFull is returned when a Sequence has no room for more positions.
var ErrContextFull = errors.New("context full")

// Cloner is implemented by a Sequence that can fork: beam search and
// parallel samples continue one prefix several ways without running it
// again.
type Cloner interface {
	// Clone returns an independent copy of the sequence: the same positions
	// and KV cache, after which Forward (or Truncate) on either never
	// changes what the other computes. The copy may share the memory of
	// cached positions that neither side can change any more.
	Clone() Sequence
}

// Truncater is implemented by a Sequence that can drop its last positions:
// a chat or a server keeps the prefix a new prompt shares with the cached
// ids and runs only the rest.
type Truncater interface {
	// Truncate drops positions n.. (0 ≤ n ≤ Len(), else an error and the
	// sequence is unchanged), so that the next Forward continues at
	// position n exactly as if only the first n ids had been run.
	Truncate(n int) error
}

// Arch is one architecture a Registry can load.
type Arch struct {
	// Name is the general.architecture value ("llama").
	Name string
	// Load builds the model from a parsed GGUF file. The file must stay open
	// while the model is used (weights may be views of its mapping).
	Load func(f *gguf.File) (Model, error)
}

// Registry maps general.architecture values to loaders. Build one with
// NewRegistry; the zero value knows no architecture.
type Registry struct {
	archs map[string]Arch
}

// NewRegistry returns a registry of archs.
func NewRegistry(archs ...Arch) *Registry {
	r := &Registry{archs: make(map[string]Arch, len(archs))}
	for _, a := range archs {
		r.archs[a.Name] = a
	}
	return r
}

// Names returns the registered architecture names, sorted.
func (r *Registry) Names() []string {
	var names []string
	for n := range r.archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load builds the model of f's general.architecture; an architecture that is
// missing or not registered is an error naming it.
func (r *Registry) Load(f *gguf.File) (Model, error) {
	name, ok := f.String("general.architecture")
	if !ok {
		return nil, errors.New("model: GGUF file has no general.architecture")
	}
	a, ok := r.archs[name]
	if !ok || a.Load == nil {
		return nil, fmt.Errorf("model: unsupported architecture %q (general.architecture); supported: %s", name, strings.Join(r.Names(), ", "))
	}
	return a.Load(f)
}

// BatchForwarder is implemented by models that can run one step of several
// of their sequences together: the rows of every sequence go through each
// weight matrix as one matrix product, while attention reads each sequence's
// own KV cache. A server's scheduler uses it for continuous batching.
type BatchForwarder interface {
	// ForwardBatch runs ids[i] on seqs[i] (at its next positions, as
	// Sequence.Forward does) for every i, and returns the logits of the last
	// position of each: [VocabSize] per sequence, valid until the next call.
	// The sequences must be distinct and made by this model. It checks every
	// sequence before running any: an error leaves all of them unchanged
	// (except for NaN or Inf logits, reported after the ids were cached).
	// The logits equal Forward's bit for bit.
	ForwardBatch(seqs []Sequence, ids [][]int) ([][]float32, error)
}

// GreedyBatchForwarder is implemented by BatchForwarders that can also pick
// each sequence's greedy id while they scan its logits (on the threads
// that copy and check them), so that a scheduler need not scan every
// sequence's logits again, one after another, after the step.
type GreedyBatchForwarder interface {
	BatchForwarder
	// ForwardBatchGreedy is ForwardBatch that also returns, for every i
	// with want[i] set (want has len(seqs) entries, or is nil for none),
	// greedy[i]: the index of the largest logit of sequence i, the lowest
	// such index when several are equal (+0 and -0 equal): the id that
	// greedy decoding without any bias, penalty, filter or constraint
	// picks. greedy[i] is -1 where want[i] is not set. Logits and errors
	// are ForwardBatch's.
	ForwardBatchGreedy(seqs []Sequence, ids [][]int, want []bool) (logits [][]float32, greedy []int, err error)
}

// Embedder is implemented by models that can turn ids into one vector:
// the mean over positions of the final (normalized) hidden states.
type Embedder interface {
	// Embed returns the embedding of ids ([EmbeddingSize]), computed on a
	// fresh sequence, L2-normalized.
	Embed(ids []int) ([]float32, error)
	// EmbeddingSize is the length of Embed's vectors.
	EmbeddingSize() int
}
