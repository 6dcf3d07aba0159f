// Package web is llmpipe's browser chat page: one self-contained HTML page
// with its stylesheet and script, embedded in the binary with [embed] and
// served by [Handler]. Nothing is fetched from outside (no CDN, no web
// fonts); a Content-Security-Policy header limits the page to its own origin.
//
// The page is a client of the server's OpenAI-compatible API
// (https://platform.openai.com/docs/api-reference/chat): it sends
// POST v1/chat/completions with "stream": true and
// "stream_options": {"include_usage": true}, and reads the reply as
// server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// "data: {chunk}" lines whose choices[0].delta.content is appended as it
// arrives, an optional chunk with "usage", then "data: [DONE]". It reads
// GET v1/models for the model name. Errors are shown from OpenAI's error
// object, {"error": {"message": …, "type": …}}, whether they come as the
// HTTP response or inside the stream.
//
// The conversation lives in the page only (a messages array sent whole with
// each request). The user sets the system prompt and temperature, top_p,
// max_tokens and seed; Enter sends, Shift+Enter starts a new line, and Stop
// aborts the request (AbortController), keeping the text received so far.
// Each reply shows its token count and speed: completion tokens (from usage
// when the server sends it, else the number of content chunks) over the time
// from the first to the last one. The markup uses labels, a role="log"
// conversation whose streaming reply is aria-busy until done, and
// role="alert" errors, with no framework.
//
// This package serves the page only; the API is package server's.
//
// # Testing
//
// TestBrowser drives the page in headless Chromium through testdata/e2e.mjs
// (playwright-core, Debian's /usr/bin/chromium, never a downloaded browser)
// against a fake streaming API, and saves a screenshot to $LLMPIPE_TEST_OUT
// (else the test's temporary folder; the log says where). It needs node
// and a node_modules folder holding playwright-core, named by
// $LLMPIPE_NODE_MODULES; .ci/run installs both and sets it. Without them the
// test skips, or fails under CI=true. The script's environment variables
// (its header lists them) let it run against a real server too.
package web
