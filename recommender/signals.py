"""The recommender's own signals (their receivers are in receivers.py)."""

from django.dispatch import Signal

# Sent by snapshots.LoadedIndex with fingerprint and version when a published index file is
# damaged (its checksum does not match): a rebuild is queued.
index_damaged = Signal()
