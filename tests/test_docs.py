"""The code on the documentation pages runs as written, and prints what its ``# -> ...`` comments say."""
import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXPECTED = re.compile(r"^\s*print\(.*#\s*->\s*(.+?)\s*$")


def python_blocks(page):
    """The ```python blocks of ``docs/<page>``, in order (the pattern tests/test_readme.py uses)."""
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)


def run_page(page, stdout=None):
    """Run the page's ```python blocks in one namespace, each at its own line numbers in the page (so
    tracebacks, and the file:line that ``arg_scope`` records, point into the page). Returns the namespace."""
    text = (DOCS / page).read_text()
    namespace = {}  # one reader, one session: later blocks use earlier names
    for match in re.finditer(r"```python\n(.*?)```", text, re.S):
        padding = "\n" * text.count("\n", 0, match.start(1))
        with contextlib.redirect_stdout(stdout or io.StringIO()):
            exec(compile(padding + match.group(1), f"docs/{page}", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("page", ["mindspore.md", "migration.md"])
def test_page_code_runs_and_prints_what_it_says(page):
    blocks = python_blocks(page)
    assert blocks
    expected = [m.group(1) for block in blocks for m in map(EXPECTED.match, block.splitlines()) if m]
    out = io.StringIO()
    run_page(page, out)
    assert out.getvalue().splitlines() == expected


def test_mindspore_page_shows_the_seed_examples():
    text = "".join(python_blocks("mindspore.md"))
    for shape in ("(1, 64, 19, 53)", "(1, 64, 16, 50)", "(1, 64, 50, 152)"):
        assert f"# -> {shape}" in text
