"""docs/architecture.md stays true to the code: its layers are the import order, its module
table lists every module, and every module it names exists."""
import ast
import re

from helpers import ROOT

DOC = (ROOT / "docs" / "architecture.md").read_text()
PACKAGE = ROOT / "policylang"


def layers() -> dict[str, int]:
    section = DOC.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rank = {}
    for line in section.splitlines():
        m = re.match(r"(\d+)\. (.*)$", line)
        if m:
            for name in re.findall(r"`([\w.]+)`", m.group(2)):
                rank[name] = int(m.group(1))
    return rank


def test_every_top_level_module_has_a_layer():
    rank = layers()
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert names <= set(rank), sorted(names - set(rank))


def test_imports_flow_one_way():
    """A module imports only from its own layer or the layers before it."""
    rank = layers()
    against, checked = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts == ["__init__"]:
            continue  # the package's face: re-exports from every layer
        me = parts[0]
        package = ["policylang", *parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                target = package[: len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            else:
                target = node.module.split(".")
                if target[0] != "policylang":
                    continue
            names = [target[1]] if len(target) > 1 else [a.name for a in node.names]
            for name in names:
                if name in rank:
                    checked += 1
                    if rank[name] > rank[me]:
                        against.append(f"{path.relative_to(ROOT)}:{node.lineno}: {me} imports {name}")
    assert checked > 200, checked   # every internal import, not a sample
    assert not against, "\n".join(against)


def test_the_modules_it_names_exist():
    named = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.(?:py|lark)|[a-z_]+\.py)`", DOC))
    assert len(named) > 20
    missing = [n for n in named if not (PACKAGE / n).exists() and not (ROOT / n).exists()
               and not any(p.name == n for p in PACKAGE.rglob(n))]
    assert not missing, missing


def test_the_gateway_class_stays_thin():
    """#34: the Gateway class holds state, lifespan and the endpoints that are not inbound APIs;
    the exchange, admission, accounting and background loops are modules of their own."""
    tree = ast.parse((PACKAGE / "gateway" / "app.py").read_text())
    (gateway,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Gateway"]
    lines = gateway.end_lineno - gateway.lineno + 1
    assert lines <= 300, f"Gateway is {lines} lines"


def module_imports() -> dict[str, dict[str, int]]:
    """The package's import graph: module -> {module it imports: first line}. Every import
    counts, function-local and `if TYPE_CHECKING:` ones too; `from pkg import name` is an
    import of the module pkg.name when there is one, else of pkg."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["policylang", *path.relative_to(PACKAGE).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, dict[str, int]] = {}
    for name, (path, is_package) in modules.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        edges = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here[: len(here) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                if target in modules and target != name:
                    edges.setdefault(target, node.lineno)
    return graph


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (a list of modules, the first repeated at the end) per strongly connected
    component of the graph that has more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for component in components:
        inside = set(component)
        start = min(component)
        # the shortest way back to start, breadth first inside the component
        paths = {start: [start]}
        queue = [start]
        while queue:
            v = queue.pop(0)
            for w in sorted(graph[v]):
                if w == start:
                    cycles.append(paths[v] + [start])
                    queue = []
                    break
                if w in inside and w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
    return cycles


def test_the_import_graph_has_no_cycle():
    """No module imports, directly or through others, a module that imports it: each part can
    be read, tested and replaced from the bottom up."""
    import sys
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    graph = module_imports()
    assert len(graph) >= 90 and sum(map(len, graph.values())) > 300   # the whole package
    cycles = import_cycles(graph)
    described = [
        " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"
        for cycle in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_the_cycle_finder_finds_cycles():
    graph = {"a": {"b": 1}, "b": {"c": 2}, "c": {"a": 3, "d": 4}, "d": {}, "e": {"f": 5}, "f": {"e": 6}}
    assert sorted(import_cycles(graph)) == [["a", "b", "c", "a"], ["e", "f", "e"]]
    assert import_cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) == []


def reachable(graph: dict[str, dict[str, int]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for w in graph[todo.pop()]:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_deriving_facts_needs_no_adapter():
    """runtime/facts.py reads a message's text from chat.py, the format's module, not from the
    adapter layer (which brings httpx and every adapter)."""
    graph = module_imports()
    reached = reachable(graph, "policylang.runtime.facts")
    assert "policylang.chat" in reached
    assert not {m for m in reached if m.startswith("policylang.providers")}, sorted(reached)


def test_the_retry_loop_knows_no_router():
    """attempts.py and stream.py run on an Execution: neither reaches router.py, and no module
    but router.py reads a private attribute of a Router."""
    graph = module_imports()
    for loop in ("policylang.runtime.attempts", "policylang.runtime.stream", "policylang.runtime.execution"):
        assert "policylang.runtime.router" not in reachable(graph, loop), loop
    router = ast.parse((PACKAGE / "runtime" / "router.py").read_text())
    cls = next(n for n in router.body if isinstance(n, ast.ClassDef) and n.name == "Router")
    private = {n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and n.name.startswith("_") and not n.name.startswith("__")}
    private |= {t.attr for n in ast.walk(cls) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Attribute) and t.attr.startswith("_") and not t.attr.startswith("__")}
    assert {"_awaits_feedback", "_complete"} <= private, private
    reads = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "runtime" / "router.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr in private
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                reads.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert not reads, reads


def test_the_gateway_does_not_import_the_compiler():
    """#34: the gateway needed the compiler only for the policy's source hash, which lives with
    the IR now (semantics.ir.source_hash); compiling is the pipeline's, through policy.load."""
    for path in (PACKAGE / "gateway").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                assert "compiler" not in module.split("."), (path.name, module)


def module_table() -> dict[str, set[str]]:
    """The Modules section: folder -> the modules its row names."""
    section = DOC.split("## Modules", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `([\w/]+)/` \| (.*) \|$", line)
        if m:
            folder = "" if m.group(1) == "policylang" else m.group(1) + "/"
            rows[folder] = set(re.findall(r"`(\w+\.py)`", m.group(2)))
    return rows


def test_every_module_is_in_the_module_table_and_every_one_there_exists():
    rows = module_table()
    listed = {folder + name for folder, names in rows.items() for name in names}
    actual = {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}
    folders = {p.parent.relative_to(PACKAGE).as_posix() + "/" for p in PACKAGE.rglob("*.py")}
    assert folders - {"./"} <= set(rows), sorted(folders - {"./"} - set(rows))
    unlisted = {m for m in actual if not m.endswith("__init__.py")} - listed
    assert not unlisted, sorted(unlisted)
    assert not listed - actual, sorted(listed - actual)
    assert len(listed) > 100, len(listed)


def _resolves(dotted: str) -> bool:
    """`pipeline.front_end`, `ir.Rule.decision`, `Router.complete`, `str.lower`: a module of the
    package (by its last one or two names) or a class defined in one, then attributes, fields
    or `self.x =` assignments of each."""
    import builtins
    import dataclasses
    import importlib
    import inspect

    def has(obj, attr: str) -> bool:
        if hasattr(obj, attr) or attr in getattr(obj, "__annotations__", {}):
            return True
        if dataclasses.is_dataclass(obj) and attr in {f.name for f in dataclasses.fields(obj)}:
            return True
        return inspect.isclass(obj) and re.search(rf"self\.{attr}\s*[:=]", inspect.getsource(obj)) is not None

    def walk(obj, attrs) -> bool:
        for a in attrs:
            if not has(obj, a):
                return False
            obj = getattr(obj, a, None)
        return True

    parts = dotted.split(".")
    if hasattr(builtins, parts[0]):
        return walk(getattr(builtins, parts[0]), parts[1:])
    modules = [p.relative_to(ROOT).with_suffix("").parts for p in PACKAGE.rglob("*.py") if p.stem != "__main__"]
    modules = [m[:-1] if m[-1] == "__init__" else m for m in modules]
    for k in range(len(parts) - 1, 0, -1):
        for m in modules:
            if list(m[-k:]) == parts[:k] and walk(importlib.import_module(".".join(m)), parts[k:]):
                return True
    for m in modules:  # a class: imported from the module that defines it, not every module
        path = ROOT.joinpath(*m).with_suffix(".py")
        if not path.exists():
            path = ROOT.joinpath(*m, "__init__.py")
        if re.search(rf"^class {parts[0]}\b", path.read_text(encoding="utf-8"), re.M):
            if walk(getattr(importlib.import_module(".".join(m)), parts[0]), parts[1:]):
                return True
    return False


def test_the_functions_classes_and_fields_it_names_exist():
    named = {n for n in re.findall(r"`([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)(?:\(\))?`", DOC)
             if n.rsplit(".", 1)[1] not in ("py", "mjs", "lark", "md", "json")}
    assert len(named) > 40, len(named)
    missing = sorted(n for n in named if not _resolves(n))
    assert not missing, missing
    assert not _resolves("pipeline.no_such_stage") and not _resolves("Router.no_such_method")
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    types = set(re.findall(r"`([A-Z][a-z]\w*)`", DOC)) - {"None", "True", "False"}
    assert len(types) > 30, len(types)
    undefined = sorted(n for n in types if not re.search(rf"^\s*(class {n}\b|{n}\s*[:=])", source, re.M))
    assert not undefined, undefined


# ---- the operator table is the only place that spells an operator -----------------------------
from policylang.operators import OPERATORS, ROWS

# calls whose string arguments are text, not operators: `name.startswith("<")`, `s.replace("<", …)`
_TEXT_METHODS = {"startswith", "endswith", "replace", "strip", "lstrip", "rstrip", "split",
                 "rsplit", "find", "rfind", "count", "index", "partition"}
# modules whose one-character `<` / `>` are characters of prompts (markup, quoted mail), never tests
_CHARACTERS = {"textmodel.py": {"<", ">"}}


def operator_spellings(source: str, allowed: frozenset = frozenset()) -> list[tuple[int, str]]:
    """(line, spelling) of each Python string constant that spells an operator's name: in a
    comparison, a tuple, a call, a dict, anywhere, except as an argument of a text method or a
    piece of a `+` concatenation or an f-string (text being built), or a spelling in
    `allowed`."""
    tree = ast.parse(source)
    text = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _TEXT_METHODS):
            text.update(id(a) for a in node.args)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            text.update((id(node.left), id(node.right)))
        if isinstance(node, ast.JoinedStr):  # the pieces of an f-string
            text.update(id(v) for v in node.values)
    return [(node.lineno, node.value) for node in ast.walk(tree)  # in no particular order
            if isinstance(node, ast.Constant) and node.value in OPERATORS
            and id(node) not in text and node.value not in allowed]


def test_operator_spellings_are_found_wherever_code_tests_them():
    """The scan itself: every way a module could spell an operator is caught, text is not."""
    planted = '''
if t.op == "matches": pass
if op in ("<", "<="): pass
x = ir.Test(fact, "not in", values)
y = {"contains any": 1}
z = f(op="is present")
ok = name.startswith("<") or s.replace(">", "") or ("<" + tok + ">")
doc = "a test with `in` and `matches` in its words" + f"<{x}>"
'''
    found = sorted(operator_spellings(planted))
    assert found == [(2, "matches"), (3, "<"), (3, "<="), (4, "not in"), (5, "contains any"),
                     (6, "is present")], found


def test_the_operator_table_is_the_only_module_spelling_operators():
    """Adding an operator is its grammar, its row in operators.py and its tests: no other module
    of the package names one (docs/architecture.md, "Adding things")."""
    spelled, scanned = [], 0
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "operators.py":
            continue
        allowed = frozenset(_CHARACTERS.get(path.name, ()))
        scanned += 1
        spelled += [f"{path.relative_to(ROOT)}:{line}: {value!r}"
                    for line, value in operator_spellings(path.read_text(), allowed)]
    for path in sorted(PACKAGE.rglob("*.mjs")):  # the JavaScript runtime: quoted literals
        scanned += 1
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//", 1)[0]
            spelled += [f"{path.relative_to(ROOT)}:{n}: {m.group(2)!r}"
                        for m in re.finditer(r"([\"'])(.*?)\1", code) if m.group(2) in OPERATORS]
    assert scanned > 100, scanned
    assert len(ROWS) == len(OPERATORS) >= 16
    assert not spelled, "\n".join(spelled)


LONGEST = 80  # lines, decorators and docstring included


def long_functions(source: str, path: str = "<source>") -> tuple[int, list[str]]:
    """(functions walked, those over LONGEST lines whose docstring gives no reason): a reason is
    a docstring line starting `Long:` and saying why in a few words (a flat table, a grammar's
    transformer, one straight-line protocol)."""
    walked, unexplained = 0, []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        walked += 1
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines = node.end_lineno - first + 1
        reasons = [ln.strip()[5:].strip() for ln in (ast.get_docstring(node) or "").splitlines()
                   if ln.strip().startswith("Long:")]
        if lines > LONGEST and not any(len(r.split()) >= 3 for r in reasons):
            unexplained.append(f"{path}:{node.lineno}: {node.name} is {lines} lines")
    return walked, unexplained


def test_no_function_is_over_80_lines_without_a_reason_in_its_docstring():
    walked, unexplained = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        n, found = long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        walked += n
        unexplained += found
    assert walked > 1200, walked  # every function of the package, nested ones included
    assert not unexplained, "split them, or say why in a `Long: …` docstring line:\n" + "\n".join(unexplained)


def test_the_long_function_finder_counts_lines_and_reads_reasons():
    body = "".join(f"    x{i} = {i}\n" for i in range(78))
    assert long_functions(f"def f():\n    '''Short.'''\n{body}")[1] == []                 # 80 lines
    assert long_functions(f"@d\ndef f():\n    '''Short.'''\n{body}")[1] == ["<source>:2: f is 81 lines"]
    assert long_functions(f"def f():\n    '''Short.'''\n{body}    y = 0\n")[1] != []
    reason = "'''Short.\n\n    Long: one flat table of flags.\n    '''\n"
    assert long_functions(f"def f():\n    {reason}{body}    y = 0\n")[1] == []
    assert long_functions(f"def f():\n    '''Long: yes.'''\n{body}    y = 0\n")[1] != []   # no reason given
    inner = "".join(f"        x{i} = {i}\n" for i in range(80))
    assert long_functions(f"def f():\n    def g():\n{inner}    return g\n")[0] == 2
    assert len(long_functions(f"def f():\n    def g():\n{inner}    return g\n")[1]) == 2
