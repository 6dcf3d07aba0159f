package align

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestExamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, task := range AllTasks {
		for range 200 {
			e := NewExample(rng, task)
			if !e.Judge(e.Answer) {
				t.Fatalf("%+v: the answer is not judged right", e)
			}
			if w := Wrong(rng, e); w == e.Answer || e.Judge(w) || w == "" {
				t.Fatalf("%+v: Wrong gave %q", e, w)
			}
			for _, s := range []string{Render(e.User, e.Answer), Render(e.User, Wrong(rng, e))} {
				for _, r := range s {
					if !strings.ContainsRune(Alphabet, r) {
						t.Fatalf("%q: %q is not in the alphabet", s, r)
					}
				}
			}
		}
	}
	if got := Render("12+7", "19"); got != "Q:12+7\nA:19\n" {
		t.Errorf("Render = %q", got)
	}
}

func TestExampleValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for range 50 {
		e := NewExample(rng, TaskReverse)
		w := strings.TrimPrefix(e.User, "rev ")
		for i := range w {
			if w[i] != e.Answer[len(w)-1-i] {
				t.Fatalf("%+v is not a reversal", e)
			}
		}
		e = NewExample(rng, TaskUpper)
		if strings.ToUpper(strings.TrimPrefix(e.User, "up ")) != e.Answer {
			t.Fatalf("%+v", e)
		}
	}
}

func TestDatasetHeldOut(t *testing.T) {
	tr, te := Dataset(7, AllTasks, 2000, 300)
	if len(tr) != 2000 || len(te) != 300 {
		t.Fatalf("sizes %d, %d", len(tr), len(te))
	}
	seen := map[string]bool{}
	for _, e := range tr {
		seen[e.User] = true
	}
	kinds := map[string]int{}
	for _, e := range te {
		if seen[e.User] {
			t.Fatalf("held-out %q is in the training split", e.User)
		}
		kinds[e.Task]++
	}
	for _, k := range AllTasks {
		if kinds[k] != 75 {
			t.Errorf("held-out %s: %d examples, want 75", k, kinds[k])
		}
	}
	tr2, _ := Dataset(7, AllTasks, 2000, 300)
	if tr2[1999] != tr[1999] {
		t.Error("the same seed gave another dataset")
	}
}

func TestScore(t *testing.T) {
	e := Example{TaskCopy, "cp abcd", "abcd"}
	for _, tc := range []struct {
		reply string
		want  float64
	}{{"abcd", 1}, {"abdc", 0.25}, {"abc", 0.375}, {"", 0}, {"xbcdef", 0.25}} {
		if got := e.Score(tc.reply); got != tc.want {
			t.Errorf("Score(%q) = %v, want %v", tc.reply, got, tc.want)
		}
	}
}

func TestParseTasks(t *testing.T) {
	if got, err := ParseTasks("add, up"); err != nil || len(got) != 2 {
		t.Errorf("ParseTasks = %v, %v", got, err)
	}
	for _, bad := range []string{"", "mul", "add,mul", ","} {
		if _, err := ParseTasks(bad); err == nil {
			t.Errorf("ParseTasks(%q) gave no error", bad)
		}
	}
}

func TestNoisy(t *testing.T) {
	ex, _ := Dataset(1, AllTasks, 2000, 0)
	noisy := Noisy(3, ex, 0.4)
	wrong := 0
	for i, e := range noisy {
		if e.User != ex[i].User || e.Task != ex[i].Task {
			t.Fatalf("example %d changed its prompt", i)
		}
		if e.Answer != ex[i].Answer {
			wrong++
			if ex[i].Judge(e.Answer) {
				t.Fatalf("example %d: a replaced answer %q is right", i, e.Answer)
			}
		}
	}
	if share := float64(wrong) / float64(len(ex)); share < 0.36 || share > 0.44 {
		t.Errorf("%.3f of the answers replaced, want about 0.4", share)
	}
	for i, e := range Noisy(3, ex, 0) {
		if e != ex[i] {
			t.Fatalf("noise 0 changed example %d", i)
		}
	}
}

func TestBoundaryPairs(t *testing.T) {
	ex, _ := Dataset(2, AllTasks, 30, 0)
	kinds := map[string]int{}
	for i, p := range BoundaryPairs(ex) {
		if p.Chosen != ex[i].Answer || p.Judge(p.Rejected) {
			t.Fatalf("pair %d: chosen %q rejected %q for answer %q", i, p.Chosen, p.Rejected, ex[i].Answer)
		}
		switch {
		case p.Rejected == "":
			kinds["empty"]++
		case strings.HasPrefix(p.Chosen, p.Rejected):
			kinds["prefix"]++
		case strings.HasPrefix(p.Rejected, p.Chosen):
			kinds["longer"]++
		}
	}
	if kinds["empty"] < 10 || kinds["prefix"] < 5 || kinds["longer"] != 10 {
		t.Errorf("kinds of rejected replies %v", kinds)
	}
}
