package hf

import (
	"encoding/json"
	"fmt"
)

// templatePiece is one item of a template: a special token's ids or a
// sequence (0 = A, 1 = B), with its type id.
type templatePiece struct {
	seq    int // -1 for a special token
	ids    []int
	typeID int
}

// postProcessor adds special tokens around one sequence or a pair.
type postProcessor struct {
	single, pair []templatePiece
}

func (p *postProcessor) numAdded(pair bool) int {
	if p == nil {
		return 0
	}
	t := p.single
	if pair {
		t = p.pair
	}
	n := 0
	for _, tp := range t {
		if tp.seq < 0 {
			n += len(tp.ids)
		}
	}
	return n
}

func (p *postProcessor) apply(a, b []int) (ids, typeIDs []int, added []bool) {
	t := p.single
	if b != nil {
		t = p.pair
	}
	for _, tp := range t {
		switch tp.seq {
		case -1:
			for _, id := range tp.ids {
				ids, typeIDs, added = append(ids, id), append(typeIDs, tp.typeID), append(added, true)
			}
		case 0, 1:
			s := a
			if tp.seq == 1 {
				s = b
			}
			for _, id := range s {
				ids, typeIDs, added = append(ids, id), append(typeIDs, tp.typeID), append(added, false)
			}
		}
	}
	return ids, typeIDs, added
}

type postJSON struct {
	Type       string            `json:"type"`
	Processors []json.RawMessage `json:"processors"`
	Single     json.RawMessage   `json:"single"`
	Pair       json.RawMessage   `json:"pair"`
	Special    map[string]struct {
		ID  string `json:"id"`
		IDs []int  `json:"ids"`
	} `json:"special_tokens"`
	Sep *tokIDPair `json:"sep"`
	Cls *tokIDPair `json:"cls"`
}

// tokIDPair is ["[SEP]", 102].
type tokIDPair struct {
	tok string
	id  int
}

func (t *tokIDPair) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		return fmt.Errorf("want [token, id]")
	}
	if err := json.Unmarshal(raw[0], &t.tok); err != nil {
		return fmt.Errorf("want [token, id]: %v", err)
	}
	if err := json.Unmarshal(raw[1], &t.id); err != nil {
		return fmt.Errorf("want [token, id]: %v", err)
	}
	return nil
}

// parsePostProcessor returns nil for null and for processors that add no
// tokens (ByteLevel: it only trims offsets).
func parsePostProcessor(raw json.RawMessage, path string) (*postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	var j postJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	special := func(id, typ int) templatePiece { return templatePiece{seq: -1, ids: []int{id}, typeID: typ} }
	seq := func(s, typ int) templatePiece { return templatePiece{seq: s, typeID: typ} }
	switch j.Type {
	case "ByteLevel":
		return nil, nil
	case "BertProcessing", "RobertaProcessing":
		if j.Sep == nil || j.Cls == nil {
			return nil, errAt(path, "%s needs sep and cls", j.Type)
		}
		cls, sep := j.Cls.id, j.Sep.id
		p := &postProcessor{single: []templatePiece{special(cls, 0), seq(0, 0), special(sep, 0)}}
		if j.Type == "BertProcessing" {
			p.pair = []templatePiece{special(cls, 0), seq(0, 0), special(sep, 0), seq(1, 1), special(sep, 1)}
		} else {
			p.pair = []templatePiece{special(cls, 0), seq(0, 0), special(sep, 0), special(sep, 0), seq(1, 0), special(sep, 0)}
		}
		return p, nil
	case "TemplateProcessing":
		p := &postProcessor{}
		var err error
		if p.single, err = parseTemplate(j.Single, j.Special, path+".single"); err != nil {
			return nil, err
		}
		if p.pair, err = parseTemplate(j.Pair, j.Special, path+".pair"); err != nil {
			return nil, err
		}
		return p, nil
	case "Sequence":
		// Processors run one after the other; only the ones that add
		// tokens matter for ids. Two adding processors compose: the
		// second wraps the output of the first.
		var out *postProcessor
		for i, r := range j.Processors {
			p, err := parsePostProcessor(r, indexPath(path+".processors", i))
			if err != nil {
				return nil, err
			}
			if p == nil {
				continue
			}
			if out != nil {
				return nil, errAt(indexPath(path+".processors", i), "more than one processor that adds tokens")
			}
			out = p
		}
		return out, nil
	case "":
		return nil, errAt(path+".type", "missing post-processor type")
	default:
		return nil, errAt(path+".type", "unsupported post-processor type %q", j.Type)
	}
}

func parseTemplate(raw json.RawMessage, special map[string]struct {
	ID  string `json:"id"`
	IDs []int  `json:"ids"`
}, path string) ([]templatePiece, error) {
	var items []struct {
		SpecialToken *struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		} `json:"SpecialToken"`
		Sequence *struct {
			ID     string `json:"id"`
			TypeID int    `json:"type_id"`
		} `json:"Sequence"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errAt(path, "%v", err)
	}
	var out []templatePiece
	for i, it := range items {
		switch {
		case it.SpecialToken != nil:
			st, ok := special[it.SpecialToken.ID]
			if !ok {
				return nil, errAt(indexPath(path, i), "special token %q is not in special_tokens", it.SpecialToken.ID)
			}
			out = append(out, templatePiece{seq: -1, ids: st.IDs, typeID: it.SpecialToken.TypeID})
		case it.Sequence != nil:
			switch it.Sequence.ID {
			case "A":
				out = append(out, templatePiece{seq: 0, typeID: it.Sequence.TypeID})
			case "B":
				out = append(out, templatePiece{seq: 1, typeID: it.Sequence.TypeID})
			default:
				return nil, errAt(indexPath(path, i), "sequence id %q (want A or B)", it.Sequence.ID)
			}
		default:
			return nil, errAt(indexPath(path, i), "want SpecialToken or Sequence")
		}
	}
	return out, nil
}
