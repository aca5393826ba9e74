"""Issue 17: `FastSelect` writes the HTML of Django's Select (attributes, selection, escaping,
option groups) without its per-option templates."""

from __future__ import annotations

import re

import pytest
from django import forms

from accounts.widgets import FastSelect

CHOICES = [
    ("", "Any <product>"),
    (1, 'SSL "DV" & co'),
    ("Group", [(2, "in a group"), (3, "another")]),
    (4, "last"),
]


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", 1, "3", [4]])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_x", "required": True, "disabled": False, "data-x": 'a"b'}]
)
def test_same_html_as_djangos_select(value, attrs):
    django_html = forms.Select(choices=CHOICES).render("product", value, attrs)
    fast_html = FastSelect(choices=CHOICES).render("product", value, attrs)
    assert squeeze(fast_html) == squeeze(django_html)
    assert "&lt;product&gt;" in fast_html and "&quot;DV&quot; &amp; co" in fast_html


def test_selected_option_is_marked():
    html = FastSelect(choices=CHOICES).render("product", 3)
    assert '<option value="3" selected>another</option>' in html
    assert html.count("selected") == 1


def test_the_order_lists_filter_form_uses_it(db):
    from orders.filters import OrderFilter
    from tests.factories import make_account

    form = OrderFilter(None, account=make_account("Widgets", domain="widgets.test")).form
    for name in ("field", "dates", "product", "brand", "status", "ordered_by"):
        assert isinstance(form.fields[name].widget, FastSelect), name


@pytest.mark.parametrize("value", [None, [], ["1", "4"], [2]])
def test_same_html_as_djangos_multiple_select(value):
    class Multiple(FastSelect):
        allow_multiple_selected = True

    django_html = forms.SelectMultiple(choices=CHOICES).render("products", value)
    fast_html = Multiple(choices=CHOICES).render("products", value)
    assert squeeze(fast_html) == squeeze(django_html)


def test_model_choices_are_the_same_html_as_djangos(db):
    """The users of the order list's "Ordered by" filter: model choices with their iterator values."""
    from accounts.models import User
    from tests.factories import make_account, make_user

    account = make_account("Widgets", domain="widgets.test")
    chosen = make_user(account, "b<o>b")
    make_user(account, "alice")
    field = forms.ModelChoiceField(queryset=User.objects.filter(account=account), empty_label="Anyone")
    field.widget = FastSelect()
    field.widget.choices = field.choices
    fast_html = field.widget.render("ordered_by", chosen.pk)
    field.widget = forms.Select()
    field.widget.choices = field.choices
    assert squeeze(fast_html) == squeeze(field.widget.render("ordered_by", chosen.pk))
    assert f'<option value="{chosen.pk}" selected>b&lt;o&gt;b' in fast_html
