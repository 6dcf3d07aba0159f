package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// Errors the scheduler reports to the handlers.
var (
	errQueueFull    = errors.New("the request queue is full")
	errShuttingDown = errors.New("the server is shutting down")
)

// job is one sequence to generate (one choice of a request).
type job struct {
	ctx      context.Context
	index    int   // the choice index
	prompt   []int // ids, BOS included
	max      int   // most ids to generate (> 0)
	sampler  *sample.Sampler
	stops    []string
	logprobs bool
	top      int
	sink     *sink
	enqueued time.Time
	// group, when set, is the request's choices that share this prompt:
	// its leader runs the prompt once and the others fork its sequence.
	group  *promptGroup
	leader bool

	// scheduler state
	seq    model.Sequence // nil until a group member gets its fork
	cached int            // prompt ids taken from the prefix cache
	fed    int            // prompt ids cached so far
	ids    []int          // generated ids
	next   int            // the id to feed in the next step
	greedy bool           // the sampler picks the raw logits' argmax (sample.Options.Neutral)
	stream *tokenizer.StreamDecoder
	stop   *generate.Stopper
	text   strings.Builder // text emitted by the stopper during the current step
}

// promptGroup is the choices of one prompt of an n > 1 request on a model
// whose sequences fork (model.Cloner): the leader runs the prompt, then
// each other member starts from a clone of its sequence and samples its
// first id from the same logits, so the prompt is run once and the choices
// decode together in the following batched steps.
type promptGroup struct {
	waiting int            // members that have not got their fork yet
	base    model.Sequence // the leader's sequence right after the prompt, for members yet to fork
	logits  []float32      // the logits after the prompt (a copy)
	err     error          // the leader failed before the prompt was cached
}

// fork gives a waiting member its sequence: a clone of base, or base itself
// for the last one.
func (g *promptGroup) fork() model.Sequence {
	g.waiting--
	if g.waiting == 0 {
		sq := g.base
		g.base = nil
		return sq
	}
	return g.base.(model.Cloner).Clone()
}

// tokenInfo is one generated id with its log-probabilities (when asked).
type tokenInfo struct {
	ID      int
	Token   string
	LogProb float64
	Top     []topInfo
}

// topInfo is one alternative id at a step.
type topInfo struct {
	ID      int
	Token   string
	LogProb float64
}

// event is what a job produced in one step: new text (possibly empty), the
// id it sampled, and at the end the finish reason or an error.
type event struct {
	Index  int
	Text   string
	Token  *tokenInfo
	Finish string // "stop" or "length" on the last event of a choice
	Err    error  // the choice failed
	// Usage of the choice, set with Finish: CachedTokens of the prompt's
	// ids came from the prefix cache.
	PromptTokens, CompletionTokens, CachedTokens int
}

// sink collects the events of one request's jobs for its handler: the
// scheduler never blocks on a slow client.
type sink struct {
	mu     sync.Mutex
	events []event
	notify chan struct{} // capacity 1: "events has something"
	first  bool          // the first id of the request was reported (time to first token)
}

func newSink() *sink { return &sink{notify: make(chan struct{}, 1)} }

func (s *sink) push(e event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// take returns the events so far.
func (s *sink) take() []event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.events
	s.events = nil
	return ev
}

// scheduler runs every active job's next step as one batched forward pass
// (continuous batching): between steps it admits queued jobs up to parallel,
// drops jobs whose request was cancelled, and feeds prompts in chunks of at
// most prefillChunk ids per step in all, so a long prompt never stalls the
// streams already running.
type scheduler struct {
	m            model.Model
	tok          tokenizer.Tokenizer
	eog          []int
	parallel     int
	queueSize    int
	prefillChunk int
	kvF16        bool
	canClone     bool // the model's sequences implement model.Cloner
	metrics      *metrics
	prefix       *prefixCache // nil: off

	mu       sync.Mutex
	wake     chan struct{} // capacity 1
	queue    []*job
	active   []*job
	closed   bool // Close was called: every job is cancelled, the loop ends
	draining bool // Shutdown: no new jobs
	done     chan struct{}
}

func newScheduler(m model.Model, tok tokenizer.Tokenizer, parallel, queueSize, prefillChunk int, kvF16 bool, mt *metrics, cacheSeqs int, cacheBytes int64) *scheduler {
	s := &scheduler{m: m, tok: tok, eog: tok.Specials().EndIDs(), parallel: parallel, queueSize: queueSize, prefillChunk: prefillChunk,
		kvF16: kvF16, metrics: mt, wake: make(chan struct{}, 1), done: make(chan struct{})}
	sq := m.NewSequence(model.SequenceOptions{KVF16: kvF16})
	_, s.canClone = sq.(model.Cloner)
	if cacheSeqs > 0 && forkable(sq) {
		s.prefix = &prefixCache{maxSeqs: cacheSeqs, maxBytes: cacheBytes}
	}
	go s.loop()
	return s
}

// submit queues the jobs of one request, all or none: errQueueFull when the
// queue has no room for them all, errShuttingDown after Shutdown or Close.
func (s *scheduler) submit(jobs []*job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.draining {
		return errShuttingDown
	}
	if len(s.queue)+len(jobs) > s.queueSize {
		return errQueueFull
	}
	now := time.Now()
	for _, j := range jobs {
		j.enqueued = now
	}
	s.queue = append(s.queue, jobs...)
	s.metrics.queueDepth.Store(int64(len(s.queue)))
	s.signal()
	return nil
}

func (s *scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// idle reports whether no job is queued or running.
func (s *scheduler) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) == 0 && len(s.active) == 0
}

// drain refuses new jobs from now on.
func (s *scheduler) drain() {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
}

// close cancels every job and ends the loop; it waits for the loop to end.
func (s *scheduler) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		s.signal()
	}
	s.mu.Unlock()
	<-s.done
}

func (s *scheduler) loop() {
	defer close(s.done)
	for {
		s.mu.Lock()
		if s.closed {
			for _, j := range append(s.queue, s.active...) {
				s.finish(j, "", errShuttingDown)
			}
			s.queue, s.active = nil, nil
			s.metrics.queueDepth.Store(0)
			s.metrics.active.Store(0)
			s.mu.Unlock()
			return
		}
		// drop cancelled jobs (running or waiting), then admit queued ones up to parallel
		cancelled := func(j *job) bool {
			if err := j.ctx.Err(); err != nil {
				s.finish(j, "", err)
				return true
			}
			return false
		}
		s.active = slices.DeleteFunc(s.active, cancelled)
		s.queue = slices.DeleteFunc(s.queue, cancelled)
		for len(s.active) < s.parallel && len(s.queue) > 0 {
			j := s.queue[0]
			s.queue = s.queue[1:]
			s.start(j)
			s.active = append(s.active, j)
		}
		s.metrics.queueDepth.Store(int64(len(s.queue)))
		s.metrics.active.Store(int64(len(s.active)))
		active := slices.Clone(s.active)
		s.mu.Unlock()
		if len(active) == 0 {
			<-s.wake
			continue
		}
		done := s.step(active)
		if len(done) > 0 {
			s.mu.Lock()
			s.active = slices.DeleteFunc(s.active, func(j *job) bool { return slices.Contains(done, j) })
			s.metrics.active.Store(int64(len(s.active)))
			s.mu.Unlock()
		}
	}
}

// start gives an admitted job its sequence, sampler window and decoders.
func (s *scheduler) start(j *job) {
	if j.group == nil || j.leader {
		if sq, n := s.prefix.lookup(j.prompt); sq != nil {
			j.seq, j.fed, j.cached = sq, n, n
		} else {
			j.seq = s.m.NewSequence(model.SequenceOptions{KVF16: s.kvF16})
		}
		s.metrics.prefixLookup(j.cached, s.prefix)
	}
	j.sampler.Observe(j.prompt...)
	j.greedy = j.sampler.Options().Neutral()
	// The stream decoder sees the prompt first so the first generated id
	// decodes in context (SentencePiece drops a text's leading space).
	j.stream = tokenizer.NewStreamDecoder(s.tok, tokenizer.DecodeOptions{SkipSpecial: true})
	j.stream.Prime(j.prompt) //nolint:errcheck // ids were checked against the vocabulary
	j.stop = generate.NewStopper(j.stops, func(t string) error { j.text.WriteString(t); return nil })
}

// finish sends a job's last event: its finish reason or error.
func (s *scheduler) finish(j *job, reason string, err error) {
	ev := event{Index: j.index, Finish: reason, Err: err, PromptTokens: len(j.prompt), CompletionTokens: len(j.ids), CachedTokens: j.cached}
	if err == nil {
		ev.Text = j.text.String()
		j.text.Reset()
	}
	// a sequence that finished or was cancelled between steps is whole:
	// its positions hold the prompt (or its start) and every generated id
	// but the last
	if s.prefix != nil && j.seq != nil && (err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		all := append(slices.Clone(j.prompt), j.ids...)
		if n := j.seq.Len(); n <= len(all) {
			s.prefix.add(all[:n:n], j.seq)
			s.metrics.prefixSize(s.prefix)
		}
	}
	if g := j.group; g != nil && j.leader && g.waiting > 0 && g.base == nil && g.err == nil {
		g.err = err // the members waiting for the prompt fail with the leader
		if g.err == nil {
			g.err = errors.New("the prompt's first choice ended before its prompt was run")
		}
	}
	j.seq = nil
	j.sink.push(ev)
	s.metrics.finished(len(j.prompt), len(j.ids), j.cached, err)
}

// step runs one batched forward pass over the active jobs and samples the
// next id of each job whose prompt is fully cached. It returns the jobs that
// finished.
func (s *scheduler) step(active []*job) []*job {
	var (
		seqs []model.Sequence
		ids  [][]int
		who  []*job
		want []bool // the job samples after this step, greedily
	)
	budget := s.prefillChunk
	for _, j := range active {
		switch {
		case j.seq == nil:
			continue // a member waiting for its fork
		case j.fed < len(j.prompt):
			if budget <= 0 {
				continue
			}
			n := min(len(j.prompt)-j.fed, budget)
			budget -= n
			ids = append(ids, j.prompt[j.fed:j.fed+n])
			want = append(want, j.greedy && j.fed+n == len(j.prompt))
		default:
			ids = append(ids, []int{j.next})
			want = append(want, j.greedy)
		}
		seqs, who = append(seqs, j.seq), append(who, j)
	}
	start := time.Now()
	var done []*job
	var logits [][]float32
	var greedy []int
	if len(seqs) > 0 {
		var err error
		if logits, greedy, err = safeForward(s.m, seqs, ids, want); err != nil {
			for _, j := range who {
				s.finish(j, "", fmt.Errorf("forward pass: %w", err))
			}
			done = who
			who = nil
		}
	}
	sampled := 0
	for k, j := range who {
		if j.fed < len(j.prompt) {
			j.fed += len(ids[k])
			if j.fed < len(j.prompt) {
				continue
			}
			if g := j.group; g != nil && j.leader && g.waiting > 0 {
				// the prompt is cached: the other choices fork from here
				g.base, g.logits = j.seq.(model.Cloner).Clone(), slices.Clone(logits[k])
			}
		}
		sampled++
		id := -1
		if greedy != nil {
			id = greedy[k]
		}
		if reason, err := s.advanceWith(j, logits[k], id); err != nil || reason != "" {
			s.finish(j, reason, err)
			done = append(done, j)
		}
	}
	// members whose leader has run the prompt (in this step or before)
	// fork its sequence and sample their first id from its logits
	for _, j := range active {
		g := j.group
		if g == nil || j.seq != nil || slices.Contains(done, j) {
			continue
		}
		switch {
		case g.err != nil:
			s.finish(j, "", g.err)
			done = append(done, j)
			continue
		case g.base == nil:
			continue
		}
		lg := g.logits
		j.seq, j.fed = g.fork(), len(j.prompt)
		if g.base == nil {
			g.logits = nil // j was the last member
		}
		sampled++
		reason, err := s.advance(j, lg)
		if err != nil || reason != "" {
			s.finish(j, reason, err)
			done = append(done, j)
		}
	}
	s.metrics.step(sampled, time.Since(start))
	return done
}

// safeForward is forward with a panic turned into an error: a bug in a
// model fails the jobs of its batch, not the whole server.
func safeForward(m model.Model, seqs []model.Sequence, ids [][]int, want []bool) (logits [][]float32, greedy []int, err error) {
	defer func() {
		if r := recover(); r != nil {
			logits, greedy, err = nil, nil, fmt.Errorf("panic in the model: %v", r)
		}
	}()
	return forward(m, seqs, ids, want)
}

// forward runs one step: ForwardBatch when the model has it, else each
// sequence in turn. When the model is a model.GreedyBatchForwarder and a
// job of the step samples greedily (want), it also returns the greedy ids
// the model found while it checked the logits (-1 where not wanted);
// otherwise greedy is nil.
func forward(m model.Model, seqs []model.Sequence, ids [][]int, want []bool) (logits [][]float32, greedy []int, err error) {
	if gf, ok := m.(model.GreedyBatchForwarder); ok && slices.Contains(want, true) {
		return gf.ForwardBatchGreedy(seqs, ids, want)
	}
	if bf, ok := m.(model.BatchForwarder); ok {
		logits, err := bf.ForwardBatch(seqs, ids)
		return logits, nil, err
	}
	out := make([][]float32, len(seqs))
	for i, sq := range seqs {
		lg, err := sq.Forward(ids[i], false)
		if err != nil {
			return nil, nil, err
		}
		out[i] = slices.Clone(lg)
	}
	return out, nil, nil
}

// advance samples j's next id from logits and streams its text, in the
// order generate.Run follows (so greedy output is the same). It returns a
// finish reason when the job ended.
func (s *scheduler) advance(j *job, logits []float32) (string, error) {
	return s.advanceWith(j, logits, -1)
}

// advanceWith is advance with j's next id already chosen when id >= 0:
// the greedy id the model found in logits for a job whose sampler picks
// the argmax (the same id Sample would return, without a second scan of
// the logits on the scheduler's goroutine).
func (s *scheduler) advanceWith(j *job, logits []float32, id int) (string, error) {
	if id < 0 {
		var err error
		if id, err = j.sampler.Sample(logits); err != nil {
			return "", fmt.Errorf("sampling id %d: %w", len(j.ids), err)
		}
	}
	if slices.Contains(s.eog, id) {
		return "stop", s.flush(j)
	}
	ev := event{Index: j.index, Token: &tokenInfo{ID: id}}
	if j.logprobs {
		prev := j.prompt[len(j.prompt)-1]
		if n := len(j.ids); n > 0 {
			prev = j.ids[n-1]
		}
		if err := s.logProbs(ev.Token, logits, prev, j.top); err != nil {
			return "", err
		}
	}
	if err := j.sampler.Accept(id); err != nil {
		return "", err
	}
	j.ids = append(j.ids, id)
	if !j.sink.first {
		j.sink.first = true
		s.metrics.ttft(time.Since(j.enqueued))
	}
	txt, err := j.stream.Add(id)
	if err != nil {
		return "", fmt.Errorf("decoding id %d: %w", id, err)
	}
	stopped, _ := j.stop.Push(txt)
	reason := ""
	switch {
	case stopped:
		reason = "stop"
	case len(j.ids) >= j.max, j.seq.Len() >= s.m.ContextLength():
		reason = "length"
		if err := s.flush(j); err != nil {
			return "", err
		}
	}
	j.next = id
	if reason != "" {
		// The last event carries the text; attach the id to it.
		ev.Text = ""
		j.sink.push(event{Index: j.index, Token: ev.Token, Text: j.text.String()})
		j.text.Reset()
		return reason, nil
	}
	ev.Text = j.text.String()
	j.text.Reset()
	j.sink.push(ev)
	return "", nil
}

// flush ends the stream decoder and the stop-string holder.
func (s *scheduler) flush(j *job) error {
	txt, err := j.stream.Flush()
	if err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	if stopped, _ := j.stop.Push(txt); !stopped {
		j.stop.Flush() //nolint:errcheck // emit never fails
	}
	return nil
}

// logProbs fills t with the log-probability of t.ID and the top
// alternatives under the raw logits, each id's text decoded after prev
// (so a leading space that a tokenizer drops at a text's start stays).
func (s *scheduler) logProbs(t *tokenInfo, logits []float32, prev, top int) error {
	lp, err := sample.LogProbs(logits, t.ID, top)
	if err != nil {
		return err
	}
	before, errBefore := s.tok.Decode([]int{prev}, tokenizer.DecodeOptions{})
	piece := func(id int) string {
		if errBefore == nil {
			if txt, err := s.tok.Decode([]int{prev, id}, tokenizer.DecodeOptions{}); err == nil && strings.HasPrefix(txt, before) {
				return txt[len(before):]
			}
		}
		txt, _ := s.tok.Decode([]int{id}, tokenizer.DecodeOptions{})
		return txt
	}
	t.Token, t.LogProb = piece(t.ID), lp.LogProb
	for _, c := range lp.Top {
		t.Top = append(t.Top, topInfo{ID: c.ID, Token: piece(c.ID), LogProb: c.LogProb})
	}
	return nil
}
