"""The year report PDF holds the same (masked) numbers as the figures, which match SQL."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest

from pestdesk.letters.year_report import render_year_report
from pestdesk.services import figures as F
from pestdesk.services.base import SYSTEM
from pestdesk.services.demo import generate_demo
from pestdesk.store.db import create_database

TODAY = dt.date(2026, 3, 15)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    db = create_database(tmp_path_factory.mktemp("yr") / "demo.sqlite")
    generate_demo(students=300, years=3, seed=9, today=TODAY)
    yield db
    db.close()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_year_report_holds_the_figures_numbers(school):
    pdf = F.year_report_pdf(SYSTEM, 2024)
    text = text_of(pdf)
    (reports, cyber), = school.execute_sql("""SELECT count(*), sum(is_cyber) FROM "case"
        WHERE is_signal = 0 AND reported_on BETWEEN '2024-08-01' AND '2025-07-31'""").fetchall()
    figures = F.compute_figures(SYSTEM, F.Period.school_year(2024), granularity="month")
    assert figures["over_time"].total[0] == reports and figures["over_time"].total[1] == cyber
    assert F._show(reports, 0) in text and F._show(cyber, 0) in text
    assert "Demo College (fictief)" in text and "2024-2025" in text
    for table in figures.tables.values():
        assert table.title in text.replace("\n", " ")
        for row in table.shown_rows(shared=True):
            # every number of every table is printed (labels may wrap, numbers do not)
            for cell in row[1:]:
                assert cell in text, (table.key, row)
    flat = " ".join(text.split())
    for sentence in figures.summary(shared=True):
        assert " ".join(sentence.split()) in flat  # the summary, word for word


def test_small_counts_never_reach_the_pdf(school):
    (class_id,), = school.execute_sql(
        "SELECT id FROM school_class WHERE name = '2B'").fetchall()  # at school in 2024-25
    filters = F.FigureFilters(class_id=class_id)
    figures = F.compute_figures(SYSTEM, F.Period.school_year(2024), filters, "month")
    small = [(t.key, t.row_labels[r]) for t in figures.tables.values()
             for r, row in enumerate(t.values) for c in t.count_columns if 0 < (row[c] or 0) < 5]
    assert small, "the selection should hold small counts"
    pdf = render_year_report(F.year_report_data(figures, "Testschool"),
                             made_on=dt.date(2025, 8, 1))
    text = text_of(pdf)
    assert F.MASK in text
    lines = [line for line in text.splitlines() if any(lab in line for _k, lab in small)]
    for line in lines:
        last = line.split()[-1]
        assert not (last.isdigit() and 0 < int(last) < 5), line


def test_pdf_pages_have_header_and_page_numbers(school):
    figures = F.compute_figures(SYSTEM, F.Period.school_year(2024), granularity="month")
    pdf = render_year_report(F.year_report_data(figures, "Testschool"),
                             made_on=dt.date(2025, 8, 1))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert "Testschool" in page_text
        assert f" {number}" in page_text.splitlines()[-1] or str(number) in page_text
    assert reader.metadata.title and "2024-2025" in reader.metadata.title


def test_the_renderer_gets_plain_masked_data(school):
    (class_id,), = school.execute_sql(
        "SELECT id FROM school_class WHERE name = '2B'").fetchall()  # at school in 2024-25
    figures = F.compute_figures(SYSTEM, F.Period.school_year(2024),
                                F.FigureFilters(class_id=class_id), "month")
    report = F.year_report_data(figures, "Testschool")
    assert report.scope == ["klas 2B"] and report.period_label == "2024-2025"
    assert [t.title for t in report.tables] == [t.title for t in figures.tables.values()]
    masked = 0
    for table, source in zip(report.tables, figures.tables.values(), strict=True):
        assert table.rows == source.shown_rows(shared=True)
        for series, marks, col in zip(table.chart_series, table.chart_marks,
                                      source.chart_columns, strict=True):
            for value, mark, row in zip(series, marks, source.chart_rows(), strict=True):
                if source.masked[row][col]:
                    masked += 1
                    assert value is None  # never drawn as 0 ...
                    assert mark == source.text(row, col, shared=True)  # ... but marked
                else:
                    assert value == float(source.values[row][col] or 0) and mark == ""
    assert masked, "the selection should mask some charted counts"


def test_the_report_of_a_running_year_states_its_real_range(school, tmp_path):
    from pestdesk import clock

    clock.set_today(dt.date(2025, 12, 3))
    try:
        pdf = F.year_report_pdf(SYSTEM, 2025)
    finally:
        clock.set_today(None)
    text = " ".join(text_of(pdf).split())
    assert "1 augustus 2025 tot en met 3 december 2025" in text
    assert "31 juli 2026" not in text
    assert ("In dezelfde periode een jaar eerder (1 augustus 2024 tot en met "
            "3 december 2024)") in text
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert "2025-2026 tot en met 3 december 2025" in reader.metadata.title


def test_hidden_counts_are_marked_in_the_charts(school, tmp_path):
    """The hatched stubs carry the mark: the chart's text holds one "<5"/"x" per hidden
    charted cell beside the table's own marks."""
    (class_id,), = school.execute_sql(
        "SELECT id FROM school_class WHERE name = '2B'").fetchall()  # at school in 2024-25
    figures = F.compute_figures(SYSTEM, F.Period.school_year(2024),
                                F.FigureFilters(class_id=class_id), "month")
    report = F.year_report_data(figures, "Testschool")
    table = next(t for t in report.tables if t.chart == "line")
    hidden = sum(1 for marks in table.chart_marks for mark in marks if mark)
    assert hidden, "the selection should hide some months"
    from pestdesk.letters.year_report import _chart

    drawing = _chart(table)
    from reportlab.graphics import renderPDF

    out = tmp_path / "chart.pdf"
    renderPDF.drawToFile(drawing, str(out))
    words = text_of(out.read_bytes()).split()
    assert sum(1 for w in words if w in (F.MASK, F.HIDDEN)) == hidden
