"""Sphinx configuration of emgmm's documentation.

Build (warnings are errors), from the repository root::

    sphinx-build -W -b html docs docs/_build/html

The build runs offline: the intersphinx inventories are local files written
by ``_inventories/make_inventories.py`` (run below, before every build); the
gallery's examples use only data shipped with installed packages.
"""

import os
import sys
from pathlib import Path

import emgmm

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_inventories"))

import make_inventories  # noqa: E402

make_inventories.main()

# The gallery's examples (and matplotlib in autodoc) draw without a display.
os.environ.setdefault("MPLBACKEND", "Agg")

# -- Project ------------------------------------------------------------------

project = "emgmm"
author = "emgmm contributors"
copyright = "2026, emgmm contributors"
version = emgmm.__version__
release = emgmm.__version__

# -- General ------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.intersphinx",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_inventories",
    "examples",  # the gallery's sources; sphinx-gallery writes auto_examples/
    "mclust_faithful.py",
    "**/*.ipynb",
]

# -- autodoc / autosummary / numpydoc ------------------------------------------

autosummary_generate = True
autosummary_ignore_module_all = False  # a module's page lists its __all__
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections give the types

numpydoc_show_class_members = False  # autosummary lists the members
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()  # no strict docstring validation
numpydoc_xref_param_type = True
# Link only the type names below (and numpydoc's defaults: int, float, str,
# list, dict, None, ndarray, array-like, ...); every other word of a type is
# plain text.
numpydoc_xref_ignore = "all"
numpydoc_xref_aliases = {
    "bool": ":class:`python:bool`",
    "boolean": ":class:`python:bool`",
    "DataFrame": "pandas.DataFrame",
    "pandas.DataFrame": "pandas.DataFrame",
    "Figure": "matplotlib.figure.Figure",
    "matplotlib.figure.Figure": "matplotlib.figure.Figure",
    "Path": "pathlib.Path",
    "RandomState": "numpy.random.RandomState",
    "GaussianMixture": "emgmm.GaussianMixture",
    "EMControl": "emgmm.mclust.EMControl",
    "MEFit": "emgmm.mclust.MEFit",
    "InputError": "emgmm.InputError",
    "SingularCovarianceError": "emgmm.SingularCovarianceError",
}

# -- intersphinx (offline: local inventories, links to the published sites) -----

intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_inventories/python.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_inventories/numpy.inv"),
    "scipy": ("https://docs.scipy.org/doc/scipy/", "_inventories/scipy.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_inventories/sklearn.inv"),
    "pandas": ("https://pandas.pydata.org/docs/", "_inventories/pandas.inv"),
    "matplotlib": ("https://matplotlib.org/stable/", "_inventories/matplotlib.inv"),
}
intersphinx_timeout = 1

# -- MyST -----------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # links to sections: page.md#section-title

# -- sphinx-gallery -------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    # link the examples' calls to the API pages (emgmm) and, through the
    # inventories above, to the other projects' documentation
    "doc_module": ("emgmm",),
    "reference_url": {"emgmm": None},
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "remove_config_comments": True,
    "within_subsection_order": "ExampleTitleSortKey",
    "show_memory": False,
    "abort_on_example_error": True,
    # each example's page states its own run time; no separate (CDN-styled) page
    "write_computation_times": False,
}

# -- HTML -------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"emgmm {release}"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
}


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods.

    scikit-learn adds them to every estimator whose ``fit`` or ``score``
    takes ``sample_weight`` (metadata routing); their docstrings are
    scikit-learn's, written for its own site.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _drop_object_base(app, name, obj, options, bases):
    """Say "Bases: ..." only for classes that have a base besides ``object``."""
    if object in bases:
        bases.remove(object)


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
    app.connect("autodoc-process-bases", _drop_object_base)
