"""Statistical disclosure control for the figures: which counts may be shown.

Published figures protect children from being recognised by readers who cannot see the
cases. A count from 1 to 4 is hidden ("<5": primary suppression). Hiding it is not enough
when it can be worked out from what is shown beside it: a row "10, <5, <5, total 12" pins
both hidden cells to 1, and a row "x, <5, total 6" (x being at least 5) gives 5 and 1. So
more counts are hidden (secondary suppression, "x") until no hidden count can be derived
from the shown ones, the relations between them and what the marks themselves say.

A :class:`Ledger` holds every count of one screen or page once (a number shown in two
tables is one quantity), the relations between the counts (these parts add up to that
total; this count is at most that one) and which are hidden. :meth:`Ledger.derivable` is
the audit: it asks, for every hidden count, whether any other value would agree with
everything shown, by propagating bounds over the relations and searching the remaining
choices (a tiny constraint solver: counts are whole numbers, the tables are small).
:meth:`Ledger.suppress` hides the small counts, then keeps hiding one more count beside a
derivable one until the audit finds nothing.

What a reader knows of a hidden count: "<5" is 1 to 4; "x" is 0 or at least 5 (a count
from 1 to 4 would read "<5"). A 0 is hidden only when nothing else is left to hide.

Pure logic: no database, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

THRESHOLD = 5
SHOWN, SMALL, SECONDARY, WITHHELD = 0, 1, 2, 3  # WITHHELD: not shown, any value
UNBOUNDED = 10**12
SEARCH_BUDGET = 400  # nodes per question; beyond it a count is treated as derivable


@dataclass
class Ledger:
    """The counts of one screen or page, their relations and what is hidden."""

    threshold: int = THRESHOLD
    values: list[int] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)
    sums: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    at_most: list[tuple[int, int]] = field(default_factory=list)

    # -- building ------------------------------------------------------------------------
    def add(self, value: int, name: str = "") -> int:
        """A new count (its id); with ``name``, the one count known by that name."""
        if name and name in self.names:
            known = self.names[name]
            if self.values[known] != value:
                raise ValueError(f"{name}: {value} differs from {self.values[known]}")
            return known
        self.values.append(int(value))
        self.marks.append(SHOWN)
        if name:
            self.names[name] = len(self.values) - 1
        return len(self.values) - 1

    def named(self, name: str) -> int:
        return self.names[name]

    def add_sum(self, parts: list[int] | tuple[int, ...], total: int) -> None:
        """The counts ``parts`` add up to the count ``total``."""
        parts = tuple(parts)
        if sum(self.values[p] for p in parts) != self.values[total]:
            raise ValueError(f"parts {parts} do not add up to {total}")
        if parts:
            self.sums.append((parts, total))

    def add_at_most(self, smaller: int, larger: int) -> None:
        if self.values[smaller] > self.values[larger]:
            raise ValueError(f"{smaller} exceeds {larger}")
        if smaller != larger:
            self.at_most.append((smaller, larger))

    # -- what a reader knows -------------------------------------------------------------
    def is_small(self, value: int) -> bool:
        return 0 < value < self.threshold

    def bounds(self) -> tuple[list[int], list[int]]:
        """What a reader knows of each count before combining: exact, 1-4, 0 or at least 5
        (the gap is kept by the search), or anything (withheld)."""
        lo, hi = [], []
        for value, mark in zip(self.values, self.marks, strict=True):
            if mark == SHOWN:
                lo.append(value)
                hi.append(value)
            elif mark == SMALL:
                lo.append(1)
                hi.append(self.threshold - 1)
            else:  # "x": 0 or at least the threshold (the gap is kept by _Component);
                lo.append(0)  # withheld: any value
                hi.append(UNBOUNDED)
        return lo, hi

    # -- the audit -----------------------------------------------------------------------
    def _components(self) -> list[_Component]:
        """The hidden counts grouped by the relations that tie them together, each group
        with its relations over hidden counts only (shown counts are constants there)."""
        lo, hi = self.bounds()
        hidden = [q for q, mark in enumerate(self.marks) if mark]
        if not hidden:
            return []
        rows: list[tuple[list[tuple[int, int]], int]] = []  # sum(coef * count) == constant
        for parts, total in self.sums:
            terms = [(1, p) for p in parts if self.marks[p]]
            constant = -sum(self.values[p] for p in parts if not self.marks[p])
            if self.marks[total]:
                terms.append((-1, total))
            else:
                constant += self.values[total]
            if terms:
                rows.append((terms, constant))
        order: list[tuple[int, int]] = []
        for small, large in self.at_most:
            if self.marks[small] and self.marks[large]:
                order.append((small, large))
            elif self.marks[small]:
                hi[small] = min(hi[small], self.values[large])
            elif self.marks[large]:
                lo[large] = max(lo[large], self.values[small])
        parent = {q: q for q in hidden}

        def find(q: int) -> int:
            while parent[q] != q:
                parent[q] = parent[parent[q]]
                q = parent[q]
            return q

        for terms, _constant in rows:
            for _c, q in terms[1:]:
                parent[find(q)] = find(terms[0][1])
        for small, large in order:
            parent[find(small)] = find(large)
        groups: dict[int, list[int]] = {}
        for q in hidden:
            groups.setdefault(find(q), []).append(q)
        root_of = {q: find(q) for q in hidden}
        by_root: dict[int, list] = {r: [] for r in groups}
        for terms, constant in rows:
            by_root[root_of[terms[0][1]]].append((terms, constant))
        order_by_root: dict[int, list] = {r: [] for r in groups}
        for small, large in order:
            order_by_root[root_of[small]].append((small, large))
        out = []
        for root, members in groups.items():
            index = {q: i for i, q in enumerate(members)}
            out.append(_Component(
                members, [lo[q] for q in members], [hi[q] for q in members],
                [i for i, q in enumerate(members) if self.marks[q] == SECONDARY],
                self.threshold,
                [([(c, index[q]) for c, q in terms], k) for terms, k in by_root[root]],
                [(index[a], index[b]) for a, b in order_by_root[root]]))
        return out

    def derivable(self) -> list[int]:
        """The hidden counts whose value follows from what is shown (the audit).

        A hidden count is safe when some other whole value agrees with every shown count,
        every relation and every mark; a hidden 0 may be known (a 0 is shown anyway). A
        question the search cannot settle within its budget counts as derivable (hiding
        more is the safe side)."""
        out = []
        for component in self._components():
            lo, hi = list(component.lo), list(component.hi)
            if not component.propagate(lo, hi):  # pragma: no cover - the truth always fits
                raise ValueError("the shown figures contradict their relations")
            truth = [self.values[q] for q in component.members]
            free = [lo[i] < hi[i] for i in range(len(truth))]  # may differ: still to show
            shown_other = [False] * len(truth)
            for i, q in enumerate(component.members):
                if truth[i] == 0 or shown_other[i]:  # a 0 may be known: zeros are shown
                    continue
                if not free[i]:
                    out.append(q)
                    continue
                for low, high in ((lo[i], truth[i] - 1), (truth[i] + 1, hi[i])):
                    if low > high:
                        continue
                    sub_lo, sub_hi = list(lo), list(hi)
                    sub_lo[i], sub_hi[i] = low, high
                    solution = component.solve(sub_lo, sub_hi, [SEARCH_BUDGET])
                    if solution:
                        # every count that differs there is not derivable either
                        for k, value in enumerate(solution):
                            shown_other[k] |= value != truth[k]
                        break
                if not shown_other[i]:
                    out.append(q)
        return sorted(out)

    # -- suppression ---------------------------------------------------------------------
    def suppress(self) -> list[int]:
        """Hide the small counts, then more until the audit finds nothing derivable.

        Returns the counts still derivable with every count tied to them hidden already:
        in a tiny selection the marks alone can give a count away (three "<5" parts of a
        "<5" total: each is 1 or 2). The caller withholds what holds them."""
        for q, value in enumerate(self.values):
            if self.marks[q] == SHOWN and self.is_small(value):
                self.marks[q] = SMALL
        stuck: list[int] = []
        while True:
            pinned = [q for q in self.derivable() if q not in stuck]
            if not pinned:
                return stuck
            partner = self._partner(pinned[0])
            if partner is None:
                stuck.append(pinned[0])
                continue
            self.marks[partner] = SECONDARY

    def _relations(self) -> list[tuple[int, ...]]:
        return [(*parts, total) for parts, total in self.sums] + [tuple(p) for p in self.at_most]

    def _partner(self, q: int) -> int | None:
        """The count to hide beside the derivable ``q``: in the relation through ``q`` with
        the fewest hidden counts, its smallest shown non-zero part (else its total; a 0 when
        nothing else is shown there); when every relation through ``q`` is hidden already,
        one step further out."""
        relations = self._relations()
        seen = {q}
        frontier = [q]
        while frontier:
            through = [r for r in relations if any(x in r for x in frontier)]
            ranked = sorted(through, key=lambda r: sum(1 for x in r if self.marks[x]))
            for zero_too in (False, True):  # a 0 only when no other count is left
                for relation in ranked:
                    shown = [x for x in relation
                             if not self.marks[x] and (zero_too or self.values[x] > 0)]
                    if shown:
                        parts = [x for x in shown if x != relation[-1]] or shown
                        return min(parts, key=lambda x: (self.values[x], x))
            nxt = {x for r in through for x in r} - seen
            seen |= nxt
            frontier = list(nxt)
        return None


@dataclass
class _Component:
    """Hidden counts tied together: ``rows`` are sum(coef * count) == constant over them,
    ``order`` pairs (a, b) with a <= b; ``lo``/``hi`` what the marks and shown counts allow."""

    members: list[int]
    lo: list[int]
    hi: list[int]
    gapped: list[int]  # "x" counts: 0 or at least ``threshold``, never in between
    threshold: int
    rows: list[tuple[list[tuple[int, int]], int]]
    order: list[tuple[int, int]]

    def propagate(self, lo: list[int], hi: list[int]) -> bool:
        """Narrow the bounds by every relation until nothing changes; False if none fit."""
        changed = True
        while changed:
            changed = False
            for i in self.gapped:  # an "x" is never 1 to 4
                if 0 < lo[i] < self.threshold:
                    lo[i], changed = self.threshold, True
                if 0 < hi[i] < self.threshold:
                    hi[i], changed = 0, True
                if lo[i] > hi[i]:
                    return False
            for terms, constant in self.rows:
                # the least and the most the terms can add up to
                least = sum(lo[i] if c > 0 else -hi[i] for c, i in terms)
                most = sum(hi[i] if c > 0 else -lo[i] for c, i in terms)
                if least > constant or most < constant:
                    return False
                for c, i in terms:
                    mine_least = lo[i] if c > 0 else -hi[i]
                    mine_most = hi[i] if c > 0 else -lo[i]
                    # c * x_i = constant - (the others), the others within their bounds
                    low = constant - (most - mine_most)
                    high = constant - (least - mine_least)
                    new_lo, new_hi = (low, high) if c > 0 else (-high, -low)
                    new_lo, new_hi = max(lo[i], new_lo), min(hi[i], new_hi)
                    if new_lo > new_hi:
                        return False
                    if new_lo != lo[i] or new_hi != hi[i]:
                        if c > 0:
                            least += new_lo - lo[i]
                            most += new_hi - hi[i]
                        else:
                            least += hi[i] - new_hi
                            most += lo[i] - new_lo
                        lo[i], hi[i] = new_lo, new_hi
                        changed = True
            for a, b in self.order:
                if hi[a] > hi[b]:
                    hi[a], changed = hi[b], True
                if lo[b] < lo[a]:
                    lo[b], changed = lo[a], True
                if lo[a] > hi[a] or lo[b] > hi[b]:
                    return False
        return True

    def solve(self, lo: list[int], hi: list[int], budget: list[int]) -> list[int] | None:
        """Whole numbers within the bounds that satisfy every relation, or None (none, or
        not found within the budget)."""
        budget[0] -= 1
        if budget[0] < 0 or not self.propagate(lo, hi):
            return None
        open_ = [i for i in range(len(lo)) if lo[i] < hi[i]]
        if not open_:
            return lo
        gap = [i for i in self.gapped if lo[i] == 0 and hi[i] >= self.threshold]
        if gap:  # first decide whether an "x" is 0 or at least the threshold
            i = gap[0]
            halves = ((0, 0), (self.threshold, hi[i]))
        else:  # the least value first (it settles most relations at once), then halves
            i = min(open_, key=lambda k: hi[k] - lo[k])
            middle = (lo[i] + 1 + hi[i]) // 2
            halves = ((lo[i], lo[i]), (lo[i] + 1, middle), (middle + 1, hi[i]))
        for low, high in halves:
            if low > high:
                continue
            sub_lo, sub_hi = list(lo), list(hi)
            sub_lo[i], sub_hi[i] = low, high
            solution = self.solve(sub_lo, sub_hi, budget)
            if solution is not None:
                return solution
        return None
