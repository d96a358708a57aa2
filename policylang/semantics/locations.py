"""Cloud locations and the regions of std's `region` fact they are in: a provider's
`location = "swedencentral"` gives it `regions = [eu]` unless it declares its own
(docs/language.md §5 prints this table). Only regions in the member states of the European
Union count as `eu`: Azure's uksouth, switzerlandnorth or norwayeast are not, nor AWS's
eu-west-2 (London) and eu-central-2 (Zurich), nor GCP's europe-west2 (London) and europe-west6
(Zurich), nor Canada's northamerica-* (no std region), and a location
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

# AWS region ids (adapter = bedrock's `location`)
_AWS = {
    "eu": ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1",
           "eu-south-2"),
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1"),
    "apac": ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
             "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
             "ap-east-1"),
}  # fmt: skip

# Google Cloud locations (adapter = vertex's `location`; `global` is no region, not listed)
_GCP = {
    "eu": ("europe-west1", "europe-west3", "europe-west4", "europe-west8", "europe-west9",
           "europe-west10", "europe-west12", "europe-north1", "europe-north2", "europe-central2",
           "europe-southwest1"),
    "us": ("us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1",
           "us-west2", "us-west3", "us-west4"),
    "apac": ("asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
             "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1",
             "asia-southeast2", "australia-southeast1", "australia-southeast2"),
}  # fmt: skip

# cloud -> region of std -> that cloud's location names (lowercase)
TABLE: dict[str, dict[str, tuple[str, ...]]] = {"azure": _AZURE, "aws": _AWS, "gcp": _GCP}

REGION_OF: dict[str, str] = {
    loc: region for regions in TABLE.values() for region, locs in regions.items() for loc in locs
}


def region_of(location: str) -> str | None:
    """The std region a cloud location is in (`swedencentral` -> `eu`, in any case); None when
    not listed. Cloud location names are ASCII: a name that only lowercases to one (the Kelvin
    sign's K in `\u212aoreacentral`) is not that location."""
    return REGION_OF.get(location.lower()) if location.isascii() else None
