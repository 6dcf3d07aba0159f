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
// The reference is transformers.js (@huggingface/transformers 4.3.1), whose
// apply_chat_template renders with @huggingface/jinja 0.5.11: templates
// render exactly as there. The engine is our own, chat/jinja (a Jinja subset
// interpreter written for chat templates), and follows @huggingface/jinja
// where it and Python's Jinja2 disagree: true/false print lowercase, none
// prints "", lists and dicts print as JSON (["a", "b"]), a for loop over a
// string, none or an undefined value fails, an undefined value's attributes
// and missing list items are undefined rather than errors, tojson takes only
// keyword arguments (indent must be an integer; 0 does not indent), str +
// list joins the list's items with ",", == compares primitives as
// JavaScript's == does (none == undefined), and only the filters, tests and
// methods @huggingface/jinja has exist. The exception is output that is a
// plain JavaScript artifact: a dict concatenated to a string fails as in
// Python (JavaScript prints "[object Map]"), "~" with a dict writes Python's
// repr, division by zero fails, and == compares lists and dicts by value.
// Numbers keep Python's types (1.0 stays a float; JavaScript cannot tell it
// from 1), and tojson writes floats as Python's json.dumps does.
//
// On top of the engine this package adds HF's variables: key order of JSON
// objects is preserved, strftime_now reads an injectable clock, and
// raise_exception returns an [*Error] naming the template's message.
//
// # Limits
//
// Rendering an untrusted template must not hang or crash the process, so
// every render is bounded: each for-loop iteration and each macro call is a
// step (at most [Options.MaxSteps]), macros may nest at most
// [Options.MaxDepth] deep, range() yields at most MaxSteps items, the
// output is capped, and a [context.Context] passed to
// [Template.RenderContext] is checked at every step. What is not bounded: a
// single expression that builds a huge value at once allocates it.
//
// testdata/diff_renders.json.gz replays 1,115 renders (53 real model
// templates and 161 @huggingface/jinja engine tests) of both references;
// every one matches @huggingface/jinja except the differences its test
// lists (a dict concatenated to a string, above; one case whose variables
// omit add_generation_prompt, which Args always passes).
package chat
