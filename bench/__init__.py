"""Benchmarks (not part of the test suite): bench.run for pages, bench.orders for order
delivery. See bench/README.md."""


def percentile(values, share):
    """The value below which `share` of `values` lie (nearest rank); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
