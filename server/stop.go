package server

import "strings"

// stopper passes streamed text on to emit, ending at the first stop string
// (OpenAI's stop): it holds back the longest tail of the text that could be
// the start of a stop string, so no part of one is ever sent to a client,
// even when it spans several tokens. It follows package generate's rule.
type stopper struct {
	stops   []string
	emit    func(string) error
	pending string
	hit     string // the stop string found
}

// push adds text and emits what can no longer be part of a stop string. It
// reports whether a stop string was found; the text before it has then been
// emitted and the rest is dropped.
func (s *stopper) push(text string) (bool, error) {
	if len(s.stops) == 0 {
		return false, s.emitNonEmpty(text)
	}
	s.pending += text
	at, hit := -1, ""
	for _, st := range s.stops {
		if i := strings.Index(s.pending, st); i >= 0 && (at < 0 || i < at) {
			at, hit = i, st
		}
	}
	if at >= 0 {
		s.hit = hit
		out := s.pending[:at]
		s.pending = ""
		return true, s.emitNonEmpty(out)
	}
	keep := 0
	for _, st := range s.stops {
		for n := min(len(st)-1, len(s.pending)); n > keep; n-- {
			if strings.HasSuffix(s.pending, st[:n]) {
				keep = n
				break
			}
		}
	}
	out := s.pending[:len(s.pending)-keep]
	s.pending = s.pending[len(s.pending)-keep:]
	return false, s.emitNonEmpty(out)
}

// flush emits the held-back text at the end of generation.
func (s *stopper) flush() error {
	out := s.pending
	s.pending = ""
	return s.emitNonEmpty(out)
}

func (s *stopper) emitNonEmpty(t string) error {
	if t == "" {
		return nil
	}
	return s.emit(t)
}
