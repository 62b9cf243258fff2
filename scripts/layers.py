#!/usr/bin/env python3
"""The layering of src/: which top-level module imports which, counted from the code.

Every `crate::…` path (in `use` lines and inline) and every `super::` that climbs to the crate root is an import
of a top-level module (a folder such as `story/`, or a file such as `app.rs`). LAYERS below is the order in
ARCHITECTURE.md, ground floor first: a module may import its own layer's peers and anything below. The script
prints each upward import with its file and line, the cycles between top-level modules, and the totals, and exits
1 when the upward imports exceed --max-upward or any cycle exists (`make layers`, run by `make test`).
"""
import argparse
import pathlib
import re
import sys

# Ground floor first. Modules on one line are peers (neither above the other).
LAYERS = [
    ["error", "cancel"],
    ["workdir"],
    ["media"],
    ["ingest"],
    ["analyze"],
    ["story"],
    ["timeline"],
    ["sound"],
    ["render"],
    ["export"],
    ["cli", "config"],
    ["pipeline"],
    ["app", "ui"],
    ["lib", "main"],
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}


def module_path(src, file):
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts.pop()
    return parts  # [] for lib.rs/main.rs handled by the caller


def strip_comments(text):
    out = []
    for line in text.splitlines():
        code = re.sub(r"//.*", "", line) if '"' not in line else re.sub(r"^\s*//.*", "", line)
        out.append(code)
    return out


def roots_after(text, i):
    """The first identifiers of the path (or brace group) that starts at text[i]."""
    if i < len(text) and text[i] == "{":
        depth, j, item, items = 0, i, "", []
        while j < len(text):
            c = text[j]
            if c == "{":
                depth += 1
                if depth == 1:
                    j += 1
                    continue
            elif c == "}":
                depth -= 1
                if depth == 0:
                    items.append(item)
                    break
            if depth == 1 and c == ",":
                items.append(item)
                item = ""
            else:
                item += c
            j += 1
        return [m.group(0) for s in items if (m := re.match(r"\s*\w+", s))]
    m = re.match(r"\w+", text[i:])
    return [m.group(0)] if m else []


def imports(src):
    for file in sorted(src.rglob("*.rs")):
        parts = module_path(src, file)
        top = parts[0] if parts else file.stem
        is_root_file = file.name in ("lib.rs", "main.rs")
        lines = strip_comments(file.read_text())
        joined = "\n".join(lines)
        line_starts = [0]
        for line in lines:
            line_starts.append(line_starts[-1] + len(line) + 1)
        for m in re.finditer(r"\b(crate|(?:super::)+)::?", joined):
            if m.group(1) == "crate":
                start = m.end()
            else:
                # `super::` n times from module `parts` (a mod.rs is its folder's module).
                ups = m.group(1).count("super")
                if ups < len(parts):
                    continue  # stays inside this top-level module
                start = m.end()
            lineno = next(k for k, s in enumerate(line_starts) if s > m.start())
            for root in roots_after(joined, start):
                if root in ("self", "super", "crate") or root == top:
                    continue
                if is_root_file:
                    continue  # lib.rs declares everything; main.rs is the binary
                yield top, root, file, lineno


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
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
            out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default=str(pathlib.Path(__file__).resolve().parent.parent / "src"))
    ap.add_argument("--max-upward", type=int, default=None)
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    src = pathlib.Path(args.src)
    graph, upward, unknown = {}, [], set()
    for top, root, file, line in imports(src):
        if root not in RANK or top not in RANK:
            if not (src / root).is_dir() and not (src / f"{root}.rs").is_file():
                continue  # a crate-level item re-exported by lib.rs (e.g. `crate::Error`)
            unknown.add(root if root not in RANK else top)
            continue
        graph.setdefault(top, set()).add(root)
        if RANK[root] > RANK[top]:
            upward.append(f"{file.relative_to(src.parent)}:{line}: {top} -> {root}")
    cycles = [c for c in sccs(graph) if len(c) > 1]
    bad = cycles or unknown or (args.max_upward is not None and len(upward) > args.max_upward)
    if not args.quiet or bad:
        for u in upward:
            print("upward:", u)
        for c in cycles:
            print("cycle:", " <-> ".join(c))
        for u in sorted(unknown):
            print("not in LAYERS:", u)
    pub = priv = 0
    for file in src.rglob("*.rs"):
        text = file.read_text()
        pub += len(re.findall(r"^\s*pub (?:const |async |unsafe )*fn ", text, re.M))
        priv += len(re.findall(r"^\s*pub\((?:crate|super)\) (?:const |async |unsafe )*fn ", text, re.M))
    print(f"upward imports: {len(upward)}; cycles between top-level modules: {len(cycles)}; "
          f"pub fn: {pub}, pub(crate|super) fn: {priv}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
