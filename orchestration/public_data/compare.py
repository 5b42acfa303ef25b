"""The LA's statistical neighbours: who the county is compared with in `marts.benchmarks` (dbt SQL).

The neighbour set is data, not code: `neighbours.yaml` names the LAs and says how they were chosen, so a
Schools Forum reader can see (and challenge) who the county is compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

NEIGHBOURS_FILE = Path(__file__).with_name("neighbours.yaml")


@dataclass(frozen=True)
class NeighbourSet:
    """The LA, its neighbours (`old_la_code, new_la_code, name, region`, one row each) and the method."""

    la_old_code: int
    la_name: str
    method: str
    neighbours: pd.DataFrame

    @property
    def old_la_codes(self) -> list[int]:
        return [int(code) for code in self.neighbours["old_la_code"]]


def load_neighbours(path: Path = NEIGHBOURS_FILE) -> NeighbourSet:
    """The neighbour set in `path`, refused if a code repeats or the LA is listed as its own neighbour."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    neighbours = pd.DataFrame(spec["neighbours"], columns=["old_la_code", "new_la_code", "name", "region"])
    neighbours["old_la_code"] = neighbours["old_la_code"].astype(int)
    la_old_code = int(spec["la"]["old_la_code"])
    if neighbours["old_la_code"].duplicated().any():
        raise ValueError(f"{path.name}: a neighbour is listed twice")
    if la_old_code in set(neighbours["old_la_code"]):
        raise ValueError(f"{path.name}: LA {la_old_code} is listed as its own neighbour")
    return NeighbourSet(la_old_code, str(spec["la"]["name"]), str(spec["method"]).strip(), neighbours)
