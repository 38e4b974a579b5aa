"""The disclosure audit against brute force: on many random small tables, a hidden count is
reported derivable exactly when every whole-number completion consistent with what is shown
gives it the same value; and suppression leaves nothing derivable."""

from __future__ import annotations

import itertools
import random

import pytest

from pestdesk.domain.disclosure import SECONDARY, SHOWN, SMALL, THRESHOLD, Ledger


def brute_force(ledger: Ledger, cap: int) -> set[int]:
    """Hidden non-zero counts with one possible value, by trying every value up to ``cap``."""
    hidden = [q for q, mark in enumerate(ledger.marks) if mark]
    ranges = [range(1, THRESHOLD) if ledger.marks[q] == SMALL
              else [0, *range(THRESHOLD, cap + 1)] for q in hidden]  # "x": 0 or 5 and up
    seen: dict[int, set[int]] = {q: set() for q in hidden}
    for combo in itertools.product(*ranges):
        values = list(ledger.values)
        for q, v in zip(hidden, combo, strict=True):
            values[q] = v
        if all(sum(values[p] for p in parts) == values[t] for parts, t in ledger.sums) and all(
                values[a] <= values[b] for a, b in ledger.at_most):
            for q, v in zip(hidden, combo, strict=True):
                seen[q].add(v)
    return {q for q, options in seen.items() if len(options) == 1 and ledger.values[q]}


def random_table(rng: random.Random) -> Ledger:
    """A rows x columns table of small counts with row and column totals, partly hidden."""
    rows, cols = rng.randint(1, 3), rng.randint(1, 2)
    ledger = Ledger()
    cells = [[ledger.add(rng.choice([0, 1, 2, 3, 4, 5, 6, 8])) for _c in range(cols)]
             for _r in range(rows)]
    row_totals = [ledger.add(sum(ledger.values[q] for q in line)) for line in cells]
    col_totals = [ledger.add(sum(ledger.values[cells[r][c]] for r in range(rows)))
                  for c in range(cols)]
    grand = ledger.add(sum(ledger.values[q] for q in row_totals))
    for line, total in zip(cells, row_totals, strict=True):
        ledger.add_sum(line, total)
    for c, total in enumerate(col_totals):
        ledger.add_sum([cells[r][c] for r in range(rows)], total)
    ledger.add_sum(row_totals, grand)
    if rows > 1 and rng.random() < 0.5:  # a count known to be at most another
        a, b = cells[0][0], cells[1][0]
        if ledger.values[a] <= ledger.values[b]:
            ledger.add_at_most(a, b)
    for q, value in enumerate(ledger.values):
        if 0 < value < THRESHOLD:
            ledger.marks[q] = SMALL
        elif value >= THRESHOLD and rng.random() < 0.35:
            ledger.marks[q] = SECONDARY
    return ledger


@pytest.mark.parametrize("seed", range(6))
def test_the_audit_agrees_with_brute_force(seed):
    rng = random.Random(seed)
    checked = 0
    for _ in range(60):
        ledger = random_table(rng)
        hidden = sum(1 for mark in ledger.marks if mark)
        if not hidden or hidden > 5:
            continue
        cap = max(ledger.values) + 2
        assert set(ledger.derivable()) == brute_force(ledger, cap), (ledger.values, ledger.marks)
        checked += 1
    assert checked > 10


@pytest.mark.parametrize("seed", range(6))
def test_suppression_leaves_nothing_derivable(seed):
    rng = random.Random(100 + seed)
    for _ in range(60):
        ledger = random_table(rng)
        ledger.marks = [SHOWN] * len(ledger.marks)
        stuck = ledger.suppress()
        assert set(ledger.derivable()) == set(stuck)
        for q in stuck:  # given away by the marks alone: nothing tied to it is shown
            tied = {x for parts, t in ledger.sums if q in (*parts, t) for x in (*parts, t)}
            assert all(ledger.marks[x] or not ledger.values[x] for x in tied)
        for value, mark in zip(ledger.values, ledger.marks, strict=True):
            assert (mark == SMALL) == (0 < value < THRESHOLD)  # "<5" means 1 to 4, always
            assert mark != SECONDARY or not 0 < value < THRESHOLD  # "x" is never 1 to 4
        hidden = sum(1 for mark in ledger.marks if mark)
        if hidden and hidden <= 5:
            assert brute_force(ledger, max(ledger.values) + 2) == set(stuck)


def test_the_issue_examples_are_caught_and_fixed():
    # "10, <5, <5, total 12" pins both hidden cells to 1
    ledger = Ledger()
    cells = [ledger.add(v) for v in (10, 1, 1)]
    total = ledger.add(12)
    ledger.add_sum(cells, total)
    ledger.marks[cells[1]] = ledger.marks[cells[2]] = SMALL
    assert ledger.derivable() == cells[1:]
    ledger.suppress()
    assert ledger.marks[cells[0]] == SECONDARY and not ledger.derivable()
    # "x, <5, total 6": x is at least 5, so 5 and 1
    ledger = Ledger()
    a, b, total = ledger.add(5), ledger.add(1), ledger.add(6)
    ledger.add_sum([a, b], total)
    ledger.marks[a], ledger.marks[b] = SECONDARY, SMALL
    assert ledger.derivable() == [a, b]
    ledger.suppress()
    assert ledger.marks[total] == SECONDARY and not ledger.derivable()


def test_a_named_count_is_one_quantity():
    ledger = Ledger()
    first = ledger.add(12, "cases")
    assert ledger.add(12, "cases") == first
    with pytest.raises(ValueError):
        ledger.add(13, "cases")  # one source per number: a second count must agree
