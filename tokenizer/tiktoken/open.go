package tiktoken

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Open loads a .tiktoken rank file from path. The encoding (split pattern and
// special tokens) is inferred from the file's sha256, which identifies the
// published files, or else from its base name ("cl100k_base.tiktoken"). A
// file that is neither is an error: its pattern and specials are unknown;
// use [ParseRanks] and [New] with a [Spec] instead.
func Open(path string) (*Encoding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: %w", err)
	}
	sum := sha256.Sum256(data)
	spec, ok := specBySHA256(hex.EncodeToString(sum[:]))
	if !ok {
		base := strings.TrimSuffix(filepath.Base(path), ".tiktoken")
		spec, ok = SpecFor(base)
		if !ok {
			return nil, fmt.Errorf("tiktoken: %s: unknown encoding: the file's sha256 %x matches no published rank file and its name is not one of %s",
				path, sum[:8], strings.Join(Names(), ", "))
		}
		// A modified file under a known name: keep its pattern and
		// specials, but do not insist on the published size.
		spec.NVocab = 0
	}
	return NewFromBytes(spec, path, data)
}

// NewFromBytes parses rank-file data (name is used in errors) and builds the
// encoding of spec.
func NewFromBytes(spec Spec, name string, data []byte) (*Encoding, error) {
	ranks, err := ParseRanks(name, data)
	if err != nil {
		return nil, fmt.Errorf("tiktoken: %w", err)
	}
	return New(spec, ranks)
}
