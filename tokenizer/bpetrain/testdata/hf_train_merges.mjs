// Prints the first N merges that Hugging Face tokenizers' BpeTrainer (native
// Rust, via @anush008/tokenizers 0.6.0 = tokenizers 0.22.2) learns from FILES
// with a ByteLevel pre-tokenizer (add_prefix_space false, use_regex true),
// one merge per line as "left right", into OUT (stdout carries the trainer's
// progress output). No special tokens are registered, so special-token text
// is trained on as ordinary text.
//
// Usage (from a folder where the peers are installed, see
// ../shared/peers/README.md): node hf_train_merges.mjs OUT N FILE...
import { Tokenizer, BPE, byteLevelPreTokenizer } from "@anush008/tokenizers";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [dst, n, ...files] = process.argv.slice(2);
const tok = new Tokenizer(BPE.empty());
tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
tok.train(files);
const out = join(mkdtempSync(join(tmpdir(), "hfmerges")), "tokenizer.json");
tok.save(out, false);
const merges = JSON.parse(readFileSync(out, "utf8")).model.merges;
const lines = merges.slice(0, Number(n)).map((m) => (typeof m === "string" ? m : m.join(" ")) + "\n");
writeFileSync(dst, lines.join(""));
