package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/format/gguf"
	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/model"
	"github.com/llmpipe/llmpipe/tokenizer"
)

// The plain-text chat format, for models without a chat template:
//
//	System: TEXT        (when there is a system prompt)
//	User: TEXT
//	Assistant: TEXT
//	User: TEXT
//	Assistant:
//
// one line per message (a message's own newlines are kept), the prompt
// ending in "Assistant:"; the reply stops at plainStop. It is the same
// text as package server's plain format for such models.
const plainStop = "\nUser:"

// chatSetFlags are the flags /set may change, as named on the command line.
var chatSetFlags = []string{"temperature", "top-k", "top-p", "min-p", "typical-p", "repeat-penalty", "repeat-last-n",
	"frequency-penalty", "presence-penalty", "seed", "max-tokens"}

const chatHelp = `Commands:
  /help                 this list
  /reset                forget the conversation (the system prompt stays)
  /system TEXT          set the system prompt (empty TEXT: none)
  /set                  show the sampling settings
  /set NAME VALUE       change one: temperature, top-k, top-p, min-p, typical-p,
                        repeat-penalty, repeat-last-n, frequency-penalty,
                        presence-penalty, seed, max-tokens (e.g. /set temperature 0.7)
  /quit                 leave (also /exit, or end of input: Ctrl-D)
Input: Enter sends. End a line with \ to continue the message on the next
line, or paste between two lines of """ . Start a message with // to send
text that begins with /.
`

func newChatCmd() *cobra.Command {
	var applyThreads func() error
	var (
		modelPath, tokPath, system, templatePath string
		maxTokens                                int
		kvF16                                    bool
		sf                                       samplingFlags
	)
	cmd := &cobra.Command{
		Use:   "chat [--model PATH] [--system TEXT] [--max-tokens N] [sampling flags]",
		Short: "Chat with a model in the terminal (streaming, chat template, KV cache kept across turns)",
		Long: `chat is an interactive conversation with a model: type a message, Enter
sends it, and the reply streams back. The conversation is rendered with the
model's chat template (a GGUF's tokenizer.chat_template, or the
tokenizer_config.json / chat_template.jinja of a HF folder; --chat-template
picks another). A model without one (stories260K, llama2.c checkpoints) uses
a plain-text format:

  System: TEXT
  User: TEXT
  Assistant: TEXT
  User: TEXT
  Assistant:

with the reply ending at "\nUser:" (or an end-of-generation token).

Input: a line ending in \ continues on the next line; text between two lines
holding only """ is sent as one message (paste mode). Commands: /help,
/reset, /system TEXT, /set NAME VALUE (e.g. /set temperature 0.7; /set alone
lists the settings), /quit. Ctrl-D ends the chat, as does Ctrl-C.

History: when the conversation no longer fits the model's context, leaving
room for the reply (--max-tokens, at most half the context; a quarter of it
when --max-tokens is 0), the oldest exchanges are dropped, with a note on
stderr. A message that does not fit even alone (with the system prompt) is
an error and is not kept; nothing is ever cut silently.

KV cache: each turn's prompt is tokenized whole and compared with the ids
already in the cache (the previous prompt and reply): the cache is cut back
to the longest prefix they share and only the rest is prefilled. Usually that
is only the new message; after a change earlier in the conversation
(/system, /reset, dropped history, a reply that tokenizes differently when
rendered again) it is everything from the first difference on. A line on
stderr after each reply gives its tokens, speed and how much of the prompt
came from the cache.

Replies go to stdout; notes, statistics and errors to stderr. Sampling flags
are run's (greedy by default: --temperature 0); /set changes them between
turns.`,
		Example: `  llmpipe chat --model ../shared/data/models/stories260K.gguf
  llmpipe chat --model model.gguf --system "You are terse." --temperature 0.7 --seed 1
  printf 'Once upon a time\n/set temperature 0.8\nWhat next?\n' | llmpipe chat --model stories260K.gguf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyThreads(); err != nil {
				return err
			}
			if maxTokens < 0 {
				return fmt.Errorf("--max-tokens %d is negative", maxTokens)
			}
			opts, err := chatOptions(cmd, &sf)
			if err != nil {
				return err
			}
			m, tok, closeModel, err := loadModelOrDefault(modelPath, tokPath) // no --model: the built-in model
			if err != nil {
				return err
			}
			defer closeModel()
			format, err := loadChatFormat(modelPath, templatePath)
			if err != nil {
				return err
			}
			s := &chatSession{
				cmd: cmd, sf: &sf, maxTokens: &maxTokens,
				model: &reuseModel{Model: m}, tok: tok, format: format, system: system,
				opts: opts, kvF16: kvF16,
				out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(),
			}
			// Ctrl-C is ours: during a reply it stops the reply, at the
			// prompt it ends the chat. (main's handler also cancels the
			// command's context on it; the chat does not stop on that.)
			intr := make(chan os.Signal, 1)
			signal.Notify(intr, os.Interrupt)
			defer signal.Stop(intr)
			return s.loop(context.WithoutCancel(cmd.Context()), cmd.InOrStdin(), intr)
		},
	}
	applyThreads = addThreadsFlag(cmd)
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "GGUF file, HF checkpoint folder, or llama2.c checkpoint (.bin) with --tokenizer (default: the built-in model)")
	fl.StringVar(&tokPath, "tokenizer", "", "tokenizer for a llama2.c .bin or a HF checkpoint (as for run)")
	fl.StringVar(&system, "system", "", "system prompt (/system changes it)")
	fl.StringVar(&templatePath, "chat-template", "", `chat template to use instead of the model's: anything template --from takes, or "plain" for the plain-text format`)
	fl.IntVar(&maxTokens, "max-tokens", 256, "most tokens per reply (0: until the end of text or context)")
	fl.BoolVar(&kvF16, "kv-f16", true, "keep the KV cache in float16, as llama.cpp does (--kv-f16=false: float32, half the rounding, twice the memory)")
	// run's sampling flags, less beam search and logprobs.
	fl.Float64Var(&sf.temperature, "temperature", 0, "sampling temperature; 0 is greedy decoding")
	fl.IntVar(&sf.topK, "top-k", 0, "keep the K most likely tokens (0: off)")
	fl.Float64Var(&sf.topP, "top-p", 1, "nucleus sampling mass, in (0,1] (1: off)")
	fl.Float64Var(&sf.minP, "min-p", 0, "keep tokens with p ≥ min-p·p_max, in [0,1] (0: off)")
	fl.Float64Var(&sf.typicalP, "typical-p", 1, "locally typical sampling mass, in (0,1] (1: off)")
	fl.Float64Var(&sf.repeatPenalty, "repeat-penalty", 1, "penalty for recent tokens (1: off)")
	fl.IntVar(&sf.repeatLastN, "repeat-last-n", 64, "tokens the penalties look back over (0: off, -1: all)")
	fl.Float64Var(&sf.freqPenalty, "frequency-penalty", 0, "OpenAI frequency penalty")
	fl.Float64Var(&sf.presPenalty, "presence-penalty", 0, "OpenAI presence penalty")
	fl.Uint64Var(&sf.seed, "seed", 0, "sampling seed (default: a random one, printed on stderr)")
	fl.StringArrayVar(&sf.stop, "stop", nil, "also stop a reply at this string (repeatable)")
	return cmd
}

// chatFormat turns a conversation into prompt text: with a chat template,
// or in the plain-text format when tmpl is nil.
type chatFormat struct {
	tmpl *chat.Template
	args chat.Args // special-token texts for the template
	name string    // where the template came from, for the banner
}

// loadChatFormat finds the chat template: override (a path, or "plain"),
// else the model's own (GGUF metadata or a HF folder's files), else none.
func loadChatFormat(modelPath, override string) (chatFormat, error) {
	var cfg *chat.Config
	var err error
	switch {
	case override == "plain":
		return chatFormat{name: "plain text"}, nil
	case override != "":
		cfg, err = loadChatConfig(override)
	default:
		cfg, err = modelChatConfig(modelPath)
	}
	if err != nil || cfg == nil {
		return chatFormat{name: "plain text"}, err
	}
	src, err := cfg.Select("", false)
	if err != nil {
		return chatFormat{}, err
	}
	t, err := chat.Parse(src)
	if err != nil {
		return chatFormat{}, fmt.Errorf("chat template of %s: %w", cfg.Source, err)
	}
	return chatFormat{tmpl: t, args: cfg.Args(), name: "chat template of " + cfg.Source}, nil
}

// modelChatConfig returns the chat templates a model carries, or nil when
// it has none: a GGUF's tokenizer.chat_template*, a HF folder's
// tokenizer_config.json / chat_template.json / chat_template.jinja. A
// llama2.c checkpoint has none.
func modelChatConfig(modelPath string) (*chat.Config, error) {
	if isGGUF(modelPath) {
		f, err := gguf.Open(modelPath)
		if err != nil {
			return nil, err
		}
		has := false
		for _, kv := range f.KV {
			if kv.Key == "tokenizer.chat_template" || strings.HasPrefix(kv.Key, "tokenizer.chat_template.") {
				has = true
			}
		}
		f.Close()
		if !has {
			return nil, nil
		}
		return ggufChatConfig(modelPath)
	}
	dir := modelPath
	if st, err := os.Stat(modelPath); err != nil || !st.IsDir() {
		if !isSafetensors(modelPath) {
			return nil, nil // a llama2.c checkpoint
		}
		dir = filepath.Dir(modelPath)
	}
	cfg, err := chat.FromDir(dir)
	if err != nil {
		for _, n := range []string{"tokenizer_config.json", "chat_template.json", "chat_template.jinja"} {
			if _, serr := os.Stat(filepath.Join(dir, n)); serr == nil {
				return nil, err
			}
		}
		return nil, nil // no template files at all
	}
	if len(cfg.Templates) == 0 {
		return nil, nil
	}
	return cfg, nil
}

// render returns the prompt for system (may be empty), the finished turns
// and the new user message, ending where the assistant's reply starts.
func (f chatFormat) render(ctx context.Context, system string, turns []chatTurn, user string) (string, error) {
	if f.tmpl == nil {
		var b strings.Builder
		if system != "" {
			b.WriteString("System: " + system + "\n")
		}
		for _, t := range turns {
			b.WriteString("User: " + t.user + "\nAssistant: " + t.assistant + "\n")
		}
		b.WriteString("User: " + user + "\nAssistant:")
		return b.String(), nil
	}
	var msgs []chat.Message
	if system != "" {
		msgs = append(msgs, chat.NewMessage("system", system))
	}
	for _, t := range turns {
		msgs = append(msgs, chat.NewMessage("user", t.user), chat.NewMessage("assistant", t.assistant))
	}
	msgs = append(msgs, chat.NewMessage("user", user))
	args := f.args
	args.Messages, args.AddGenerationPrompt = msgs, true
	return f.tmpl.RenderContext(ctx, args)
}

// chatTurn is one finished exchange.
type chatTurn struct{ user, assistant string }

// chatSession is the state of one `llmpipe chat`.
type chatSession struct {
	cmd       *cobra.Command // for /set: its flags
	sf        *samplingFlags
	maxTokens *int
	model     *reuseModel
	tok       tokenizer.Tokenizer
	format    chatFormat
	system    string
	turns     []chatTurn
	opts      generate.Options // sampling and stops, from the flags
	kvF16     bool
	out       io.Writer // replies, /help, /set
	errOut    io.Writer // notes, statistics, errors
}

// errInterrupted is what reading input returns when Ctrl-C is pressed at
// the prompt.
var errInterrupted = errors.New("interrupted")

// loop reads messages and commands until /quit, the end of in, Ctrl-C at
// the prompt, or ctx ends. Ctrl-C (intr) during a reply stops that reply.
func (s *chatSession) loop(ctx context.Context, in io.Reader, intr <-chan os.Signal) error {
	src := newLineSource(in, intr)
	defer src.close()
	interactive := isTerminal(in)
	fmt.Fprintf(s.errOut, "llmpipe chat: %s, context %d tokens, %s; /help lists the commands\n",
		s.model.Arch(), s.model.ContextLength(), s.format.name)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		text, err := readMessage(src.next, s.out, interactive)
		if errors.Is(err, errInterrupted) {
			fmt.Fprintln(s.out)
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading input: %w", err)
		}
		if strings.TrimSpace(text) == "" {
			if err != nil { // io.EOF
				return nil
			}
			continue
		}
		if strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "//") {
			quit, cerr := s.command(text)
			if cerr != nil {
				fmt.Fprintf(s.errOut, "error: %v\n", cerr)
			}
			if quit {
				return nil
			}
		} else if rerr := s.replyInterruptible(ctx, strings.TrimPrefix(text, "/"), intr); rerr != nil { // "//x" sends "/x"
			if ctx.Err() != nil {
				return ctx.Err()
			}
			fmt.Fprintf(s.errOut, "error: %v\n", rerr)
		}
		if err != nil { // io.EOF after a last message
			return nil
		}
	}
}

// replyInterruptible is reply, stopped by a signal on intr.
func (s *chatSession) replyInterruptible(ctx context.Context, user string, intr <-chan os.Signal) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-intr:
			cancel()
		case <-done:
		}
	}()
	return s.reply(rctx, user)
}

// lineSource reads lines on its own goroutine, so that waiting for input
// can be interrupted.
type lineSource struct {
	lines chan lineRead
	done  chan struct{}
	intr  <-chan os.Signal
	err   error // the read error once it came: every later next returns it
}

type lineRead struct {
	line string
	err  error
}

func newLineSource(in io.Reader, intr <-chan os.Signal) *lineSource {
	src := &lineSource{lines: make(chan lineRead), done: make(chan struct{}), intr: intr}
	go func() {
		r := bufio.NewReader(in)
		for {
			line, err := r.ReadString('\n')
			select {
			case src.lines <- lineRead{line, err}:
			case <-src.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return src
}

// next returns the next line without its line ending; a last line
// without one comes with a nil error, then io.EOF. A signal on intr
// returns errInterrupted.
func (src *lineSource) next() (string, error) {
	if src.err != nil {
		return "", src.err
	}
	select {
	case l := <-src.lines:
		src.err = l.err
		line := strings.TrimSuffix(strings.TrimSuffix(l.line, "\n"), "\r")
		if errors.Is(l.err, io.EOF) && line != "" {
			return line, nil
		}
		return line, l.err
	case <-src.intr:
		return "", errInterrupted
	}
}

// close ends the reading goroutine once its read returns.
func (src *lineSource) close() { close(src.done) }

// isTerminal reports whether in is a character device (a terminal): then
// the chat shows prompts.
func isTerminal(in io.Reader) bool {
	f, ok := in.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readMessage reads one message with readLine: a line; lines ending in \
// continue it (the \ becomes a newline); a line holding only """ starts
// paste mode, which ends at the next such line. At the end of the input it
// returns what it read with io.EOF.
func readMessage(readLine func() (string, error), out io.Writer, interactive bool) (string, error) {
	prompt := func(p string) {
		if interactive {
			fmt.Fprint(out, p)
		}
	}
	prompt(">>> ")
	line, err := readLine()
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(line) == `"""` {
		var lines []string
		for {
			prompt("... ")
			l, err := readLine()
			if err != nil {
				return strings.Join(lines, "\n"), err
			}
			if strings.TrimSpace(l) == `"""` {
				return strings.Join(lines, "\n"), nil
			}
			lines = append(lines, l)
		}
	}
	var b strings.Builder
	for strings.HasSuffix(line, `\`) {
		b.WriteString(strings.TrimSuffix(line, `\`) + "\n")
		prompt("... ")
		if line, err = readLine(); err != nil {
			return b.String(), err
		}
	}
	b.WriteString(line)
	return b.String(), nil
}

// command runs a /command and reports whether the chat should end.
func (s *chatSession) command(text string) (quit bool, err error) {
	name, arg, _ := strings.Cut(strings.TrimSpace(text), " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case "/quit", "/exit", "/bye":
		return true, nil
	case "/help", "/?":
		fmt.Fprint(s.out, chatHelp)
	case "/reset", "/clear":
		s.turns = nil
		fmt.Fprintln(s.errOut, "(conversation cleared)")
	case "/system":
		s.system = arg
		if arg == "" {
			fmt.Fprintln(s.errOut, "(system prompt removed)")
		} else {
			fmt.Fprintln(s.errOut, "(system prompt set)")
		}
	case "/set":
		return false, s.set(arg)
	default:
		return false, fmt.Errorf("unknown command %s; /help lists the commands (start a message with // to send it as text)", name)
	}
	return false, nil
}

// set is /set NAME VALUE: it changes one of the command's sampling flags
// and validates the whole set again, undoing the change if it is invalid.
// /set alone prints the settings.
func (s *chatSession) set(arg string) error {
	fl := s.cmd.Flags()
	if arg == "" {
		for _, n := range chatSetFlags {
			fmt.Fprintf(s.out, "%s %s\n", n, fl.Lookup(n).Value.String())
		}
		return nil
	}
	name, value, ok := strings.Cut(arg, " ")
	name = strings.ReplaceAll(name, "_", "-")
	value = strings.TrimSpace(value)
	if !ok || value == "" {
		return fmt.Errorf("/set %s needs a value (e.g. /set temperature 0.7)", name)
	}
	if !slices.Contains(chatSetFlags, name) {
		return fmt.Errorf("/set: unknown setting %q; settings: %s", name, strings.Join(chatSetFlags, ", "))
	}
	f := fl.Lookup(name)
	old, oldChanged := f.Value.String(), f.Changed
	undo := func() { _ = fl.Set(name, old); f.Changed = oldChanged }
	if err := fl.Set(name, value); err != nil {
		undo()
		return fmt.Errorf("/set: %v", err)
	}
	if *s.maxTokens < 0 {
		undo()
		return fmt.Errorf("/set max-tokens %s is negative", value)
	}
	opts, err := chatOptions(s.cmd, s.sf)
	if err != nil {
		undo()
		return fmt.Errorf("/set: %w", err)
	}
	s.opts = opts
	fmt.Fprintf(s.errOut, "(%s = %s)\n", name, f.Value.String())
	return nil
}

// chatOptions is run's sampling-flag validation (samplingFlags.options),
// its notes on stderr worded for chat.
func chatOptions(cmd *cobra.Command, sf *samplingFlags) (generate.Options, error) {
	errOut := cmd.ErrOrStderr()
	var notes strings.Builder
	cmd.SetErr(&notes)
	opts, _, err := sf.options(cmd)
	cmd.SetErr(errOut)
	io.WriteString(errOut, strings.ReplaceAll(notes.String(), "llmpipe run:", "llmpipe chat:"))
	return opts, err
}

// replyReserve is the room kept for a reply when fitting the history into
// the context: --max-tokens, at most half the context; a quarter of it
// when --max-tokens is 0.
func replyReserve(maxTokens, ctxLen int) int {
	if maxTokens <= 0 {
		return ctxLen / 4
	}
	return min(maxTokens, ctxLen/2)
}

// prompt renders and tokenizes the conversation with user's new message,
// dropping the oldest turns until it leaves replyReserve tokens free. A
// message that does not fit even alone is an error.
func (s *chatSession) prompt(ctx context.Context, user string) ([]int, error) {
	ctxLen := s.model.ContextLength()
	reserve := replyReserve(*s.maxTokens, ctxLen)
	dropped := 0
	for {
		text, err := s.format.render(ctx, s.system, s.turns, user)
		if err != nil {
			return nil, err
		}
		ids, err := s.encode(text)
		if err != nil {
			return nil, err
		}
		if len(ids)+reserve <= ctxLen || len(s.turns) == 0 {
			if dropped > 0 {
				fmt.Fprintf(s.errOut, "(dropped the %d oldest exchange(s) to fit the context of %d tokens)\n", dropped, ctxLen)
			}
			if len(ids) >= ctxLen {
				what := "your message"
				if s.system != "" {
					what = "your message with the system prompt"
				}
				return nil, fmt.Errorf("%s takes %d tokens in the prompt; the context holds %d and the reply needs at least 1: shorten it (it was not kept)",
					what, len(ids), ctxLen)
			}
			if len(ids)+reserve > ctxLen {
				fmt.Fprintf(s.errOut, "(only %d tokens of context left for the reply)\n", ctxLen-len(ids))
			}
			return ids, nil
		}
		s.turns = s.turns[1:]
		dropped++
	}
}

// encode tokenizes a rendered prompt: BOS as the vocabulary says (once,
// even when the template writes it too), special-token text as special
// tokens only with a chat template.
func (s *chatSession) encode(text string) ([]int, error) {
	ids, err := s.tok.Encode(text, tokenizer.EncodeOptions{AddSpecial: true, ParseSpecial: s.format.tmpl != nil})
	if err != nil {
		return nil, fmt.Errorf("tokenizing the prompt: %w", err)
	}
	if bos := s.tok.Specials().BOS; bos >= 0 && len(ids) >= 2 && ids[0] == bos && ids[1] == bos {
		ids = ids[1:]
	}
	return ids, nil
}

// reply answers user: it streams the model's reply to out and keeps the
// exchange in the history.
func (s *chatSession) reply(ctx context.Context, user string) error {
	ids, err := s.prompt(ctx, user)
	if err != nil {
		return err
	}
	opts := s.opts
	opts.MaxTokens, opts.KVF16 = *s.maxTokens, s.kvF16
	if s.format.tmpl == nil {
		opts.Stop = append(slices.Clone(opts.Stop), plainStop)
	}
	var shown strings.Builder // leading whitespace of a reply is not shown or kept
	opts.OnText = func(t string) error {
		if shown.Len() == 0 {
			if t = strings.TrimLeft(t, " \t\r\n"); t == "" {
				return nil
			}
		}
		shown.WriteString(t)
		_, err := io.WriteString(s.out, t)
		return err
	}
	res, err := generate.Run(ctx, s.model, s.tok, ids, opts)
	if shown.Len() > 0 {
		fmt.Fprintln(s.out)
	}
	if errors.Is(err, context.Canceled) {
		// Stopped by Ctrl-C: the text so far stays in the conversation.
		s.turns = append(s.turns, chatTurn{user: user, assistant: strings.TrimSpace(shown.String())})
		fmt.Fprintln(s.errOut, "(reply stopped)")
		return nil
	}
	if err != nil {
		return err
	}
	s.turns = append(s.turns, chatTurn{user: user, assistant: strings.TrimSpace(res.Text)})
	fmt.Fprintf(s.errOut, "[%d tokens, %.1f tok/s, %s; prompt %d tokens: %d from the KV cache, %d prefilled]\n",
		len(res.IDs), res.GenTokS, res.Stop.FinishReason(), len(ids), s.model.reused, s.model.prefilled)
	return nil
}

// reuseModel is a model.Model that keeps the last sequence it made: the
// next one's first Forward call (the prompt) continues it from the longest
// prefix the prompt shares with the ids it holds, so a chat turn prefills
// only what changed. When the prompt diverges before the end of those ids,
// the kept sequence is cut back to the shared prefix (model.Truncater);
// a sequence that cannot truncate is continued only when the prompt
// extends all its ids, and any other prompt starts a new sequence. At
// least the prompt's last id is always run (its logits are the result).
// Only one sequence may be in use at a time.
type reuseModel struct {
	model.Model
	seq  model.Sequence // the kept sequence; nil when none
	opts model.SequenceOptions
	ids  []int // the ids seq holds
	// reused and prefilled count the last prompt's ids taken from seq and
	// run anew.
	reused, prefilled int
}

// NewSequence implements model.Model.
func (r *reuseModel) NewSequence(opts model.SequenceOptions) model.Sequence {
	return &reuseSeq{r: r, opts: opts}
}

// reuseSeq is a reuseModel's sequence; its first Forward decides whether
// the kept sequence continues.
type reuseSeq struct {
	r       *reuseModel
	opts    model.SequenceOptions
	started bool
}

// Forward implements model.Sequence.
func (s *reuseSeq) Forward(ids []int, all bool) ([]float32, error) {
	r := s.r
	if !s.started {
		s.started = true
		if n := r.keep(ids, all, s.opts); n > 0 {
			ids = ids[n:]
			r.reused = n
		} else {
			r.seq, r.opts, r.ids, r.reused = r.Model.NewSequence(s.opts), s.opts, nil, 0
		}
		r.prefilled = len(ids)
	}
	if r.seq == nil {
		return nil, errors.New("chat: the sequence failed earlier")
	}
	logits, err := r.seq.Forward(ids, all)
	if err != nil {
		if !errors.Is(err, model.ErrContextFull) { // the cache may hold ids we did not record
			r.seq, r.ids = nil, nil
		}
		return nil, err
	}
	r.ids = append(r.ids, ids...)
	return logits, nil
}

// keep readies the kept sequence for a prompt of ids and returns how many
// of them it already holds (0: start a new sequence): the longest common
// prefix of the ids it holds and ids, less the last id of ids, cutting
// the sequence back to it when it holds more.
func (r *reuseModel) keep(ids []int, all bool, opts model.SequenceOptions) int {
	if r.seq == nil || all || r.opts != opts || len(ids) == 0 {
		return 0
	}
	n := 0
	for n < min(len(r.ids), len(ids)-1) && r.ids[n] == ids[n] {
		n++
	}
	if n == 0 || n == len(r.ids) {
		return n
	}
	tr, ok := r.seq.(model.Truncater)
	if !ok || r.seq.Len() != len(r.ids) {
		return 0
	}
	if err := tr.Truncate(n); err != nil {
		return 0
	}
	r.ids = r.ids[:n]
	return n
}

// Len implements model.Sequence.
func (s *reuseSeq) Len() int {
	if !s.started || s.r.seq == nil {
		return 0
	}
	return s.r.seq.Len()
}
