# Packs merged.json into the committed fixture: templates and variable sets stored once, py_* only when Python differs.
import json,sys,hashlib
m=json.load(open('merged.json'))['cases']
tpl={}; tname={}; vsets={}; vname={}
out=[]
for c in m:
    h=hashlib.sha256(c['source'].encode()).hexdigest()[:12]
    if h not in tname:
        n=c['name'] if c['name'].startswith('unit/') else c['name'].rsplit('/',1)[0]
        tname[h]=n; tpl[n]=c['source']
    vj=json.dumps(c['vars'],sort_keys=True,ensure_ascii=False)
    vh=hashlib.sha256(vj.encode()).hexdigest()[:12]
    if vh not in vname:
        vname[vh]='v%d'%len(vname); vsets[vname[vh]]=c['vars']
    r={'name':c['name'],'template':tname[h],'vars':vname[vh]}
    if 'text' in c: r['text']=c['text']
    else: r['error']=c['error']
    pt,pe=c.get('py_text'),c.get('py_error')
    if not (pt is not None and pt==c.get('text')) and not (pe is not None and 'error' in c):
        if pt is not None: r['py_text']=pt
        else: r['py_error']=pe
    out.append(r)
json.dump({'generated_by':'chat/testdata/gen_diff_renders.mjs + render_py.py','js':'@huggingface/jinja 0.5.11 Template(source).render(vars)','py':'jinja2 3.1.6 with transformers chat-template environment','templates':tpl,'vars':vsets,'cases':out},open(sys.argv[1],'w'),ensure_ascii=False,separators=(',',':'))
