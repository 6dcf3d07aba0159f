// Reference peer: how llama.cpp's aggregate greedy decode throughput grows with the number of parallel sequences
// (node-llama-cpp 3.21.1, prebuilt CPU build). Reference point for llmpipe's server batching target (issue 6).
// usage: node llamacpp_batch.mjs MODEL.gguf [threads=2] [tgTokens=32] [reps=2] [seqCounts=1,4,8,16]
// Run from the folder whose node_modules holds node-llama-cpp (it is resolved from the current folder), e.g.
//   cd /tmp/llmpipe-benchvs-peers && node /work/main/tools/benchvs/llamacpp_batch.mjs /work/benchmodels/bench-110m-q8_0.gguf 2
// For each N: ONE context with `sequences: N` (contextSize 256 cells per sequence, node-llama-cpp allocates
// N*256 KV cells; batchSize 512; KV F16, flash attention "auto" = defaults), N sequences with distinct short
// prompts (BOS + 3-6 tokens). Per rep: prefill all prompts but their last token (concurrently, not timed), then
// time N concurrent sequence.evaluate([lastPromptToken], {temperature: 0}) generators run with Promise.all until
// each has yielded tgTokens greedy tokens: tgTokens decode steps of N tokens each.
// node-llama-cpp batches concurrent sequences: each evaluate() queues a decode on the context, and the context's
// dispatcher (LlamaContext._scheduleDecode / dispatchPendingBatch, batching.dispatchSchedule "nextCycle",
// itemPrioritizationStrategy "maximumParallelism") packs all queued sequences' tokens into one llama_batch and one
// llama_decode (AddonContext.initBatch/addToBatch/decodeBatch). To prove it, the script counts decodeBatch calls
// and tokens per batch during the timed part (through a Proxy on the internal context._ctx): with batching it is
// ~tgTokens decodes of ~N tokens, without it N*tgTokens decodes of 1 token. (Observed: mostly N-1 tokens per decode,
// ~tgTokens+3..6 decodes: dispatchPendingBatch loops straight on to the next batch while the slowest sequence's
// sampling result is still on its way back, so that sequence rides one batch later; the sequences stay staggered.)
// Prints one JSON line per N and rep: threads, sequences, tokens (N*tgTokens), wall_s, aggregate_tok_s,
// per_seq_tok_s, speedup_vs_1 (aggregate / best aggregate at N=1), decodes, tokens_per_decode, hist (batch size ->
// number of decodes), decode_s (time inside llama_decode calls; the rest of wall_s is node-llama-cpp's sampling and
// JS scheduling).
import {createRequire} from "node:module";
import {pathToFileURL} from "node:url";

// resolve node-llama-cpp from the current folder (not from this script's folder)
const {getLlama} = await import(pathToFileURL(createRequire(process.cwd() + "/").resolve("node-llama-cpp")).href);

const modelPath = process.argv[2] ?? "/work/benchmodels/bench-110m-q8_0.gguf";
const threads = Number(process.argv[3] ?? 2);
const tgTokens = Number(process.argv[4] ?? 32);
const reps = Number(process.argv[5] ?? 2);
const seqCounts = (process.argv[6] ?? "1,4,8,16").split(",").map(Number);

const PROMPTS = ["Once upon a time", "The little dog", "One day, a girl", "The sun was shining", "Tom had a big",
    "In the park there", "A small cat saw", "Mom said to Lily", "The red ball was", "Ben liked to play",
    "There was a tree", "The bird flew over", "Sue found a box", "It was a rainy", "The boy and his", "A happy fish"];

const llama = await getLlama({gpu: false, build: "never", logLevel: "error", maxThreads: 0});
const model = await llama.loadModel({modelPath});

let best1 = null;
for (const N of seqCounts) {
    const context = await model.createContext({sequences: N, contextSize: 256, batchSize: 512, threads});
    const seqs = Array.from({length: N}, () => context.getSequence());
    const prompts = seqs.map((_, i) => [model.tokens.bos, ...model.tokenize(PROMPTS[i % PROMPTS.length])]);

    // count llama_decode calls and their token counts (instrumentation only): the native AddonContext's methods are
    // read-only, so context._ctx (internal) is swapped for a Proxy during the timed part only
    const ctx = context._ctx;
    let decodes = 0, batchTokens = 0, lastInit = 0, hist = {}, decodeMs = 0;
    const counting = new Proxy(ctx, {get(t, k) {
        if (k === "initBatch") return (size) => { lastInit = size; return t.initBatch(size); };
        if (k === "decodeBatch") return async () => {
            decodes++; batchTokens += lastInit; hist[lastInit] = (hist[lastInit] ?? 0) + 1;
            const t0 = performance.now();
            try { return await t.decodeBatch(); } finally { decodeMs += performance.now() - t0; }
        };
        const v = t[k];
        return typeof v === "function" ? v.bind(t) : v;
    }});

    const runOnce = async () => {
        await Promise.all(seqs.map(s => s.clearHistory()));
        await Promise.all(seqs.map((s, i) => s.evaluateWithoutGeneratingNewTokens(prompts[i].slice(0, -1))));
        decodes = 0; batchTokens = 0; hist = {}; decodeMs = 0;
        context._ctx = counting;
        const t0 = performance.now();
        const outs = await Promise.all(seqs.map(async (s, i) => {
            const gen = [];
            for await (const tok of s.evaluate([prompts[i].at(-1)], {temperature: 0})) {
                gen.push(tok);
                if (gen.length >= tgTokens) break;
            }
            return gen;
        }));
        const wall = (performance.now() - t0) / 1000;
        context._ctx = ctx;
        return {wall, outs, decodes, batchTokens, decodeS: decodeMs / 1000};
    };

    await runOnce(); // warm-up (pages weights in, allocates compute buffers for this batch shape)
    for (let r = 0; r < reps; r++) {
        const {wall, outs, decodes: d, batchTokens: bt, decodeS} = await runOnce();
        const tokens = outs.reduce((a, g) => a + g.length, 0);
        const agg = tokens / wall;
        if (N === 1) best1 = Math.max(best1 ?? 0, agg);
        console.log(JSON.stringify({threads, sequences: N, tokens, wall_s: +wall.toFixed(3),
            aggregate_tok_s: +agg.toFixed(1), per_seq_tok_s: +(agg / N).toFixed(1),
            speedup_vs_1: best1 ? +(agg / best1).toFixed(2) : null, decodes: d, tokens_per_decode: +(bt / d).toFixed(2),
            decode_s: +decodeS.toFixed(3), hist}));
    }
    await context.dispose();
}
await model.dispose();
await llama.dispose();
