package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmpipe/llmpipe/generate"
	"github.com/llmpipe/llmpipe/internal/shared"
)

// runChat drives `llmpipe chat` with scripted stdin and returns stdout
// (the replies) and stderr (notes, statistics, errors).
func runChat(t *testing.T, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"chat"}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatalf("chat %v: %v\nstderr:\n%s", args, err, errOut.String())
	}
	return out.String(), errOut.String()
}

// chatStats are the numbers of one reply's statistics line.
type chatStats struct{ tokens, prompt, reused, prefilled int }

var statsLine = regexp.MustCompile(`\[(\d+) tokens, [0-9.]+ tok/s, \w+; prompt (\d+) tokens: (\d+) from the KV cache, (\d+) prefilled\]`)

func parseStats(t *testing.T, stderr string) []chatStats {
	t.Helper()
	var out []chatStats
	for _, m := range statsLine.FindAllStringSubmatch(stderr, -1) {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		out = append(out, chatStats{n(1), n(2), n(3), n(4)})
	}
	return out
}

// TestChatMatchesLlamaCpp: with a template that renders only the user's
// message, chat's first reply is llama.cpp's greedy continuation of
// "Once upon a time" on stories260K (reference/stories260K_llamacpp.json).
func TestChatMatchesLlamaCpp(t *testing.T) {
	ref := loadGreedyRef(t)
	path := shared.Path(t, "models/stories260K.gguf")
	tmpl := filepath.Join(t.TempDir(), "last.jinja")
	if err := os.WriteFile(tmpl, []byte("{{ messages[-1]['content'] }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := len(ref.Greedy.GeneratedTokens)
	stdout, stderr := runChat(t, ref.Greedy.Prompt+"\n", "--model", path, "--chat-template", tmpl, "--max-tokens", strconv.Itoa(n))
	want := strings.TrimLeft(ref.Greedy.GeneratedText, " \n") + "\n"
	if stdout != want {
		t.Errorf("reply\n%q\nwant llama.cpp's\n%q", stdout, want)
	}
	st := parseStats(t, stderr)
	if len(st) != 1 || st[0].tokens != n || st[0].prompt != len(ref.Greedy.PromptTokens) {
		t.Errorf("stats %+v, want %d tokens from a %d-token prompt\n%s", st, n, len(ref.Greedy.PromptTokens), stderr)
	}
}

// TestChatTranscript drives a plain-format conversation on stories260K:
// the KV cache carries over between turns (turn 2 prefills only its new
// ids, and its reply equals a fresh generation from the whole prompt),
// commands work, bad ones are reported and the chat goes on.
func TestChatTranscript(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	script := strings.Join([]string{
		"Once upon a time",
		"Tell me more.",
		"/bogus",
		"/set top-p 2",
		"/set temperature x",
		"/set nonsense 1",
		"/set max_tokens 8",
		"/set",
		"/help",
		"/system You tell stories.",
		"A cat",
		"/reset",
		"//slash",
		"/quit",
		"never read",
	}, "\n") + "\n"
	stdout, stderr := runChat(t, script, "--model", path, "--max-tokens", "24")
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	st := parseStats(t, stderr)
	if len(st) != 4 {
		t.Fatalf("%d replies, want 4 (the input after /quit is not read)", len(st))
	}
	// Turn 1 runs the whole prompt; turn 2 continues its sequence: the
	// cache holds turn 1's prompt and all but the last reply id.
	if st[0].reused != 0 || st[0].prefilled != st[0].prompt {
		t.Errorf("turn 1: %+v, want the whole prompt prefilled", st[0])
	}
	if want := st[0].prompt + st[0].tokens - 1; st[1].reused != want || st[1].prefilled != st[1].prompt-want {
		t.Errorf("turn 2: %+v, want %d ids from the KV cache", st[1], want)
	}
	// A new system prompt changes the start: everything is prefilled again.
	if st[2].reused != 0 {
		t.Errorf("turn 3 (after /system): %+v, want no reuse", st[2])
	}
	if st[2].tokens > 8 || st[3].tokens > 8 {
		t.Errorf("after /set max_tokens 8: replies of %d and %d tokens", st[2].tokens, st[3].tokens)
	}
	for _, want := range []string{
		"unknown command /bogus",
		"--top-p 2 is outside (0,1]",
		`invalid argument "x" for "--temperature"`,
		`unknown setting "nonsense"`,
		"(max-tokens = 8)",
		"(system prompt set)",
		"(conversation cleared)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	for _, want := range []string{"max-tokens 8\n", "top-p 1\n", "temperature 0\n", "/system TEXT"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}

	// Turn 2's reply equals a fresh greedy generation from the whole
	// plain-format prompt (what the cache must not change).
	replies := strings.SplitN(stdout, "\n", 3)
	m, tok, closeModel, err := loadRunModel(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	prompt := "User: Once upon a time\nAssistant: " + replies[0] + "\nUser: Tell me more.\nAssistant:"
	res, err := generate.RunText(context.Background(), m, tok, prompt, generate.Options{MaxTokens: 24, Stop: []string{plainStop}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := replies[1], strings.TrimSpace(res.Text); got != want {
		t.Errorf("turn 2 with the KV cache:\n%q\nwithout:\n%q", got, want)
	}
	if len(res.PromptIDs) != st[1].prompt {
		t.Errorf("turn 2 prompt: %d ids in chat, %d tokenized whole", st[1].prompt, len(res.PromptIDs))
	}
}

// TestChatSeeded: a sampled conversation is the same again with the same
// seed.
func TestChatSeeded(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	script := "Once upon a time\nWhat next?\n"
	args := []string{"--model", path, "--max-tokens", "16", "--temperature", "0.9", "--seed", "7"}
	a, _ := runChat(t, script, args...)
	b, _ := runChat(t, script, args...)
	if a != b || a == "" {
		t.Errorf("seed 7 gave\n%q\nthen\n%q", a, b)
	}
}

// TestChatHistory: a long conversation drops its oldest exchanges to fit
// the 512-token context, with a note; a message too long on its own is an
// error, not kept, and the chat goes on.
func TestChatHistory(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	long := strings.Repeat("The little dog ran to the park and played with a ball. ", 8) // ~100 tokens
	huge := strings.Repeat("The little dog ran to the park. ", 80)                       // > 512 tokens
	var script strings.Builder
	for range 6 {
		script.WriteString(long + "\n")
	}
	script.WriteString(huge + "\n")
	script.WriteString("Hello\n")
	stdout, stderr := runChat(t, script.String(), "--model", path, "--max-tokens", "32")
	st := parseStats(t, stderr)
	if len(st) != 7 {
		t.Fatalf("%d replies, want 7 (6 long messages and Hello)\nstderr:\n%s", len(st), stderr)
	}
	for i, s := range st {
		if s.prompt+32 > 512 {
			t.Errorf("turn %d: a %d-token prompt leaves under 32 tokens for the reply", i+1, s.prompt)
		}
	}
	if !strings.Contains(stderr, "oldest exchange(s) to fit the context of 512 tokens") {
		t.Errorf("no note about dropped history:\n%s", stderr)
	}
	if !regexp.MustCompile(`error: your message takes \d+ tokens in the prompt; the context holds 512`).MatchString(stderr) {
		t.Errorf("no error for the oversized message:\n%s", stderr)
	}
	if n := strings.Count(stdout, "\n"); n < 7 {
		t.Errorf("stdout has %d lines for 7 replies:\n%s", n, stdout)
	}
}

// TestChatTemplate: with a chat template, special-token text in it is the
// special token: the template's "<s>" is stories260K's BOS, which the
// vocabulary adds too, and the prompt holds it once; the next turn
// continues the KV cache.
func TestChatTemplate(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	dir := t.TempDir()
	body := "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
	var prompts [2]int
	for i, src := range []string{body, "<s>" + body} {
		tmpl := filepath.Join(dir, strconv.Itoa(i)+".jinja")
		if err := os.WriteFile(tmpl, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		stdout, stderr := runChat(t, "Once upon a time\nAnd then?\n", "--model", path, "--chat-template", tmpl, "--max-tokens", "40")
		st := parseStats(t, stderr)
		if len(st) != 2 {
			t.Fatalf("%d replies, want 2\nstdout:\n%s\nstderr:\n%s", len(st), stdout, stderr)
		}
		if st[1].reused == 0 || st[1].reused+st[1].prefilled != st[1].prompt {
			t.Errorf("template %q, turn 2: %+v, want the KV cache reused", src, st[1])
		}
		prompts[i] = st[0].prompt
	}
	// "user: Once upon a time\nassistant:" and BOS, with or without "<s>".
	if prompts[0] != prompts[1] {
		t.Errorf("first prompt: %d ids, %d with <s> in the template; want BOS once", prompts[0], prompts[1])
	}
}

func TestReadMessage(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // messages, in order, until EOF
	}{
		{name: "lines", in: "a\nb\n", want: []string{"a", "b"}},
		{name: "no final newline", in: "a\nb", want: []string{"a", "b"}},
		{name: "crlf", in: "a\r\nb\r\n", want: []string{"a", "b"}},
		{name: "continuation", in: "one\\\ntwo\\\nthree\nfour\n", want: []string{"one\ntwo\nthree", "four"}},
		{name: "paste", in: "\"\"\"\nx\\\n\n  y\n\"\"\"\nz\n", want: []string{"x\\\n\n  y", "z"}},
		{name: "paste unterminated", in: "\"\"\"\nx\ny", want: []string{"x\ny"}},
		{name: "continuation at end", in: "a\\\n", want: []string{"a\n"}},
		{name: "empty", in: "", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newLineSource(strings.NewReader(tc.in), nil)
			defer src.close()
			var got []string
			for {
				msg, err := readMessage(src.next, io.Discard, false)
				if err != nil && !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				if msg != "" || err == nil {
					got = append(got, msg)
				}
				if err != nil {
					break
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplyReserve(t *testing.T) {
	for _, tc := range []struct{ maxTokens, ctx, want int }{
		{256, 512, 256}, {1000, 512, 256}, {32, 512, 32}, {0, 512, 128},
	} {
		if got := replyReserve(tc.maxTokens, tc.ctx); got != tc.want {
			t.Errorf("replyReserve(%d, %d) = %d, want %d", tc.maxTokens, tc.ctx, got, tc.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// signalWriter sends on intr at its first write, then gives the reply's
// watcher a moment to cancel it.
type signalWriter struct {
	syncBuffer
	intr chan os.Signal
	sent bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if !w.sent {
		w.sent = true
		w.intr <- os.Interrupt
		time.Sleep(50 * time.Millisecond)
	}
	return w.syncBuffer.Write(p)
}

// TestChatInterrupt: Ctrl-C during a reply stops it and keeps its text in
// the conversation; Ctrl-C at the prompt ends the chat.
func TestChatInterrupt(t *testing.T) {
	path := shared.Path(t, "models/stories260K.gguf")
	m, tok, closeModel, err := loadRunModel(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeModel()
	intr := make(chan os.Signal, 1)
	out := &signalWriter{intr: intr}
	var errOut syncBuffer
	maxTokens := 200
	s := &chatSession{cmd: newChatCmd(), sf: &samplingFlags{}, maxTokens: &maxTokens, model: &reuseModel{Model: m}, tok: tok,
		format: chatFormat{name: "plain text"}, out: out, errOut: &errOut}
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.loop(context.Background(), inR, intr) }()
	io.WriteString(inW, "Once upon a time\n")
	deadline := time.After(20 * time.Second)
	for !strings.Contains(errOut.String(), "(reply stopped)") {
		select {
		case err := <-done:
			t.Fatalf("chat ended (%v) before the reply stopped:\n%s", err, errOut.String())
		case <-deadline:
			t.Fatal("the reply did not stop")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if len(s.turns) != 1 || s.turns[0].assistant == "" || len(strings.Fields(s.turns[0].assistant)) > 100 {
		t.Fatalf("after the stop the history is %q", s.turns)
	}
	intr <- os.Interrupt // at the prompt
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chat ended with %v", err)
		}
	case <-deadline:
		t.Fatal("Ctrl-C at the prompt did not end the chat")
	}
	inW.Close()
}
