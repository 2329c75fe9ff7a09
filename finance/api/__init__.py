"""The books' REST API: a uniform per-model kit (serializer, FilterSet, ViewSet)."""
