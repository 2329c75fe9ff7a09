"""What the registry announces to the features built on it."""

from django.dispatch import Signal

#: Sent after the transaction that changed the deployed version of a target commits
#: (deploy, automatic deploy or rollback), with ``workspace_id``, ``target``, ``kind`` and
#: ``version_id`` (the version now deployed). Serving forgets its cached answers;
#: classifiers look at the rows a newly deployed classifier has not seen.
deployment_changed = Signal()
