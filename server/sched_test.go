package server

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/model"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (m *metrics) count(outcome string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sequences[outcome]
}

// TestDisconnectCancels: a client that goes away mid-stream cancels its
// sequence at once; the server stays healthy.
func TestDisconnectCancels(t *testing.T) {
	s, ts := newTest(t, &fakeModel{ctx: 512, delay: 5 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"a","max_tokens":400,"stream":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "data: {") {
			break
		}
	}
	cancel()
	resp.Body.Close()
	waitFor(t, "the sequence to be cancelled", func() bool { return s.metrics.count("cancelled") == 1 && s.sched.idle() })
	if s.metrics.count("completed") != 0 {
		t.Fatal("the sequence completed")
	}
	postOK(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":2}`)
}

// TestConcurrentRequests: 100 requests at once against Parallel 4 and a
// queue of 16 waiting get 200 or 429 (queue full) and nothing else; the steps batch
// 4 sequences; every goroutine is gone afterwards.
func TestConcurrentRequests(t *testing.T) {
	before := runtime.NumGoroutine()
	m := &fakeModel{ctx: 64, delay: time.Millisecond}
	s, ts := newTest(t, m, func(c *Config) { c.Parallel, c.QueueSize = 4, 16 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"prompt":"a","max_tokens":8,"temperature":0}`
			if i%2 == 1 {
				body = `{"messages":[{"role":"user","content":"b"}],"max_tokens":8,"stream":true}`
			}
			url := ts.URL + "/v1/completions"
			if i%2 == 1 {
				url = ts.URL + "/v1/chat/completions"
			}
			resp, err := client.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			lines := sse(t, resp.Body)
			resp.Body.Close()
			if i%2 == 1 && resp.StatusCode == 200 && lines[len(lines)-1] != "[DONE]" {
				t.Errorf("stream %d did not end with [DONE]", i)
			}
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	// At least a queue's worth is accepted (16: all may arrive before the
	// scheduler moves any to the 4 active slots; more when it does).
	if codes[200]+codes[429] != 100 || codes[200] < 16 {
		t.Fatalf("statuses %v", codes)
	}
	if m.maxBatch != 4 {
		t.Fatalf("largest batch %d, want 4", m.maxBatch)
	}
	postOK(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":2}`) // still healthy
	client.CloseIdleConnections()
	ts.Close()
	s.Close()
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// TestChunkedPrefill: a long prompt is fed PrefillChunk ids per step while
// a running stream keeps getting one id every step.
func TestChunkedPrefill(t *testing.T) {
	m := &fakeModel{ctx: 512, delay: 2 * time.Millisecond}
	s, ts := newTest(t, m, func(c *Config) { c.PrefillChunk = 4 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"a","max_tokens":300,"stream":true,"temperature":0}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	waitFor(t, "the stream to run", func() bool { return s.metrics.active.Load() == 1 })
	m.mu.Lock()
	m.batches = nil
	m.mu.Unlock()
	long := strings.Repeat("ab ", 20) // 61 ids with BOS
	r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"`+long+`","max_tokens":1,"temperature":0}`)
	if r.Usage.PromptTokens != 61 {
		t.Fatalf("usage %+v", r.Usage)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// 61 ids in chunks of 4: at least 16 steps with both sequences in them
	two := 0
	for _, b := range m.batches {
		if b == 2 {
			two++
		}
	}
	if two < 16 {
		t.Fatalf("only %d steps batched the prompt with the stream: %v", two, m.batches)
	}
}

// TestShutdown: Shutdown lets a running stream finish, refuses new requests
// with 503, and cancels what is left when its context ends.
func TestShutdown(t *testing.T) {
	s, ts := newTest(t, &fakeModel{ctx: 512, delay: time.Millisecond}, nil)
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"a","max_tokens":50,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stream to run", func() bool { return s.metrics.active.Load() == 1 })
	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	waitFor(t, "draining", func() bool { s.sched.mu.Lock(); defer s.sched.mu.Unlock(); return s.sched.draining })
	if code, _ := post(t, ts.URL+"/v1/completions", `{"prompt":"a"}`); code != 503 {
		t.Fatalf("request during shutdown: %d", code)
	}
	lines := sse(t, resp.Body)
	resp.Body.Close()
	if lines[len(lines)-1] != "[DONE]" {
		t.Fatalf("the running stream did not finish: %q", lines[len(lines)-3:])
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// a shutdown whose grace period ends cancels the stream
	s2, ts2 := newTest(t, &fakeModel{ctx: 512, delay: 5 * time.Millisecond}, nil)
	resp, err = http.Post(ts2.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"a","max_tokens":400,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stream to run", func() bool { return s2.metrics.active.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s2.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown past its deadline returned nil")
	}
	lines = sse(t, resp.Body)
	resp.Body.Close()
	if last := lines[len(lines)-1]; !strings.Contains(last, "shutting down") {
		t.Fatalf("cancelled stream ended with %q", last)
	}
}

// TestTimeout: a request running past Config.Timeout gets a 504.
func TestTimeout(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 512, delay: 5 * time.Millisecond}, func(c *Config) { c.Timeout = 30 * time.Millisecond })
	code, body := post(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":400}`)
	if code != http.StatusGatewayTimeout || !strings.Contains(string(body), "timeout") {
		t.Fatalf("%d %s", code, body)
	}
}

// TestCancelWhileQueued: a waiting request whose client leaves frees its
// queue slot at the next step, while another runs.
func TestCancelWhileQueued(t *testing.T) {
	s, ts := newTest(t, &fakeModel{ctx: 512, delay: 2 * time.Millisecond}, func(c *Config) { c.Parallel, c.QueueSize = 1, 1 })
	running, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(`{"prompt":"a","max_tokens":300,"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer running.Body.Close()
	waitFor(t, "the first stream to run", func() bool { return s.metrics.active.Load() == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"a","max_tokens":5}`))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, "the second to queue", func() bool { return s.metrics.queueDepth.Load() == 1 })
	if code, _ := post(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":5}`); code != http.StatusTooManyRequests {
		t.Fatalf("third request with a full queue: %d, want 429", code)
	}
	cancel()
	waitFor(t, "the queued request to be dropped", func() bool { return s.metrics.count("cancelled") == 1 && s.metrics.queueDepth.Load() == 0 })
	if s.metrics.active.Load() != 1 {
		t.Fatal("the running stream stopped")
	}
}

// panicModel panics in its forward pass.
type panicModel struct{ *fakeModel }

func (panicModel) ForwardBatch(seqs []model.Sequence, ids [][]int) ([][]float32, error) {
	panic("boom")
}

// TestModelPanic: a model that panics fails the request with a 500; the
// server keeps serving.
func TestModelPanic(t *testing.T) {
	s, err := New(Config{Model: panicModel{&fakeModel{ctx: 64}}, Tokenizer: fakeTok{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, req := range []string{`{"prompt":"a"}`, `{"prompt":"a"}`, `{"prompt":"a","n":3}`, `{"prompt":"a","n":3,"stream":true}`} {
		code, body := post(t, ts.URL+"/v1/completions", req)
		if !strings.Contains(string(body), "panic in the model: boom") || (code != 500 && !strings.Contains(req, "stream")) {
			t.Fatalf("%s: %d %s", req, code, body)
		}
	}
	// the choices that waited for the failed prompt are gone too
	waitFor(t, "the scheduler to be idle", s.sched.idle)
}

// TestNSharesPrompt: the choices of an n > 1 request run the prompt once
// (one sequence's rows, then forks) and decode in the same batched steps;
// seeded outputs equal those of a model whose sequences cannot fork (each
// choice runs the prompt itself).
func TestNSharesPrompt(t *testing.T) {
	const n = 3
	prompt := strings.Repeat("abc ", 10) // 41 ids with BOS
	body := `{"prompt":"` + prompt + `","max_tokens":6,"temperature":1.2,"seed":5,"n":3}`
	var texts [2][]string
	for k, noFork := range []bool{true, false} {
		m := &fakeModel{ctx: 128, noFork: noFork, history: true}
		_, ts := newTest(t, m, nil)
		r := postOK(t, ts.URL+"/v1/completions", body)
		for _, c := range r.Choices {
			texts[k] = append(texts[k], c.Text)
		}
		if r.Usage.PromptTokens != 41 || r.Usage.CompletionTokens != n*6 {
			t.Fatalf("noFork=%v: usage %+v", noFork, r.Usage)
		}
		// every choice feeds 5 generated ids after its first; the prompt runs once or n times
		want := 41 + n*5
		if noFork {
			want = n*41 + n*5
		}
		if got := m.forwardRows(); got != want {
			t.Fatalf("noFork=%v: %d rows run, want %d", noFork, got, want)
		}
		if !noFork {
			m.mu.Lock()
			three := 0
			for _, b := range m.batches {
				if b == n {
					three++
				}
			}
			m.mu.Unlock()
			if three < 5 {
				t.Fatalf("the forks did not decode together: batches %v", m.batches)
			}
		}
	}
	if !slices.Equal(texts[0], texts[1]) {
		t.Fatalf("seeded choices differ:\nno fork %q\nfork    %q", texts[0], texts[1])
	}
	if texts[1][0] == texts[1][1] && texts[1][1] == texts[1][2] {
		t.Fatalf("three choices alike: %q", texts[1])
	}
}

// TestNGroupWaitsForSlots: with n larger than Parallel the members that get
// a slot later still fork the prompt's sequence.
func TestNGroupWaitsForSlots(t *testing.T) {
	m := &fakeModel{ctx: 64, history: true}
	_, ts := newTest(t, m, func(c *Config) { c.Parallel = 2 })
	r := postOK(t, ts.URL+"/v1/completions", `{"prompt":"abcdefgh","max_tokens":3,"temperature":1,"seed":1,"n":5}`)
	if len(r.Choices) != 5 || m.forwardRows() != 9+5*2 {
		t.Fatalf("%d choices, %d rows", len(r.Choices), m.forwardRows())
	}
	m2 := &fakeModel{ctx: 64, history: true, noFork: true}
	_, ts2 := newTest(t, m2, func(c *Config) { c.Parallel = 2 })
	r2 := postOK(t, ts2.URL+"/v1/completions", `{"prompt":"abcdefgh","max_tokens":3,"temperature":1,"seed":1,"n":5}`)
	for i := range r.Choices {
		if r.Choices[i].Text != r2.Choices[i].Text {
			t.Fatalf("choice %d: %q vs %q", i, r.Choices[i].Text, r2.Choices[i].Text)
		}
	}
}
