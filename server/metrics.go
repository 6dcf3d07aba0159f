package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ttftBuckets are the upper bounds (seconds) of the time-to-first-token
// histogram.
var ttftBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// metrics are the server's counters, written as Prometheus text (version
// 0.0.4) by /metrics.
type metrics struct {
	queueDepth, active    atomic.Int64
	cacheSeqs, cacheBytes atomic.Int64 // the prefix cache's size

	mu               sync.Mutex
	requests         map[[2]string]int64 // {endpoint, status code} → count
	promptTokens     int64
	cachedTokens     int64 // prompt ids taken from the prefix cache
	cacheLookups     int64
	cacheHits        int64
	completionTokens int64
	sequences        map[string]int64 // outcome → count
	ttftCount        int64
	ttftSum          float64
	ttftHist         []int64 // per bucket (not cumulative)
	steps            int64
	tokS             float64 // moving average of generated tokens/s over steps
}

func newMetrics() *metrics {
	return &metrics{requests: map[[2]string]int64{}, sequences: map[string]int64{}, ttftHist: make([]int64, len(ttftBuckets))}
}

func (m *metrics) request(endpoint string, code int) {
	m.mu.Lock()
	m.requests[[2]string{endpoint, fmt.Sprint(code)}]++
	m.mu.Unlock()
}

// prefixLookup records one prefix-cache lookup that found cached ids (0:
// a miss); c nil: the cache is off.
func (m *metrics) prefixLookup(cached int, c *prefixCache) {
	if c == nil {
		return
	}
	m.mu.Lock()
	m.cacheLookups++
	if cached > 0 {
		m.cacheHits++
	}
	m.mu.Unlock()
	m.prefixSize(c)
}

// prefixSize records the prefix cache's size.
func (m *metrics) prefixSize(c *prefixCache) {
	m.cacheSeqs.Store(int64(len(c.entries)))
	m.cacheBytes.Store(c.bytes)
}

func (m *metrics) finished(prompt, completion, cached int, err error) {
	outcome := "completed"
	switch {
	case errors.Is(err, context.Canceled):
		outcome = "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	case err != nil:
		outcome = "error"
	}
	m.mu.Lock()
	m.promptTokens += int64(prompt)
	m.cachedTokens += int64(cached)
	m.completionTokens += int64(completion)
	m.sequences[outcome]++
	m.mu.Unlock()
}

func (m *metrics) ttft(d time.Duration) {
	s := d.Seconds()
	m.mu.Lock()
	m.ttftCount++
	m.ttftSum += s
	for i, b := range ttftBuckets {
		if s <= b {
			m.ttftHist[i]++
			break
		}
	}
	m.mu.Unlock()
}

// step records one batched step that sampled n ids in d.
func (m *metrics) step(n int, d time.Duration) {
	m.mu.Lock()
	m.steps++
	if n > 0 && d > 0 {
		r := float64(n) / d.Seconds()
		if m.tokS == 0 {
			m.tokS = r
		} else {
			m.tokS = 0.9*m.tokS + 0.1*r
		}
	}
	m.mu.Unlock()
}

// write prints every metric in Prometheus text format.
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP llmpipe_requests_total HTTP requests by endpoint and status code.")
	fmt.Fprintln(w, "# TYPE llmpipe_requests_total counter")
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "llmpipe_requests_total{endpoint=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP llmpipe_sequences_total Generated sequences (choices) by outcome.")
	fmt.Fprintln(w, "# TYPE llmpipe_sequences_total counter")
	for _, o := range []string{"completed", "cancelled", "timeout", "error"} {
		fmt.Fprintf(w, "llmpipe_sequences_total{outcome=%q} %d\n", o, m.sequences[o])
	}
	metric(w, "llmpipe_prompt_tokens_total", "counter", "Prompt tokens of finished sequences.", "%d", m.promptTokens)
	metric(w, "llmpipe_prompt_cached_tokens_total", "counter", "Prompt tokens of finished sequences taken from the prefix cache (not run again).", "%d", m.cachedTokens)
	metric(w, "llmpipe_prefix_cache_lookups_total", "counter", "Prompts looked up in the prefix cache.", "%d", m.cacheLookups)
	metric(w, "llmpipe_prefix_cache_hits_total", "counter", "Prompts that started from a cached sequence.", "%d", m.cacheHits)
	metric(w, "llmpipe_prefix_cache_sequences", "gauge", "Sequences kept in the prefix cache.", "%d", m.cacheSeqs.Load())
	metric(w, "llmpipe_prefix_cache_bytes", "gauge", "KV cache memory the prefix cache holds (shared chunks counted in each sequence).", "%d", m.cacheBytes.Load())
	metric(w, "llmpipe_completion_tokens_total", "counter", "Generated tokens of finished sequences.", "%d", m.completionTokens)
	metric(w, "llmpipe_queue_depth", "gauge", "Sequences waiting for a slot.", "%d", m.queueDepth.Load())
	metric(w, "llmpipe_active_sequences", "gauge", "Sequences in the running batch.", "%d", m.active.Load())
	metric(w, "llmpipe_batch_steps_total", "counter", "Batched forward passes run.", "%d", m.steps)
	metric(w, "llmpipe_generation_tokens_per_second", "gauge", "Generated tokens per second over all sequences (moving average over steps).", "%g", m.tokS)
	fmt.Fprintln(w, "# HELP llmpipe_time_to_first_token_seconds Time from queueing a request to its first generated token.")
	fmt.Fprintln(w, "# TYPE llmpipe_time_to_first_token_seconds histogram")
	var cum int64
	for i, b := range ttftBuckets {
		cum += m.ttftHist[i]
		fmt.Fprintf(w, "llmpipe_time_to_first_token_seconds_bucket{le=%q} %d\n", fmt.Sprint(b), cum)
	}
	fmt.Fprintf(w, "llmpipe_time_to_first_token_seconds_bucket{le=\"+Inf\"} %d\n", m.ttftCount)
	fmt.Fprintf(w, "llmpipe_time_to_first_token_seconds_sum %g\n", m.ttftSum)
	fmt.Fprintf(w, "llmpipe_time_to_first_token_seconds_count %d\n", m.ttftCount)
}

// metric prints one single-valued metric: its HELP and TYPE lines, then
// "name value" with the value formatted by verb (%d or %g).
func metric(w io.Writer, name, typ, help, verb string, v any) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s "+verb+"\n", name, help, name, typ, name, v)
}
