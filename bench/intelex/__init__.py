"""``python -m bench.intelex``: the default fit against patched scikit-learn."""
