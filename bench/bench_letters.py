"""Benchmark the letter engine: one letter (target < 150 ms) and 100 letters (< 10 s).

Run: ``python bench/bench_letters.py``. Prints medians over a few repeats; the first
letter (font loading) is measured separately as the cold start. The last two lines go
through the letters service on a demo school: merge data from the database, addressees,
rendering, and archiving (PDF, SHA-256, timeline event, audit) in one transaction.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from pestdesk.letters import (
    Letterhead,
    LetterJob,
    Recipient,
    load_template,
    render_batch,
    render_letter,
    sample_merge_data,
)

LETTERHEAD = Letterhead(
    school_name="Scholengemeenschap De Wierde",
    address_lines=("Postbus 1024", "1800 BA  Alkmaar"),
    contact_line="072 - 511 22 33 · zorg@dewierde.nl",
    footer_text="Stichting Voortgezet Onderwijs Noord-Kennemerland · Wierdelaan 4, Alkmaar",
    place="Alkmaar",
)
RECIPIENT = Recipient(
    ("De ouders/verzorgers van", "Zoë Çelik-van den Brûle"),
    "Kanaalkade",
    "112 A",
    "1811lb",
    "Alkmaar",
)
DATE = dt.date(2026, 11, 24)


def one_letter(code: str = "schorsing") -> float:
    start = time.perf_counter()
    render_letter(load_template(code), sample_merge_data(), RECIPIENT, LETTERHEAD, letter_date=DATE)
    return time.perf_counter() - start


def hundred_letters() -> float:
    codes = ["uitnodiging_gesprek", "schorsing", "contract", "advies_cyber", "verwijdering"]
    jobs = [
        LetterJob(
            load_template(codes[i % len(codes)]), sample_merge_data(), RECIPIENT, LETTERHEAD, DATE
        )
        for i in range(100)
    ]
    start = time.perf_counter()
    render_batch(jobs)
    return time.perf_counter() - start


def service_letters() -> tuple[float, float]:
    """(one letter prepared + rendered from the DB, 100 letters issued and archived)."""
    import tempfile
    from pathlib import Path

    from pestdesk.services import letters
    from pestdesk.services.accounts import actor_for
    from pestdesk.services.demo import generate_demo
    from pestdesk.store.db import create_database
    from pestdesk.store.models import Sanction, User

    with tempfile.TemporaryDirectory() as folder:
        db = create_database(Path(folder) / "bench.pestdesk")
        generate_demo(students=600, years=1, seed=1, today=DATE)
        actor = actor_for(User.get(User.username == "zorg"))
        s = Sanction.select().first()
        times = []
        for _ in range(11):
            start = time.perf_counter()
            plan = letters.prepare(actor, s.case_id, s.student_id, "schorsing", letter_date=DATE)
            plan.render(plan.usable[0])
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        letters.issue(actor, [(plan, plan.usable[0])] * 100)
        batch = time.perf_counter() - start
        db.close()
    return statistics.median(times), batch


def main() -> None:
    cold = one_letter()
    singles = [one_letter() for _ in range(21)]
    batches = [hundred_letters() for _ in range(3)]
    print(f"cold first letter:        {cold * 1000:7.1f} ms")
    print(f"one letter (median/21):   {statistics.median(singles) * 1000:7.1f} ms  (< 150 ms)")
    print(f"100 letters (median/3):   {statistics.median(batches):7.2f} s   (< 10 s)")
    one, batch = service_letters()
    print(f"service: one letter from the DB (median/11): {one * 1000:7.1f} ms  (< 150 ms)")
    print(f"service: 100 letters issued and archived:    {batch:7.2f} s   (< 10 s)")


if __name__ == "__main__":
    main()
