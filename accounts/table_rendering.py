"""Issue 17 (load): two per-cell costs of django-tables2 3.0, paid once per process instead.

Profiled on the order list (25 rows, 8 columns, production settings), about a third of the page's
CPU went to:

- `TemplateColumn.render` compiling its `template_code` into a new `Template` for every cell (every
  `DateColumn` is a TemplateColumn: `{{ value|date:"…"|default:default }}`). Compiled templates are
  immutable and rendered with the cell's own context, so one compiled template per code is shared.
- `utils.signature` running `inspect.signature` on the column's render function for every cell
  (`call_with_appropriate`). The answer depends on the function alone (a bound method's drops
  `self`), so it is kept per function.

`install()` runs once at start-up (`AccountsConfig.ready`); the rendered HTML is unchanged
(`tests/accounts/test_table_rendering.py`).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from django.template import Template
from django_tables2 import utils
from django_tables2.columns import templatecolumn

_MAX_SIGNATURES = 4096  # functions made per request (closures) must not grow the cache forever

_signatures: dict[tuple[Callable[..., Any], bool], tuple[tuple[str, ...], str | None]] = {}
_original_signature: Callable[[Callable[..., Any]], tuple[tuple[str, ...], str | None]] = utils.signature


@functools.lru_cache(maxsize=512)
def compiled_template(template_code: str) -> Template:
    """The compiled template of a TemplateColumn's code, shared by every cell and request."""
    return Template(template_code)


def cached_signature(fn: Callable[..., Any]) -> tuple[tuple[str, ...], str | None]:
    """django-tables2's `signature(fn)`, computed once per function (and per bound or not)."""
    if isinstance(fn, types.MethodType):
        key: tuple[Callable[..., Any], bool] = (fn.__func__, True)
    elif isinstance(fn, types.FunctionType):
        key = (fn, False)
    else:  # a partial or a callable object: computed each time, as before
        return _original_signature(fn)
    found = _signatures.get(key)
    if found is None:
        if len(_signatures) >= _MAX_SIGNATURES:
            _signatures.clear()
        found = _signatures[key] = _original_signature(fn)
    return found


def install() -> None:
    templatecolumn.Template = compiled_template
    utils.signature = cached_signature
