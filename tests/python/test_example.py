"""docs/python.md's example, run block by block in one namespace as a notebook would."""

import re

from conftest import SOURCE_DIR


def test_docs_python_example_runs():
    text = (SOURCE_DIR / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)
    assert namespace["base"].status in ("optimal", "feasible")
