from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Stages(BaseModel):
    """Units at each stage of the pipeline."""

    pledged: int = Field(
        0, description="Sum of pledge quantities (for a recipient: allocated to it)."
    )
    allocated: int = Field(0, description="Sum of allocations.")
    packed: int = 0
    in_transit: int = 0
    received: int = Field(0, description="Items now received (not yet deployed).")
    missing: int = 0
    deployed: int = 0
    damaged: int = Field(0, description="Items received damaged, whatever their state now.")


class Stats(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": {
                        "pledged": 200,
                        "allocated": 200,
                        "packed": 20,
                        "in_transit": 60,
                        "received": 12,
                        "missing": 1,
                        "deployed": 7,
                        "damaged": 1,
                    },
                    "by_country": {
                        "TO": {
                            "pledged": 20,
                            "allocated": 20,
                            "packed": 0,
                            "in_transit": 0,
                            "received": 12,
                            "missing": 1,
                            "deployed": 7,
                            "damaged": 1,
                        }
                    },
                    "by_donor": {
                        "KRPOST": {
                            "pledged": 200,
                            "allocated": 200,
                            "packed": 20,
                            "in_transit": 60,
                            "received": 12,
                            "missing": 1,
                            "deployed": 7,
                            "damaged": 1,
                        }
                    },
                }
            ]
        }
    )

    total: Stages
    by_country: dict[str, Stages] = Field(description="By the recipient's ISO country code.")
    by_donor: dict[str, Stages] = Field(description="By the donor organisation's code.")
