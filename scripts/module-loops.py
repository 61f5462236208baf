#!/usr/bin/env python3
"""Finds import loops between the modules of a Rust crate.

Usage: scripts/module-loops.py CRATE_SRC_DIR [--edges] [--top]
  e.g. scripts/module-loops.py crates/relay/src
       scripts/module-loops.py crates/core/src --top

A module is a file (src/lib.rs is `crate`, src/a/mod.rs is `crate::a`, src/a/b.rs
is `crate::a::b`; src/main.rs, a crate of its own, is left out). Module A uses
module B when a path in A's code names B or an item of B: `crate::b::…`,
`super::…`, `self::…`, or a child module's name at the start of a path; a
parent's `mod b;` is not a use. `super` after the file's first inline
`mod name {` (its tests, by convention at the end) names the file's own module.
Comments and string literals are ignored. `--edges` prints every use first.
`--top` counts only uses between the crate's top-level modules (a::b using c::d
is a using c; uses inside one top-level module are left out): the layers of a
crate whose modules own a folder each, where a child naming its parent's types
is how Rust modules are written.

Prints the number of modules, uses and loops, then each loop (a group of two
or more modules that reach each other) with its uses; exits 1 if there is one.
"""

import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src: Path, f: Path) -> tuple:
    parts = list(f.relative_to(src).with_suffix("").parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments_and_strings(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\])'", "' '", text)  # char literals such as '"'
    text = re.sub(r'(?<!\w)r(#*)"(?:.|\n)*?"\1', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def use_paths(tree: str, prefix: str = ""):
    """Expands a use tree (`a::{b, c::d}`) into its full paths."""
    tree = tree.strip()
    if not tree:
        return
    depth, start, parts = 0, 0, []
    brace = tree.find("{")
    if brace == -1:
        yield prefix + re.sub(r"\s+as\s+\w+$", "", tree)
        return
    head = tree[:brace]
    inner = tree[brace + 1 : tree.rfind("}")]
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    for part in parts:
        yield from use_paths(part, prefix + head)


def main() -> int:
    src = Path(sys.argv[1])
    show_edges = "--edges" in sys.argv
    top = "--top" in sys.argv
    files = sorted(p for p in src.rglob("*.rs") if p.name != "main.rs")
    modules = {module_of(src, f): f for f in files}
    edges = {}
    for mod, f in modules.items():
        text = strip_comments_and_strings(f.read_text())
        # Code inside an inline `mod x {` (tests): there `super` is this file's module.
        inline = re.search(r"\bmod\s+\w+\s*\{", text)
        children = {m[-1] for m in modules if len(m) == len(mod) + 1 and m[:-1] == mod}
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths += [(p, m.start()) for p in use_paths(m.group(1))]
        for m in re.finditer(rf"(?<![\w:])((?:crate|super|self|{IDENT})(?:::{IDENT})+)", text):
            paths.append((m.group(1), m.start()))
        targets = set()
        for path, at in paths:
            segs = [s for s in re.split(r"\s*::\s*", path.strip()) if s]
            if not segs:
                continue
            in_inline = inline is not None and at > inline.start()
            if segs[0] == "crate":
                base, rest = (), segs[1:]
            elif segs[0] == "super":
                base = mod if in_inline else mod[:-1]
                rest = segs[1:]
                while rest and rest[0] == "super":
                    base, rest = base[:-1], rest[1:]
            elif segs[0] == "self":
                base, rest = mod, segs[1:]
            elif segs[0] in children:
                base, rest = mod, segs
            else:
                continue
            target = base
            for s in rest:
                if target + (s,) in modules:
                    target = target + (s,)
                else:
                    break
            if target != mod:
                targets.add(target)
        edges[mod] = targets

    if top:
        # Each module folds into its top-level module; uses inside one are dropped.
        folded = {}
        for mod, targets in edges.items():
            a = mod[:1]
            folded.setdefault(a, set()).update(t[:1] for t in targets if t[:1] != a)
        edges = folded
        modules = {m: None for m in edges}

    def name(m):
        return "crate" + "".join("::" + s for s in m)

    if show_edges:
        for mod in sorted(edges):
            for t in sorted(edges[mod]):
                print(f"{name(mod)} -> {name(t)}")

    # Tarjan's strongly connected components.
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    loops = [sorted(c) for c in sccs if len(c) > 1]
    n_edges = sum(len(t) for t in edges.values())
    print(f"{len(modules)} modules, {n_edges} uses, {len(loops)} loop(s)")
    for comp in loops:
        print("loop: " + ", ".join(name(m) for m in comp))
        for a in comp:
            for b in sorted(edges[a]):
                if b in comp:
                    print(f"  {name(a)} -> {name(b)}")
    return 1 if loops else 0


if __name__ == "__main__":
    sys.exit(main())
