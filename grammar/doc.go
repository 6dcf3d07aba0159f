// Package grammar constrains generated text to a formal language, token by
// token: a GBNF grammar (llama.cpp's grammar format, grammars/README.md in
// ggml-org/llama.cpp) or a JSON Schema converted to one.
//
// The pieces are:
//
//   - [Parse] reads GBNF text into a [Grammar]: rules, alternation,
//     sequences, grouping, string literals with escapes, character classes
//     (ranges, negation), the any-character dot, the repetitions * + ? {m}
//     {m,} {m,n} {,n} and # comments. Errors name line:column. Left
//     recursion is rejected, as llama.cpp does.
//   - [FromJSONSchema] turns a JSON Schema into GBNF text (the structure of
//     llama.cpp's common/json-schema-to-grammar.cpp: required properties
//     first, then optional ones in the order given) and [CompileJSONSchema]
//     parses it. Keywords it cannot enforce are an error naming them.
//   - [NewVocabulary] prepares a vocabulary once per model (the bytes of each
//     token, from tokenizer.VocabBytes, and its end-of-generation ids) and
//     [Vocabulary.Matcher] (or [NewMatcher] in one call) matches a grammar
//     against it: Mask sets the
//     logits of every token that may not come next to -Inf, Accept advances
//     by one token. Tokens may span several grammar symbols and may end in
//     the middle of a UTF-8 character.
//
// # Differences from llama.cpp's GBNF
//
// The dot matches any character, a line break included (llama.cpp's
// CHAR_ANY). A rule may go on over several lines outside parentheses: it
// ends where the next "name ::=" begins (llama.cpp requires parentheses or a
// trailing "|"), so every grammar llama.cpp reads is read the same way.
// Token references (<[id]>, <token>, !<…>) are not supported and are an
// error. Repetition counts are limited to [MaxRepeat].
//
// A [Matcher] is done ([Matcher.Done]) after an end-of-generation token, or
// when the text is a full match that nothing can extend; [Matcher.CanEnd]
// tells whether the text so far is a full match.
//
// # How matching works
//
// A grammar position is a stack of rule positions, as in llama.cpp's
// llama-grammar.cpp: the top is the character class to match next and each
// entry below is where to continue once the rule above it ends. Stacks are
// interned as persistent linked lists (a stack is an int), so the set of
// live stacks after some text is a small sorted set of ints. Together with
// the bytes of a partly read UTF-8 character such a set is a state of a
// deterministic automaton over bytes, built lazily: each state keeps its
// 256 byte transitions once computed. The vocabulary is a byte trie; the
// mask for a state is one depth-first walk of the trie that follows the
// transitions and cuts every branch whose state is dead. The mask is then
// kept with the state, so a state met again (the inside of a JSON string,
// the same place in a repeated list) costs one bitset pass.
//
// # Budget-aware finishing
//
// [Matcher.SetMaxTokens] gives the matcher the caller's token budget. Each
// state knows the fewest bytes that complete the grammar from it. When a
// token would leave more bytes to write than tokens left, it is masked, so
// as the budget runs out only tokens that keep a completion within reach
// are allowed, and output stopped at the budget is still a full match. This
// counts one token per byte, which every vocabulary with byte tokens (SPM
// byte fallback, byte-level BPE, tiktoken) can always achieve; if no token
// passes the filter, the plain grammar mask is used instead.
//
// The package imports nothing from the project but package tokenizer; it
// does not sample or run models.
package grammar
