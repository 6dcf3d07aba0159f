package grammarcheck

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/grammar"
	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
	"github.com/llmpipe/llmpipe/tokenizer/llamavocab"
)

// benchSchema is a typical structured-output request: nested object,
// strings, numbers, an enum array and optional fields.
const benchSchema = `{"type":"object","properties":{
	"name":{"type":"string","maxLength":40},
	"age":{"type":"integer","minimum":0,"maximum":150},
	"email":{"type":"string","pattern":"^[a-z]+@[a-z]+\\.com$"},
	"tags":{"type":"array","items":{"enum":["red","green","blue"]},"maxItems":5},
	"address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["city"]},
	"score":{"type":"number"},"active":{"type":"boolean"}},
	"required":["name","age","tags","address","active"]}`

// vocab32k loads the 32000-token llama-2 vocabulary.
func vocab32k(tb testing.TB) ([][]byte, []int) {
	f, err := gguf.OpenMapped(shared.Path(tb, "models/llama-2-tiny-random.gguf"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	v, err := llamavocab.Load(f)
	if err != nil {
		tb.Fatal(err)
	}
	vocab, err := tokenizer.VocabBytes(v)
	if err != nil {
		tb.Fatal(err)
	}
	return vocab, v.Specials().EOG
}

// randomLogits returns n seeded logit vectors (a stand-in for a model: the
// grammar work does not depend on the values).
func randomLogits(n, vocab int) [][]float32 {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, vocab)
		for j := range out[i] {
			out[i][j] = float32(r.NormFloat64())
		}
	}
	return out
}

// argmax returns the id of the largest logit (-1 when all are -Inf).
func argmax(l []float32) int {
	id, best := -1, float32(math.Inf(-1))
	for j, x := range l {
		if x > best {
			id, best = j, x
		}
	}
	return id
}

// run generates documents under fresh matchers from newM until b.N tokens
// are done, timing only Mask, Accept and Done: grammar-ns/token in wall
// time, grammar-cpu-ns/token in the thread's CPU time (which other load on
// a shared machine moves much less; the getrusage calls add ~1 µs). It also
// reports the process CPU time of the whole loop, argmax and logits copy
// included (cpu-ns/token).
func run(b *testing.B, newM func() *grammar.Matcher, pool [][]float32) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	buf := make([]float32, len(pool[0]))
	var inGrammar, inGrammarCPU time.Duration
	m := newM()
	docs := 0
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		copy(buf, pool[i%len(pool)])
		t0, c0 := time.Now(), threadTime()
		m.Mask(buf)
		inGrammar += time.Since(t0)
		inGrammarCPU += threadTime() - c0
		id := argmax(buf)
		if id < 0 {
			b.Fatal("every token masked")
		}
		t0, c0 = time.Now(), threadTime()
		if err := m.Accept(id); err != nil {
			b.Fatal(err)
		}
		done := m.Done()
		inGrammar += time.Since(t0)
		inGrammarCPU += threadTime() - c0
		if done {
			m = newM()
			docs++
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(inGrammar.Nanoseconds())/float64(b.N), "grammar-ns/token")
	b.ReportMetric(float64(inGrammarCPU.Nanoseconds())/float64(b.N), "grammar-cpu-ns/token")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/token")
	b.ReportMetric(float64(b.N)/float64(docs+1), "tokens/doc")
}

// vocab128k loads the 128256-token Llama 3 vocabulary (HF tokenizer.json).
func vocab128k(tb testing.TB) ([][]byte, []int) {
	tok, err := hf.Load(shared.Path(tb, "tokenizers/hf/llama3/tokenizer.json"))
	if err != nil {
		tb.Fatal(err)
	}
	vocab, err := tokenizer.VocabBytes(tok)
	if err != nil {
		tb.Fatal(err)
	}
	return vocab, tok.Specials().EOG
}

func benchSetup(b *testing.B) (*grammar.Vocabulary, *grammar.Grammar, [][]float32) {
	return benchSetupVocab(b, vocab32k)
}

func benchSetupVocab(b *testing.B, load func(testing.TB) ([][]byte, []int)) (*grammar.Vocabulary, *grammar.Grammar, [][]float32) {
	vocab, eog := load(b)
	g, err := grammar.CompileJSONSchema([]byte(benchSchema), grammar.SchemaOptions{})
	if err != nil {
		b.Fatal(err)
	}
	v, err := grammar.NewVocabulary(vocab, eog)
	if err != nil {
		b.Fatal(err)
	}
	return v, g, randomLogits(64, len(vocab))
}

// BenchmarkMaskAccept32k is the per-token cost of Mask + Accept with the
// 32000-token llama-2 vocabulary and a JSON schema, with the automaton and
// masks kept across documents (clones of one matcher), as in a server
// answering the same schema again.
func BenchmarkMaskAccept32k(b *testing.B) {
	v, g, pool := benchSetup(b)
	start, err := v.Matcher(g)
	if err != nil {
		b.Fatal(err)
	}
	start.SetMaxTokens(300)
	run(b, start.Clone, pool)
}

// BenchmarkMaskAccept32kCold is the same with a new matcher (empty
// automaton and mask caches) for every document: a first request.
func BenchmarkMaskAccept32kCold(b *testing.B) {
	v, g, pool := benchSetup(b)
	run(b, func() *grammar.Matcher {
		m, err := v.Matcher(g)
		if err != nil {
			b.Fatal(err)
		}
		m.SetMaxTokens(300)
		return m
	}, pool)
}

// BenchmarkMaskAccept128k is BenchmarkMaskAccept32k with the Llama 3
// vocabulary (128256 tokens, byte-level BPE).
func BenchmarkMaskAccept128k(b *testing.B) {
	v, g, pool := benchSetupVocab(b, vocab128k)
	start, err := v.Matcher(g)
	if err != nil {
		b.Fatal(err)
	}
	start.SetMaxTokens(300)
	run(b, start.Clone, pool)
}

// BenchmarkMaskAccept128kCold is BenchmarkMaskAccept32kCold with the Llama 3
// vocabulary.
func BenchmarkMaskAccept128kCold(b *testing.B) {
	v, g, pool := benchSetupVocab(b, vocab128k)
	run(b, func() *grammar.Matcher {
		m, err := v.Matcher(g)
		if err != nil {
			b.Fatal(err)
		}
		m.SetMaxTokens(300)
		return m
	}, pool)
}

// BenchmarkNewVocabulary32k is the one-time cost per model: the trie.
func BenchmarkNewVocabulary32k(b *testing.B) {
	vocab, eog := vocab32k(b)
	for i := 0; i < b.N; i++ {
		if _, err := grammar.NewVocabulary(vocab, eog); err != nil {
			b.Fatal(err)
		}
	}
}
