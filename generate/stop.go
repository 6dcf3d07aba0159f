package generate

import "strings"

// stopper passes streamed text on to emit, ending at the first stop string.
// It holds back the longest tail of the text that is a proper prefix of a
// stop string, so no part of a stop string is ever emitted: every occurrence
// of a stop string then starts inside the held-back text.
type stopper struct {
	stops   []string
	emit    func(string) error
	pending string
	hit     string // the stop string found
}

// push adds text and emits what can no longer be part of a stop string. It
// reports whether a stop string was found; then the text before it has been
// emitted and the rest is dropped.
func (s *stopper) push(text string) (bool, error) {
	if len(s.stops) == 0 {
		return false, s.emit(text)
	}
	s.pending += text
	hit, at := firstStop(s.pending, s.stops)
	if at >= 0 {
		s.hit = hit
		out := s.pending[:at]
		s.pending = ""
		return true, s.emit(out)
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
	return false, s.emit(out)
}

// flush emits the held-back text at the end of generation.
func (s *stopper) flush() error {
	out := s.pending
	s.pending = ""
	return s.emit(out)
}
