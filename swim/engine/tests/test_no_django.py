"""The engine never imports Django: it must run without it, in a worker or a notebook."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[1]


def engine_modules() -> list[str]:
    """Every module of swim.engine except the tests."""
    modules = []
    for path in sorted(ENGINE.rglob("*.py")):
        relative = path.relative_to(ENGINE.parents[1]).with_suffix("")
        if "tests" in relative.parts:
            continue
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append(".".join(parts))
    return modules


def test_it_finds_the_engine_modules() -> None:
    modules = engine_modules()
    assert "swim.engine" in modules
    assert "swim.engine.data" in modules
    assert "swim.engine.signals.combine" in modules


def test_no_engine_module_imports_django() -> None:
    """Import every engine module in a fresh interpreter where importing Django fails."""
    script = textwrap.dedent(
        """
        import importlib, importlib.abc, sys

        class NoDjango(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "django" or name.startswith("django."):
                    raise ImportError(f"the engine imported {name}")
                return None

        sys.meta_path.insert(0, NoDjango())
        for module in sys.argv[1:]:
            importlib.import_module(module)
        leaked = sorted(name for name in sys.modules if name.split(".")[0] == "django")
        assert not leaked, leaked
        print(len(sys.argv) - 1)
        """
    )
    modules = engine_modules()
    result = subprocess.run(
        [sys.executable, "-c", script, *modules],
        cwd=ENGINE.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ENGINE.parents[1])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(modules))
