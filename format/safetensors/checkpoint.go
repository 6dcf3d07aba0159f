package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// IndexFile is the name of a sharded checkpoint's index, whose weight_map
// names the shard file of every tensor.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded checkpoint's weights file.
const SingleFile = "model.safetensors"

// maxIndexSize caps the index JSON (real ones are well under 1 MB).
const maxIndexSize = 64 << 20

// Checkpoint is one or more safetensors files seen as one set of tensors.
type Checkpoint struct {
	// Files are the open shards, in the order of their names.
	Files []*File
	where map[string]*File
}

// OpenCheckpoint opens a checkpoint given as a .safetensors file, a
// model.safetensors.index.json, or a directory holding either (the index
// wins). Every tensor named by an index's weight_map must be in its shard,
// and no tensor may be in two shards.
func OpenCheckpoint(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.IsDir() {
		idx := filepath.Join(path, IndexFile)
		if _, err := os.Stat(idx); err == nil {
			return openIndex(idx)
		}
		path = filepath.Join(path, SingleFile)
	} else if strings.HasSuffix(path, ".index.json") {
		return openIndex(path)
	}
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Files: []*File{f}, where: make(map[string]*File, len(f.Tensors))}
	for _, t := range f.Tensors {
		ck.where[t.Name] = f
	}
	return ck, nil
}

func openIndex(path string) (*Checkpoint, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxIndexSize+1))
	fh.Close()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if len(b) > maxIndexSize {
		return nil, fmt.Errorf("safetensors: %s is larger than %d bytes", path, maxIndexSize)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s has no weight_map", path)
	}
	var names []string
	seen := map[string]bool{}
	for tensor, shard := range idx.WeightMap {
		if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a file name in the same directory", path, tensor, shard)
		}
		if !seen[shard] {
			seen[shard] = true
			names = append(names, shard)
		}
	}
	sort.Strings(names)
	dir := filepath.Dir(path)
	ck := &Checkpoint{where: map[string]*File{}}
	byName := map[string]*File{}
	for _, name := range names {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			ck.Close()
			return nil, err
		}
		ck.Files = append(ck.Files, f)
		byName[name] = f
		for _, t := range f.Tensors {
			if _, dup := ck.where[t.Name]; dup {
				ck.Close()
				return nil, fmt.Errorf("safetensors: tensor %q is in more than one shard (again in %s)", t.Name, name)
			}
			ck.where[t.Name] = f
		}
	}
	for tensor, shard := range idx.WeightMap {
		if ck.where[tensor] != byName[shard] {
			ck.Close()
			return nil, fmt.Errorf("safetensors: %s: tensor %q is not in its shard %s", path, tensor, shard)
		}
	}
	return ck, nil
}

// Close closes every shard.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.Files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Tensor returns the header entry of name, from whichever shard holds it.
func (c *Checkpoint) Tensor(name string) (TensorInfo, bool) {
	f, ok := c.where[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Tensor(name)
}

// TensorBytes returns the raw data of tensor name (see File.TensorBytes).
func (c *Checkpoint) TensorBytes(name string) ([]byte, error) {
	f, ok := c.where[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q in the checkpoint", name)
	}
	return f.TensorBytes(name)
}
