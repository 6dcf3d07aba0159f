package server

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/llmpipe/llmpipe/chat"
	"github.com/llmpipe/llmpipe/sample"
	"github.com/llmpipe/llmpipe/tokenizer"
)

func newTest(t *testing.T, m *fakeModel, mod func(*Config)) (*Server, *httptest.Server) {
	t.Helper()
	cfg := Config{Model: m, Tokenizer: fakeTok{}, ModelID: "fake-model"}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return s, ts
}

func post(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// result is the part of a (chat) completion response the tests read.
type result struct {
	Choices []struct {
		Index   int    `json:"index"`
		Text    string `json:"text"`
		Message struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []any   `json:"tool_calls"`
		} `json:"message"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason string          `json:"finish_reason"`
	} `json:"choices"`
	Usage  usageJSON `json:"usage"`
	Object string    `json:"object"`
	Model  string    `json:"model"`
}

// usageJSON is a response's usage.
type usageJSON struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func postOK(t *testing.T, url, reqBody string) result {
	t.Helper()
	code, body := post(t, url, reqBody)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var r result
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

func TestModelsHealthMetrics(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, nil)
	resp, err := http.Get(ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object, OwnedBy string
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&list) //nolint:errcheck
	resp.Body.Close()
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "fake-model" || list.Data[0].Object != "model" {
		t.Fatalf("models: %+v", list)
	}
	for path, want := range map[string]int{"/v1/models/fake-model": 200, "/v1/models/other": 404, "/health": 200, "/metrics": 200, "/v1/nothing": 404} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, b)
		}
		if path == "/metrics" {
			for _, m := range []string{"llmpipe_requests_total{endpoint=\"models\",code=\"200\"} ", "llmpipe_queue_depth 0",
				"llmpipe_time_to_first_token_seconds_count", "llmpipe_generation_tokens_per_second", "llmpipe_completion_tokens_total"} {
				if !strings.Contains(string(b), m) {
					t.Errorf("/metrics lacks %q:\n%s", m, b)
				}
			}
		}
	}
}

func TestCompletionGreedy(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, nil)
	r := postOK(t, ts.URL+"/v1/completions", `{"model":"fake-model","prompt":"ab","max_tokens":5,"temperature":0}`)
	if len(r.Choices) != 1 || r.Choices[0].Text != "cdefg" || r.Choices[0].FinishReason != "length" || r.Object != "text_completion" {
		t.Fatalf("%+v", r)
	}
	if u := r.Usage; u.PromptTokens != 3 || u.CompletionTokens != 5 || u.TotalTokens != 8 {
		t.Fatalf("usage %+v", u)
	}
	// token-id prompts, and OpenAI's default of 16 tokens
	r = postOK(t, ts.URL+"/v1/completions", `{"prompt":[0,2,3],"temperature":0}`)
	if r.Choices[0].Text != "cdefghijklmnopqr" {
		t.Fatalf("%q", r.Choices[0].Text)
	}
	// several prompts: n choices each
	r = postOK(t, ts.URL+"/v1/completions", `{"prompt":["a","x"],"n":2,"max_tokens":2,"temperature":0}`)
	var texts []string
	for _, c := range r.Choices {
		texts = append(texts, c.Text)
	}
	if strings.Join(texts, ",") != "bc,bc,yz,yz" || r.Usage.PromptTokens != 4 || r.Usage.CompletionTokens != 8 {
		t.Fatalf("%v %+v", texts, r.Usage)
	}
}

func TestChatPlainFormat(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64, eosAfterZ: true}, nil)
	r := postOK(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"system","content":"be"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"temperature":0}`)
	c := r.Choices[0]
	if r.Object != "chat.completion" || c.Message.Role != "assistant" || c.Message.Content == nil || *c.Message.Content != "abcdefghijklmnopqrstuvwxyz" || c.FinishReason != "stop" {
		t.Fatalf("%+v", r)
	}
	prompt, _ := fakeTok{}.Encode(PlainFormat([]chat.Message{chat.NewMessage("system", "be"), chat.NewMessage("user", "hi")}), tokenizerAdd)
	if r.Usage.PromptTokens != len(prompt) || r.Usage.CompletionTokens != 26 {
		t.Fatalf("usage %+v, want %d prompt tokens", r.Usage, len(prompt))
	}
	if got := PlainFormat([]chat.Message{chat.NewMessage("system", "be"), chat.NewMessage("user", "hi")}); got != "System: be\nUser: hi\nAssistant:" {
		t.Fatalf("PlainFormat %q", got)
	}
}

// sse reads a stream's data lines (without "data: ").
func sse(t *testing.T, body io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestStreaming(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, nil)
	for _, chatAPI := range []bool{true, false} {
		url, body := ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":10,"temperature":0,"stream":true,"stream_options":{"include_usage":true},"stop":"fg"}`
		if chatAPI {
			url, body = ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_tokens":10,"temperature":0,"stream":true,"stream_options":{"include_usage":true},"stop":["fg"]}`
		}
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		lines := sse(t, resp.Body)
		resp.Body.Close()
		if len(lines) < 3 || lines[len(lines)-1] != "[DONE]" {
			t.Fatalf("stream %q", lines)
		}
		var text strings.Builder
		finish := ""
		var usage *usageJSON
		for _, l := range lines[:len(lines)-1] {
			var c struct {
				Choices []struct {
					Text  string `json:"text"`
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
					FinishReason *string `json:"finish_reason"`
				} `json:"choices"`
				Usage *usageJSON `json:"usage"`
			}
			if err := json.Unmarshal([]byte(l), &c); err != nil {
				t.Fatalf("%v: %s", err, l)
			}
			for _, ch := range c.Choices {
				text.WriteString(ch.Text + ch.Delta.Content)
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
			if c.Usage != nil {
				usage = c.Usage
			}
		}
		// chat's prompt ends in ':' → "abcde" then "fg" stops; completions' "a" → "bcde"
		want := "bcde"
		if chatAPI {
			want = "abcde"
		}
		if text.String() != want || finish != "stop" || usage == nil || usage.CompletionTokens != len(want)+2 {
			t.Fatalf("chat=%v: text %q finish %q usage %+v", chatAPI, text.String(), finish, usage)
		}
	}
}

func TestSeedAndN(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, nil)
	body := `{"prompt":"a","max_tokens":20,"temperature":1.5,"seed":7,"n":3}`
	r1 := postOK(t, ts.URL+"/v1/completions", body)
	r2 := postOK(t, ts.URL+"/v1/completions", body)
	if len(r1.Choices) != 3 {
		t.Fatalf("%d choices", len(r1.Choices))
	}
	for i := range r1.Choices {
		if r1.Choices[i].Text != r2.Choices[i].Text || r1.Choices[i].Index != i {
			t.Fatalf("choice %d: %q vs %q", i, r1.Choices[i].Text, r2.Choices[i].Text)
		}
	}
	if r1.Choices[0].Text == r1.Choices[1].Text && r1.Choices[1].Text == r1.Choices[2].Text {
		t.Fatalf("three choices alike: %q", r1.Choices[0].Text)
	}
	r3 := postOK(t, ts.URL+"/v1/completions", strings.Replace(body, `"seed":7`, `"seed":8`, 1))
	if r3.Choices[0].Text == r1.Choices[0].Text {
		t.Fatalf("seeds 7 and 8 gave the same text %q", r1.Choices[0].Text)
	}
}

func TestLogprobsAndBias(t *testing.T) {
	m := &fakeModel{ctx: 64}
	_, ts := newTest(t, m, nil)
	r := postOK(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_tokens":3,"temperature":0,"logprobs":true,"top_logprobs":2}`)
	var lp struct {
		Content []struct {
			Token       string  `json:"token"`
			Logprob     float64 `json:"logprob"`
			Bytes       []int   `json:"bytes"`
			TopLogprobs []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
			} `json:"top_logprobs"`
		} `json:"content"`
	}
	if err := json.Unmarshal(r.Choices[0].Logprobs, &lp); err != nil {
		t.Fatal(err)
	}
	if len(lp.Content) != 3 || lp.Content[0].Token != "a" || len(lp.Content[0].TopLogprobs) != 2 || lp.Content[0].TopLogprobs[0].Token != "a" {
		t.Fatalf("%+v", lp)
	}
	want, _ := sample.LogProbs(m.logits([]int{31}), 2, 0)
	if math.Abs(lp.Content[0].Logprob-want.LogProb) > 1e-12 || len(lp.Content[0].Bytes) != 1 || lp.Content[0].Bytes[0] != 'a' {
		t.Fatalf("logprob %v, want %v (%v)", lp.Content[0].Logprob, want.LogProb, lp.Content[0].Bytes)
	}
	// completions' format
	r = postOK(t, ts.URL+"/v1/completions", `{"prompt":"a","max_tokens":2,"temperature":0,"logprobs":1}`)
	var clp struct {
		Tokens        []string             `json:"tokens"`
		TokenLogprobs []float64            `json:"token_logprobs"`
		TopLogprobs   []map[string]float64 `json:"top_logprobs"`
		TextOffset    []int                `json:"text_offset"`
	}
	json.Unmarshal(r.Choices[0].Logprobs, &clp) //nolint:errcheck
	if strings.Join(clp.Tokens, "") != "bc" || len(clp.TopLogprobs) != 2 || clp.TextOffset[1] != 1 {
		t.Fatalf("%+v", clp)
	}
	// logit_bias -100 bans "c": greedy takes the next best
	r = postOK(t, ts.URL+"/v1/completions", `{"prompt":"b","max_tokens":1,"temperature":0,"logit_bias":{"4":-100}}`)
	if r.Choices[0].Text == "c" {
		t.Fatal("logit_bias -100 did not ban the token")
	}
	r = postOK(t, ts.URL+"/v1/completions", `{"prompt":"b","max_tokens":1,"temperature":0,"logit_bias":{"10":100}}`)
	if r.Choices[0].Text != "i" {
		t.Fatalf("logit_bias +100: %q", r.Choices[0].Text)
	}
}

// TestErrors: every bad request gets the right status and OpenAI's error
// shape naming the field.
func TestErrors(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 32}, func(c *Config) {
		c.MaxBodyBytes = 1 << 10
		c.MaxTokens = 20
	})
	chatURL, complURL, embURL := ts.URL+"/v1/chat/completions", ts.URL+"/v1/completions", ts.URL+"/v1/embeddings"
	msgs := `"messages":[{"role":"user","content":"a"}]`
	cases := []struct {
		name, url, body string
		status          int
		param, inMsg    string
	}{
		{"malformed", chatURL, `{"messages":[`, 400, "", "malformed JSON"},
		{"not an object", chatURL, `[1,2]`, 400, "", "JSON object"},
		{"null", chatURL, `null`, 400, "", "JSON object"},
		{"wrong type", chatURL, `{` + msgs + `,"temperature":"hot"}`, 400, "temperature", "number"},
		{"wrong nested type", chatURL, `{` + msgs + `,"stream":true,"stream_options":{"include_usage":1}}`, 400, "stream_options.include_usage", "boolean"},
		{"unknown field", chatURL, `{` + msgs + `,"user":"bob"}`, 400, "user", "unsupported field"},
		{"unknown nested field", chatURL, `{"messages":[{"role":"user","content":"a","audio":1}]}`, 400, "audio", "unsupported field"},
		{"unknown completion field", complURL, `{"prompt":"a","echo":true}`, 400, "echo", "unsupported field"},
		{"huge body", chatURL, `{` + msgs + `,"stop":"` + strings.Repeat("x", 2000) + `"}`, 413, "", "exceeds"},
		{"unknown model", chatURL, `{"model":"gpt-9",` + msgs + `}`, 404, "model", "does not exist"},
		{"context overflow", complURL, `{"prompt":"abcdefghijklmn","max_tokens":20}`, 400, "max_tokens", "the prompt has 15 tokens and max_tokens is 20: 35 tokens exceed the context length of 32"},
		{"prompt fills the context", chatURL, `{"messages":[{"role":"user","content":"abcdefghijklmnopqrstuvwxyz"}]}`, 400, "messages", "context length is 32"},
		{"max tokens cap", complURL, `{"prompt":"a","max_tokens":21}`, 400, "max_tokens", "cap of 20"},
		{"zero max tokens", complURL, `{"prompt":"a","max_tokens":0}`, 400, "max_tokens", "at least 1"},
		{"both max fields", chatURL, `{` + msgs + `,"max_tokens":2,"max_completion_tokens":2}`, 400, "max_completion_tokens", "not both"},
		{"temperature range", chatURL, `{` + msgs + `,"temperature":3}`, 400, "temperature", "[0, 2]"},
		{"top_p range", chatURL, `{` + msgs + `,"top_p":0}`, 400, "top_p", "(0, 1]"},
		{"penalty range", chatURL, `{` + msgs + `,"presence_penalty":2.5}`, 400, "presence_penalty", "[-2, 2]"},
		{"n range", chatURL, `{` + msgs + `,"n":100}`, 400, "n", "[1, 8]"},
		{"bias key", chatURL, `{` + msgs + `,"logit_bias":{"999":1}}`, 400, "logit_bias", "token id"},
		{"stop type", chatURL, `{` + msgs + `,"stop":5}`, 400, "stop", "string"},
		{"too many stops", chatURL, `{` + msgs + `,"stop":["a","b","c","d","e"]}`, 400, "stop", "at most 4"},
		{"top_logprobs alone", chatURL, `{` + msgs + `,"top_logprobs":2}`, 400, "top_logprobs", "logprobs: true"},
		{"stream_options without stream", chatURL, `{` + msgs + `,"stream_options":{"include_usage":true}}`, 400, "stream_options", "stream: true"},
		{"no messages", chatURL, `{"messages":[]}`, 400, "messages", "non-empty"},
		{"bad role", chatURL, `{"messages":[{"role":"wizard","content":"a"}]}`, 400, "messages[0].role", "wizard"},
		{"image part", chatURL, `{"messages":[{"role":"user","content":[{"type":"image_url","text":""}]}]}`, 400, "messages[0].content[0].type", "image_url"},
		{"tools without template", chatURL, `{` + msgs + `,"tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "tools", "does not support tools"},
		{"tool_choice without tools", chatURL, `{` + msgs + `,"tool_choice":"auto"}`, 400, "tool_choice", "needs tools"},
		{"json_schema unsupported", chatURL, `{` + msgs + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}}`, 400, "response_format", "not supported"},
		{"response_format type", chatURL, `{` + msgs + `,"response_format":{"type":"yaml"}}`, 400, "response_format.type", "yaml"},
		{"prompt ids outside vocab", complURL, `{"prompt":[0,99]}`, 400, "prompt", "token id"},
		{"prompt type", complURL, `{"prompt":{"a":1}}`, 400, "prompt", "must be a string"},
		{"no prompt", complURL, `{}`, 400, "prompt", "required"},
		{"untokenizable", complURL, `{"prompt":"é"}`, 400, "prompt", "tokenizing"},
		{"embedding format", embURL, `{"input":"a","encoding_format":"hex"}`, 400, "encoding_format", "hex"},
		{"embedding dimensions", embURL, `{"input":"a","dimensions":2}`, 400, "dimensions", "unsupported field"},
		{"embedding empty", embURL, `{"input":""}`, 400, "input", "empty"},
		{"embedding too long", embURL, `{"input":"` + strings.Repeat("a", 40) + `"}`, 400, "input", "context length is 32"},
	}
	for _, c := range cases {
		code, body := post(t, c.url, c.body)
		var e struct {
			Error *struct {
				Message string  `json:"message"`
				Type    string  `json:"type"`
				Param   *string `json:"param"`
				Code    *string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error == nil {
			t.Errorf("%s: not an error object: %s", c.name, body)
			continue
		}
		param := ""
		if e.Error.Param != nil {
			param = *e.Error.Param
		}
		if code != c.status || param != c.param || !strings.Contains(e.Error.Message, c.inMsg) || e.Error.Type == "" {
			t.Errorf("%s: status %d param %q message %q; want %d, %q, containing %q", c.name, code, param, e.Error.Message, c.status, c.param, c.inMsg)
		}
	}
	// wrong method
	resp, err := http.Get(chatURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET chat: %d", resp.StatusCode)
	}
}

func TestAPIKey(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, func(c *Config) { c.APIKey = "sesame" })
	for key, want := range map[string]int{"": 401, "Bearer nope": 401, "Bearer sesame": 200} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/models", nil)
		if key != "" {
			req.Header.Set("Authorization", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %q: %d, want %d", key, resp.StatusCode, want)
		}
	}
	if resp, err := http.Get(ts.URL + "/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/health needs no key: %v", err)
	}
}

func TestEmbeddings(t *testing.T) {
	_, ts := newTest(t, &fakeModel{ctx: 64}, nil)
	var f, b struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	code, body := post(t, ts.URL+"/v1/embeddings", `{"input":["ab","cd e"],"model":"fake-model"}`)
	if code != 200 || json.Unmarshal(body, &f) != nil || len(f.Data) != 2 || f.Usage.PromptTokens != 3+5 {
		t.Fatalf("%d %s", code, body)
	}
	var v []float32
	json.Unmarshal(f.Data[1].Embedding, &v) //nolint:errcheck
	code, body = post(t, ts.URL+"/v1/embeddings", `{"input":"cd e","encoding_format":"base64"}`)
	if code != 200 || json.Unmarshal(body, &b) != nil {
		t.Fatalf("%d %s", code, body)
	}
	var s string
	json.Unmarshal(b.Data[0].Embedding, &s) //nolint:errcheck
	raw, _ := base64.StdEncoding.DecodeString(s)
	if len(raw) != 16 || len(v) != 4 {
		t.Fatalf("base64 %d bytes, float %v", len(raw), v)
	}
	for i := range v {
		if math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])) != v[i] {
			t.Fatalf("base64 element %d differs", i)
		}
	}
}

// TestResponseFormat: the JSONSchema hook's constraint drives decoding.
func TestResponseFormat(t *testing.T) {
	var schemas []string
	_, ts := newTest(t, &fakeModel{ctx: 64}, func(c *Config) {
		c.JSONSchema = func(schema []byte) (sample.Constraint, error) {
			if strings.Contains(string(schema), "bad") {
				return nil, fmt.Errorf("bad schema")
			}
			schemas = append(schemas, string(schema))
			return &onlyX{}, nil
		}
	})
	r := postOK(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"n":2,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string"}}}}`)
	for _, c := range r.Choices {
		if *c.Message.Content != "xxx" || c.FinishReason != "stop" {
			t.Fatalf("%+v", r)
		}
	}
	if len(schemas) != 3 { // checked once, then one per choice
		t.Fatalf("hook called %d times", len(schemas))
	}
	code, body := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"bad":1}}}}`)
	if code != 400 || !strings.Contains(string(body), "bad schema") {
		t.Fatalf("%d %s", code, body)
	}
}

// onlyX allows "x" three times, then only EOS.
type onlyX struct{ n int }

func (c *onlyX) Mask(l []float32) {
	keep := 25
	if c.n == 3 {
		keep = 1
	}
	for i := range l {
		if i != keep {
			l[i] = float32(math.Inf(-1))
		}
	}
}
func (c *onlyX) Accept(id int) error { c.n++; return nil }

func TestTools(t *testing.T) {
	tmpl, err := chat.Parse(`{% for m in messages %}{{ m.role }}: {{ m.content }}
{% endfor %}{% if tools %}tools
{% endif %}assistant:`)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTest(t, &fakeModel{ctx: 64}, func(c *Config) { c.Template = tmpl })
	r := postOK(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"max_tokens":2,"temperature":0,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"auto"}`)
	// the prompt ends in ':' → "ab"
	if *r.Choices[0].Message.Content != "ab" || r.Usage.PromptTokens != len("user: a\ntools\nassistant:")+1 {
		t.Fatalf("%+v", r)
	}
	code, body := post(t, ts.URL+"/v1/chat/completions", `{"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}`)
	if code != 400 || !strings.Contains(string(body), "tool_choice") {
		t.Fatalf("%d %s", code, body)
	}
	calls, content := parseToolCalls("Sure.<tool_call>\n{\"name\": \"get\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><tool_call>{\"name\":\"h\",\"arguments\":\"{}\"}</tool_call>")
	if len(calls) != 2 || content != "Sure." {
		t.Fatalf("%v %q", calls, content)
	}
	f := calls[0].(map[string]any)["function"].(map[string]any)
	if f["name"] != "get" || f["arguments"] != `{"city": "Paris"}` || calls[1].(map[string]any)["function"].(map[string]any)["arguments"] != "{}" {
		t.Fatalf("%v", calls)
	}
	if calls, content := parseToolCalls("no <tool_call>not json</tool_call>"); len(calls) != 0 || content != "no <tool_call>not json</tool_call>" {
		t.Fatalf("%v %q", calls, content)
	}
}

var tokenizerAdd = tokenizer.EncodeOptions{AddSpecial: true}
