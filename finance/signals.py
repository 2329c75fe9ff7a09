"""Signals the books send. ``bulk_create`` sends no ``post_save``, so the import services
announce bulk writes with :data:`rows_imported` (one signal per import, with the count);
whoever counts new data (the ML engine) listens to it and to ``post_save``."""

from django.dispatch import Signal

#: Sent after an import committed rows: ``sender`` is the model, kwargs ``workspace``
#: and ``rows`` (the created instances).
rows_imported = Signal()

#: Sent when members confirmed amounts marked ``needs_confirmation``: ``sender`` is
#: Transaction, kwargs ``workspace`` and ``rows``. The rows count for training from now on.
amounts_confirmed = Signal()

#: Sent by the services of the books for each transaction, budget or goal they create,
#: change or delete one at a time (imports announce themselves with :data:`rows_imported`
#: instead): ``sender`` is the model, kwargs ``instance``, ``action``
#: (:data:`CREATE`, :data:`UPDATE` or :data:`DELETE`; a deletion is announced just before
#: the row goes, while it still has its id) and ``fields`` (the names of the fields an
#: update changed). It is sent inside the write's database transaction: a receiver that
#: acts on it defers that with ``transaction.on_commit``. Unlike ``post_delete``, listening
#: to it leaves Django's fast cascade deletes alone.
books_changed = Signal()
CREATE, UPDATE, DELETE = "create", "update", "delete"


def changed_fields(row: object, fields: dict) -> list[str]:
    """The names among ``fields`` whose value differs from ``row``'s (before an update applies them)."""
    return sorted(name for name, value in fields.items() if getattr(row, name) != value)

#: Sent when the category rules gave existing rows a category (one queryset update, which
#: sends no ``post_save``): ``sender`` is Transaction, kwargs ``workspace`` and ``count``.
rows_recategorised = Signal()
