package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// metricValue reads one unlabelled metric from /metrics.
func metricValue(t *testing.T, url, name string) int64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		var v int64
		if strings.HasPrefix(l, name+" ") {
			if _, err := fmt.Sscan(l[len(name)+1:], &v); err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return v
		}
	}
	t.Fatalf("no metric %s in\n%s", name, b)
	return 0
}

// TestPrefixCache: a conversation's turns (each prompt re-sends the last
// one and its answer) and a prompt that diverges mid-way give the same
// text with the cache as without (greedy and seeded, on a fake model
// whose logits depend on every id before), while the cached turns run only
// their new ids; usage and /metrics count the cached ids.
func TestPrefixCache(t *testing.T) {
	type turn struct {
		text         string
		cached, rows int
	}
	run := func(cache int, opts string) []turn {
		m := &fakeModel{ctx: 256, history: true}
		_, ts := newTest(t, m, func(c *Config) { c.PrefixCache = cache })
		var out []turn
		prompt := "the story so far"
		for i, more := range []string{" and then", " but", " so"} {
			rows := m.forwardRows()
			r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"`+prompt+`","max_tokens":7`+opts+`}`)
			out = append(out, turn{r.Choices[0].Text, r.Usage.PromptTokensDetails.CachedTokens, m.forwardRows() - rows})
			if i == 1 {
				// a prompt that shares only "the story " with the others
				rows := m.forwardRows()
				r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"the story ends","max_tokens":7`+opts+`}`)
				out = append(out, turn{r.Choices[0].Text, r.Usage.PromptTokensDetails.CachedTokens, m.forwardRows() - rows})
			}
			prompt += r.Choices[0].Text + more
		}
		if cache > 0 {
			var cached int64
			for _, tr := range out {
				cached += int64(tr.cached)
			}
			if got := metricValue(t, ts.URL, "llmpipe_prompt_cached_tokens_total"); got != cached {
				t.Fatalf("metrics: %d cached tokens, usage says %d", got, cached)
			}
			if got := metricValue(t, ts.URL, "llmpipe_prefix_cache_hits_total"); got != 3 {
				t.Fatalf("metrics: %d hits, want 3", got)
			}
		}
		return out
	}
	for _, opts := range []string{`,"temperature":0`, `,"temperature":1.3,"seed":11`} {
		off, on := run(0, opts), run(8, opts)
		for i := range off {
			if off[i].text != on[i].text {
				t.Fatalf("%s turn %d: %q without the cache, %q with it", opts, i, off[i].text, on[i].text)
			}
			if off[i].cached != 0 {
				t.Fatalf("%s turn %d: %d cached without the cache", opts, i, off[i].cached)
			}
		}
		// turn 0 runs its prompt (17 ids) and 6 generated ids; the others
		// start from the sequence before: the ids it holds are not run
		if on[0].cached != 0 || on[0].rows != off[0].rows {
			t.Fatalf("%s first turn: %+v vs %+v", opts, on[0], off[0])
		}
		if on[2].cached != len("<the story ") {
			t.Fatalf("%s diverging prompt: %d cached, want %d", opts, on[2].cached, len("<the story "))
		}
		for _, i := range []int{1, 2, 3} {
			if on[i].cached == 0 || on[i].rows != off[i].rows-on[i].cached {
				t.Fatalf("%s turn %d: %+v with the cache, %+v without", opts, i, on[i], off[i])
			}
		}
		// turn 1's prompt holds turn 0's prompt, its 7 ids and " and then"
		if on[1].cached != 17+6 {
			t.Fatalf("%s turn 1: %d cached, want %d", opts, on[1].cached, 17+6)
		}
	}
}

// TestPrefixCacheBounds: the cache keeps at most PrefixCache sequences
// and PrefixCacheBytes bytes, least recently used out first.
func TestPrefixCacheBounds(t *testing.T) {
	m := &fakeModel{ctx: 256}
	// fakeSeq holds 100 bytes a position: 3 sequences of 21+4 positions fit in 8000 bytes
	_, ts := newTest(t, m, func(c *Config) { c.PrefixCache, c.PrefixCacheBytes = 5, 8000 })
	for i := range 6 {
		prompt := strings.Repeat(string(rune('a'+i)), 20)
		postOK(t, ts.URL+"/v1/completions", `{"prompt":"`+prompt+`","max_tokens":5,"temperature":0}`)
		seqs, bytes := metricValue(t, ts.URL, "llmpipe_prefix_cache_sequences"), metricValue(t, ts.URL, "llmpipe_prefix_cache_bytes")
		if bytes > 8000 || seqs != int64(min(i+1, 3)) || bytes != seqs*2500 {
			t.Fatalf("after %d requests: %d sequences, %d bytes", i+1, seqs, bytes)
		}
	}
	// the oldest ones went: "aaa…" runs whole again, "fff…" hits
	for _, c := range []struct {
		prompt string
		cached int
	}{{strings.Repeat("a", 20) + "x", 0}, {strings.Repeat("f", 20) + "x", 21}} {
		r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"`+c.prompt+`","max_tokens":2,"temperature":0}`)
		if r.Usage.PromptTokensDetails.CachedTokens != c.cached {
			t.Fatalf("%q: %d cached, want %d", c.prompt, r.Usage.PromptTokensDetails.CachedTokens, c.cached)
		}
	}

	// the sequence bound
	m2 := &fakeModel{ctx: 256}
	_, ts2 := newTest(t, m2, func(c *Config) { c.PrefixCache = 2 })
	for i := range 4 {
		postOK(t, ts2.URL+"/v1/completions", `{"prompt":"`+strings.Repeat(string(rune('a'+i)), 20)+`","max_tokens":5,"temperature":0}`)
		if seqs := metricValue(t, ts2.URL, "llmpipe_prefix_cache_sequences"); seqs != int64(min(i+1, 2)) {
			t.Fatalf("after %d requests: %d sequences", i+1, seqs)
		}
	}
}

// TestPrefixCacheUnit: lookup never returns more than the ids a prompt
// shares with an entry, nor the prompt's last id; add drops entries the new
// one extends.
func TestPrefixCacheUnit(t *testing.T) {
	m := &fakeModel{ctx: 64}
	seq := func(ids ...int) *fakeSeq { return &fakeSeq{m: m, ids: ids} }
	c := &prefixCache{maxSeqs: 4}
	c.add([]int{0, 2, 3, 4, 5}, seq(0, 2, 3, 4, 5))
	c.add([]int{0, 2, 3, 4, 5, 6, 7}, seq(0, 2, 3, 4, 5, 6, 7)) // extends the first: it goes
	c.add([]int{0, 2, 3, 9, 9}, seq(0, 2, 3, 9, 9))
	if len(c.entries) != 2 || c.bytes != 1200 {
		t.Fatalf("%d entries, %d bytes", len(c.entries), c.bytes)
	}
	for _, tc := range []struct {
		prompt []int
		want   int
	}{
		{[]int{0, 2, 3, 4, 5, 6, 7}, 6}, // all cached but the last id
		{[]int{0, 2, 3, 4, 8}, 4},
		{[]int{0, 2, 3, 9, 9, 9}, 5}, // the whole entry: it leaves the cache
		{[]int{0, 2, 3, 8}, 0},       // 3 shared ids: below minShared
		{[]int{1, 2, 3, 4, 5}, 0},
	} {
		sq, n := c.lookup(tc.prompt)
		if n != tc.want || (sq == nil) != (n == 0) || (sq != nil && sq.Len() != n) {
			t.Fatalf("%v: %d cached", tc.prompt, n)
		}
		if sq != nil && sharedLen(sq.(*fakeSeq).ids, tc.prompt) != n {
			t.Fatalf("%v: the sequence holds %v", tc.prompt, sq.(*fakeSeq).ids)
		}
	}
	if len(c.entries) != 1 {
		t.Fatalf("%d entries", len(c.entries))
	}
	var off *prefixCache
	if sq, n := off.lookup([]int{0, 1, 2, 3, 4}); sq != nil || n != 0 {
		t.Fatal("a nil cache found something")
	}
}

// TestPrefixCacheKeepsCancelled: a stream whose client went away leaves its
// sequence in the cache (a chat's stop button, then the next turn; greedy,
// so that its first generated id is never the next prompt's " "); an
// entry larger than the byte bound is not kept and pushes nothing out.
func TestPrefixCacheKeepsCancelled(t *testing.T) {
	s, ts := newTest(t, &fakeModel{ctx: 512, delay: 2 * time.Millisecond, history: true}, func(c *Config) { c.PrefixCache = 4 })
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"once upon a time","max_tokens":400,"stream":true,"temperature":0}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	for range 5 { // a few ids
		if _, err := rd.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	resp.Body.Close()
	waitFor(t, "the sequence to be cancelled", func() bool { return s.metrics.count("cancelled") == 1 && s.sched.idle() })
	r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"once upon a time there","max_tokens":2,"temperature":0}`)
	if got := r.Usage.PromptTokensDetails.CachedTokens; got != len("<once upon a time") {
		t.Fatalf("%d cached tokens, want %d", got, len("<once upon a time"))
	}

	c := &prefixCache{maxSeqs: 4, maxBytes: 1000}
	m := &fakeModel{ctx: 64}
	c.add([]int{0, 2, 3, 4, 5}, &fakeSeq{m: m, ids: []int{0, 2, 3, 4, 5}})
	big := make([]int, 11)
	c.add(big, &fakeSeq{m: m, ids: big})
	if len(c.entries) != 1 || c.bytes != 500 {
		t.Fatalf("%d entries, %d bytes", len(c.entries), c.bytes)
	}
}
