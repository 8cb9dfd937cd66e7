"""The layer contract, read from the code's imports: the server reaches the pod only through
its use cases (`pds.consent`), lower layers never import higher ones, the vendor library stands
alone, and the server's modules import one another without circles.

Every import counts, also those inside functions (made lazily for start-up time) and under
TYPE_CHECKING: they are dependencies all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# module prefix -> prefixes it must not import (a prefix matches itself and its submodules)
FORBIDDEN = {
    "pds.server": (
        "pds.store",  # one door: the store is reached through pds.consent
        "pds.archive",
        "pds.resources.documents",  # writing documents is a use case of pds.consent
        "pds.resources.containers",
        "pds.relay",
    ),
    "pds.consent": ("flask", "werkzeug", "gunicorn", "pds.server", "pds.cli", "pds.relay"),
    # The relay is its own server: it borrows the pod's building blocks (JOSE, callbacks, the
    # engine, the buffered front), never the pod's app, and nothing of the pod needs it.
    "pds.relay": ("pds.server.app", "pds.server.web", "pds.cli", "pds.resources"),
    "pds.archive": ("flask", "werkzeug", "pds.server", "pds.consent", "pds.cli"),
    "pds.resources": (
        "flask",
        "werkzeug",
        "pds.server",
        "pds.consent",
        "pds.archive",
        "pds.cli",
        "pds.relay",
    ),
    "pds.store": (
        "flask",
        "werkzeug",
        "rdflib",
        "pds.server",
        "pds.consent",
        "pds.resources",
        "pds.archive",
        "pds.cli",
        "pds.relay",
    ),
    "pds.schemas": ("flask", "sqlalchemy", "pds.server", "pds.consent", "pds.resources"),
    "vendor_client": ("pds", "flask", "werkzeug", "gunicorn", "sqlalchemy", "pyshacl"),
}
# Names the server must not take even from an allowed package.
FORBIDDEN_NAMES = {"pds.server": {("pds.resources", "Documents"), ("pds.consent", "Store")}}
ALLOWED_NAMES = {("pds.server.app", "pds.consent", "Store")}  # the type of create_app(store=)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, packages: tuple[str, ...] = ("pds", "vendor_client")) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import in the file, resolved.

    `from package import submodule` counts as importing the submodule itself, not the package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    out.append((submodule, None, node.lineno))
                else:
                    out.append((base, alias.name, node.lineno))
    return out


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(found: dict[str, Path]) -> list[str]:
    known = set(found)
    out = []
    for name, path in found.items():
        for layer, banned in FORBIDDEN.items():
            if not _within(name, layer):
                continue
            for target, imported, line in imports(name, path, known):
                where = f"{path.relative_to(ROOT) if ROOT in path.parents else path}:{line}"
                if any(_within(target, b) for b in banned):
                    out.append(f"{where}: {name} imports {target}")
                if (target, imported) in FORBIDDEN_NAMES.get(layer, set()) and (
                    name,
                    target,
                    imported,
                ) not in ALLOWED_NAMES:
                    out.append(f"{where}: {name} imports {imported} from {target}")
    return out


def cycles(found: dict[str, Path], prefix: str) -> list[list[str]]:
    """Import circles among the modules under `prefix` (Tarjan's strongly connected parts)."""
    known = set(found)
    graph = {
        name: sorted({t for t, _n, _l in imports(name, path, known) if t in known and t != name})
        for name, path in found.items()
        if _within(name, prefix)
    }
    graph = {n: [t for t in targets if t in graph] for n, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for node in graph:
        if node not in index:
            visit(node)
    return circles


def test_no_layer_imports_what_it_must_not():
    assert violations(modules(ROOT)) == []


@pytest.mark.parametrize("package", ["pds.server", "pds.consent", "pds.store", "pds.resources"])
def test_no_import_circles(package):
    assert cycles(modules(ROOT), package) == []


# -- the checks themselves catch what they are for -------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return modules(tmp_path, ("pds",))


def test_a_server_module_reaching_into_the_store_is_caught(tmp_path):
    found = _tree(
        tmp_path,
        {
            "pds/__init__.py": "",
            "pds/server/__init__.py": "",
            "pds/server/pages.py": "def f():\n    from pds.store import audit\n",
            "pds/server/ok.py": "from pds.consent import open_pod\n",
            "pds/store/__init__.py": "",
            "pds/store/audit.py": "",
        },
    )
    found_violations = violations(found)
    assert len(found_violations) == 1
    assert "pds.server.pages imports pds.store.audit" in found_violations[0]


def test_a_circle_through_a_package_init_is_caught(tmp_path):
    found = _tree(
        tmp_path,
        {
            "pds/__init__.py": "",
            "pds/server/__init__.py": "",
            "pds/server/web/__init__.py": "bp = 1\nfrom pds.server.web import pages\n",
            "pds/server/web/pages.py": "from pds.server.web import bp\n",
        },
    )
    assert cycles(found, "pds.server") == [["pds.server.web", "pds.server.web.pages"]]
