"""Checks the pipeline e2e tests share on a report's summary.json and summary.md (orchestrator/pipeline)."""
import sys


def check_comparison(comparisons, table, name, items):
    """Ends the test with a FAIL line unless the paired comparison `name` (summary.json's comparisons, by name)
    is there, pairs `items` shared items, is consistent (difference = accuracy_b - accuracy_a, 0 <= p <= 1,
    standard error >= 0) and is printed in summary.md (`table`)."""
    c = comparisons.get(name)
    if c is None:
        sys.exit(f"FAIL: no comparison {name!r} in summary.json: {sorted(comparisons)}")
    if not (c["items"] == items and 0 <= c["p_value"] <= 1 and c["std_error"] >= 0 and
            abs(c["difference"] - (c["accuracy_b"] - c["accuracy_a"])) < 1e-9):
        sys.exit(f"FAIL: bad comparison {c}")
    if f"| {name} |" not in table:
        sys.exit(f"FAIL: summary.md lacks the comparison {name}")
