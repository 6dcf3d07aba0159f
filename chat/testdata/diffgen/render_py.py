# Renders cases like transformers (Python) apply_chat_template does: jinja2 ImmutableSandboxedEnvironment with
# trim_blocks, lstrip_blocks, loopcontrols, the {% generation %} tag, tojson = json.dumps(ensure_ascii=False),
# raise_exception and strftime_now globals (transformers/utils/chat_template_utils.py _compile_jinja_template).
import json, sys
from datetime import datetime, timezone
import jinja2
from jinja2.ext import Extension
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

class AssistantTracker(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render_assistant", []), [], [], body).set_lineno(lineno)
    def _render_assistant(self, caller):
        return caller()

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
NOW = datetime(2025, 7, 10, 12, 0, 0, tzinfo=timezone.utc)
def strftime_now(fmt):
    return NOW.strftime(fmt)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

inp = json.load(open(sys.argv[1]))
out = []
for c in inp["cases"]:
    r = dict(c)
    try:
        t = env.from_string(c["source"])
        r["text"] = t.render(**c["vars"])
    except Exception as e:
        r["error"] = (type(e).__name__ + ": " + str(e))[:300]
    out.append(r)
json.dump({"cases": out}, sys.stdout, ensure_ascii=False)
