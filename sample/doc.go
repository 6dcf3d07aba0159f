// Package sample turns one position's logits into the next token id: logit
// processors applied in a fixed, documented order, then greedy argmax or a
// seeded random draw. It imports only the standard library.
//
// The chain, for each call of [Sampler.Sample] (llama.cpp's default sampler
// chain, common/sampling.cpp with the default --sampling-seq, each step as
// src/llama-sampling.cpp implements it):
//
//  0. constraint  [Constraint.Mask] sets the logits of tokens that may not
//     come next to -Inf (constrained decoding; masked tokens are never drawn)
//  1. logit bias  logit[id] += LogitBias[id] (-Inf bans the token)
//  2. penalties   over the last RepeatLastN accepted ids (prompt included, as
//     llama.cpp's llama-cli and llama-server feed it): for each id seen c>0
//     times, logit /= RepeatPenalty if logit > 0 else logit *= RepeatPenalty
//     (CTRL's penalty with the usual fix for negative logits, = HF's
//     RepetitionPenaltyLogitsProcessor), then logit -= c·FrequencyPenalty +
//     PresencePenalty (OpenAI's frequency and presence penalties)
//  3. top-k       keep the K largest logits (ties: the lower id)
//  4. typical-p   locally typical sampling (Meister et al. 2022): sort by
//     |−log p − H|, keep the smallest prefix whose mass exceeds TypicalP
//  5. top-p       nucleus sampling (Holtzman et al. 2020): keep the smallest
//     set of most likely tokens whose mass reaches TopP (at least MinKeep)
//  6. min-p       keep tokens with p ≥ MinP·p_max (Nguyen et al. 2024)
//  7. temperature logit /= Temperature; Temperature 0 is greedy: the
//     largest surviving logit, the lowest id among equal ones
//  8. draw        softmax of what is left, one uniform number from the
//     injected *rand.Rand, inverse CDF over the candidates
//
// Probabilities in steps 4–6 are the softmax of the candidates still left at
// temperature 1: as in llama.cpp, temperature comes after the filters (HF
// transformers applies it first; the two differ when both are used).
//
// Randomness comes only from Options.Rand (math/rand/v2), never from a
// global source: the same logits, options and seed give the same ids.
//
// [LogProbs] reports log-probabilities from the model's raw distribution:
// the log-softmax of the unprocessed logits, before any constraint, bias,
// penalty, filter or temperature (OpenAI's logprobs/top_logprobs semantics).
//
// The package does no model or tokenizer work: package generate runs the
// decode loop and calls it once per token.
package sample
