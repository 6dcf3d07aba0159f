package generate

import "strings"

// Stopper passes streamed text on to an emit function, ending at the first
// stop string (OpenAI's stop). It holds back the longest tail of the text
// that is a proper prefix of a stop string, so no part of a stop string is
// ever emitted, even when it spans several tokens: every occurrence of a
// stop string then starts inside the held-back text. Run uses it, and so
// does package server for each stream.
type Stopper struct {
	stops   []string
	emit    func(string) error
	pending string
	hit     string // the stop string found
}

// NewStopper returns a Stopper for stops that passes text on to emit
// (never with an empty string).
func NewStopper(stops []string, emit func(string) error) *Stopper {
	return &Stopper{stops: stops, emit: func(t string) error {
		if t == "" {
			return nil
		}
		return emit(t)
	}}
}

// Hit is the stop string found, or "" while none has been.
func (s *Stopper) Hit() string { return s.hit }

// Push adds text and emits what can no longer be part of a stop string. It
// reports whether a stop string was found; then the text before it has been
// emitted and the rest is dropped.
func (s *Stopper) Push(text string) (bool, error) {
	if len(s.stops) == 0 {
		return false, s.emit(text)
	}
	s.pending += text
	hit, at := firstStop(s.pending, s.stops) // the earliest; the longest at the same byte
	if at >= 0 {
		s.hit = hit
		out := s.pending[:at]
		s.pending = ""
		return true, s.emit(out)
	}
	keep := 0
	for _, st := range s.stops {
		keep = max(keep, HeldBack(s.pending, st))
	}
	out := s.pending[:len(s.pending)-keep]
	s.pending = s.pending[len(s.pending)-keep:]
	return false, s.emit(out)
}

// Flush emits the held-back text at the end of generation.
func (s *Stopper) Flush() error {
	out := s.pending
	s.pending = ""
	return s.emit(out)
}

// HeldBack returns the length of the longest suffix of s that is a proper
// prefix of tag: the text a streamer must hold back because the next text
// may complete tag.
func HeldBack(s, tag string) int {
	for n := min(len(s), len(tag)-1); n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}
