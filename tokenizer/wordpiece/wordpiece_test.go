package wordpiece

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/llmpipe/llmpipe/internal/shared"
	"github.com/llmpipe/llmpipe/tokenizer"
)

var bert struct {
	once sync.Once
	m    *Model
	err  error
}

// loadBert reads bert-base-uncased's vocab.txt (id = line number) once per
// test binary.
func loadBert(t testing.TB) *Model {
	t.Helper()
	path := shared.Path(t, "tokenizers/hf/bert-base-uncased/vocab.txt")
	bert.once.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			bert.err = err
			return
		}
		defer f.Close()
		vocab := map[string]int{}
		sc := bufio.NewScanner(f)
		for id := 0; sc.Scan(); id++ {
			vocab[strings.TrimRight(sc.Text(), "\r")] = id
		}
		if err := sc.Err(); err != nil {
			bert.err = err
			return
		}
		bert.m, bert.err = New(vocab, Options{})
	})
	if bert.err != nil {
		t.Fatalf("bert vocab.txt: %v", bert.err)
	}
	return bert.m
}

// TestBertVectors joins HF's reference tokens back into words ("##" pieces
// continue the previous token) and checks that encoding every word gives
// the reference ids. Words HF could not segment show as [UNK] and are
// expected as id 100 without being encoded (their text is not recoverable
// from the tokens; TestBertUnknownWords covers them).
func TestBertVectors(t *testing.T) {
	m := loadBert(t)
	v := shared.LoadTokenizerVectors(t)
	set := v.Set(t, "hf:bert-base-uncased")
	for i := range v.Strings {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var words []string
			for _, tok := range set.Tokens[i] {
				if rest, ok := strings.CutPrefix(tok, "##"); ok && len(words) > 0 && words[len(words)-1] != "[UNK]" {
					words[len(words)-1] += rest
				} else {
					words = append(words, tok)
				}
			}
			var got []int
			var offs []tokenizer.Offset
			base := 0
			for _, w := range words {
				if w == "[UNK]" {
					got = append(got, m.UnkID())
					offs = append(offs, tokenizer.Offset{})
					continue
				}
				n := len(offs)
				got, offs = m.EncodeOffsets(got, offs, w, base)
				at := base
				for _, o := range offs[n:] {
					if o.Start != at || o.End <= o.Start {
						t.Errorf("word %q: offsets %v do not tile it", w, offs[n:])
					}
					at = o.End
				}
				if at != base+len(w) {
					t.Errorf("word %q: offsets %v end at %d", w, offs[n:], at)
				}
				base += len(w) + 1
			}
			if fmt.Sprint(got) != fmt.Sprint(set.IDs[i]) {
				t.Errorf("string %d %+q:\n got %v\nwant %v", i, v.Strings[i], got, set.IDs[i])
			}
		})
	}
}

// TestBertUnknownWords: words of the reference strings that HF turned into
// [UNK] (id 100) after BertNormalizer and BertPreTokenizer: CJK characters
// stand alone, Persian digits and emoji have no pieces.
func TestBertUnknownWords(t *testing.T) {
	m := loadBert(t)
	for _, w := range []string{"字", "符", "测", "试", "۱۲۳۴۵۶۷۸۹۰", "🇮🇷", "😀👍🏽👨👩👧👦"} {
		if got := m.Encode(nil, w); fmt.Sprint(got) != "[100]" {
			t.Errorf("Encode(%q) = %v, want [100]", w, got)
		}
	}
}

func TestHandBuilt(t *testing.T) {
	vocab := map[string]int{"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "una": 4, "##ff": 5, "a": 6, "##a": 7, "é": 8, "##é": 9, "<unk>": 10, "_x": 11, "x": 12}
	cases := []struct {
		name string
		opts Options
		word string
		want []int
		offs []tokenizer.Offset
	}{
		{"greedy longest first", Options{}, "unaffable", []int{4, 5, 3}, []tokenizer.Offset{{Start: 0, End: 3}, {Start: 3, End: 5}, {Start: 5, End: 9}}},
		{"single piece", Options{}, "un", []int{1}, []tokenizer.Offset{{Start: 0, End: 2}}},
		// "una" + "##ff" leaves "z", which no piece starts: the whole word is unknown.
		{"unsegmentable word is one unk", Options{}, "unaffz", []int{0}, []tokenizer.Offset{{Start: 0, End: 6}}},
		{"empty word", Options{}, "", nil, nil},
		{"multi-byte characters", Options{}, "éé", []int{8, 9}, []tokenizer.Offset{{Start: 0, End: 2}, {Start: 2, End: 4}}},
		{"chars counted, not bytes", Options{MaxInputCharsPerWord: 2}, "éé", []int{8, 9}, []tokenizer.Offset{{Start: 0, End: 2}, {Start: 2, End: 4}}},
		{"too many chars", Options{MaxInputCharsPerWord: 2}, "aaa", []int{0}, []tokenizer.Offset{{Start: 0, End: 3}}},
		{"exactly the limit", Options{MaxInputCharsPerWord: 3}, "aaa", []int{6, 7, 7}, []tokenizer.Offset{{Start: 0, End: 1}, {Start: 1, End: 2}, {Start: 2, End: 3}}},
		{"custom unk", Options{UnkToken: "<unk>"}, "zz", []int{10}, []tokenizer.Offset{{Start: 0, End: 2}}},
		{"custom prefix", Options{ContinuingSubwordPrefix: "_"}, "xx", []int{12, 11}, []tokenizer.Offset{{Start: 0, End: 1}, {Start: 1, End: 2}}},
		{"invalid UTF-8 is unknown", Options{}, "a\xff", []int{0}, []tokenizer.Offset{{Start: 0, End: 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(vocab, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			ids, offs := m.EncodeOffsets([]int{-7}, []tokenizer.Offset{{Start: -7}}, tc.word, 0)
			if fmt.Sprint(ids[1:]) != fmt.Sprint(tc.want) || fmt.Sprint(offs[1:]) != fmt.Sprint(tc.offs) {
				t.Errorf("EncodeOffsets(%q) = %v %v, want %v %v", tc.word, ids[1:], offs[1:], tc.want, tc.offs)
			}
			if got := m.Encode(nil, tc.word); fmt.Sprint(got) != fmt.Sprint(ids[1:]) {
				t.Errorf("Encode(%q) = %v, EncodeOffsets %v", tc.word, got, ids[1:])
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name  string
		vocab map[string]int
		opts  Options
		want  string
	}{
		{"default unk missing", map[string]int{"a": 0}, Options{}, `"[UNK]" is not in the vocabulary`},
		{"custom unk missing", map[string]int{"[UNK]": 0}, Options{UnkToken: "<unk>"}, `"<unk>" is not in the vocabulary`},
		{"negative id", map[string]int{"[UNK]": 0, "a": -1}, Options{}, "negative id -1"},
		{"negative max chars", map[string]int{"[UNK]": 0}, Options{MaxInputCharsPerWord: -1}, "negative"},
		{"conflicting prefix options", map[string]int{"[UNK]": 0}, Options{EmptyPrefix: true, ContinuingSubwordPrefix: "##"}, "EmptyPrefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.vocab, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestToken(t *testing.T) {
	m, err := New(map[string]int{"[UNK]": 0, "a": 1, "b": 1, "##c": 3}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id   int
		want string
		ok   bool
	}{{0, "[UNK]", true}, {1, "a", true}, {2, "", false}, {3, "##c", true}, {4, "", false}, {-1, "", false}}
	for _, tc := range cases {
		if got, ok := m.Token(tc.id); got != tc.want || ok != tc.ok {
			t.Errorf("Token(%d) = %q, %v; want %q, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
	sparse, err := New(map[string]int{"[UNK]": 1 << 40, "a": 5}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := sparse.Token(1 << 40); !ok || got != "[UNK]" {
		t.Errorf("sparse Token = %q, %v", got, ok)
	}
	if got := sparse.Encode(nil, "ab"); fmt.Sprint(got) != fmt.Sprint([]int{1 << 40}) {
		t.Errorf("sparse Encode = %v", got)
	}
}

func FuzzEncode(f *testing.F) {
	f.Add("unaffable", 0)
	f.Add("éé\xff", 2)
	f.Add("", 1)
	vocab := map[string]int{"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "una": 4, "##ff": 5, "a": 6, "##a": 7, "é": 8, "##é": 9, "##\xc3": 10, "\xa9": 11}
	f.Fuzz(func(t *testing.T, word string, maxChars int) {
		m, err := New(vocab, Options{MaxInputCharsPerWord: maxChars})
		if err != nil {
			return
		}
		ids, offs := m.EncodeOffsets(nil, nil, word, 3)
		if len(ids) != len(offs) || (word != "" && len(ids) == 0) {
			t.Fatalf("%d ids, %d offsets for %q", len(ids), len(offs), word)
		}
		at := 3
		for i, o := range offs {
			if _, ok := m.Token(ids[i]); !ok || o.Start != at || o.End <= o.Start {
				t.Fatalf("bad token %d at %v for %q", ids[i], o, word)
			}
			at = o.End
		}
		if word != "" && at != 3+len(word) {
			t.Fatalf("offsets %v do not cover %q", offs, word)
		}
	})
}

func ExampleModel_Encode() {
	m, err := New(map[string]int{"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "una": 4, "##ff": 5}, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range []string{"unaffable", "unable", "xyz"} {
		var toks []string
		for _, id := range m.Encode(nil, w) {
			tok, _ := m.Token(id)
			toks = append(toks, tok)
		}
		fmt.Println(w, toks)
	}
	// Greedy: "unable" takes "una" first, then finds no "##ble", so the
	// whole word is unknown even though "un" + "##able" would fit.

	// Output:
	// unaffable [una ##ff ##able]
	// unable [[UNK]]
	// xyz [[UNK]]
}
