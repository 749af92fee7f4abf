"""The library and the pipeline: what each may import from the other.

The library (emgmm and emgmm.mclust) never imports the pipeline; the
pipeline (emgmm.pipeline, workflow/scripts, workflow/rules, bench) imports
only the library's public names: no ``emgmm._x`` module, no ``.._x``.
"""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "emgmm"
PRIVATE = re.compile(r"^\s*(from\s+(emgmm\._\w+|\.\._\w+)|import\s+emgmm\._\w+)", re.M)
PIPELINE = re.compile(
    r"^\s*(from\s+(emgmm\.pipeline|\.pipeline)|import\s+emgmm\.pipeline)", re.M
)


def _files(*globs):
    for pattern in globs:
        yield from sorted(REPO.glob(pattern))


def test_the_pipeline_imports_only_public_library_names():
    offenders = [
        f"{path.relative_to(REPO)}: {m.group(0).strip()}"
        for path in _files(
            "src/emgmm/pipeline/*.py",
            "workflow/scripts/*.py",
            "workflow/rules/*.smk",
            "Snakefile",
            "bench/**/*.py",
        )
        for m in PRIVATE.finditer(path.read_text())
    ]
    assert not offenders, offenders


def test_the_library_never_imports_the_pipeline():
    library = [p for p in SRC.rglob("*.py") if "pipeline" not in p.parts]
    assert library
    offenders = [
        str(path.relative_to(REPO))
        for path in library
        if PIPELINE.search(path.read_text())
    ]
    assert not offenders, offenders


def test_import_emgmm_loads_nothing_of_the_pipeline():
    # (pyarrow is left out: pandas imports it whenever it is installed)
    code = (
        "import emgmm, sys; from emgmm import GaussianMixture, mclust, criteria; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'snakemake', 'umap', 'matplotlib', 'yaml', 'jsonschema'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
