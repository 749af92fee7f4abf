"""Checks of a core install (`pip install .`, no extras), run by .ci/run.

The estimators work, `import emgmm` loads nothing of the pipeline, the
pipeline's dependencies are not installed, and importing the pipeline says in
one line how to get them. Exits non-zero on the first check that fails.
"""

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

PIPELINE_ONLY = [
    "snakemake",
    "umap-learn",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "jsonschema",
]


def main():
    installed = []
    for dist in PIPELINE_ONLY:
        try:
            installed.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    assert not installed, f"pip install . brought pipeline dependencies: {installed}"

    # the README's check, in a process of its own
    code = (
        "import emgmm, sys; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in {'snakemake','umap','matplotlib'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "[]", (out.stdout, out.stderr)

    import numpy as np

    from emgmm import GaussianMixture, GaussianMixtureEM, mclust

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(6, 1, (150, 2))])
    gm = GaussianMixture(2, random_state=0).fit(X)
    assert gm.converged_ and sorted(np.round(gm.weights_, 1)) == [0.5, 0.5]
    res = GaussianMixtureEM(K=2, num_iterations=20).fit_fast(X)
    assert res["means"].shape == (2, 2)
    table = mclust.bic(X, G=[1, 2], models=["VVV", "EII"])
    assert int(table["VVV"].idxmax()) == 2

    try:
        import emgmm.pipeline  # noqa: F401
    except ImportError as err:
        message = str(err)
        assert "\n" not in message and "pip install 'emgmm[pipeline]'" in message
    else:
        raise AssertionError("emgmm.pipeline imported without its dependencies")
    print("core install: estimators work; nothing of the pipeline installed or loaded")


if __name__ == "__main__":
    main()
