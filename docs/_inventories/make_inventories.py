"""Write the intersphinx inventories the documentation links against, offline.

The documentation is built without internet access, so Sphinx's intersphinx
extension cannot download ``objects.inv`` from docs.python.org, numpy.org,
docs.scipy.org, scikit-learn.org, pandas.pydata.org and matplotlib.org.
``docs/conf.py`` instead points each mapping at a local file
``docs/_inventories/<name>.inv`` and runs this script before every build, so
the files always match the tables below.  The links in the built pages go to
the published sites (the base URLs in ``docs/conf.py``); only the lists of
objects are local.

Each table lists exactly the external objects the documentation refers to
(in docstrings, in numpydoc's parameter types and in the Markdown pages),
with the relative URL under which the project publishes it.  The files are
Sphinx inventories, version 2: four header lines, then zlib-compressed lines
``name domain:role priority uri dispname`` (``-`` as dispname repeats the
name), as https://www.sphinx-doc.org documents for intersphinx.

To link a new object, add a line to its project's table (the URL is the part
after the project's base URL in ``docs/conf.py``, as it appears in the
browser on the published page) and build again; for a new project, add a
table here and a mapping in ``intersphinx_mapping``.  With internet access,
``python -m sphinx.ext.intersphinx https://numpy.org/doc/stable/objects.inv``
prints a project's real inventory, to check a URL.

Usage: ``python docs/_inventories/make_inventories.py`` (writes next to this
file).
"""

import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _page(prefix, name):
    """The URI of an object documented on a page of its own, named after it."""
    return f"{prefix}{name}.html#{name}"


# name -> (project, version, [(object, domain:role, uri), ...]); the objects the
# docstrings, numpydoc's parameter types, the pages and the gallery's code name
INVENTORIES = {
    "python": (
        "Python",
        "3",
        [
            # numpydoc's parameter types
            ("None", "py:data", "library/constants.html#None"),
            ("bool", "py:class", "library/functions.html#bool"),
            ("int", "py:class", "library/functions.html#int"),
            ("float", "py:class", "library/functions.html#float"),
            ("str", "py:class", "library/stdtypes.html#str"),
            ("list", "py:class", "library/stdtypes.html#list"),
            ("tuple", "py:class", "library/stdtypes.html#tuple"),
            ("dict", "py:class", "library/stdtypes.html#dict"),
            ("iterable", "std:term", "glossary.html#term-iterable"),
            ("pathlib.Path", "py:class", "library/pathlib.html#pathlib.Path"),
            # the error classes' bases, a docstring
            ("Exception", "py:exception", "library/exceptions.html#Exception"),
            ("ValueError", "py:exception", "library/exceptions.html#ValueError"),
            ("gc.freeze", "py:function", "library/gc.html#gc.freeze"),
            # the gallery's code
            ("io.StringIO", "py:class", "library/io.html#io.StringIO"),
            (
                "importlib.resources.files",
                "py:function",
                "library/importlib.resources.html#importlib.resources.files",
            ),
            (
                "logging.getLogger",
                "py:function",
                "library/logging.html#logging.getLogger",
            ),
            (
                "logging.StreamHandler",
                "py:class",
                "library/logging.handlers.html#logging.StreamHandler",
            ),
            (
                "warnings.catch_warnings",
                "py:class",
                "library/warnings.html#warnings.catch_warnings",
            ),
            (
                "warnings.simplefilter",
                "py:function",
                "library/warnings.html#warnings.simplefilter",
            ),
        ],
    ),
    "numpy": (
        "NumPy",
        "2.4",
        [
            ("numpy.ndarray", "py:class"),
            (
                "numpy.random.RandomState",
                "py:class",
                "reference/random/legacy.html#numpy.random.RandomState",
            ),
            ("array_like", "std:term", "glossary.html#term-array_like"),
            ("numpy.vstack", "py:function"),
            ("numpy.empty", "py:function"),
        ],
    ),
    "scipy": (
        "SciPy",
        "1.17",
        [
            ("scipy.optimize.linear_sum_assignment", "py:function"),
            ("scipy.spatial.distance.cdist", "py:function"),
            ("scipy.stats.multivariate_normal", "py:data"),
        ],
    ),
    "sklearn": (
        "scikit-learn",
        "1.9",
        [
            ("sklearn.mixture.GaussianMixture", "py:class"),
            (
                # a method is an anchor on its class's page
                "sklearn.mixture.GaussianMixture.bic",
                "py:method",
                "modules/generated/sklearn.mixture.GaussianMixture.html"
                "#sklearn.mixture.GaussianMixture.bic",
            ),
            ("sklearn.base.BaseEstimator", "py:class"),
            ("sklearn.base.DensityMixin", "py:class"),
            ("sklearn.datasets.load_digits", "py:function"),
            ("sklearn.datasets.load_iris", "py:function"),
            ("sklearn.exceptions.ConvergenceWarning", "py:class"),
            ("sklearn.metrics.confusion_matrix", "py:function"),
        ],
    ),
    "pandas": (
        "pandas",
        "3.1",
        [
            ("pandas.DataFrame", "py:class"),
        ],
    ),
    "matplotlib": (
        "Matplotlib",
        "3.11",
        [
            ("matplotlib.figure.Figure", "py:class"),
            ("matplotlib.pyplot.subplots", "py:function"),
        ],
    ),
}

# an entry given as (object, domain:role) is documented on a page of its own,
# named after it, in this folder of its project's site
PAGES = {
    "numpy": "reference/generated/",
    "scipy": "reference/generated/",
    "sklearn": "modules/generated/",
    "pandas": "reference/api/",
    "matplotlib": "api/_as_gen/",
}


def inventory_bytes(project, version, entries):
    """One inventory file's bytes: the plain header, then the zlib-compressed lines."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for name, role, uri in sorted(entries):
        priority = -1 if role.startswith("std:") else 1
        lines.append(f"{name} {role} {priority} {uri} -\n")
    return header.encode() + zlib.compress("".join(lines).encode(), 9)


def main(directory=HERE):
    """Write ``<name>.inv`` for every table into ``directory``; return the paths."""
    paths = []
    for name, (project, version, entries) in INVENTORIES.items():
        entries = [
            entry if len(entry) == 3 else (*entry, _page(PAGES[name], entry[0]))
            for entry in entries
        ]
        path = Path(directory) / f"{name}.inv"
        data = inventory_bytes(project, version, entries)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in main():
        print(written)
