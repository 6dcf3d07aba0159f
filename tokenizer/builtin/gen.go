//go:build ignore

// gen.go trains the built-in tokenizer and writes tokenizer.json and
// testdata/PROVENANCE.md. Run it with `go generate ./tokenizer/builtin` (or
// `go run gen.go` in this folder); -data names the shared data folder.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/llmpipe/llmpipe/tokenizer/bpetrain"
)

const (
	vocabSize    = 4096
	storiesBytes = 1 << 20
	shakespeare  = "corpora/tinyshakespeare.txt"
	stories      = "corpora/tinystories_sample_2MiB.txt"
)

func main() {
	data := flag.String("data", filepath.Join("..", "..", "..", "shared", "data"), "shared data folder")
	out := flag.String("out", "tokenizer.json", "tokenizer.json to write")
	prov := flag.String("provenance", filepath.Join("testdata", "PROVENANCE.md"), "PROVENANCE.md to write")
	flag.Parse()
	log.SetFlags(0)

	sp, err := os.ReadFile(filepath.Join(*data, shakespeare))
	if err != nil {
		log.Fatal(err)
	}
	st, err := os.ReadFile(filepath.Join(*data, stories))
	if err != nil {
		log.Fatal(err)
	}
	if len(st) < storiesBytes {
		log.Fatalf("%s: %d bytes, want at least %d", stories, len(st), storiesBytes)
	}
	prefix := st[:storiesBytes]
	start := time.Now()
	res, err := bpetrain.Train(context.Background(), []io.Reader{bytes.NewReader(sp), bytes.NewReader(prefix)},
		bpetrain.Options{VocabSize: vocabSize})
	if err != nil {
		log.Fatal(err)
	}
	took := time.Since(start)
	if err := res.WriteJSON(*out); err != nil {
		log.Fatal(err)
	}
	js, err := os.ReadFile(*out)
	if err != nil {
		log.Fatal(err)
	}
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	md := fmt.Sprintf(`# Provenance of the built-in tokenizer

tokenizer/builtin/tokenizer.json is generated, not hand-written: `+"`go generate ./tokenizer/builtin`"+` runs gen.go, which
trains tokenizer/bpetrain (byte-level BPE, GPT-2 split pattern, HF BpeTrainer's merge order) and writes this file too.

| input | sha256 | bytes used |
|---|---|---|
| shared/data/%s | %s | all %d |
| shared/data/%s | %s | first %d of %d (sha256 of the prefix: %s) |

- Options: vocabulary size %d (256 byte symbols, %d merges, special token `+"`<|endoftext|>`"+` = id %d); min frequency 0;
  text read line by line, `+"`<|endoftext|>`"+` cut out of the training text.
- Output: tokenizer.json, %d bytes, sha256 %s.
- The corpora are described in shared/data/PROVENANCE.md; they are not copied into this repository.

## testdata/hf_vectors.json (reference output, not ours)

Made by Hugging Face tokenizers (native Rust, `+"`@anush008/tokenizers`"+` 0.6.0 = tokenizers crate 0.22.2, node v20.20.2)
from tokenizer.json with our script testdata/hf_vectors.mjs, run in a folder where the peers are installed
(shared/peers/README.md): `+"`node hf_vectors.mjs $REPO/tokenizer/builtin/tokenizer.json $D $REPO/tokenizer/builtin/testdata/hf_vectors.json`"+`
with `+"`$D`"+` the shared data folder. It holds HF's ids, tokens and decode for the strings of
shared/data/reference/tokenizer_vectors.json and, for whole corpora, the id count and the sha256 of the ids joined
by ",". It records the sha256 of the tokenizer.json it was made from; regenerate it whenever tokenizer.json changes.
`, shakespeare, sum(sp), len(sp), stories, sum(st), storiesBytes, len(st), sum(prefix),
		vocabSize, len(res.Merges), vocabSize-1, len(js), sum(js))
	if err := os.WriteFile(*prov, []byte(md), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s (%d bytes, %d merges) and %s in %s\n", *out, len(js), len(res.Merges), *prov, took.Round(time.Millisecond))
}
