package tokenizer

import (
	"errors"
	"fmt"
	"slices"
)

// Tokenizer turns text into token ids and ids back into text.
//
// Implementations are safe for concurrent use by several goroutines once built.
type Tokenizer interface {
	// Encode returns the ids of text. opts selects whether special-token text
	// is parsed as special tokens and whether the tokenizer's own BOS/EOS (or
	// CLS/SEP) template is added.
	Encode(text string, opts EncodeOptions) ([]int, error)
	// Decode returns the text of ids. Byte sequences that are not valid UTF-8
	// decode to U+FFFD, as tiktoken's and HF's decode do. An id outside the
	// vocabulary is an error wrapping [ErrUnknownID].
	Decode(ids []int, opts DecodeOptions) (string, error)
	// VocabSize is the number of ids, special tokens included: every id
	// Encode returns is in [0, VocabSize).
	VocabSize() int
	// Specials reports the tokenizer's special tokens.
	Specials() Specials
}

// EncodeOptions selects special-token behaviour. The zero value encodes text
// as plain text and adds nothing, like tiktoken's encode_ordinary.
type EncodeOptions struct {
	// ParseSpecial makes special-token text in the input (such as
	// "<|endoftext|>") encode as the special token's id: tiktoken's
	// allowed_special="all", HF's handling of added tokens, llama.cpp's
	// parse_special. When false that text is ordinary text.
	ParseSpecial bool
	// AddSpecial adds the tokenizer's own template of special tokens (BOS,
	// EOS, CLS/SEP): HF's add_special_tokens=True, llama.cpp's add_special.
	AddSpecial bool
}

// DecodeOptions selects how ids are turned back into text. The zero value
// decodes every id, special tokens included.
type DecodeOptions struct {
	// SkipSpecial drops special (control) tokens from the output, like HF's
	// skip_special_tokens=True.
	SkipSpecial bool
}

// Offset is the half-open byte range [Start, End) of the input text that a
// token came from. Tokens added by a template (BOS, SEP…) have Start == End == 0,
// as in HF tokenizers.
type Offset struct {
	Start, End int
}

// OffsetEncoder is implemented by tokenizers that can tell, for each id, the
// span of the input it stands for. [EncodeBatch] uses it to fill offsets.
type OffsetEncoder interface {
	// EncodeOffsets is Encode that also returns one Offset per id.
	EncodeOffsets(text string, opts EncodeOptions) ([]int, []Offset, error)
}

// Templater is implemented by tokenizers whose special-token template can be
// applied separately from encoding (HF's post-processor). [EncodeBatch] uses it
// to truncate a sequence or a pair first and add the template afterwards.
type Templater interface {
	// ApplyTemplate wraps the ids of one sequence (b == nil) or of a pair with
	// the tokenizer's special tokens. It returns the ids, their type (segment)
	// ids, and which positions the template added.
	ApplyTemplate(a, b []int) (ids, typeIDs []int, added []bool)
	// NumAdded is how many ids ApplyTemplate adds for one sequence or a pair.
	NumAdded(pair bool) int
}

// SpecialToken is one special (or added) token: its text and id.
type SpecialToken struct {
	Text string
	ID   int
	// Control is true for control tokens (BOS, EOS, <|im_start|>…) that
	// DecodeOptions.SkipSpecial drops; false for user-defined added tokens.
	Control bool
}

// Specials lists a tokenizer's special tokens. An id of -1 means the
// tokenizer has no such token.
type Specials struct {
	BOS, EOS, UNK, PAD, CLS, SEP, MASK int
	// EOG lists every end-of-generation id (EOS, <|eot_id|>, <|im_end|>…).
	EOG []int
	// Tokens lists every special or added token whose text Encode recognises
	// when EncodeOptions.ParseSpecial is set.
	Tokens []SpecialToken
}

// EndIDs returns every id that ends generation: EOG, plus EOS when EOG
// does not list it (and it exists). The result is a new slice.
func (s Specials) EndIDs() []int {
	ids := slices.Clone(s.EOG)
	if s.EOS >= 0 && !slices.Contains(ids, s.EOS) {
		ids = append(ids, s.EOS)
	}
	return ids
}

// NoSpecials returns a Specials with every id set to -1.
func NoSpecials() Specials {
	return Specials{BOS: -1, EOS: -1, UNK: -1, PAD: -1, CLS: -1, SEP: -1, MASK: -1}
}

// ErrUnknownID is wrapped by errors about ids outside the vocabulary.
var ErrUnknownID = errors.New("token id out of range")

// ErrDisallowedSpecial is wrapped by the error tiktoken-style encoders return
// when the input contains special-token text that the caller did not allow.
var ErrDisallowedSpecial = errors.New("disallowed special token")

// UnknownIDError returns an error wrapping ErrUnknownID that names the id, its
// position and the vocabulary size.
func UnknownIDError(id, pos, vocab int) error {
	return fmt.Errorf("tokenizer: id %d at position %d: %w (vocabulary size %d)", id, pos, ErrUnknownID, vocab)
}
