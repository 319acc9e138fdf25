"""scopes/ is a leaf: it imports only the standard library, numpy and slimlayers.validation, without cycles."""
import ast
import subprocess
import sys
from pathlib import Path

SCOPES = Path(__file__).resolve().parent.parent / "slimlayers" / "scopes"
ROOT = SCOPES.parent.parent


def _imports(path):
    """``[(module, at_module_level)]`` of every import statement in ``path``, relative ones as written."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("." * node.level + (node.module or ""), id(node) in top))
    return found


def test_scopes_imports_only_stdlib_numpy_validation_and_itself_at_module_level():
    for path in SCOPES.glob("*.py"):
        for module, at_top in _imports(path):
            assert at_top, f"{path.name}: import of {module} inside a function or block"
            first = module.split(".")[0]
            allowed = (first in sys.stdlib_module_names or first == "numpy" or module == "..validation"
                       or (module.startswith(".") and not module.startswith("..")))
            assert allowed, f"{path.name} imports {module}"


def test_scopes_modules_import_each_other_without_cycles():
    graph = {p.stem: {m[1:] for m, _ in _imports(p) if m.startswith(".") and not m.startswith("..")}
             for p in SCOPES.glob("*.py")}
    done, active = set(), []

    def visit(name):
        assert name not in active, f"import cycle: {' -> '.join(active + [name])}"
        if name in done:
            return
        active.append(name)
        for dep in graph.get(name, ()):
            visit(dep)
        active.pop()
        done.add(name)

    for name in graph:
        visit(name)


def _fresh_import(code):
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_importing_scopes_does_not_import_layers():
    out = _fresh_import("import sys, slimlayers.scopes; print('slimlayers.layers' in sys.modules)")
    assert out.strip() == "False"


def test_tf_layers_face_imports_in_any_order():
    for first in ("slimlayers.tf_layers", "slimlayers.layers", "slimlayers"):
        out = _fresh_import(f"import {first}\nimport slimlayers as sl\n"
                            "print(sl.layers.conv2d is sl.tf_layers.conv2d, sl.layers.dense is sl.tf_layers.dense)")
        assert out.split() == ["True", "True"], first
    out = _fresh_import("from slimlayers.layers import conv2d_transpose\nimport slimlayers.layers as l\n"
                        "print(conv2d_transpose.__module__, 'conv2d' in dir(l))")
    assert out.split() == ["slimlayers.tf_layers", "True"]
