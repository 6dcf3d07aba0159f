package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/format/llama2c"
	"github.com/llmpipe/llmpipe/model/llama"
	"github.com/llmpipe/llmpipe/quant"
	"github.com/llmpipe/llmpipe/train"
)

// exportTypes are the --type values.
var exportTypes = map[string]quant.Type{
	"f32": quant.F32, "f16": quant.F16, "bf16": quant.BF16, "q8_0": quant.Q8_0, "q4_0": quant.Q4_0,
	"q4_k": quant.Q4_K, "q6_k": quant.Q6_K,
}

func newExportCmd() *cobra.Command {
	var from, to, out, typ, tokPath, name string
	cmd := &cobra.Command{
		Use:   "export --from PATH --to gguf|safetensors --out PATH [--type f32|f16|bf16|q8_0|q4_0|q4_k|q6_k] [--tokenizer PATH]",
		Short: "Write a model as a GGUF file (llama.cpp) or a HF safetensors checkpoint",
		Long: `export loads a Llama-family or GPT-2 model (any file run loads: GGUF, a HF folder
with config.json + safetensors, a training checkpoint folder, or a llama2.c checkpoint
with --tokenizer tokNNN.bin)
and writes it as:

  --to gguf          one GGUF v3 file that llama.cpp loads: general.* and llama.*
                     metadata, tensors under ggml's names, the vocabulary as
                     tokenizer.ggml.* metadata. --type picks the matrices' type
                     (f32 default, f16, bf16, q8_0, q4_0, q4_k, q6_k; quantized
                     with ggml's reference quantizers, bit-exact, every matrix
                     in that one type like llama-quantize --pure; rows whose
                     length is not a multiple of the block size, 32 or 256 for
                     q4_k/q6_k, stay f32); norms stay f32.
  --to safetensors   a folder with config.json and model.safetensors in HF's
                     LlamaForCausalLM layout (q/k rows in rotate_half order), or
                     GPT2LMHeadModel's for a GPT-2 (Conv1D [in, out] weights, q/k/v
                     fused in c_attn), which transformers and run --model load
                     (--type f32, f16 or bf16); a tokenizer.json beside an HF
                     source or a training checkpoint is copied along.

The vocabulary comes from the source: a GGUF's tokenizer.ggml.* metadata is
copied as is; a llama2.c tokNNN.bin becomes llama.cpp's SentencePiece ("llama")
vocabulary; an HF folder's byte-level BPE tokenizer.json (what llmpipe tokenize
--train writes) becomes a "gpt2" vocabulary with merges. --tokenizer overrides
it with a GGUF file's vocabulary or a tokenizer.json. Its size must equal the
model's embedding rows.

The output appears under --out only when complete: it is written to a
temporary file (folder) beside it and renamed; Ctrl-C leaves nothing behind.`,
		Example: `  llmpipe export --from ../shared/data/models/stories260K.gguf --to gguf --type q8_0 --out stories260K-q8_0.gguf
  llmpipe export --from bench-110m-f32.gguf --to gguf --type q4_k --out bench-110m-q4_k.gguf
  llmpipe export --from ../shared/data/models/stories260K.bin --tokenizer ../shared/data/models/tok512.bin --to gguf --out stories260K.gguf
  llmpipe export --from ../shared/data/models/stories260K.gguf --to safetensors --out stories260K-hf
  llmpipe export --from ./my-hf-model --to gguf --type f16 --out my-model-f16.gguf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, ok := exportTypes[strings.ToLower(typ)]
			if !ok {
				return fmt.Errorf("--type %q: want one of f32, f16, bf16, q8_0, q4_0, q4_k, q6_k", typ)
			}
			if from == "" || out == "" {
				return fmt.Errorf("--from and --out are required")
			}
			src, err := loadExportSource(from, tokPath)
			if err != nil {
				return err
			}
			defer src.close()
			if name == "" {
				name = src.name
			}
			opts := llama.ExportOptions{Type: t, Name: name, Tokenizer: src.vocab}
			ctx := cmd.Context()
			switch to {
			case "gguf":
				if src.vocab == nil {
					return fmt.Errorf("%s has no vocabulary to embed; give one with --tokenizer (a GGUF file or a tokenizer.json)", from)
				}
				n, err := writeAtomic(ctx, out, func(w io.Writer) (int64, error) { return src.model.WriteGGUF(w, opts) })
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: GGUF, %s matrices, %d bytes\n", out, t, n)
			case "safetensors":
				if err := writeDirAtomic(ctx, out, func(dir string) error {
					if err := src.model.WriteSafetensors(dir, opts); err != nil {
						return err
					}
					for _, f := range src.hfFiles {
						if err := copyFile(f, filepath.Join(dir, filepath.Base(f))); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s: config.json + model.safetensors (%s)\n", out, t)
			default:
				return fmt.Errorf("--to %q: want gguf or safetensors", to)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "model to export: a GGUF file, a HF folder, or a llama2.c .bin (with --tokenizer)")
	f.StringVar(&to, "to", "gguf", "output format: gguf or safetensors")
	f.StringVar(&out, "out", "", "output file (gguf) or folder (safetensors)")
	f.StringVar(&typ, "type", "f32", "matrix type: f32, f16, bf16, q8_0, q4_0, q4_k or q6_k (safetensors: f32, f16, bf16)")
	f.StringVar(&tokPath, "tokenizer", "", "vocabulary: a llama2.c tokNNN.bin (for a .bin model), a GGUF file, or a tokenizer.json")
	f.StringVar(&name, "name", "", "general.name / safetensors metadata name (default: the source's)")
	return cmd
}

// exportSource is a loaded model with what export needs besides it.
type exportSource struct {
	model   *llama.Model
	vocab   []gguf.KV // tokenizer.* metadata, nil when none is known
	name    string
	hfFiles []string // tokenizer files to copy into a safetensors export
	close   func()
}

// loadExportSource loads the model at path (GGUF, HF folder or llama2.c
// checkpoint) and its vocabulary (tokPath overrides the source's).
func loadExportSource(path, tokPath string) (*exportSource, error) {
	src := &exportSource{close: func() {}}
	switch {
	case isTrainCheckpoint(path): // before isSafetensors: the checkpoint is a .safetensors file
		dir := path
		if filepath.Base(path) == train.CheckpointFile {
			dir = filepath.Dir(path)
		}
		m, meta, err := train.LoadModel(nil, dir)
		if err != nil {
			return nil, err
		}
		if src.model, err = m.ToLlama(); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		src.name = filepath.Base(filepath.Clean(dir))
		if meta.Tokenizer.Kind == "file" && tokPath == "" {
			// A byte-level BPE tokenizer.json (llmpipe tokenize --train):
			// llama.cpp's gpt2 vocabulary. bytes/chars have no GGUF form.
			b, err := os.ReadFile(meta.Tokenizer.Path)
			if err != nil {
				return nil, fmt.Errorf("%s: its tokenizer: %w", dir, err)
			}
			src.vocab, _ = llama.BPETokenizerKVs(b)
			src.hfFiles = []string{meta.Tokenizer.Path}
		}
	case isSafetensors(path):
		m, c, err := llama.FromSafetensors(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		src.model, src.close = m, func() { c.Close() }
		dir := path
		if st, err := os.Stat(path); err == nil && !st.IsDir() {
			dir = filepath.Dir(path)
		}
		src.name = filepath.Base(filepath.Clean(dir))
		for _, n := range []string{"tokenizer.json", "tokenizer_config.json"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				src.hfFiles = append(src.hfFiles, filepath.Join(dir, n))
			}
		}
		if tokPath == "" && len(src.hfFiles) > 0 && filepath.Base(src.hfFiles[0]) == "tokenizer.json" {
			b, err := os.ReadFile(src.hfFiles[0])
			if err != nil {
				src.close()
				return nil, err
			}
			// A vocabulary llama.cpp cannot take only matters for --to gguf.
			src.vocab, _ = llama.BPETokenizerKVs(b)
		}
	default:
		isGGUF, err := hasGGUFMagic(path)
		if err != nil {
			return nil, err
		}
		if isGGUF {
			f, err := gguf.OpenMapped(path)
			if err != nil {
				return nil, err
			}
			m, err := llama.Load(f)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			src.model, src.close = m, func() { f.Close() }
			src.vocab = llama.TokenizerKVs(f)
			src.name, _ = f.String("general.name")
			break
		}
		if tokPath == "" {
			return nil, fmt.Errorf("%s is not a GGUF file; a llama2.c checkpoint needs --tokenizer tokNNN.bin", path)
		}
		ck, err := llama2c.OpenCheckpoint(path)
		if err != nil {
			return nil, err
		}
		m, err := llama.FromLlama2c(ck)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		v, err := llama2c.OpenVocab(tokPath, ck.Config.VocabSize)
		if err != nil {
			return nil, err
		}
		src.model, src.vocab = m, llama2cVocabKVs(v)
		src.name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		return src, nil
	}
	if tokPath != "" {
		vocab, err := vocabFromFile(tokPath)
		if err != nil {
			src.close()
			return nil, err
		}
		src.vocab = vocab
	}
	return src, nil
}

// vocabFromFile reads tokenizer.* metadata from a GGUF file or a byte-level
// BPE tokenizer.json (a folder holding one is accepted too).
func vocabFromFile(path string) ([]gguf.KV, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "tokenizer.json")
	}
	isGGUF, err := hasGGUFMagic(path)
	if err != nil {
		return nil, err
	}
	if isGGUF {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		kvs := llama.TokenizerKVs(f)
		if len(kvs) == 0 {
			return nil, fmt.Errorf("%s has no tokenizer.* metadata", path)
		}
		return kvs, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	kvs, err := llama.BPETokenizerKVs(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kvs, nil
}

// llama2cVocabKVs is the llama.cpp SentencePiece vocabulary of a llama2.c
// tokenizer file, as llama.cpp's convert_llama2c_to_ggml writes it: the
// SentencePiece pieces (▁ for spaces) with their scores and types, <s>=1,
// </s>=2, <unk>=0, BOS added.
func llama2cVocabKVs(v *llama2c.Vocab) []gguf.KV {
	pieces := v.Pieces()
	tokens := make([]string, len(pieces))
	scores := make([]float32, len(pieces))
	types := make([]int32, len(pieces))
	for i, p := range pieces {
		tokens[i], scores[i], types[i] = p.Text, p.Score, int32(p.Type)
	}
	kv := func(k string, v any) gguf.KV { return gguf.KV{Key: k, Value: gguf.MustValue(v)} }
	return []gguf.KV{
		kv("tokenizer.ggml.model", "llama"),
		kv("tokenizer.ggml.tokens", tokens),
		kv("tokenizer.ggml.scores", scores),
		kv("tokenizer.ggml.token_type", types),
		kv("tokenizer.ggml.bos_token_id", uint32(llama2c.BOSID)),
		kv("tokenizer.ggml.eos_token_id", uint32(llama2c.EOSID)),
		kv("tokenizer.ggml.unknown_token_id", uint32(llama2c.UnkID)),
		kv("tokenizer.ggml.add_bos_token", true),
		kv("tokenizer.ggml.add_eos_token", false),
	}
}

// writeAtomic writes path through a temporary file beside it (synced, then
// renamed into place); on an error or a cancelled ctx the temporary file is
// removed and path is left as it was.
func writeAtomic(ctx context.Context, path string, write func(io.Writer) (int64, error)) (n int64, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return 0, err
	}
	if n, err = write(tmp); err != nil {
		return n, err
	}
	if err = ctx.Err(); err != nil {
		return n, err
	}
	if err = tmp.Sync(); err != nil {
		return n, err
	}
	if err = tmp.Close(); err != nil {
		return n, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	syncDir(filepath.Dir(path))
	return n, nil
}

// writeDirAtomic fills a temporary folder beside dir with fill, then
// renames it to dir. An existing dir must be empty or an earlier export's
// (holding config.json): its files are replaced one by one, each by an
// atomic rename.
func writeDirAtomic(ctx context.Context, dir string, fill func(tmp string) error) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(dir))+".tmp*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
		if err := os.Rename(tmp, dir); err != nil {
			return err
		}
		syncDir(parent)
		return nil
	case err != nil:
		return err
	}
	if len(ents) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
			return fmt.Errorf("--out %s is a non-empty folder that does not hold a model (no config.json); not writing into it", dir)
		}
	}
	files, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.Rename(filepath.Join(tmp, f.Name()), filepath.Join(dir, f.Name())); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// copyFile copies src to dst (both small tokenizer files).
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
