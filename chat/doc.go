// Package chat renders Hugging Face chat templates: the Jinja templates that
// models ship (tokenizer_config.json "chat_template", chat_template.jinja, or
// a GGUF's tokenizer.chat_template) to turn a conversation into the exact
// prompt text the model was trained on.
//
// It follows transformers' apply_chat_template
// (https://huggingface.co/docs/transformers/main/en/chat_templating and
// transformers/utils/chat_template_utils.py): the template runs in a Jinja2
// environment with trim_blocks=True and lstrip_blocks=True, the variables
// messages, tools, documents, add_generation_prompt, bos_token, eos_token and
// any extra keyword arguments, the globals raise_exception and strftime_now,
// and a tojson filter that is Python's json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False). Template syntax follows the
// Jinja2 template designer documentation
// (https://jinja.palletsprojects.com/en/stable/templates/).
//
// The Jinja engine is github.com/ardanlabs/jinja. This package adds what HF
// defines on top of Jinja: key order of JSON objects is preserved, tojson is
// an exact re-implementation of Python's json.dumps (floats as Python's
// repr, indent, separators, sort_keys, ensure_ascii), strftime_now reads an
// injectable clock, and raise_exception returns an [*Error] naming the
// template's message.
//
// # Limits
//
// Rendering an untrusted template must not hang or crash the process, so
// every render is bounded: each for-loop iteration and each macro call is a
// step (at most [Options.MaxSteps]), macros may nest at most
// [Options.MaxDepth] deep, range() yields at most MaxSteps items, a
// [context.Context] passed to [Template.RenderContext] is checked at every
// step, and a panic inside the engine is turned into an error. What is not
// bounded: a single expression that builds a huge value at once, such as
// 'x' * 10**9, allocates it (as Python would).
//
// Known differences from Python's Jinja2 (engine behaviour; real chat
// templates do not rely on them): printing a float with an integral value
// gives "1" rather than "1.0", printing none gives "" rather than "None", and
// an attribute of an undefined value is undefined rather than an error.
// Also from the engine, found by differential testing against
// @huggingface/jinja and Python (testdata/diff_renders.json.gz lists each):
// "text" + none, a list, a dict or an undefined value concatenates instead
// of failing; macro *args, "set a, b = …", str.split maxsplit, and several
// sort/dictsort options are unsupported or differ. chat itself drops one
// trailing newline of the template (as Jinja2 does) and makes a for loop
// over none fail, as Python and @huggingface/jinja both do.
package chat
