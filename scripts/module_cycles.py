#!/usr/bin/env python3
"""Module import circles in src/: module A depends on module B when A's code names B (`use`
paths and path expressions through crate::, super::, self:: or a child's name; not `mod`
declarations, comments or `pub(in ...)` visibility). Prints every strongly connected component
of more than one module.

Usage: module_cycles.py [SRC_DIR] [--deny AREA ...]
With --deny, exits 1 if a circle lies inside one of the named top-level modules (e.g.
`--deny proxy classify evidence report`): their shared types live in leaf files, and this
keeps it so."""
import os,re,sys
args=sys.argv[1:]
deny=[]
if "--deny" in args:
    i=args.index("--deny"); deny=args[i+1:]; args=args[:i]
root=args[0] if args else "src"
mods={}
for d,_,fs in os.walk(root):
    for f in fs:
        if not f.endswith(".rs"): continue
        p=os.path.join(d,f); rel=os.path.relpath(p,root)[:-3]
        parts=rel.split(os.sep)
        if parts[-1] in ("lib","main"): parts=parts[:-1]
        if parts and parts[-1]=="mod": parts=parts[:-1]
        mods["::".join(parts)]=p
def strip(src):
    src=re.sub(r"//[^\n]*","",src)
    src=re.sub(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{.*","",src,flags=re.S)  # drop inline test mods (rough)
    return src
edges={m:set() for m in mods}
def resolve(cur,path):
    segs=path.split("::")
    if segs[0]=="crate": base=[]; segs=segs[1:]
    elif segs[0]=="super":
        base=cur.split("::") if cur else []
        while segs and segs[0]=="super": base=base[:-1]; segs=segs[1:]
    elif segs[0]=="self": base=cur.split("::") if cur else []; segs=segs[1:]
    else: return None
    best=None
    for i in range(len(segs)+1):
        cand="::".join(base+segs[:i])
        if cand in mods: best=cand
    return best
for m,p in mods.items():
    if m.endswith("tests") or "/tests/" in p or p.endswith("_tests.rs"): continue
    src=strip(open(p).read())
    for u in re.finditer(r"\buse\s+([^;]+);",src):
        body=u.group(1)
        # expand one level of braces
        mm=re.match(r"((?:crate|super|self)(?:::\w+)*)::\{(.*)\}\s*$",body.strip(),re.S)
        paths=[]
        if mm:
            for item in re.split(r",(?![^{]*\})",mm.group(2)):
                item=item.strip().split(" as ")[0].strip()
                if item: paths.append(mm.group(1)+"::"+re.sub(r"::\{.*","",item))
        else: paths.append(body.strip().split(" as ")[0])
        for pth in paths:
            r=resolve(m,pth.replace(" ",""))
            if r and r!=m: edges[m].add(r)
    kids=[k.split("::")[-1] for k in mods if k.startswith(m+"::" if m else "") and k.count("::")==(m.count("::")+1 if m else 0)]
    for k in kids:
        for u in re.finditer(r"(?<![\w:])"+k+r"::\{?\s*(\w+)",src):
            r=resolve(m,"self::"+k+"::"+u.group(1))
            if r and r!=m: edges[m].add(r)
    for u in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)(::\{)?",src):
        if u.group(2): continue  # a brace group's prefix: its items were resolved above
        if src[max(0,u.start()-4):u.start()] == "(in ": continue  # pub(in path): visibility
        r=resolve(m,u.group(1))
        if r and r!=m: edges[m].add(r)
# tarjan
idx={};low={};st=[];on=set();out=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: out.append(sorted(comp))
for v in mods:
    if v not in idx: sc(v)
for comp in out:
    print(len(comp), comp)
    for a in comp:
        print("   ",a,"->",sorted(x for x in edges[a] if x in comp))
bad=[c for c in out if any(all(m==a or m.startswith(a+"::") for m in c) for a in deny)]
if bad:
    print("import circles inside", ", ".join(deny), ":", bad, file=sys.stderr)
    sys.exit(1)
