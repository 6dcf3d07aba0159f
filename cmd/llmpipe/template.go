package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/format/gguf"
)

// newTemplateCmd is `llmpipe template`: HF apply_chat_template(...,
// tokenize=False) on a JSON request read from stdin.
func newTemplateCmd() *cobra.Command {
	var from, name string
	var list bool
	cmd := &cobra.Command{
		Use:   "template --from PATH [--name NAME]",
		Short: "Render a model's chat template (HF apply_chat_template)",
		Long: `template renders a model's chat template as transformers'
apply_chat_template(..., tokenize=False) does, and prints the text as one JSON
string.

--from is a tokenizer_config.json, a chat_template.jinja, a model folder
holding tokenizer_config.json / chat_template.jinja / chat_template.json, or a
GGUF file (tokenizer.chat_template, tokenizer.chat_template.NAME). The
template's bos_token, eos_token and other special tokens come from there.

stdin is one JSON object with apply_chat_template's arguments:
  messages               the conversation (required): [{"role", "content", ...}]
  tools                  tool definitions (optional)
  add_generation_prompt  open an assistant turn (default false)
and any other key (enable_thinking, date_string, documents, ...) is passed to
the template as a variable. JSON key order is kept (it shows in tojson).

--name picks a named template (e.g. tool_use); without it the "default" one
is used, or "tool_use" when tools are given and the model has one.
--list prints the model's template names instead.`,
		Example: `  echo '{"messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true}' |
    llmpipe template --from ../shared/data/tokenizers/hf/qwen3
  echo '{"messages":[{"role":"user","content":"Hi"}],"add_generation_prompt":true,"enable_thinking":false}' |
    llmpipe template --from ../shared/data/tokenizers/hf/qwen3/tokenizer_config.json
  llmpipe template --from model.gguf --name tool_use < request.json
  llmpipe template --from ./model --list`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return errors.New("template needs --from PATH")
			}
			cfg, err := loadChatConfig(from)
			if err != nil {
				return err
			}
			if list {
				for _, n := range cfg.Names() {
					fmt.Fprintln(cmd.OutOrStdout(), n)
				}
				return nil
			}
			in, err := io.ReadAll(cmd.InOrStdin())
			if err != nil {
				return err
			}
			args, err := parseTemplateRequest(in)
			if err != nil {
				return err
			}
			src, err := cfg.Select(name, args.Tools != nil)
			if err != nil {
				return err
			}
			tmpl, err := chat.Parse(src)
			if err != nil {
				return fmt.Errorf("%s: %w", from, err)
			}
			base := cfg.Args()
			args.BOSToken, args.EOSToken = base.BOSToken, base.EOSToken
			for k, v := range args.Extra {
				base.Extra[k] = v
			}
			args.Extra = base.Extra
			text, err := tmpl.RenderContext(cmd.Context(), args)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetEscapeHTML(false)
			return enc.Encode(text)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "tokenizer_config.json, chat_template.jinja, model folder or GGUF file")
	cmd.Flags().StringVar(&name, "name", "", "named template to use (default: HF's choice)")
	cmd.Flags().BoolVar(&list, "list", false, "list the template names and exit")
	return cmd
}

// parseTemplateRequest reads the stdin JSON object into render arguments.
func parseTemplateRequest(in []byte) (chat.Args, error) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(in, &req); err != nil {
		return chat.Args{}, fmt.Errorf("stdin: want one JSON object with messages: %w", err)
	}
	if req == nil {
		return chat.Args{}, errors.New("stdin: want one JSON object with messages, got null")
	}
	var args chat.Args
	raw, ok := req["messages"]
	if !ok {
		return args, errors.New("stdin: no \"messages\"")
	}
	if err := json.Unmarshal(raw, &args.Messages); err != nil {
		return args, fmt.Errorf("stdin: messages: want a list of objects: %w", err)
	}
	for i, m := range args.Messages {
		if m == nil {
			return args, fmt.Errorf("stdin: messages[%d] is null", i)
		}
	}
	if raw, ok := req["tools"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := json.Unmarshal(raw, &args.Tools); err != nil {
			return args, fmt.Errorf("stdin: tools: want a list: %w", err)
		}
		if args.Tools == nil {
			args.Tools = []json.RawMessage{}
		}
	}
	if raw, ok := req["add_generation_prompt"]; ok {
		if err := json.Unmarshal(raw, &args.AddGenerationPrompt); err != nil {
			return args, fmt.Errorf("stdin: add_generation_prompt: want true or false: %w", err)
		}
	}
	keys := make([]string, 0, len(req))
	for k := range req {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args.Extra = map[string]any{}
	for _, k := range keys {
		switch k {
		case "messages", "tools", "add_generation_prompt":
			continue
		case "tokenize", "continue_final_message", "return_dict", "chat_template":
			return args, fmt.Errorf("stdin: %q is an apply_chat_template option this command does not support", k)
		}
		args.Extra[k] = req[k]
	}
	return args, nil
}

// loadChatConfig reads --from: a GGUF file's metadata, or an HF file or
// folder.
func loadChatConfig(path string) (*chat.Config, error) {
	if isGGUF(path) {
		return ggufChatConfig(path)
	}
	return chat.Load(path)
}

// isGGUF reports whether path is a file starting with the GGUF magic.
func isGGUF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return strings.HasSuffix(path, ".gguf")
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "GGUF"
}

// ggufChatConfig reads tokenizer.chat_template (the default template),
// tokenizer.chat_template.NAME (named ones, as llama.cpp writes them) and the
// texts of the special tokens (tokenizer.ggml.tokens[tokenizer.ggml.*_id])
// from a GGUF file's metadata.
func ggufChatConfig(path string) (*chat.Config, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &chat.Config{Templates: map[string]string{}, SpecialTokens: map[string]string{}, Source: path}
	const prefix = "tokenizer.chat_template"
	for _, kv := range f.KV {
		name, ok := strings.CutPrefix(kv.Key, prefix)
		if !ok || (name != "" && !strings.HasPrefix(name, ".")) {
			continue
		}
		src, ok := kv.Value.Str()
		if !ok {
			return nil, fmt.Errorf("%s: %s is not a string", path, kv.Key)
		}
		if name == "" {
			name = chat.DefaultName
		}
		c.Templates[strings.TrimPrefix(name, ".")] = src
	}
	if len(c.Templates) == 0 {
		return nil, fmt.Errorf("%s: no %s metadata", path, prefix)
	}
	tokens, _ := f.Strings("tokenizer.ggml.tokens")
	for key, id := range map[string]string{
		"bos_token": "tokenizer.ggml.bos_token_id", "eos_token": "tokenizer.ggml.eos_token_id",
		"unk_token": "tokenizer.ggml.unknown_token_id", "pad_token": "tokenizer.ggml.padding_token_id",
	} {
		n, ok := f.Uint(id)
		if !ok {
			continue
		}
		if n >= uint64(len(tokens)) {
			return nil, fmt.Errorf("%s: %s = %d is outside tokenizer.ggml.tokens (%d)", path, id, n, len(tokens))
		}
		c.SpecialTokens[key] = tokens[n]
	}
	c.BOSToken, c.EOSToken = c.SpecialTokens["bos_token"], c.SpecialTokens["eos_token"]
	return c, nil
}
