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
