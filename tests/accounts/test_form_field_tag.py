"""Issue 17: `{% form_field %}` writes the HTML of `accounts/includes/field.html` (the order list's
filters use it; every other form keeps the include)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import Context, Template

from accounts.widgets import FastSelect


class Sample(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="Your & name", max_length=5)
    optional = forms.CharField(label="Optional", required=False)
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B <i>")], widget=FastSelect)
    day = forms.DateField(label="Day", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    agree = forms.BooleanField(label="I agree", required=False)
    colour = forms.ChoiceField(
        label="Colour", choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect
    )
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


INCLUDE = Template('{% include "accounts/includes/field.html" with field=field %}')
TAG = Template("{% load portal_fields %}{% form_field field %}")


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html.strip()))


@pytest.mark.parametrize("data", [None, {"name": "far too long", "kind": "z", "colour": "x"}])
@pytest.mark.parametrize("name", list(Sample.base_fields))
def test_the_tag_writes_the_include_html(data, name):
    form = Sample(data)
    if data:
        form.is_valid()
    field = form[name]
    expected = INCLUDE.render(Context({"field": field}))
    written = TAG.render(Context({"field": field}))
    assert squeezed(written) == squeezed(expected)


def test_labels_help_and_errors_are_escaped():
    form = Sample({"name": "far too long"})
    form.is_valid()
    html = TAG.render(Context({"field": form["name"]}))
    assert "Name &lt;b&gt;" in html and "Your &amp; name" in html
    assert 'class="field has-error"' in html and "errorlist" in html
    assert '<span class="required" aria-hidden="true">*</span>' in html
