import json,sys
a=json.load(open(sys.argv[1]))['cases'];b=json.load(open(sys.argv[2]))['cases']
for x,y in zip(a,b):
    assert x['name']==y['name']
    if 'text' in y: x['py_text']=y['text']
    else: x['py_error']=y['error']
json.dump({'cases':a},sys.stdout,ensure_ascii=False)
