package llamavocab

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// diffRef is the output of testdata/gen_llamacpp_diff.mjs.
type diffRef struct {
	Tool    string         `json:"tool"`
	Strings []string       `json:"strings"`
	Models  []diffRefModel `json:"models"`
}

type diffRefModel struct {
	Name       string       `json:"name"`
	Error      string       `json:"error"`
	NVocab     int          `json:"nVocab"`
	BOS        *int         `json:"bos"`
	EOS        *int         `json:"eos"`
	EOT        *int         `json:"eot"`
	SEP        *int         `json:"sep"`
	AddBOS     bool         `json:"addBos"`
	AddEOS     bool         `json:"addEos"`
	Attrs      [][2]int     `json:"attrs"` // run-length encoded
	EOG        []int        `json:"eog"`
	Pieces     []string     `json:"pieces"`
	PiecesSp   []string     `json:"piecesSpecial"`
	Enc        [][]int      `json:"enc"`
	EncSpecial [][]int      `json:"encSpecial"`
	Dec        [][2]string  `json:"dec"`
	DecSpecial []*[2]string `json:"decSpecial"`
	IDLists    [][]int      `json:"idLists"`
	IDDec      [][2]string  `json:"idDec"`
	// Idx, when present, lists the string indexes (into Strings) that Enc
	// and EncSpecial hold, in order (pre-tokenizer variants in the fixture).
	Idx []int `json:"idx"`
	// SameAs names an earlier model whose Enc…IDDec this model shares (the
	// fixture stores them once). In EncSpecial, a nil entry (JSON null)
	// means "equal to Enc", and so does a nil DecSpecial entry for Dec.
	SameAs string `json:"sameAs"`
}

func readDiffRef(t testing.TB, path string) *diffRef {
	t.Helper()
	// JSON lines: the header (tool, strings), then one model per line.
	dec := json.NewDecoder(shared.OpenFixture(t, path))
	var d diffRef
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for {
		var m diffRefModel
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: model %d: %v", path, len(d.Models), err)
		}
		if m.SameAs != "" {
			i := slices.IndexFunc(d.Models, func(o diffRefModel) bool { return o.Name == m.SameAs })
			if i < 0 {
				t.Fatalf("%s: %s: sameAs %q is not an earlier model", path, m.Name, m.SameAs)
			}
			o := d.Models[i]
			m.Enc, m.EncSpecial, m.Dec, m.DecSpecial, m.IDLists, m.IDDec, m.Idx = o.Enc, o.EncSpecial, o.Dec, o.DecSpecial, o.IDLists, o.IDDec, o.Idx
		}
		d.Models = append(d.Models, m)
	}
	return &d
}

// vocabFor resolves a model name of the reference file.
func vocabFor(t testing.TB, name string) *Vocab {
	t.Helper()
	if rel, ok := strings.CutPrefix(name, "shared:"); ok {
		return loadShared(t, rel)
	}
	if b, ok := strings.CutPrefix(name, "built:"); ok {
		return loadBuilt(t, b)
	}
	t.Fatalf("unknown model name %q", name)
	return nil
}

func idOrNull(p *int) int {
	if p == nil {
		return null
	}
	return *p
}

// diffCounter reports the first few differences of each kind and counts
// them all.
type diffCounter struct {
	t      testing.TB
	counts map[string]int
	max    int
}

func (c *diffCounter) errorf(kind, format string, args ...any) {
	c.t.Helper()
	c.counts[kind]++
	if c.counts[kind] <= c.max {
		c.t.Errorf(kind+": "+format, args...)
	}
}

// checkDiffRef compares every model of d with our vocabulary.
func checkDiffRef(t *testing.T, d *diffRef, maxReports int) {
	for _, m := range d.Models {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			if m.Error != "" {
				t.Skipf("llama.cpp could not load it: %s", m.Error)
			}
			v := vocabFor(t, m.Name)
			c := &diffCounter{t: t, counts: map[string]int{}, max: maxReports}
			compareModel(t, c, v, d.Strings, &m)
			if len(c.counts) > 0 {
				t.Logf("difference counts: %v", c.counts)
			}
		})
	}
}

func compareModel(t *testing.T, c *diffCounter, v *Vocab, strs []string, m *diffRefModel) {
	if m.NVocab != 0 && m.NVocab != len(v.text) {
		c.errorf("nvocab", "%d tokens, llama.cpp %d", len(v.text), m.NVocab)
	}
	for _, s := range []struct {
		name        string
		got, ref    int
		controlOnly bool
	}{{"bos", v.bos, idOrNull(m.BOS), true}, {"eos", v.eos, idOrNull(m.EOS), true}, {"eot", v.eot, idOrNull(m.EOT), false}, {"sep", v.sep, idOrNull(m.SEP), false}} {
		// node-llama-cpp reports BOS and EOS only when they are CONTROL
		// tokens (getNapiControlToken).
		hidden := s.controlOnly && s.ref == null && s.got != null && v.attr[s.got]&attrControl == 0
		if s.got != s.ref && !hidden {
			c.errorf("ids", "%s %d, llama.cpp %d", s.name, s.got, s.ref)
		}
	}
	if v.addBOS != m.AddBOS || v.addEOS != m.AddEOS {
		c.errorf("ids", "add_bos/add_eos %v/%v, llama.cpp %v/%v", v.addBOS, v.addEOS, m.AddBOS, m.AddEOS)
	}
	if m.Attrs != nil {
		id := 0
		for _, run := range m.Attrs {
			for range run[1] {
				if id < len(v.attr) && int(v.attr[id]) != run[0] {
					c.errorf("attr", "id %d %q: attr %#x, llama.cpp %#x", id, v.text[id], v.attr[id], run[0])
				}
				id++
			}
		}
		if m.EOG != nil && !slices.Equal(v.eog, m.EOG) {
			c.errorf("eog", "eog %v, llama.cpp %v", v.eog, m.EOG)
		}
	}
	for id := range m.Pieces {
		if got, _ := v.Decode([]int{id}, tokenizer.DecodeOptions{SkipSpecial: true}); !v.removesSpecial([]int{id}) && got != m.Pieces[id] {
			c.errorf("piece", "id %d %q: Decode(skip) %q, llama.cpp %q", id, v.text[id], got, m.Pieces[id])
		}
		if got, _ := v.Decode([]int{id}, tokenizer.DecodeOptions{}); got != m.PiecesSp[id] {
			c.errorf("piece", "id %d %q: Decode %q, llama.cpp %q", id, v.text[id], got, m.PiecesSp[id])
		}
	}
	encSp := make([][]int, len(m.EncSpecial))
	for k, ids := range m.EncSpecial {
		if encSp[k] = ids; ids == nil && k < len(m.Enc) {
			encSp[k] = m.Enc[k]
		}
	}
	var decSp [][2]string
	if m.Dec != nil {
		decSp = make([][2]string, len(m.DecSpecial))
		for k, d := range m.DecSpecial {
			if d != nil {
				decSp[k] = *d
			} else if k < len(m.Dec) {
				decSp[k] = m.Dec[k]
			}
		}
	}
	for _, mode := range []struct {
		name    string
		special bool
		ref     [][]int
		dec     [][2]string
	}{{"encode", false, m.Enc, m.Dec}, {"encode(parse_special)", true, encSp, decSp}} {
		for k, want := range mode.ref {
			i := k
			if m.Idx != nil {
				i = m.Idx[k]
			}
			if i >= len(strs) {
				c.errorf(mode.name, "string index %d out of range", i)
				continue
			}
			s := strs[i]
			got, err := v.Encode(s, tokenizer.EncodeOptions{ParseSpecial: mode.special})
			if err != nil {
				c.errorf(mode.name, "string %d: %v", i, err)
				continue
			}
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				c.errorf(mode.name, "string %d %s:\n got %v\nwant %v", i, short(s), short(fmt.Sprint(got)), short(fmt.Sprint(want)))
			}
			if mode.dec != nil {
				c.checkDecode(v, mode.name+" decode", i, want, mode.dec[k])
			}
		}
	}
	for i, ids := range m.IDLists {
		c.checkDecode(v, "id-list decode", i, ids, m.IDDec[i])
	}
}

// removesSpecial reports whether llama_detokenize with remove_special=true
// (Decode with SkipSpecial) would drop a leading BOS or trailing EOS of ids
// that remove_special=false (what node-llama-cpp's detokenize passes) keeps:
// only then the two can differ, and only when that token is not CONTROL.
func (v *Vocab) removesSpecial(ids []int) bool {
	if len(ids) == 0 {
		return false
	}
	if v.addBOS && ids[0] == v.bos && v.attr[v.bos]&(attrControl|attrUnknown) == 0 {
		return true
	}
	return v.addEOS && ids[len(ids)-1] == v.eos && v.attr[v.eos]&(attrControl|attrUnknown) == 0
}

func (c *diffCounter) checkDecode(v *Vocab, kind string, i int, ids []int, want [2]string) {
	c.t.Helper()
	if !v.removesSpecial(ids) {
		got, err := v.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
		if err != nil || got != want[0] {
			c.errorf(kind, "%d %v: Decode(skip special) %q (%v), llama.cpp %q", i, short(fmt.Sprint(ids)), short(got), err, short(want[0]))
		}
	}
	got, err := v.Decode(ids, tokenizer.DecodeOptions{})
	if err != nil || got != want[1] {
		c.errorf(kind, "%d %v: Decode %q (%v), llama.cpp %q", i, short(fmt.Sprint(ids)), short(got), err, short(want[1]))
	}
}

func short(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%q…(%d bytes)", s[:300], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// TestLlamaCppDiff replays testdata/llamacpp_diff.jsonl.gz (see
// testdata/PROVENANCE.md): llama.cpp's ids, pieces of text and token
// attributes for the shared GGUFs and for the GGUFs hfgguf_test.go builds.
func TestLlamaCppDiff(t *testing.T) {
	shared.Dir(t)
	checkDiffRef(t, readDiffRef(t, "testdata/llamacpp_diff.jsonl.gz"), 5)
}

// TestLlamaCppDiffFull compares against a full reference file made by
// testdata/gen_llamacpp_diff.mjs ($LLAMAVOCAB_DIFF_JSON; skipped when unset).
func TestLlamaCppDiffFull(t *testing.T) {
	p := os.Getenv("LLAMAVOCAB_DIFF_JSON")
	if p == "" {
		t.Skip("set LLAMAVOCAB_DIFF_JSON to a gen_llamacpp_diff.mjs output")
	}
	checkDiffRef(t, readDiffRef(t, p), 8)
}
