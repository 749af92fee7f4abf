"""Command-line pieces shared by the benchmarks (``python -m bench.*``).

A usage error is one line on stderr and exit status 2
(:class:`OneLineErrorParser`); sizes are ``NxDxK`` (:func:`size`); counts
and durations are checked by :func:`positive`.
"""

import argparse

__all__ = ["OneLineErrorParser", "positive", "size", "sizes_help"]


class OneLineErrorParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose usage error is one line."""

    def error(self, message):
        """A usage error is one line on stderr and exit status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def size(text):
    """Parse ``NxDxK`` (``1e6x64x16``) into ``(N, d, K)`` integers."""
    try:
        n, d, k = (int(float(part)) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"a size must be NxDxK, e.g. 1e6x64x16, got {text!r}"
        ) from None
    if min(n, d, k) < 1 or n < k:
        raise argparse.ArgumentTypeError(
            f"a size needs N >= K >= 1 and d >= 1, got {text!r}"
        )
    return n, d, k


def positive(kind):
    """A parser of ``kind`` (int: >= 1; float: >= 0) for ``type=``."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a number, got {text!r}"
            ) from None
        if value <= 0 if kind is int else value < 0:
            raise argparse.ArgumentTypeError(
                f"must be {'>= 1' if kind is int else '>= 0'}, got {text!r}"
            )
        return value

    return parse


def sizes_help(sizes):
    """``1e6x2x4 1e5x16x8`` for a help text."""
    return " ".join(f"{n:.0e}x{d}x{k}".replace("+0", "") for n, d, k in sizes)
