package llama

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/quant"
)

// exportDir, when set, makes TestExportLlamaCpp write the exported files
// there, for testdata/export_llamacpp.mjs (see testdata/PROVENANCE.md).
var exportDir = flag.String("export-dir", "", "write the GGUF files TestExportLlamaCpp checks into this folder")

// exportCase builds the bytes of one exported file checked against
// llama.cpp.
type exportCase struct {
	name  string
	build func(t *testing.T) []byte
	// tol bounds |Δ log p| of each greedy token against llama.cpp's. Q8_0
	// files get more room: the matrix kernels quantize activations to Q8_0,
	// so a small difference upstream can move a value across a rounding
	// step.
	tol float64
	// f32KV also requires llama.cpp's greedy ids with our KV cache in f32
	// (llama.cpp keeps f16): F32 files only, for the same reason.
	f32KV bool
}

func exportCases() []exportCase {
	stories := func(typ quant.Type) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			src, err := gguf.OpenMapped(shared.Path(t, "models/stories260K.gguf"))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			m, err := Load(src)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := m.WriteGGUF(&buf, ExportOptions{Type: typ, Name: "stories260K", Tokenizer: TokenizerKVs(src)}); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
	}
	bpe := func(typ quant.Type) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			kvs := bpe512KVs(t)
			var buf bytes.Buffer
			if _, err := randomModel(512, 1).WriteGGUF(&buf, ExportOptions{Type: typ, Name: "random bpe512", Tokenizer: kvs}); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
	}
	return []exportCase{
		{"stories260K-f32", stories(quant.F32), 5e-3, true},
		{"stories260K-q8_0", stories(quant.Q8_0), 0.1, false},
		{"bpe512-f32", bpe(quant.F32), 5e-3, true},
		{"bpe512-q8_0", bpe(quant.Q8_0), 0.25, false},
	}
}

// llamaCppExport is testdata/export_llamacpp.json: what llama.cpp did with
// each exported file.
type llamaCppExport struct {
	Cases []struct {
		Name             string    `json:"name"`
		SHA256           string    `json:"sha256"`
		Bytes            int       `json:"bytes"`
		PromptTokens     []int     `json:"promptTokens"`
		GeneratedTokens  []int     `json:"generatedTokens"`
		Logprobs         []float64 `json:"logprobs"`
		RunnerUpLogprobs []float64 `json:"runnerUpLogprobs"`
	} `json:"cases"`
}

// TestExportLlamaCpp rebuilds each exported file, checks that its bytes are
// the ones llama.cpp ran (sha256), and that our greedy ids from llama.cpp's
// prompt ids equal llama.cpp's (KV cache in f16 as llama.cpp keeps it, and
// in f32 for F32 files), with every greedy token's log-probability within
// the case's tolerance of llama.cpp's.
func TestExportLlamaCpp(t *testing.T) {
	b, err := os.ReadFile("testdata/export_llamacpp.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref llamaCppExport
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	cases := exportCases()
	if len(ref.Cases) != len(cases) {
		t.Fatalf("%d recorded cases, %d built", len(ref.Cases), len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := ref.Cases[i]
			if rc.Name != c.name {
				t.Fatalf("recorded case %q, built %q", rc.Name, c.name)
			}
			data := c.build(t)
			if *exportDir != "" {
				if err := os.WriteFile(filepath.Join(*exportDir, c.name+".gguf"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != rc.SHA256 || len(data) != rc.Bytes {
				t.Fatalf("rebuilt file: sha256 %s (%d bytes), llama.cpp ran %s (%d bytes)", got, len(data), rc.SHA256, rc.Bytes)
			}
			f, err := gguf.Read(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			checkLlamaCppRun(t, c.name, m, rc.PromptTokens, rc.GeneratedTokens, rc.Logprobs, rc.RunnerUpLogprobs, c.f32KV, c.tol)
		})
	}
}

// checkLlamaCppRun holds m to a llama.cpp run recorded in testdata: the same
// greedy ids after prompt (with an f16 KV cache as llama.cpp's, and with an
// f32 one when f32KV), and the log-probabilities of the generated ids
// within tol of llama.cpp's.
func checkLlamaCppRun(t *testing.T, name string, m *Model, prompt, gen []int, logprobs, runnerUp []float64, f32KV bool, tol float64) {
	t.Helper()
	requireGreedy(t, m, model.SequenceOptions{KVF16: true}, prompt, gen)
	if f32KV {
		requireGreedy(t, m, model.SequenceOptions{}, prompt, gen)
	}
	all := append(append([]int(nil), prompt...), gen...)
	lp := logProbs(t, m, all, model.SequenceOptions{KVF16: true})[len(prompt)-1:]
	var worst, margin float64 = 0, math.Inf(1)
	for k, want := range logprobs {
		worst = math.Max(worst, math.Abs(lp[k]-want))
		margin = math.Min(margin, want-runnerUp[k])
	}
	t.Logf("%s: %d greedy ids equal llama.cpp's; max |Δlogprob| %.2g; smallest llama.cpp top-1/top-2 log-prob margin %.3g", name, len(gen), worst, margin)
	if worst > tol {
		t.Errorf("%s: max |Δlogprob| %g > %g", name, worst, tol)
	}
}
