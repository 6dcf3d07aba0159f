package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/tokenizer"
)

// defaultTokenizer is the --tokenizer value used when none is given.
const defaultTokenizer = "builtin"

func newTokenizeCmd() *cobra.Command {
	var (
		spec                string
		special, addSpecial bool
		jsonl, decode       bool
		skipSpecial         bool
		train               bool
		vocabSize           int
		out                 string
	)
	cmd := &cobra.Command{
		Use:   "tokenize [--tokenizer PATH_OR_NAME] [flags]",
		Short: "Turn text into token ids (or ids into text, or train a tokenizer)",
		Long: `tokenize reads stdin and prints token ids as one JSON array.

--tokenizer takes a tiktoken encoding name (r50k_base, p50k_base, p50k_edit, gpt2, cl100k_base,
o200k_base; looked up in the cache, then in $LLMPIPE_SHARED/tokenizers/tiktoken or
../shared/data/tokenizers/tiktoken, else downloaded; sha256-checked), a .tiktoken file,
a HF tokenizer.json or a folder holding one, a SentencePiece tokenizer.model, or
a GGUF file (its embedded vocabulary). Without it the built-in tokenizer
(a byte-level BPE llmpipe trained on TinyShakespeare and TinyStories) is used.

The input is taken byte for byte: a trailing newline is part of the text.`,
		Example: `  printf 'Hello, world!' | llmpipe tokenize --tokenizer cl100k_base
  printf '<|endoftext|>hi' | llmpipe tokenize --tokenizer o200k_base --special
  printf 'Hello' | llmpipe tokenize --tokenizer ../shared/data/tokenizers/hf/llama3 --add-special
  printf '"one"\n"two"\n' | llmpipe tokenize --tokenizer cl100k_base --jsonl
  echo '[9906,11,1917,0]' | llmpipe tokenize --tokenizer cl100k_base --decode
  echo '[128000,9906]' | llmpipe tokenize --tokenizer ../shared/data/tokenizers/hf/llama3 --decode --skip-special
  llmpipe tokenize --train --vocab-size 1000 --out tokenizer.json corpus.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if !train && len(args) > 0 {
				return fmt.Errorf("tokenize reads stdin; unexpected arguments %q (training files need --train)", args)
			}
			if train && len(args) == 0 {
				return errors.New("tokenize --train needs at least one corpus file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if train {
				if out == "" {
					return errors.New("tokenize --train needs --out FILE")
				}
				return trainTokenizer(cmd.Context(), cmd.ErrOrStderr(), args, vocabSize, out)
			}
			tok, err := loadTokenizer(spec)
			if err != nil {
				return err
			}
			opts := tokenizer.EncodeOptions{ParseSpecial: special, AddSpecial: addSpecial}
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			in := cmd.InOrStdin()
			switch {
			case decode:
				return decodeStream(tok, tokenizer.DecodeOptions{SkipSpecial: skipSpecial}, in, w)
			case jsonl:
				return encodeLines(tok, opts, in, w)
			default:
				text, err := io.ReadAll(in)
				if err != nil {
					return err
				}
				ids, err := tok.Encode(string(text), opts)
				if err != nil {
					return err
				}
				return writeJSONLine(w, ids)
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&spec, "tokenizer", defaultTokenizer, "tokenizer: encoding name, .tiktoken, tokenizer.json (or its folder), tokenizer.model, or .gguf")
	f.BoolVar(&special, "special", false, "parse special-token text (<|endoftext|>, <s>) as special tokens")
	f.BoolVar(&addSpecial, "add-special", false, "add the tokenizer's BOS/EOS (CLS/SEP) template")
	f.BoolVar(&jsonl, "jsonl", false, "each input line is a JSON string; print one JSON array of ids per line")
	f.BoolVar(&decode, "decode", false, "read JSON arrays of ids, print each decoded text as a JSON string")
	f.BoolVar(&skipSpecial, "skip-special", false, "with --decode: drop special tokens (HF skip_special_tokens=True)")
	f.BoolVar(&train, "train", false, "train a byte-level BPE tokenizer on FILES and write it as tokenizer.json")
	f.IntVar(&vocabSize, "vocab-size", 4096, "with --train: the vocabulary size to reach")
	f.StringVar(&out, "out", "", "with --train: the tokenizer.json to write")
	return cmd
}

// writeJSONLine writes v as JSON on one line, without HTML escaping.
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func encodeLines(tok tokenizer.Tokenizer, opts tokenizer.EncodeOptions, in io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return fmt.Errorf("stdin line %d: want a JSON string: %w", line, err)
		}
		ids, err := tok.Encode(text, opts)
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", line, err)
		}
		if ids == nil {
			ids = []int{}
		}
		if err := writeJSONLine(w, ids); err != nil {
			return err
		}
	}
	return sc.Err()
}

func decodeStream(tok tokenizer.Tokenizer, opts tokenizer.DecodeOptions, in io.Reader, w io.Writer) error {
	dec := json.NewDecoder(in)
	for n := 1; ; n++ {
		var ids []int
		if err := dec.Decode(&ids); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("stdin value %d: want a JSON array of ids: %w", n, err)
		}
		text, err := tok.Decode(ids, opts)
		if err != nil {
			return fmt.Errorf("stdin value %d: %w", n, err)
		}
		if err := writeJSONLine(w, text); err != nil {
			return err
		}
	}
}
