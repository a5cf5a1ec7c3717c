"""The floors of docs/architecture.md, read from the source: the data layer
imports no upper floor, and the upper floors use only its public names."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
UPPER = ("brain", "server")
#: the facade's lazy forwarders to the front doors (launch_app, the dsc entry point)
FORWARDERS = {("dataset_core/__init__.py", m) for m in ("server.session", "server.cli")}


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_modules(tree: ast.AST, path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = path.relative_to(ROOT).with_suffix("").parts[: -node.level]
                name = ".".join(base + ((node.module,) if node.module else ()))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def test_the_data_layer_imports_neither_brain_nor_server():
    bad = []
    for path in sources("dataset_core"):
        rel = path.relative_to(ROOT).as_posix()
        for line, name in imported_modules(ast.parse(path.read_text()), path):
            top = name.split(".")[0]
            if top in UPPER and (rel, name) not in FORWARDERS:
                bad.append(f"{rel}:{line} imports {name}")
    assert not bad, "the data layer reaches up:\n" + "\n".join(bad)


def test_the_data_layer_imports_with_brain_and_server_blocked():
    code = f"""
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {UPPER!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
import dataset_core
for m in pkgutil.walk_packages(dataset_core.__path__, "dataset_core."):
    importlib.import_module(m.name)
dataset_core.F("x") > 1
print("ok", len([m for m in sys.modules if m.startswith("dataset_core")]))
"""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok")


def defined_private_names(package: str) -> set[str]:
    """Underscore names a package defines: functions, classes, attributes, module globals."""
    names = set()
    for path in sources(package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_upper_floors_use_only_public_names_of_dataset_core():
    core = defined_private_names("dataset_core")
    bad = []
    for package in UPPER:
        own = defined_private_names(package)
        for path in sources(package):
            rel = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "dataset_core"
                ):
                    bad += [f"{rel}:{node.lineno} imports {node.module}.{a.name}"
                            for a in node.names if a.name.startswith("_")]  # fmt: skip
                    if any(p.startswith("_") for p in node.module.split(".")):
                        bad.append(f"{rel}:{node.lineno} imports {node.module}")
                elif isinstance(node, ast.Attribute) and node.attr in core - own:
                    bad.append(f"{rel}:{node.lineno} uses .{node.attr}")
            imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
            imported = {
                a.asname or a.name.split(".")[0]
                for n in imports
                for a in n.names
                if (getattr(n, "module", None) or a.name).startswith("dataset_core")
            }
            for node in ast.walk(tree):  # e.g. DatasetDocument._get_collection(): mongoengine's
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id in imported and node.attr.startswith("_")
                        and not node.attr.startswith("__")):  # fmt: skip
                    bad.append(f"{rel}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not bad, "private names of dataset_core used above it:\n" + "\n".join(bad)


def test_a_private_use_is_caught():
    """The rule above finds what it is meant to (so it cannot pass by reading nothing)."""
    core = defined_private_names("dataset_core")
    assert {"_dataset", "_aggregate", "_set_values_by_id", "_doc"} <= core
