#!/bin/sh
# Regenerates ../diff_renders.json.gz (see ../PROVENANCE.md). Run in a temp folder holding the installed peers
# (node_modules with @huggingface/jinja 0.5.11), e2e.test.js and templates.test.js from huggingface.js
# packages/jinja/test, and python3 with jinja2 3.1.6.
set -e
H=$(dirname "$0")
node "$H/extract.mjs"
node "$H/build.mjs" cases.json
node "$H/render.mjs" cases.json > rendered.json
python3 "$H/render_py.py" cases.json > rendered_py.json
python3 "$H/merge.py" rendered.json rendered_py.json > merged.json
python3 "$H/pack.py" packed.json
gzip -9n -c packed.json > "$H/../diff_renders.json.gz"
