"""The Cijfers section and the start screen on a demo school, offscreen, in Dutch."""

from __future__ import annotations

import datetime as dt

import pypdf
import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt

from pestdesk.services import accounts
from pestdesk.services import figures as F
from pestdesk.services.demo import generate_demo
from pestdesk.store import models as m
from pestdesk.store.db import create_database

TODAY = dt.date(2026, 3, 15)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    db = create_database(tmp_path_factory.mktemp("figview") / "demo.sqlite")
    generate_demo(students=250, years=3, seed=5, today=TODAY)
    yield db
    db.close()


@pytest.fixture
def zorg(school):
    return accounts.actor_for(m.User.get(m.User.username == "zorg"))


@pytest.fixture
def view(qtbot, zorg):
    from pestdesk.gui.figures.view import FiguresView

    widget = FiguresView(zorg)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    return widget


def choose(box, data) -> None:
    box.setCurrentIndex(box.findData(data))


def test_school_year_figures_show_charts_beside_the_numbers(view, school, qtbot):
    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.period, 2024)
    assert view.chosen_period() == F.Period.school_year(2024)
    (n,), = school.execute_sql("""SELECT count(*) FROM "case" WHERE is_signal = 0
        AND reported_on BETWEEN '2024-08-01' AND '2025-07-31'""").fetchall()
    card = view.figure_cards["over_time"]
    model = card.numbers.model()
    total_row = model.rowCount() - 1
    assert model.data(model.index(total_row, 1)) == F._show(n, 0)
    assert isinstance(card.chart_view, QChartView) and not card.chart_view.isHidden()
    assert len(card.chart_view.chart().series()) == 2  # reports and cyber, by month
    assert set(view.figure_cards) == set(view.figures.tables)
    assert F._show(n, 0) in view.summary_label.text()


def test_a_narrow_filter_masks_small_counts_in_table_and_chart(view, school, qtbot):
    (class_id,), = school.execute_sql(
        "SELECT id FROM school_class WHERE name = '1A'").fetchall()
    assert view.exact.isChecked()  # the coordinator may read every case: exact by default
    with qtbot.waitSignal(view.computed, timeout=3000):
        view.exact.setChecked(False)  # as the year report and the export share them
    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.klass, class_id)
    assert "“<5” is een aantal" in view.summary_label.text()
    card = view.figure_cards["by_location"]
    table = card.table
    model = card.numbers.model()
    shown = [model.data(model.index(r, 1)) for r in range(model.rowCount())]
    for r, value in enumerate(table.values):
        if 0 < value[0] < 5:
            assert shown[r] == F.MASK
    series = card.chart_view.chart().series()[0]
    plotted = [series.barSets()[0].at(i) for i in range(series.barSets()[0].count())]
    assert all(v == 0 or v >= 5 for v in plotted)
    hidden = [table.text(r, 0) for r in table.chart_rows() if table.is_masked(r, 0)]
    marks = card.mask_marks.texts() if card.mask_marks else []
    assert sorted(marks) == sorted(hidden)  # a hatched, labelled stub for each hidden bar


def test_exact_counts_on_screen_say_so(view, school, qtbot):
    (class_id,), = school.execute_sql(
        "SELECT id FROM school_class WHERE name = '1A'").fetchall()
    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.klass, class_id)
    assert view.figures.exact and "Exacte aantallen" in view.summary_label.text()
    for card in view.figure_cards.values():
        model = card.numbers.model()
        shown = [model.data(model.index(r, c)) for r in range(model.rowCount())
                 for c in range(1, model.columnCount())]
        assert F.MASK not in shown and F.HIDDEN not in shown
        assert card.mask_marks is None


def test_a_school_year_shows_its_own_dates(view, qtbot):
    from pestdesk import clock

    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.period, 2024)
    assert not view.start.isEnabled()
    assert view.start.date().toPython() == dt.date(2024, 8, 1)
    assert view.end.date().toPython() == min(dt.date(2025, 7, 31), clock.today())


def test_custom_period_and_refusal_of_a_reversed_one(view, qtbot):
    choose(view.period, -1)
    assert view.start.isEnabled()
    with qtbot.waitSignal(view.computed, timeout=3000):
        view.start.setDate(dt.date(2023, 9, 1))
        view.end.setDate(dt.date(2026, 3, 1))
    assert view.figures.granularity == "school_year"
    view.start.setDate(dt.date(2026, 3, 2))
    qtbot.waitUntil(lambda: view.figures is None, timeout=3000)


def test_year_report_and_export_buttons_write_files(view, tmp_path, qtbot):
    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.period, 2024)
    pdf = tmp_path / "jaarverslag.pdf"
    assert view.write_year_report(pdf, view.report_year())
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "2024-2025" in text and "Demo College" in text
    assert view.write_export(tmp_path / "cijfers.csv")
    assert (tmp_path / "cijfers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert view.write_export(tmp_path / "cijfers.xlsx")
    assert (tmp_path / "cijfers.xlsx").stat().st_size > 0


def test_overview_lines_open_the_right_cases(qtbot, school, zorg):
    from pestdesk.gui.overview.view import ID_ROLE, OverviewView

    widget = OverviewView(zorg, today=lambda: TODAY)
    qtbot.addWidget(widget)
    expected = [r[0] for r in school.execute_sql("""SELECT id FROM "case" WHERE status = 'open'
        AND is_signal = 0 AND next_due_on < ? ORDER BY next_due_on, id LIMIT 8""",
                                                 (TODAY.isoformat(),)).fetchall()]
    assert widget.case_ids("overdue") == expected
    assert widget.counts()["overdue"] >= len(expected) > 0
    assert widget.banner.text() and "1 juli" in widget.banner.text()  # March: safety monitor
    lst = widget.cards["overdue"].list
    with qtbot.waitSignal(widget.open_case, timeout=1000) as blocker:
        lst.itemActivated.emit(lst.item(0))
    assert blocker.args == [lst.item(0).data(ID_ROLE)] == [expected[0]]
    meetings = widget.cards["meetings"].list
    assert meetings.count() and meetings.item(0).flags() & Qt.ItemFlag.ItemIsEnabled


def test_overview_cards_name_their_scope_and_a_mentor_gets_no_inspectorate_card(qtbot, school):
    from pestdesk.gui.overview.view import OverviewView

    mentor = accounts.actor_for(m.User.get(m.User.username == "mentor"))
    directie = accounts.actor_for(m.User.get(m.User.username == "directie"))
    mine = OverviewView(mentor, today=lambda: TODAY)
    boss = OverviewView(directie, today=lambda: TODAY)
    qtbot.addWidget(mine)
    qtbot.addWidget(boss)
    assert "inspectie" not in mine.cards and "inspectie" in boss.cards
    assert mine.cards["overdue"].scope.text() == "mijn"
    assert boss.cards["suspensions"].scope.text() == "school"
    assert boss.cards["inspectie"].scope.text() == "school"
    (open_notices,), = school.execute_sql("""SELECT count(*) FROM sanction
        WHERE inspectie_due_on IS NOT NULL AND inspectie_reported_on IS NULL""").fetchall()
    assert boss.cards["inspectie"].count == open_notices
    help_text = boss.urgent_help()
    assert str(boss.urgent_count()) != "" and "inspectie" in help_text
    assert mine.urgent_count() == mine.cards["overdue"].count
    assert "inspectie" not in mine.urgent_help()


def test_long_dutch_labels_are_not_cut_off(view, qtbot):
    """Forms and stages have long Dutch names: their charts span the card and show them
    whole, and the numbers below list every row without scrolling."""
    from PySide6.QtCharts import QBarCategoryAxis

    with qtbot.waitSignal(view.computed, timeout=3000):
        choose(view.period, 2024)
    for key in ("by_form", "stages"):
        card = view.figure_cards[key]
        chart = card.chart_view.chart()
        axis = next(a for a in chart.axes() if isinstance(a, QBarCategoryAxis))
        labels = list(reversed(axis.categories()))
        assert labels == [card.table.row_labels[r] for r in card.table.chart_rows()]
        assert not any(label.endswith("…") for label in labels)
        model = card.numbers.model()
        assert card.numbers.height() >= 22 * model.rowCount()  # every row in view
    assert any("Zorgoverleg" in label for label in view.figures["stages"].row_labels)
    summary = view.summary_label.text()
    assert "((" not in summary and ") (" not in summary


def test_value_axes_count_in_whole_numbers():
    """A mentor's few reports: the axis runs 0-5 in steps of 1, never '0 0 1 1 2 3'."""
    from pestdesk.gui.figures.view import _nice_max
    from pestdesk.letters.year_report import _axis_max

    for top in (0, 1, 2, 3, 4, 5, 7, 12, 33, 99, 311, 1200):
        for axis_top in (_nice_max(top), _axis_max([[top]])):
            assert axis_top >= max(top, 5) and axis_top % 5 == 0  # six ticks, whole steps
