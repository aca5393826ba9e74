"""Issue 17: django-tables2's per-cell template compilation and signature inspection are done once
per process (`accounts.table_rendering`); the cells render exactly as before."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

import django_tables2 as tables
from django.template import Template
from django.utils.html import format_html
from django_tables2 import utils
from django_tables2.columns import templatecolumn

from accounts import table_rendering


class Sample(tables.Table):
    name = tables.Column()
    when = tables.DateColumn(format="SHORT_DATE_FORMAT", default="—")
    day = tables.DateColumn(short=False)
    note = tables.TemplateColumn("{{ record.name|upper }}-{{ value }}")
    badge = tables.Column(accessor="name")
    extra = tables.Column(accessor="name")

    def render_badge(self, value: str, record: dict) -> str:
        return format_html("<b>{}</b>", value)

    def render_extra(self, **kwargs: Any) -> str:
        return f"{kwargs['value']}/{kwargs['bound_column'].name}"


ROWS = [
    {"name": "a<b", "when": datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "day": date(2026, 2, 1), "note": 1},
    {"name": "z", "when": None, "day": date(2025, 12, 1), "note": None},
]


def cells() -> list[list[str]]:
    table = Sample(ROWS)
    return [[str(row.get_cell(column.name)) for column in table.columns] for row in table.rows]


def test_installed_at_start_up():
    assert utils.signature is table_rendering.cached_signature
    assert templatecolumn.Template is table_rendering.compiled_template


def test_cells_render_as_with_django_tables2_alone(monkeypatch):
    patched = cells()
    monkeypatch.setattr(utils, "signature", table_rendering._original_signature)
    monkeypatch.setattr(templatecolumn, "Template", Template)
    assert cells() == patched
    assert patched[0][1] != "—" and patched[1][1] == "—" and patched[0][3] == "A&lt;B-1"
    assert patched[0][4] == "<b>a&lt;b</b>" and patched[0][5] == "a<b/extra"


def test_signature_is_kept_per_function_bound_or_not():
    table = Sample(ROWS)
    other = Sample(ROWS)
    original = table_rendering._original_signature
    for fn in (table.render_badge, other.render_badge, table.render_extra, Sample.render_badge, len):
        assert table_rendering.cached_signature(fn) == original(fn)
    partial = functools.partial(Sample.render_badge, table)
    assert table_rendering.cached_signature(partial) == original(partial) == (("value", "record"), None)
    assert table_rendering.cached_signature(table.render_extra) == ((), "kwargs")


def test_signature_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(table_rendering, "_MAX_SIGNATURES", 10)
    for n in range(25):
        table_rendering.cached_signature(eval(f"lambda value{n}: value{n}"))  # noqa: S307 (a new function each time)
    assert len(table_rendering._signatures) <= 10


def test_one_compiled_template_per_code():
    code = "{{ value|date:'Y' }}"
    assert table_rendering.compiled_template(code) is table_rendering.compiled_template(code)


class Styled(tables.Table):
    """Every kind of cell the portal's body tag must write as django-tables2's template does."""

    name = tables.Column(attrs={"td": {"class": "name", "data-x": "1"}})
    flagged = tables.Column(accessor="name", attrs={"td": {"data-len": lambda record: len(record["name"])}})
    amount = tables.Column(localize=True)
    raw = tables.Column(accessor="amount", localize=False)
    when = tables.DateColumn(format="SHORT_DATE_FORMAT", default="—")

    class Meta:
        row_attrs = {"data-id": lambda record: record["name"]}
        attrs = {"class": "table sample"}
        order_by = ("name",)


STYLED_ROWS = [
    {"name": 'a<b & "c"', "amount": 1234.5, "when": datetime(2026, 1, 31, 23, 30, tzinfo=UTC)},
    {"name": "é", "amount": 7, "when": None},
]


def _rendered(table: tables.Table, template_name: str, rf: Any) -> str:
    from django.template import Context

    table.template_name = template_name
    page = Template("{% load django_tables2 %}{% render_table table %}")
    html = page.render(Context({"request": rf.get("/?sort=name"), "table": table}))
    return " ".join(html.split()).replace("> <", "><")


def test_portal_table_template_writes_the_html_of_django_tables2s_template(rf, settings):
    """`templates/django_tables2/portal.html` (body by `{% table_rows %}`) against django-tables2's
    bootstrap5 template: the same HTML but for whitespace, in both languages, rows and empty table."""
    from django.utils import translation

    assert settings.DJANGO_TABLES2_TEMPLATE == "django_tables2/portal.html"
    for language in ("en", "fr"):
        with translation.override(language):
            for rows in (STYLED_ROWS, []):
                ours = _rendered(Styled(rows, empty_text="Nothing <here>"), "django_tables2/portal.html", rf)
                theirs = _rendered(
                    Styled(rows, empty_text="Nothing <here>"), "django_tables2/bootstrap5.html", rf
                )
                assert ours == theirs
    html = _rendered(Styled(STYLED_ROWS), "django_tables2/portal.html", rf)
    assert 'data-len="9"' in html and 'data-len="1"' in html  # callable attrs see each record
    assert "a&lt;b &amp; &quot;c&quot;" in html and 'data-id="é"' in html
    with translation.override("fr"):
        french = _rendered(Styled(STYLED_ROWS), "django_tables2/portal.html", rf)
    assert "<td >1234,5</td><td >1234.5</td><td >01/02/2026</td>" in french  # localize / unlocalize
    assert "<td >7</td><td >7</td><td >—</td>" in french  # the column's default


def test_dates_are_kept_per_day_format_and_language():
    """Issue 17: the date text is the date filter's, kept per day, format and language; a format
    with the time is computed each time."""
    from django.template.defaultfilters import date as date_filter
    from django.utils import translation

    from accounts.templatetags import portal_tables

    when = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    texts = {}
    for language in ("en", "fr"):
        with translation.override(language):
            for value in (when, when.replace(hour=8), date(2026, 1, 31), date(2025, 12, 1)):
                names = ["SHORT_DATE_FORMAT", "DATE_FORMAT"]
                if isinstance(value, datetime):
                    names.append("SHORT_DATETIME_FORMAT")  # (the filter refuses a time format for a date)
                for name in names:
                    assert portal_tables._date_text(value, name) == date_filter(value, name)
                    assert portal_tables._date_text(value, name) == date_filter(value, name)  # kept
            texts[language] = portal_tables._date_text(when, "DATE_FORMAT")
    assert texts["en"] != texts["fr"]
    assert not any("23" in key[1] or ":" in key[1] for key in portal_tables._dates)  # no time format kept
