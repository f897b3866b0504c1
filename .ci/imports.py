#!/usr/bin/env python3
"""The code's shape, checked: no import cycle between files under src/, and no API area file
(src/api/<area>.rs) importing another area file. Shared plumbing (body, query, patch, schema,
views) may be imported by any area. Exits non-zero, naming the offenders, when either breaks."""
import os,re,sys
root=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'src')
os.chdir(os.path.join(root, '..'))
root='src'
files={}
for d,_,fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'): files[os.path.join(d,f)]=open(os.path.join(d,f)).read()
def modpath(path):
    p=path[len('src/'):-3].split('/')
    if p[-1]=='mod': p=p[:-1]
    if p==['lib']: return []
    return p
mods={tuple(modpath(f)):f for f in files}
def resolve(parts):
    # longest prefix that is a module file
    for n in range(len(parts),-1,-1):
        if tuple(parts[:n]) in mods: return mods[tuple(parts[:n])]
edges={f:set() for f in files}
for f,s in files.items():
    s2=re.sub(r'#\[cfg\(test\)\]\s*mod tests \{.*','',s,flags=re.S)
    me=modpath(f)
    for m in re.finditer(r'^\s*(?:pub(?:\([a-z]+\))?\s+)?use\s+([^;]+);',s2,flags=re.M):
        txt=m.group(1)
        txt=re.sub(r'\s+','',txt)
        # expand braces shallowly
        def expand(t):
            if '{' not in t: return [t]
            i=t.index('{'); pre=t[:i]; inner=t[i+1:t.rindex('}')]
            parts=[];depth=0;cur=''
            for c in inner:
                if c=='{':depth+=1
                if c=='}':depth-=1
                if c==',' and depth==0: parts.append(cur);cur=''
                else: cur+=c
            if cur: parts.append(cur)
            out=[]
            for p in parts: out+= [pre+x for x in expand(p)]
            return out
        for path in expand(txt):
            segs=path.split('::')
            if segs[0]=='crate': base=[]; segs=segs[1:]
            elif segs[0]=='super':
                base=me[:-1] if not f.endswith('mod.rs') or True else me
                # super relative to module
                base=me[:-1]; segs=segs[1:]
                while segs and segs[0]=='super': base=base[:-1]; segs=segs[1:]
            elif segs[0]=='self': base=me; segs=segs[1:]
            elif tuple(me+[segs[0]]) in mods: base=me
            else: continue
            target=resolve(base+segs)
            if target and target!=f: edges[f].add(target)
# find cycles
sys.setrecursionlimit(10000)
color={};stack=[];cycles=[]
def dfs(u):
    color[u]=1;stack.append(u)
    for v in edges[u]:
        if color.get(v)==1: cycles.append(stack[stack.index(v):]+[v])
        elif not color.get(v): dfs(v)
    stack.pop();color[u]=2
for f in files:
    if not color.get(f): dfs(f)
for c in cycles[:20]: print('cycle: ' + ' -> '.join(c))
failed = bool(cycles)
area={'src/api/'+a+'.rs' for a in ['assets','auth','cart','categories','orders','portfolio','products','screener','users','watchlist','meta']}
for f in sorted(area):
    bad=[t for t in edges.get(f,()) if t in area]
    if bad: print('area imports another area:', f, '->', sorted(bad)); failed = True
print('import check:', 'FAILED' if failed else 'no import cycle, no area importing another')
sys.exit(1 if failed else 0)
