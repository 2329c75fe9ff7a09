"""Slots on the finance pages that other apps fill with panels.

``finance`` knows nothing of the apps built on it (forecasting, coaching); its pages
declare *slots* instead — places in a template such as the overview's forecast section
or an extra column of the budgets table — and an app registers a :class:`PagePanel` for a
page, as NetBox's plugins register template extensions. The page's view gathers every
registered panel's context before the template renders (a panel reads; it writes
nothing), and the template includes the panel's template at each slot it fills::

    {% for template in slots.budget_cells %}{% include template %}{% endfor %}

A page renders the same with no panel registered: every slot is empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar

from django.http import HttpRequest

from finance.models import Workspace


class PagePanel:
    """What one app adds to one finance page.

    ``page`` names the page (``"overview"``, ``"transactions"``, ``"budgets"``, ``"goals"``,
    ``"inventory"``), ``templates`` maps the slots it fills to its templates, and
    :meth:`context` returns what those templates read, computed once per request from the
    page's own context.
    """

    page: ClassVar[str]
    templates: ClassVar[Mapping[str, str]]

    def context(self, *, request: HttpRequest, workspace: Workspace, page: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


_panels: dict[str, list[type[PagePanel]]] = defaultdict(list)


def page_panel_register(panel: type[PagePanel]) -> type[PagePanel]:
    """Class decorator: add ``panel`` to its page (once, whatever the number of imports)."""
    if panel not in _panels[panel.page]:
        _panels[panel.page].append(panel)
    return panel


def page_panels_context(
    *, page: str, request: HttpRequest, workspace: Workspace, context: Mapping[str, Any],
) -> dict[str, Any]:
    """The context the page's registered panels add: each panel's own keys, and ``slots``
    (slot name → the templates to include there, in registration order)."""
    slots: dict[str, list[str]] = defaultdict(list)
    added: dict[str, Any] = {}
    for panel in _panels.get(page, []):
        added.update(panel().context(request=request, workspace=workspace, page={**context, **added}))
        for slot, template in panel.templates.items():
            slots[slot].append(template)
    return {**added, "slots": dict(slots)}
