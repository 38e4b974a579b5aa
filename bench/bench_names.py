"""Benchmark the name detector on the 2,000-student, 10-year demo (target: < 20 ms over a
case's text).

Run: ``.venv/bin/python bench/bench_names.py [--runs 5] [--db PATH]``. Prints the time to
build the school's index (every student and guardian; once per school, then cached), and
the median time to find every name in one case's text (summary, description, timeline
titles and bodies, agreements, agenda questions and minutes) for the case with the most text
and the median over 200 cases.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_arguments, median_ms  # noqa: E402


def case_text(case_id: int) -> str:
    from pestdesk.store import models as m

    case = m.Case.get_by_id(case_id)
    parts = [case.summary, case.description, case.close_reason]
    parts += [f"{e.title}\n{e.body}" for e in m.Event.select().where(m.Event.case == case_id)]
    parts += [a.description for a in m.Agreement.select().where(m.Agreement.case == case_id)]
    parts += [f"{i.question}\n{i.minutes}\n{i.decision}"
              for i in m.AgendaItem.select().where(m.AgendaItem.case == case_id)]
    return "\n".join(p for p in parts if p)


def main() -> None:
    args = bench_arguments(runs=5)
    from pestdesk.domain.names import NameIndex, common_words
    from pestdesk.services import names
    from pestdesk.store import models as m
    from pestdesk.store.db import open_database

    open_database(args.db, verify=False)
    t = time.perf_counter()
    common_words()
    print(f"load the word list (once per process)   : {(time.perf_counter() - t) * 1000:7.1f} ms")
    people = names.people()
    t = time.perf_counter()
    NameIndex(people)
    print(f"build the index ({len(people)} people)      : "
          f"{(time.perf_counter() - t) * 1000:7.1f} ms")
    index = names.school_index()
    print(f"school_index() when cached              : "
          f"{median_ms(names.school_index, args.runs):7.1f} ms")
    ids = [c.id for c in m.Case.select(m.Case.id).order_by(m.Case.id).limit(200)]
    texts = [case_text(i) for i in ids]
    longest = max(texts, key=len)
    # a case text as a care coordinator writes it: the demo's texts plus names in free text
    sample = m.Student.select().limit(30)
    written = longest + "\n" + " ".join(
        f"{s.first_name} zei dat {s.first_name}s tas door {s.tussenvoegsel} {s.last_name} "
        f"werd weggegooid." for s in sample)
    ms = median_ms(lambda: index.find(written), args.runs * 4, warm_up=True)
    print(f"find names, longest case + 30 names     : {ms:7.2f} ms "
          f"({len(written):,} characters; target < 20 ms)")
    per_case = [median_ms(lambda t=t: index.find(t), 3) for t in texts]
    print(f"find names, median over {len(texts)} cases      : "
          f"{statistics.median(per_case):7.2f} ms (max {max(per_case):.2f} ms)")


if __name__ == "__main__":
    main()
