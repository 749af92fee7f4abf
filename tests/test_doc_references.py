"""Files under docs/ that the repository's text points a reader to exist.

resources.smk and configs/large.yaml pointed at a cluster.md under docs after its
content had moved into the README.
"""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SUFFIXES = (".py", ".smk", ".yaml", ".yml", ".md", ".rst", ".toml", ".sh")
DOC = re.compile(r"\bdocs/[\w./-]+\.(?:md|png|svg)\b")


def tracked_text_files():
    names = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        path = REPO / name
        if path.is_file() and (name.endswith(SUFFIXES) or name == "Snakefile"):
            yield path


def test_referenced_docs_exist():
    missing = {
        f"{path.relative_to(REPO)} -> {ref}"
        for path in tracked_text_files()
        for ref in DOC.findall(path.read_text(errors="replace"))
        if not (REPO / ref).exists()
    }
    assert not missing, sorted(missing)
