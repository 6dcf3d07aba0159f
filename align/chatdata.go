package align

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	ag "github.com/llmpipe/llmpipe/autograd"
	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/tokenizer"
	"github.com/llmpipe/llmpipe/train"
)

// Chat roles of a chat-data file.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// ChatMessage is one message of a conversation read by ReadChats.
type ChatMessage struct {
	Role    string // RoleSystem, RoleUser or RoleAssistant
	Content string
	// NoLoss is set for an assistant message with "weight": 0 (OpenAI's
	// fine-tuning format): it stays in the context but is not trained on.
	NoLoss bool
}

// Conversation is one line of a chat-data file.
type Conversation struct {
	File     string // the file's name, for errors
	Line     int    // 1-based line number
	Messages []ChatMessage
}

// Pos is "file:line", the conversation's place for error messages.
func (c Conversation) Pos() string { return fmt.Sprintf("%s:%d", c.File, c.Line) }

// ReadChatsFile reads a chat-data file (ReadChats).
func ReadChatsFile(path string) ([]Conversation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("align: %w", err)
	}
	defer f.Close()
	return ReadChats(f, path)
}

// ReadChats reads conversations in OpenAI's fine-tuning format
// (https://platform.openai.com/docs/guides/supervised-fine-tuning): JSONL,
// one conversation per line,
//
//	{"messages": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"}, {"role": "assistant", "content": "…"}]}
//
// Roles are system, user and assistant; content is a string; an assistant
// message may carry "weight": 0 or 1 (0: kept as context, not trained on)
// and any message a "name" (ignored). Every conversation needs an
// assistant message with weight 1. Empty lines are skipped. Anything else
// (malformed JSON, an unknown role or field, content that is not a string,
// tool calls) is an error naming name:line. A file without any conversation
// is an error.
func ReadChats(r io.Reader, name string) ([]Conversation, error) {
	br := bufio.NewReader(r)
	var out []Conversation
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("align: %s:%d: %w", name, line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			msgs, perr := parseChatLine(b)
			if perr != nil {
				return nil, fmt.Errorf("align: %s:%d: %w", name, line, perr)
			}
			out = append(out, Conversation{File: name, Line: line, Messages: msgs})
		}
		if err != nil {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("align: %s: no conversations", name)
	}
	return out, nil
}

// parseChatLine decodes one non-empty line of ReadChats.
func parseChatLine(b []byte) ([]ChatMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("malformed JSON (want {\"messages\": [...]}): %w", err)
	}
	for _, k := range []string{"tools", "functions"} {
		if v, ok := top[k]; ok && string(v) != "null" {
			return nil, fmt.Errorf("%q: tool definitions are not supported", k)
		}
	}
	raw, ok := top["messages"]
	if !ok {
		return nil, fmt.Errorf(`no "messages" list`)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf(`"messages" is not a list of objects: %w`, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf(`"messages" is empty`)
	}
	msgs := make([]ChatMessage, len(list))
	trained := false
	for i, m := range list {
		if m == nil {
			return nil, fmt.Errorf("message %d is not an object", i+1)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch k {
			case "role", "content", "weight", "name":
			default:
				return nil, fmt.Errorf("message %d: unsupported field %q (want role, content, weight, name)", i+1, k)
			}
		}
		var role string
		if err := json.Unmarshal(m["role"], &role); err != nil || m["role"] == nil {
			return nil, fmt.Errorf(`message %d: "role" is missing or not a string`, i+1)
		}
		switch role {
		case RoleSystem, RoleUser, RoleAssistant:
		default:
			return nil, fmt.Errorf("message %d: unknown role %q (want system, user or assistant)", i+1, role)
		}
		c, ok := m["content"]
		if !ok {
			return nil, fmt.Errorf(`message %d (%s): no "content"`, i+1, role)
		}
		var content string
		if len(c) == 0 || c[0] != '"' || json.Unmarshal(c, &content) != nil {
			return nil, fmt.Errorf(`message %d (%s): "content" is %s, not a string`, i+1, role, jsonKind(c))
		}
		msgs[i] = ChatMessage{Role: role, Content: content}
		if w, ok := m["weight"]; ok {
			if role != RoleAssistant {
				return nil, fmt.Errorf(`message %d (%s): "weight" is only for assistant messages`, i+1, role)
			}
			switch string(w) {
			case "0":
				msgs[i].NoLoss = true
			case "1":
			default:
				return nil, fmt.Errorf(`message %d: "weight" is %s, want 0 or 1`, i+1, w)
			}
		}
		if n, ok := m["name"]; ok && (len(n) == 0 || n[0] != '"') {
			return nil, fmt.Errorf(`message %d (%s): "name" is %s, not a string`, i+1, role, jsonKind(n))
		}
		if role == RoleAssistant && !msgs[i].NoLoss {
			trained = true
		}
	}
	if !trained {
		return nil, fmt.Errorf("no assistant message to train on (every conversation needs one, with weight 1)")
	}
	return msgs, nil
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(v json.RawMessage) string {
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '[':
		return "a list"
	case '{':
		return "an object"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// Built-in chat templates (Jinja sources, rendered like a model's own).
var builtinTemplates = map[string]string{
	// ChatML (OpenAI; Qwen, Hermes, SmolLM…):
	// <|im_start|>role\ncontent<|im_end|>\n per message.
	"chatml": "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
		"{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
	// The plain-text format of llmpipe chat and the server for models without
	// a template: "System: …\nUser: …\nAssistant: …\n", the prompt ending in
	// "Assistant:" (so a reply starts with its space). llmpipe chat ends a
	// reply at "\nUser:", so a conversation that ends with a reply ends with
	// "User:": every reply's end of turn is "\nUser:", and the model learns to
	// write what stops it.
	"plain": "{% for message in messages %}{% if message['role'] == 'system' %}System{% elif message['role'] == 'user' %}User{% else %}Assistant{% endif %}" +
		"{{ ': ' + message['content'] + '\\n' }}{% endfor %}{% if add_generation_prompt %}Assistant:" +
		"{% elif messages and messages[-1]['role'] == 'assistant' %}User:{% endif %}",
}

// BuiltinTemplateNames lists the built-in chat templates of LoadChatTemplate.
func BuiltinTemplateNames() []string {
	names := make([]string, 0, len(builtinTemplates))
	for n := range builtinTemplates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ChatTemplate renders conversations for SFT and finds the text the loss
// covers: a Jinja chat template (package chat, the engine the server uses)
// with its special-token arguments.
type ChatTemplate struct {
	Name   string // a built-in's name, or where the template came from
	tmpl   *chat.Template
	args   chat.Args
	source string
}

// TokenizerConfig returns a tokenizer_config.json holding the template and
// its special-token texts, as HF folders carry it: written beside a
// checkpoint, it makes llmpipe chat and serve render the model with the
// template it was tuned on (chat.FromDir reads it).
func (c *ChatTemplate) TokenizerConfig() ([]byte, error) {
	m := map[string]any{"chat_template": c.source}
	if c.args.BOSToken != "" {
		m["bos_token"] = c.args.BOSToken
	}
	if c.args.EOSToken != "" {
		m["eos_token"] = c.args.EOSToken
	}
	for k, v := range c.args.Extra {
		if s, ok := v.(string); ok && strings.HasSuffix(k, "_token") {
			m[k] = s
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("align: chat template %s: %w", c.Name, err)
	}
	return append(b, '\n'), nil
}

// NewChatTemplate parses a Jinja chat template; args carries the special
// tokens (bos_token, eos_token…) it reads.
func NewChatTemplate(name, source string, args chat.Args) (*ChatTemplate, error) {
	t, err := chat.Parse(source)
	if err != nil {
		return nil, fmt.Errorf("align: chat template %s: %w", name, err)
	}
	return &ChatTemplate{Name: name, tmpl: t, args: args, source: source}, nil
}

// LoadChatTemplate returns the template of --template: a built-in name
// (chatml, plain), or a file or folder chat.Load reads (a .jinja file, a
// tokenizer_config.json or chat_template.json, a model folder). An empty
// spec takes the first of dirs (e.g. the --from folder, the tokenizer's
// folder) that has a chat template (chat.FromDir), else chatml. A folder
// with template files that do not parse is an error, not a fallback.
func LoadChatTemplate(spec string, dirs ...string) (*ChatTemplate, error) {
	if src, ok := builtinTemplates[spec]; ok {
		return NewChatTemplate(spec, src, chat.Args{})
	}
	fromConfig := func(cfg *chat.Config, name string) (*ChatTemplate, error) {
		src, err := cfg.Select("", false)
		if err != nil {
			return nil, fmt.Errorf("align: --template: %w", err)
		}
		return NewChatTemplate(name, src, cfg.Args())
	}
	if spec != "" {
		if _, err := os.Stat(spec); err != nil {
			return nil, fmt.Errorf("align: --template %q is neither a built-in (%s) nor a file: %w", spec, strings.Join(BuiltinTemplateNames(), ", "), err)
		}
		cfg, err := chat.Load(spec)
		if err != nil {
			return nil, fmt.Errorf("align: --template: %w", err)
		}
		return fromConfig(cfg, spec)
	}
	for _, d := range dirs {
		if d == "" || !hasTemplateFiles(d) {
			continue
		}
		cfg, err := chat.FromDir(d)
		if err != nil {
			return nil, fmt.Errorf("align: %w", err)
		}
		if len(cfg.Templates) == 0 {
			continue // a tokenizer_config.json without a chat_template
		}
		return fromConfig(cfg, "the template of "+d)
	}
	return LoadChatTemplate("chatml")
}

// hasTemplateFiles reports whether dir holds a file chat.FromDir reads.
func hasTemplateFiles(dir string) bool {
	for _, n := range []string{"tokenizer_config.json", "chat_template.json", "chat_template.jinja"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return true
		}
	}
	m, _ := filepath.Glob(filepath.Join(dir, "additional_chat_templates", "*.jinja"))
	return len(m) > 0
}

// Span is a byte range [Start, End) of rendered text.
type Span struct{ Start, End int }

// Render renders the whole conversation and returns the spans the loss
// covers: each assistant message's text as the template writes it after
// the generation prompt, end of turn included (with chatml
// "content<|im_end|>\n", with plain " content\nUser:"). Assistant messages with
// NoLoss get no span.
//
// A span is found by rendering twice, as HF's TRL does for prompt and
// completion: the conversation up to the message with the generation prompt
// (P) and up to and with the message (Q); the span is Q after their common
// prefix. When Q is not a prefix of the whole rendering (a template that
// renders earlier turns differently once later ones follow, as Qwen3's
// drops the empty <think></think> of earlier replies), the replies are
// found by rendering the conversation with each reply's content between
// two private-use marker characters (U+E000, U+E001); the span is then the
// content, extended by the text Q has before the content (after P) and
// after it (the end of turn) where the whole rendering has that text
// around it too. A reply that renders to nothing, or that the template
// transforms so that the markers cannot place it, is an error. A template
// that ignores add_generation_prompt and always ends with the assistant's
// header (the first Llama 3 release's) keeps that trailer out of the last
// reply's span.
func (t *ChatTemplate) Render(msgs []ChatMessage) (string, []Span, error) {
	render := func(n int, gen, marked bool) (string, error) {
		args := t.args
		args.Messages = make([]chat.Message, n)
		for i, m := range msgs[:n] {
			c := m.Content
			if marked && m.Role == RoleAssistant && !m.NoLoss {
				c = markOpen + c + markClose
			}
			args.Messages[i] = chat.NewMessage(m.Role, c)
		}
		args.AddGenerationPrompt = gen
		s, err := t.tmpl.Render(args)
		if err != nil {
			return "", fmt.Errorf("chat template %s: %w", t.Name, err)
		}
		return s, nil
	}
	full, err := render(len(msgs), false, false)
	if err != nil {
		return "", nil, err
	}
	// A template that ignores add_generation_prompt and always ends with the
	// assistant's header (the first Llama 3 release's): that trailer is
	// prompt, not part of the last reply. It is what the template renders
	// for no messages.
	trailer := ""
	if g, err := render(len(msgs), true, false); err == nil && g == full {
		if r0, err := render(0, false, false); err == nil && strings.HasSuffix(full, r0) {
			trailer = r0
		}
	}
	replyEnd := func(q string) int {
		if strings.HasSuffix(q, trailer) {
			return len(q) - len(trailer)
		}
		return len(q)
	}
	var marked []Span // the replies' content in full, found with markers (on demand)
	replies := 0      // trainable replies before message i
	var spans []Span
	for i, m := range msgs {
		if m.Role != RoleAssistant || m.NoLoss {
			continue
		}
		replies++
		p, err := render(i, true, false)
		if err != nil {
			return "", nil, fmt.Errorf("message %d: %w", i+1, err)
		}
		q, err := render(i+1, false, false)
		if err != nil {
			return "", nil, fmt.Errorf("message %d: %w", i+1, err)
		}
		start := commonPrefix(p, q)
		var sp Span
		if strings.HasPrefix(full, q) {
			sp = Span{start, replyEnd(q)}
		} else {
			if marked == nil {
				if marked, err = t.markedSpans(full, render, len(msgs), trainable(msgs)); err != nil {
					return "", nil, fmt.Errorf("message %d: %w", i+1, err)
				}
			}
			// where the content sits in q: the last marked reply of q
			qs, err := t.markedSpans(q, render, i+1, replies)
			if err != nil {
				return "", nil, fmt.Errorf("message %d: %w", i+1, err)
			}
			c := qs[len(qs)-1]
			sp = marked[replies-1]
			if pre := q[min(start, c.Start):c.Start]; strings.HasSuffix(full[:sp.Start], pre) {
				sp.Start -= len(pre)
			}
			if eot := q[c.End:max(c.End, replyEnd(q))]; strings.HasPrefix(full[sp.End:], eot) {
				sp.End += len(eot)
			}
		}
		if len(spans) > 0 && sp.Start < spans[len(spans)-1].End {
			sp.Start = spans[len(spans)-1].End
		}
		if sp.Start >= sp.End {
			return "", nil, fmt.Errorf("message %d: chat template %s renders the assistant reply as no text", i+1, t.Name)
		}
		spans = append(spans, sp)
	}
	return full, spans, nil
}

// trainable counts the assistant messages with a loss.
func trainable(msgs []ChatMessage) int {
	n := 0
	for _, m := range msgs {
		if m.Role == RoleAssistant && !m.NoLoss {
			n++
		}
	}
	return n
}

// commonPrefix returns the length of the longest common prefix of a and b,
// backed off to a rune boundary of b.
func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	for n > 0 && n < len(b) && !utf8.RuneStart(b[n]) {
		n--
	}
	return n
}

// The markers Render puts around replies when it must find them in the
// rendering: Unicode private-use characters, which chat text does not hold
// (a message that does is an error then).
const (
	markOpen  = "\ue000"
	markClose = "\ue001"
)

// markedSpans renders the first n messages with the trainable replies'
// content between markers, and returns where each reply's content lies in
// plain (the same rendering without markers). The template must keep each
// of the want marked contents whole and in order, and the text without the
// markers must be plain.
func (t *ChatTemplate) markedSpans(plain string, render func(n int, gen, marked bool) (string, error), n, want int) ([]Span, error) {
	if strings.Contains(plain, markOpen) || strings.Contains(plain, markClose) {
		return nil, fmt.Errorf("chat template %s renders replies differently in later turns, and the text holds U+E000 or U+E001, which would mark them", t.Name)
	}
	s, err := render(n, false, true)
	if err != nil {
		return nil, err
	}
	var clean strings.Builder
	var spans []Span
	open := -1
	for s != "" {
		switch {
		case strings.HasPrefix(s, markOpen) && open < 0:
			open, s = clean.Len(), s[len(markOpen):]
		case strings.HasPrefix(s, markClose) && open >= 0:
			spans, open, s = append(spans, Span{open, clean.Len()}), -1, s[len(markClose):]
		case strings.HasPrefix(s, markOpen) || strings.HasPrefix(s, markClose):
			return nil, fmt.Errorf("chat template %s renders replies differently in later turns and splits or repeats them, so they cannot be placed", t.Name)
		default:
			clean.WriteByte(s[0])
			s = s[1:]
		}
	}
	if open >= 0 || len(spans) != want || clean.String() != plain {
		return nil, fmt.Errorf("chat template %s renders replies differently in later turns and transforms them, so they cannot be placed", t.Name)
	}
	return spans, nil
}

// EncodeChat renders a conversation with tmpl and tokenizes it with tok,
// the loss on the tokens of the spans of Render only: the text is cut at
// the span boundaries and each piece tokenized alone (special-token text
// such as "<|im_end|>" becomes the special token where tok has it), so no
// token straddles a boundary. Ids must be below vocab (the model's).
func EncodeChat(tok tokenizer.Tokenizer, tmpl *ChatTemplate, msgs []ChatMessage, vocab int) (Seq, string, error) {
	text, spans, err := tmpl.Render(msgs)
	if err != nil {
		return Seq{}, "", err
	}
	var s Seq
	add := func(piece string, loss bool) error {
		if piece == "" {
			return nil
		}
		ids, err := tok.Encode(piece, tokenizer.EncodeOptions{ParseSpecial: true})
		if err != nil {
			return fmt.Errorf("tokenizing: %w", err)
		}
		for _, id := range ids {
			if id < 0 || id >= vocab {
				return fmt.Errorf("tokenizer returned id %d outside the model's vocabulary [0, %d)", id, vocab)
			}
			s.Ids, s.Loss = append(s.Ids, id), append(s.Loss, loss)
		}
		return nil
	}
	at := 0
	for _, sp := range spans {
		if err := add(text[at:sp.Start], false); err != nil {
			return Seq{}, "", err
		}
		if err := add(text[sp.Start:sp.End], true); err != nil {
			return Seq{}, "", err
		}
		at = sp.End
	}
	if err := add(text[at:], false); err != nil {
		return Seq{}, "", err
	}
	return s, text, nil
}

// ChatData is a chat-data file tokenized for SFT (EncodeChats).
type ChatData struct {
	Seqs    []Seq
	Lines   []int // the line of each of Seqs
	Dropped int   // conversations longer than the context, left out (drop)
	Tokens  int   // tokens in Seqs
	Loss    int   // of which carry a loss
}

// EncodeChats tokenizes conversations (EncodeChat). A conversation of more
// than ctx tokens is an error naming its place and length, unless drop
// (--truncate), which leaves it out and counts it in Dropped.
func EncodeChats(tok tokenizer.Tokenizer, tmpl *ChatTemplate, convs []Conversation, vocab, ctx int, drop bool) (*ChatData, error) {
	d := &ChatData{}
	for _, c := range convs {
		s, _, err := EncodeChat(tok, tmpl, c.Messages, vocab)
		if err != nil {
			return nil, fmt.Errorf("align: %s: %w", c.Pos(), err)
		}
		if len(s.Ids) > ctx {
			if drop {
				d.Dropped++
				continue
			}
			return nil, fmt.Errorf("align: %s: the conversation has %d tokens, more than the context %d (--truncate drops such conversations)", c.Pos(), len(s.Ids), ctx)
		}
		d.Seqs, d.Lines = append(d.Seqs, s), append(d.Lines, c.Line)
		d.Tokens += len(s.Ids)
		for _, l := range s.Loss {
			if l {
				d.Loss++
			}
		}
	}
	if len(d.Seqs) == 0 {
		return nil, fmt.Errorf("align: every one of the %d conversations is longer than the context %d", len(convs), ctx)
	}
	return d, nil
}

// SplitVal splits seqs into a training and a held-out part: round(frac·n)
// examples, at least 1 when frac > 0 and there are two or more, drawn by a
// permutation seeded with seed; the rest keep their order.
func SplitVal(seqs []Seq, frac float64, seed uint64) (trainSet, val []Seq, err error) {
	if !(frac >= 0 && frac < 1) {
		return nil, nil, fmt.Errorf("align: --val-frac %g: want 0 ≤ frac < 1", frac)
	}
	n := len(seqs)
	k := int(frac*float64(n) + 0.5)
	if frac > 0 && k == 0 && n >= 2 {
		k = 1
	}
	if k >= n {
		k = n - 1
	}
	held := map[int]bool{}
	for _, i := range rand.New(rand.NewPCG(seed, 0x5a1)).Perm(n)[:max(k, 0)] {
		held[i] = true
	}
	for i, s := range seqs {
		if held[i] {
			val = append(val, s)
		} else {
			trainSet = append(trainSet, s)
		}
	}
	return trainSet, val, nil
}

// RowsLoss is m's mean cross-entropy over the targets of packed rows (the
// assistant tokens), with the number of targets; no tape.
func RowsLoss(m *train.Model, rows Rows) (float64, int) {
	if len(rows.Ids) == 0 {
		return 0, 0
	}
	// rows per forward: up to 8, the logits at most 2^25 floats (128 MiB)
	batch := max(1, min(8, (1<<25)/(len(rows.Ids[0])*m.Config.Vocab)))
	var sum float64
	n := 0
	for lo := 0; lo < len(rows.Ids); lo += batch {
		hi := min(lo+batch, len(rows.Ids))
		var ids, tg []int
		var seg []int32
		for r := lo; r < hi; r++ {
			ids, tg, seg = append(ids, rows.Ids[r]...), append(tg, rows.Targets[r]...), append(seg, rows.Segs[r]...)
		}
		c := 0
		for _, t := range tg {
			if t != ignore {
				c++
			}
		}
		if c == 0 {
			continue
		}
		loss := crossEntropy(m, ids, tg, seg, hi-lo)
		sum += loss * float64(c)
		n += c
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// ChatSFT fine-tunes m on tokenized conversations: trainSet packed into
// rows of rowLen ≤ m's context tokens (PackSeqs), the SFT loop of SFT
// (loss on assistant tokens only, per-example attention and positions). The
// mean cross-entropy over val's assistant tokens (may be empty: none) is
// measured every EvalEvery steps and at the end as "val_loss".
// opts.Tokenizer must name the tokenizer (it is saved with the checkpoint).
func ChatSFT(ctx context.Context, m *train.Model, opts Options, rowLen int, trainSet, val []Seq) (*Result, error) {
	if opts.Tokenizer.Kind == "" {
		return nil, fmt.Errorf("align: chat sft: no tokenizer spec for the checkpoint")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if rowLen <= 0 || rowLen > m.Config.Ctx {
		return nil, fmt.Errorf("align: chat sft: rows of %d tokens: want 1..%d (the model's context)", rowLen, m.Config.Ctx)
	}
	rows, err := PackSeqs(trainSet, rowLen)
	if err != nil {
		return nil, err
	}
	var eval func(int) (map[string]float64, error)
	if len(val) > 0 {
		vrows, err := PackSeqs(val, rowLen)
		if err != nil {
			return nil, err
		}
		eval = func(int) (map[string]float64, error) {
			l, _ := RowsLoss(m, vrows)
			return map[string]float64{"val_loss": l}, nil
		}
	}
	return sftRows(ctx, m, opts, rows, eval)
}

// crossEntropy is m's mean cross-entropy over the targets of batch packed
// rows, without a tape.
func crossEntropy(m *train.Model, ids, targets []int, seg []int32, batch int) float64 {
	return float64(ag.CrossEntropy(nil, PackedForward(nil, m, ids, batch, seg), targets, ignore).Data[0])
}
