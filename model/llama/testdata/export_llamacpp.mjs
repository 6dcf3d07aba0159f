// Runs llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU build) on GGUF files
// exported by llmpipe and prints, for each, the prompt ids, the greedy ids
// and each greedy token's log-probability and the runner-up's, as JSON.
// usage: node export_llamacpp.mjs "NAME=FILE.gguf|bos or nobos|PROMPT|N" ...
// Run from a folder whose node_modules holds node-llama-cpp (see
// /work/shared/peers/README.md); written for model/llama/testdata/export_llamacpp.json.
import {getLlama} from "node-llama-cpp";
import crypto from "node:crypto";
import fs from "node:fs";

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const out = {tool: "node-llama-cpp 3.21.1", llamaCppRelease: llama.llamaCppRelease, cases: []};
for (const arg of process.argv.slice(2)) {
    const [name, rest] = arg.split(/=(.*)/s);
    const [file, bos, prompt, nStr] = rest.split("|");
    const n = Number(nStr);
    const bytes = fs.readFileSync(file);
    const model = await llama.loadModel({modelPath: file});
    const ctx = await model.createContext({contextSize: 128, threads: 1, batchSize: 128});
    const seq = ctx.getSequence();
    let promptTokens = model.tokenize(prompt);
    if (bos === "bos") promptTokens = [model.tokens.bos, ...promptTokens];
    const opts = {temperature: 1, topK: 0, topP: 1, minP: 0};
    const step = (toks) => seq.controlledEvaluate(toks.map((t, i) =>
        i === toks.length - 1 ? [t, {generateNext: {probabilities: true, options: opts}}] : t));
    let res = await step(promptTokens);
    let probs = res[promptTokens.length - 1].next.probabilities;
    const ids = [], logprobs = [], runnerUp = [];
    for (let k = 0; k < n; k++) {
        // greedy: the most probable token, lowest id among ties
        let best = -1, bp = -1, second = -1;
        for (const [id, p] of probs) {
            if (p > bp || (p === bp && id < best)) { second = Math.max(second, bp); best = id; bp = p; }
            else if (p > second) second = p;
        }
        ids.push(best); logprobs.push(Math.log(bp)); runnerUp.push(Math.log(second));
        if (k + 1 < n) {
            res = await step([best]);
            probs = res[0].next.probabilities;
        }
    }
    out.cases.push({name, sha256: crypto.createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length,
        prompt, promptTokens, generatedTokens: ids, text: model.detokenize(ids),
        logprobs: logprobs.map(x => Number(x.toFixed(6))), runnerUpLogprobs: runnerUp.map(x => Number(x.toFixed(6)))});
    await ctx.dispose();
    await model.dispose();
}
console.log(JSON.stringify(out, null, 1));
