// Package server is llmpipe's OpenAI-compatible HTTP API over one model,
// with continuous batching.
//
// Endpoints follow OpenAI's API reference (https://platform.openai.com/docs/api-reference):
// POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings,
// GET /v1/models (and /v1/models/{id}), plus GET /health and GET /metrics
// (Prometheus text format 0.0.4: requests, sequences, tokens, queue depth,
// active sequences, time to first token, tokens/s). Streams are server-sent
// events ending with "data: [DONE]". Errors have OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
//
// Nothing is silently ignored: a request field the server does not implement
// ("user", "echo", "best_of", "parallel_tool_calls", …) is a 400 naming it;
// a prompt whose tokens plus max_tokens exceed the context is a 400 naming
// the counts (code context_length_exceeded), never truncated. Chat messages
// are rendered with the model's chat template; a model without one (such as
// stories260K) uses [PlainFormat]. Tools are accepted only when the template
// renders them; calls in the Hermes format (<tool_call>{…}</tool_call>)
// come back as tool_calls; streamed, a call's text is held back and goes out
// as OpenAI's tool_calls deltas (the name, then argument fragments as they
// are generated; see toolStreamer) while the text outside calls streams as
// content. response_format json_object/json_schema needs
// Config.JSONSchema (a constraint from a schema).
//
// Scheduling (continuous batching, as in Orca, Yu et al., OSDI 2022, and
// vLLM's scheduler): every choice of every request is a job in a bounded
// queue (full: 429). A single loop keeps up to Config.Parallel jobs active;
// each step feeds each active job's next id, or the next chunk of its prompt
// (Config.PrefillChunk ids per step in all, so a long prompt never stalls
// running streams), through one model.BatchForwarder.ForwardBatch call, so
// the weight matrices are read once per step for all sequences; attention
// reads each sequence's own KV cache. Queued jobs are admitted between
// steps; a job whose client disconnected or whose timeout passed is dropped
// at the next step. Sampling follows generate.Run's order (the sample
// package's chain, stop strings held back across tokens, the same finish
// reasons), so greedy output equals `llmpipe run`'s. (A prompt longer than
// PrefillChunk is cached in chunks; ForwardBatch equals Forward bit for bit
// for the same chunks, and Forward is chunk-invariant when the model's FFN
// width is a multiple of 8, as in every released model; stories260K's 172
// is not, so there its long prompts may differ from run's in the last ulp.)
//
// The choices of an n > 1 request share their prompt: the first runs it,
// the others start from a clone of its sequence (model.Cloner) and sample
// their first id from the same logits. With Config.PrefixCache, finished
// sequences are kept (bounded in count and bytes, least recently used out
// first) and a new prompt starts from the one sharing its longest prefix of
// ids, cloned and truncated to that prefix (model.Truncater), as vLLM's
// automatic prefix caching and llama.cpp's server slot reuse do; the ids
// taken are reported as usage.prompt_tokens_details.cached_tokens.
//
// The package does not load models or open listeners: cmd/llmpipe's serve
// command does, binding 127.0.0.1 by default.
package server
