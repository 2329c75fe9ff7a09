"""The behaviour pipeline: what signed-in people do, recorded cheaply and learnt from.

* :mod:`~coaching.behaviour.context` — the request being answered (who acts, in which
  browsing session) and the server-side session id, rotated after inactivity.
* :mod:`~coaching.behaviour.middleware` — page views and navigation (referrer → page) of
  the server-rendered pages, and the searches and filters of the pages and the API's lists.
* :mod:`~coaching.behaviour.receivers` — an event for each write of a transaction, budget
  or goal (:data:`finance.signals.books_changed`), once its transaction commits.
* :mod:`~coaching.behaviour.buffer` — events wait in a per-process buffer and leave it in
  one task-queue message per batch (written with ``bulk_create`` by a Celery task), or in
  one direct bulk insert while the queue cannot be reached.
* :mod:`~coaching.behaviour.features` and :mod:`~coaching.behaviour.changes` — features
  per member (engagement, temporal patterns, budget adherence, goal consistency) and the
  detection of a change of the last 30 days against the member's own baseline.
"""
