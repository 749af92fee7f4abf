"""First-call timing: ``python -m bench.first_call`` (see its ``__main__``)."""
