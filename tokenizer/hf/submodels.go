package hf

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/llmpipe/llmpipe/tokenizer/unigram"
	"github.com/llmpipe/llmpipe/tokenizer/wordpiece"
)

// wordPieceModel adapts tokenizer/wordpiece.
type wordPieceModel struct {
	vocabTable
	m *wordpiece.Model
}

func (w *wordPieceModel) encode(dst []int, word string) ([]int, error) {
	return w.m.Encode(dst, word), nil
}

func (w *wordPieceModel) tokens(dst []string, word string) ([]string, error) {
	return idsToTokens(&w.vocabTable, dst, w.m.Encode(nil, word)), nil
}

func parseWordPiece(raw json.RawMessage, path string) (model, error) {
	var j struct {
		Vocab                   map[string]int `json:"vocab"`
		UnkToken                *string        `json:"unk_token"`
		ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    *int           `json:"max_input_chars_per_word"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	vt, err := newVocabTable(j.Vocab, path+".vocab")
	if err != nil {
		return nil, err
	}
	opts := wordpiece.Options{UnkToken: strDef(j.UnkToken, "[UNK]"), ContinuingSubwordPrefix: strDef(j.ContinuingSubwordPrefix, "##")}
	if opts.ContinuingSubwordPrefix == "" {
		opts.EmptyPrefix = true
	}
	if j.MaxInputCharsPerWord != nil {
		if *j.MaxInputCharsPerWord <= 0 {
			return nil, errAt(path+".max_input_chars_per_word", "want a positive number, got %d", *j.MaxInputCharsPerWord)
		}
		opts.MaxInputCharsPerWord = *j.MaxInputCharsPerWord
	}
	m, err := wordpiece.New(j.Vocab, opts)
	if err != nil {
		return nil, errAt(path, "%v", err)
	}
	return &wordPieceModel{vocabTable: vt, m: m}, nil
}

// unigramModel adapts tokenizer/unigram. Its token strings are the pieces
// of the input (so an unknown stretch shows its own text, as in HF).
type unigramModel struct {
	m  *unigram.Model
	ps []unigram.Piece
}

func (u *unigramModel) encode(dst []int, word string) ([]int, error) {
	return u.m.Encode(dst, word), nil
}

func (u *unigramModel) tokens(dst []string, word string) ([]string, error) {
	ids, offs := u.m.EncodeOffsets(nil, nil, word, 0)
	for i, o := range offs {
		s := word[o.Start:o.End]
		// Byte-fallback pieces show their own "<0xXX>" text.
		if p, ok := u.m.Token(ids[i]); ok && p != s && isByteToken(p) {
			s = p
		}
		dst = append(dst, s)
	}
	return dst, nil
}

func (u *unigramModel) tokenToID(tok string) (int, bool) { return u.m.ID(tok) }
func (u *unigramModel) idToToken(id int) (string, bool)  { return u.m.Token(id) }
func (u *unigramModel) size() int                        { return u.m.Len() }
func (u *unigramModel) count() int                       { return u.m.Len() }

func parseUnigram(raw json.RawMessage, path string) (model, error) {
	var j struct {
		UnkID        *int                `json:"unk_id"`
		ByteFallback bool                `json:"byte_fallback"`
		Vocab        [][]json.RawMessage `json:"vocab"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, errAt(path, "%v", err)
	}
	ps := make([]unigram.Piece, len(j.Vocab))
	for i, e := range j.Vocab {
		if len(e) != 2 {
			return nil, errAt(indexPath(path+".vocab", i), "want [piece, score]")
		}
		if err := json.Unmarshal(e[0], &ps[i].Text); err != nil {
			return nil, errAt(indexPath(path+".vocab", i), "piece: %v", err)
		}
		// serde_json's (not always nearest) float parsing: see serdeFloat.
		score, ok := serdeFloat(string(bytes.TrimSpace(e[1])))
		if !ok || math.IsNaN(score) {
			return nil, errAt(indexPath(path+".vocab", i), "score: want a number, got %s", e[1])
		}
		ps[i].Score = score
	}
	if j.UnkID == nil {
		return nil, errAt(path+".unk_id", "null unk_id is not supported")
	}
	m, err := unigram.New(ps, unigram.Options{UnkID: *j.UnkID, ByteFallback: j.ByteFallback, FuseUnk: true})
	if err != nil {
		return nil, errAt(path, "%v", err)
	}
	return &unigramModel{m: m, ps: ps}, nil
}

// isByteToken reports whether tok has the form <0xXX>.
func isByteToken(tok string) bool {
	return len(tok) == 6 && tok[:3] == "<0x" && tok[5] == '>' && isHex(tok[3]) && isHex(tok[4])
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
