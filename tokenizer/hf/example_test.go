package hf_test

import (
	"fmt"

	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/tokenizer/hf"
)

// A tiny BPE tokenizer.json: whitespace pre-tokenizer, three merges, an
// added special token and a template that appends it.
const tinyJSON = `{
  "version": "1.0",
  "added_tokens": [{"id": 9, "content": "<eos>", "special": true, "normalized": false}],
  "normalizer": {"type": "Lowercase"},
  "pre_tokenizer": {"type": "Whitespace"},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<eos>": {"id": "<eos>", "ids": [9], "tokens": ["<eos>"]}}},
  "decoder": {"type": "Fuse"},
  "model": {"type": "BPE", "unk_token": "?",
    "vocab": {"?": 0, "h": 1, "i": 2, "t": 3, "hi": 4, "th": 5, "the": 6, "e": 7, "!": 8},
    "merges": ["h i", "t h", ["th", "e"]]}
}`

func Example() {
	tok, err := hf.Parse([]byte(tinyJSON))
	if err != nil {
		panic(err)
	}
	ids, _ := tok.Encode("Hi the!<eos>", tokenizer.EncodeOptions{ParseSpecial: true, AddSpecial: true})
	toks, _ := tok.EncodeTokens("Hi the!", tokenizer.EncodeOptions{})
	text, _ := tok.Decode(ids, tokenizer.DecodeOptions{SkipSpecial: true})
	fmt.Println(ids, toks, text)
	// Output: [4 6 8 9 9] [hi the !] hithe!
}
