package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultName is the name of a model's main chat template.
const DefaultName = "default"

// Config is what a model ships about its chat templates: the named
// template sources and the special-token texts templates read.
type Config struct {
	// Templates maps a template's name to its source; the main one is
	// [DefaultName], others are e.g. "tool_use" or "rag".
	Templates map[string]string
	// BOSToken and EOSToken are the texts of the BOS and EOS tokens ("" when
	// the model has none).
	BOSToken, EOSToken string
	// SpecialTokens holds every "*_token" entry of tokenizer_config.json
	// (bos_token, eos_token, pad_token, unk_token, …) by its key; HF passes
	// them all to the template.
	SpecialTokens map[string]string
	// Source names where the config came from, for error messages.
	Source string
}

// Names returns the template names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Templates))
	for n := range c.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Select returns the source of the template called name, choosing as HF's
// get_chat_template does when name is "": "tool_use" when hasTools and the
// model has it, else "default", else the only template there is.
func (c *Config) Select(name string, hasTools bool) (string, error) {
	if len(c.Templates) == 0 {
		return "", fmt.Errorf("chat: %s: no chat template", c.Source)
	}
	if name != "" {
		if src, ok := c.Templates[name]; ok {
			return src, nil
		}
		return "", fmt.Errorf("chat: %s: no chat template named %q (have %s)", c.Source, name, strings.Join(c.Names(), ", "))
	}
	if src, ok := c.Templates["tool_use"]; ok && hasTools {
		return src, nil
	}
	if src, ok := c.Templates[DefaultName]; ok {
		return src, nil
	}
	if len(c.Templates) == 1 {
		for _, src := range c.Templates {
			return src, nil
		}
	}
	return "", fmt.Errorf("chat: %s: no %q chat template among %s; choose one by name", c.Source, DefaultName, strings.Join(c.Names(), ", "))
}

// Args returns render arguments carrying the config's special tokens:
// BOSToken, EOSToken, and the other *_token texts in Extra.
func (c *Config) Args() Args {
	a := Args{BOSToken: c.BOSToken, EOSToken: c.EOSToken, Extra: map[string]any{}}
	for k, v := range c.SpecialTokens {
		if k != "bos_token" && k != "eos_token" {
			a.Extra[k] = v
		}
	}
	return a
}

// FromTokenizerConfig reads a tokenizer_config.json file.
func FromTokenizerConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	c, err := ParseTokenizerConfig(b)
	if err != nil {
		return nil, fmt.Errorf("chat: %s: %w", path, err)
	}
	c.Source = path
	return c, nil
}

// ParseTokenizerConfig reads the contents of a tokenizer_config.json:
// "chat_template" is a string or a list of {"name", "template"}; the
// "*_token" entries are strings, null, or AddedToken objects
// ({"content": …}).
func ParseTokenizerConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("not a JSON object")
	}
	c := &Config{Templates: map[string]string{}, SpecialTokens: map[string]string{}, Source: "tokenizer_config.json"}
	if t, ok := raw["chat_template"]; ok {
		if err := c.addTemplates(t); err != nil {
			return nil, fmt.Errorf("chat_template: %w", err)
		}
	}
	for k, v := range raw {
		if !strings.HasSuffix(k, "_token") {
			continue
		}
		s, ok, err := tokenText(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if ok {
			c.SpecialTokens[k] = s
		}
	}
	c.BOSToken = c.SpecialTokens["bos_token"]
	c.EOSToken = c.SpecialTokens["eos_token"]
	return c, nil
}

// addTemplates reads a "chat_template" value: a string (the default
// template), a list of {"name", "template"}, or null.
func (c *Config) addTemplates(v json.RawMessage) error {
	var s *string
	if err := json.Unmarshal(v, &s); err == nil {
		if s != nil {
			c.Templates[DefaultName] = *s
		}
		return nil
	}
	var list []struct {
		Name     *string `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(v, &list); err != nil {
		return errors.New("want a string or a list of {name, template}")
	}
	for i, e := range list {
		if e.Name == nil || e.Template == nil {
			return fmt.Errorf("[%d]: want both name and template", i)
		}
		c.Templates[*e.Name] = *e.Template
	}
	return nil
}

// tokenText reads a special token entry: a string, null (ok=false), or
// an AddedToken object {"content": …}. Other kinds are skipped (ok=false).
func tokenText(v json.RawMessage) (text string, ok bool, err error) {
	var s *string
	if json.Unmarshal(v, &s) == nil {
		if s == nil {
			return "", false, nil
		}
		return *s, true, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) == nil && obj != nil {
		content, has := obj["content"]
		if !has {
			return "", false, errors.New("token object has no content")
		}
		if err := json.Unmarshal(content, &s); err != nil || s == nil {
			return "", false, errors.New("token content is not a string")
		}
		return *s, true, nil
	}
	return "", false, nil // lists (additional_special_tokens) and others
}

// FromDir reads a model folder in HF's layout: tokenizer_config.json (for
// the special tokens and templates), chat_template.json ({"chat_template":
// …}) and chat_template.jinja (which, when present, is the default
// template, as in transformers), and additional_chat_templates/NAME.jinja.
func FromDir(dir string) (*Config, error) {
	c := &Config{Templates: map[string]string{}, SpecialTokens: map[string]string{}, Source: dir}
	found := false
	if b, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json")); err == nil {
		tc, err := ParseTokenizerConfig(b)
		if err != nil {
			return nil, fmt.Errorf("chat: %s: %w", filepath.Join(dir, "tokenizer_config.json"), err)
		}
		tc.Source = dir
		c, found = tc, true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.json")); err == nil {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("chat: %s: %w", filepath.Join(dir, "chat_template.json"), err)
		}
		if t, ok := raw["chat_template"]; ok {
			if err := c.addTemplates(t); err != nil {
				return nil, fmt.Errorf("chat: %s: chat_template: %w", filepath.Join(dir, "chat_template.json"), err)
			}
		}
		found = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		c.Templates[DefaultName] = string(b)
		found = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("chat: %w", err)
	}
	extra, _ := filepath.Glob(filepath.Join(dir, "additional_chat_templates", "*.jinja"))
	for _, p := range extra {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("chat: %w", err)
		}
		c.Templates[strings.TrimSuffix(filepath.Base(p), ".jinja")] = string(b)
		found = true
	}
	if !found {
		return nil, fmt.Errorf("chat: %s: no tokenizer_config.json, chat_template.json or chat_template.jinja", dir)
	}
	return c, nil
}

// Load reads a tokenizer_config.json or a chat_template.json, a *.jinja
// file (the default template itself), or a folder (see [FromDir]).
func Load(path string) (*Config, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if st.IsDir() {
		return FromDir(path)
	}
	if strings.HasSuffix(path, ".jinja") {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("chat: %w", err)
		}
		return &Config{Templates: map[string]string{DefaultName: string(b)}, SpecialTokens: map[string]string{}, Source: path}, nil
	}
	return FromTokenizerConfig(path)
}
