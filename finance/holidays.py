"""A workspace's public holidays (country and region), checked against the ``holidays``
package that the demand forecasts read them from."""

from __future__ import annotations

from functools import cache

from django.core.exceptions import ValidationError


@cache
def _supported() -> dict[str, tuple[str, ...]]:
    import holidays

    return {code: tuple(regions) for code, regions in holidays.list_supported_countries().items()}


def holidays_country_validate(value: str) -> None:
    """Model field validator: empty, or a country the ``holidays`` package knows (ISO
    3166-1 alpha-2, upper case)."""
    if value and value not in _supported():
        raise ValidationError(
            "Unknown country code %(value)s: use an ISO 3166-1 code in upper case, e.g. DE, FR or US.",
            code="invalid_holidays_country", params={"value": value},
        )


def holidays_region_errors(*, country: str, region: str) -> dict[str, str]:
    """Field → message for a region that does not go with the country (empty: fine)."""
    if not region:
        return {}
    if not country:
        return {"holidays_region": "Choose the country first: a region belongs to one."}
    regions = _supported().get(country, ())
    if region not in regions:
        known = ", ".join(regions[:20]) or "none"
        return {"holidays_region": f"{region} is not a region of {country} with holidays of its own; known: {known}."}
    return {}
