"""Cloud locations and the regions of std's `region` fact they are in: a provider's
`location = "swedencentral"` gives it `regions = [eu]` unless it declares its own
(docs/language.md §5 prints this table). Only regions in the member states of the European
Union count as `eu`: Azure's uksouth, switzerlandnorth or norwayeast are not, and a location
not listed here needs `regions` written beside it."""

from __future__ import annotations

_AZURE = {
    "eu": (
        "swedencentral",
        "swedensouth",
        "westeurope",
        "northeurope",
        "francecentral",
        "francesouth",
        "germanywestcentral",
        "germanynorth",
        "italynorth",
        "polandcentral",
        "spaincentral",
    ),
    "us": (
        "eastus",
        "eastus2",
        "centralus",
        "northcentralus",
        "southcentralus",
        "westcentralus",
        "westus",
        "westus2",
        "westus3",
    ),
    "apac": (
        "australiaeast",
        "australiasoutheast",
        "japaneast",
        "japanwest",
        "koreacentral",
        "koreasouth",
        "southeastasia",
        "eastasia",
        "centralindia",
        "southindia",
        "westindia",
    ),
}

# cloud -> region of std -> that cloud's location names (lowercase)
TABLE: dict[str, dict[str, tuple[str, ...]]] = {"azure": _AZURE}

REGION_OF: dict[str, str] = {
    loc: region for regions in TABLE.values() for region, locs in regions.items() for loc in locs
}


def region_of(location: str) -> str | None:
    """The std region a cloud location is in (`swedencentral` -> `eu`, in any case); None when
    not listed. Cloud location names are ASCII: a name that only lowercases to one (the Kelvin
    sign's K in `\u212aoreacentral`) is not that location."""
    return REGION_OF.get(location.lower()) if location.isascii() else None
