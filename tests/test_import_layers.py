"""Imports between lungtrack's parts point down the layers (README, Development), and make no cycle.

Every module under lungtrack/ is parsed (not imported); imports at module level, inside functions
and under ``if TYPE_CHECKING`` all count.
"""

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lungtrack"

#: Layer of each top-level module or subpackage of lungtrack ("" is lungtrack/__init__.py).
LAYERS = {
    "": 0, "errors": 0, "settings": 0, "io": 0, "labels": 0, "records": 0, "config_checks": 0, "workflow_config": 0,
    "workflow_scheduler": 0,
    "ingest": 1, "segment": 1, "phantom": 1, "measure": 1,
    "track": 2,
    "report": 3, "evaluate": 3, "export": 3, "train": 3,
    "cli": 4, "workflow_options": 4, "config_doc": 4, "__main__": 4,
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str, package: str) -> str:
    """The top-level part of ``package`` that ``module`` belongs to ("" for the package itself)."""
    return module.split(".")[1] if module.startswith(package + ".") else ""


def _qualified(root: Path, part: str) -> str:
    return f"{root.name}.{part}" if part else root.name


def _is_part(root: Path, name: str) -> bool:
    return (root / f"{name}.py").is_file() or (root / name).is_dir()


def imports(root: Path = PACKAGE):
    """(file, line, importing part, imported part) of every import between modules of the package at ``root``."""
    package = root.name
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        is_package = path.name == "__init__.py"
        source = _part(name, package)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, up level - 1 more
                    anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from package import part` imports that part (other names are the package's own)
                targets = [f"{base}.{alias.name}" if _is_part(root, alias.name) else base for alias in node.names] \
                    if base == package else [base]
            else:
                continue
            for target in targets:
                if target == package or target.startswith(package + "."):
                    yield path, node.lineno, source, _part(target, package)


def layer_problems(root: Path = PACKAGE, layers: dict = LAYERS) -> list[str]:
    """One line per import of a higher layer, per part missing from ``layers``, and per cycle within a layer."""
    problems, edges = [], {}
    for path, line, source, target in imports(root):
        where = f"{path.relative_to(root.parent)}:{line}"
        unknown = [p for p in (source, target) if p not in layers]
        if unknown:
            problems.append(f"{where}: {_qualified(root, unknown[0])} has no layer in LAYERS")
        elif layers[target] > layers[source]:
            problems.append(f"{where}: {_qualified(root, source)} (layer {layers[source]}) imports "
                            f"{_qualified(root, target)} (layer {layers[target]})")
        elif source != target and layers[target] == layers[source]:
            edges.setdefault(source, {}).setdefault(target, where)
    try:
        graphlib.TopologicalSorter({s: set(t) for s, t in edges.items()}).prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1][::-1]  # graphlib lists each part before the one that imports it
        steps = [f"{edges[a][b]}: {_qualified(root, a)} imports {_qualified(root, b)}"
                 for a, b in zip(cycle, cycle[1:], strict=False)]
        problems.append("import cycle within a layer: " + "; ".join(steps))
    return problems


def test_every_import_points_down_the_layers():
    assert list(imports()), "no imports found: the parser looks in the wrong place"
    problems = layer_problems()
    assert not problems, "\n".join(problems)


def _package(tmp_path, files: dict[str, str]) -> Path:
    root = tmp_path / "lungtrack"
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_an_upward_import_is_named_by_file_and_line(tmp_path):
    root = _package(tmp_path, {
        "io/__init__.py": "", "track/__init__.py": "",
        "measure/__init__.py": "", "report/__init__.py": "",
        "measure/cohort.py": "import numpy\n\n\ndef f():\n    from lungtrack.track import change\n",
        "track/pipeline.py": "from ..report.slices import slice_png\nfrom lungtrack.io import atomic\n",
    })
    assert layer_problems(root) == [
        "lungtrack/measure/cohort.py:5: lungtrack.measure (layer 1) imports lungtrack.track (layer 2)",
        "lungtrack/track/pipeline.py:1: lungtrack.track (layer 2) imports lungtrack.report (layer 3)",
    ]


def test_a_cycle_within_a_layer_is_named(tmp_path):
    root = _package(tmp_path, {
        "measure/__init__.py": "", "ingest/__init__.py": "", "segment/__init__.py": "",
        "measure/cohort.py": "from lungtrack.ingest.status import FAILURE_COLUMNS\n",
        "ingest/status.py": "from lungtrack.segment import body\n",
        "segment/body.py": "import lungtrack.measure.volumes\n",
    })
    (problem,) = layer_problems(root)
    assert problem.startswith("import cycle within a layer: ")
    for step in ["lungtrack/measure/cohort.py:1: lungtrack.measure imports lungtrack.ingest",
                 "lungtrack/ingest/status.py:1: lungtrack.ingest imports lungtrack.segment",
                 "lungtrack/segment/body.py:1: lungtrack.segment imports lungtrack.measure"]:
        assert step in problem


@pytest.mark.parametrize("text", ["from lungtrack import cli\n", "from . import cli\n"])
def test_a_part_imported_from_the_package_counts(tmp_path, text):
    root = _package(tmp_path, {"cli/__init__.py": "", "settings.py": text})
    assert layer_problems(root) == ["lungtrack/settings.py:1: lungtrack.settings (layer 0) imports lungtrack.cli "
                                    "(layer 4)"]
