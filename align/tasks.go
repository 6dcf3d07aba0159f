package align

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Task kinds, as they appear in --tasks.
const (
	TaskAdd     = "add" // "12+7" → "19": two numbers below 100
	TaskReverse = "rev" // "rev abc" → "cba"
	TaskCopy    = "cp"  // "cp abc" → "abc"
	TaskUpper   = "up"  // "up abc" → "ABC"
	maxWordLen  = 5     // words have 3..maxWordLen lowercase letters
	wordAlpha   = "abcdefghijklmnopqrstuvwxyz"
	turnEnd     = "\n"   // the assistant's end of turn (generation stops here)
	userPrefix  = "Q:"   // Template: "Q:" user "\n" "A:" assistant "\n"
	asstPrefix  = "\nA:" //
)

// AllTasks lists every task kind.
var AllTasks = []string{TaskAdd, TaskReverse, TaskCopy, TaskUpper}

// Alphabet is the character vocabulary of every rendered task (id = index).
const Alphabet = "\n +:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Example is one task instance: the user's message and the right answer.
type Example struct {
	Task   string
	User   string
	Answer string
}

// Prompt is the example rendered up to the assistant's turn (Template).
func (e Example) Prompt() string { return RenderPrompt(e.User) }

// RenderPrompt renders a user message with the package's chat template,
// "Q:" user "\n" "A:", ready for the assistant's reply. The template has no
// special tokens: the reply ends with a newline (the end of turn), so user
// messages and replies never contain one.
func RenderPrompt(user string) string { return userPrefix + user + asstPrefix }

// Render renders a whole conversation turn: RenderPrompt(user) + reply + "\n".
func Render(user, reply string) string { return RenderPrompt(user) + reply + turnEnd }

// Judge reports whether reply is the exact right answer to e (the
// programmatic preference: right is preferred over wrong).
func (e Example) Judge(reply string) bool { return reply == e.Answer }

// Score is the programmatic reward of a reply: 1 when it is right, else
// half the share of positions where it agrees with the answer,
// 0.5·matches/max(len(reply), len(answer)) (partial credit makes the RL
// signal denser than right/wrong; the win rate still uses Judge).
func (e Example) Score(reply string) float64 {
	if e.Judge(reply) {
		return 1
	}
	n := max(len(reply), len(e.Answer))
	if n == 0 {
		return 0
	}
	m := 0
	for i := 0; i < min(len(reply), len(e.Answer)); i++ {
		if reply[i] == e.Answer[i] {
			m++
		}
	}
	return 0.5 * float64(m) / float64(n)
}

// ParseTasks splits a comma-separated task list and checks every name.
func ParseTasks(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		switch t {
		case TaskAdd, TaskReverse, TaskCopy, TaskUpper:
			out = append(out, t)
		case "":
		default:
			return nil, fmt.Errorf("align: unknown task %q (want %s)", t, strings.Join(AllTasks, ", "))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("align: no task in %q", s)
	}
	return out, nil
}

// NewExample draws one example of the task kind from rng.
func NewExample(rng *rand.Rand, task string) Example {
	word := func() string {
		n := 3 + rng.IntN(maxWordLen-2)
		b := make([]byte, n)
		for i := range b {
			b[i] = wordAlpha[rng.IntN(len(wordAlpha))]
		}
		return string(b)
	}
	switch task {
	case TaskAdd:
		a, b := rng.IntN(100), rng.IntN(100)
		return Example{task, fmt.Sprintf("%d+%d", a, b), strconv.Itoa(a + b)}
	case TaskReverse:
		w := word()
		r := []byte(w)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return Example{task, "rev " + w, string(r)}
	case TaskCopy:
		w := word()
		return Example{task, "cp " + w, w}
	case TaskUpper:
		w := word()
		return Example{task, "up " + w, strings.ToUpper(w)}
	}
	panic("align: NewExample of unknown task " + task)
}

// Dataset returns nTrain training and nTest held-out examples of the tasks
// (taken in turn), drawn from seed. No held-out user message occurs in the
// training split.
func Dataset(seed uint64, tasks []string, nTrain, nTest int) (trainSet, test []Example) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	seen := map[string]bool{}
	for i := 0; i < nTrain; i++ {
		e := NewExample(rng, tasks[i%len(tasks)])
		seen[e.User] = true
		trainSet = append(trainSet, e)
	}
	for i, tries := 0, 0; len(test) < nTest && tries < 100*nTest+100; tries++ {
		e := NewExample(rng, tasks[i%len(tasks)])
		if seen[e.User] {
			continue
		}
		seen[e.User] = true
		test = append(test, e)
		i++
	}
	return trainSet, test
}

// Wrong returns a plausible wrong answer to e drawn from rng: an addition off
// by 1 to 10, or the answer with two characters swapped, one dropped or one
// changed. It never equals e.Answer.
func Wrong(rng *rand.Rand, e Example) string {
	if e.Task == TaskAdd {
		v, _ := strconv.Atoi(e.Answer)
		d := 1 + rng.IntN(10)
		if rng.IntN(2) == 0 && v-d >= 0 {
			d = -d
		}
		return strconv.Itoa(v + d)
	}
	for {
		b := []byte(e.Answer)
		i := rng.IntN(len(b))
		switch rng.IntN(3) {
		case 0:
			if j := (i + 1) % len(b); b[i] != b[j] {
				b[i], b[j] = b[j], b[i]
			}
		case 1:
			b = append(b[:i], b[i+1:]...)
		default:
			alpha := wordAlpha
			if e.Task == TaskUpper {
				alpha = strings.ToUpper(wordAlpha)
			}
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		if s := string(b); s != e.Answer && len(s) > 0 {
			return s
		}
	}
}

// Pair is a preference pair: the same prompt with a chosen and a rejected reply.
type Pair struct {
	Example
	Chosen, Rejected string
}

// Pairs returns one pair per example: the right answer chosen over a
// Wrong one, drawn from seed.
func Pairs(seed uint64, examples []Example) []Pair {
	rng := rand.New(rand.NewPCG(seed, 0xba1))
	out := make([]Pair, len(examples))
	for i, e := range examples {
		out[i] = Pair{e, e.Answer, Wrong(rng, e)}
	}
	return out
}

// Noisy returns a copy of examples in which a share frac of the answers,
// drawn from seed, are replaced by a Wrong one: the demonstrations of a
// noisy demonstrator, for SFT. Keep the clean examples for judging
// (Example.Judge reads Answer): preference methods learn from the judge
// what the noisy demonstrations get wrong.
func Noisy(seed uint64, examples []Example, frac float64) []Example {
	rng := rand.New(rand.NewPCG(seed, 0x0153))
	out := make([]Example, len(examples))
	for i, e := range examples {
		out[i] = e
		if rng.Float64() < frac {
			out[i].Answer = Wrong(rng, e)
		}
	}
	return out
}

// BoundaryPairs returns one pair per example whose rejected reply ends in
// the wrong place: in turn the empty reply, a strict prefix of the answer,
// and the answer with its last character repeated. Perturbations (Wrong)
// and a model's own samples rarely show these, and a policy optimized
// against a reward model finds them (an empty reply for an addition was
// the first thing GRPO learned against a reward model trained without
// them).
func BoundaryPairs(examples []Example) []Pair {
	out := make([]Pair, len(examples))
	for i, e := range examples {
		a, r := e.Answer, ""
		switch i % 3 {
		case 1:
			if len(a) > 1 {
				r = a[:1+i%(len(a)-1)]
			}
		case 2:
			r = a + a[len(a)-1:]
		}
		out[i] = Pair{e, a, r}
	}
	return out
}
