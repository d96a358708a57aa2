"""docs/architecture.md stays true to the code: its layers are the import order, and every
module it names exists."""
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
