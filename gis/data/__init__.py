"""The official division codes and names (统计用区划代码, 2023) that give the demo district its
real places: Guangxi's counties, the townships and villages of Nanning and its Jiangnan
district; and Jiangnan's real outline, which it stands on (see README.md here)."""

from __future__ import annotations

import csv
from importlib import resources


def rows(name: str) -> list[dict[str, str]]:
    """The rows of the shipped CSV file ``name`` (here), each by its header's names."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))
