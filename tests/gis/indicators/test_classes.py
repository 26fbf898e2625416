"""The classes of a choropleth (gis.indicators.areas.classify): mapclassify's breaks, every
value in the class whose bounds hold it, areas without a value without a class, fewer
classes than asked when the values allow no more, and bad parameters named."""

from __future__ import annotations

import math

import mapclassify
import numpy as np
import pytest

from gis.errors import InvalidParameter
from gis.indicators.areas import EXACT_JENKS_MAX, classify


def _cut(bound, decimals=4):
    return math.floor(round(float(bound) * 10**decimals, 6)) / 10**decimals


VALUES = [0.5, None, 0.1, 0.9, 0.3, 0.3, 0.7, None, 1.0, 0.2, 0.6, 0.8]


def _held(values, assigned, classes):
    for value, index in zip(values, assigned, strict=True):
        if value is None:
            assert index is None
            continue
        assert value <= classes[index]["upper"]
        assert index == 0 or value > classes[index - 1]["upper"]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("quantiles", mapclassify.Quantiles), ("natural_breaks", mapclassify.FisherJenks)],
)
def test_breaks_are_mapclassifys(method, expected):
    assigned, classes = classify(VALUES, classes=3, method=method)
    present = np.array([v for v in VALUES if v is not None])
    reference = expected(present, k=3)
    assert [c["upper"] for c in classes] == [_cut(b) for b in reference.bins]
    assert [c["count"] for c in classes] == [int(n) for n in reference.counts]
    assert classes[0]["lower"] == 0.1
    assert [c["lower"] for c in classes[1:]] == [c["upper"] for c in classes[:-1]]
    _held(VALUES, assigned, classes)


def test_a_city_of_areas_is_classed_by_jenks_caspall():
    # values at the 4 places of a share, as the areas' values come
    rng = np.random.default_rng(16)
    values = [round(float(v), 4) for v in rng.gamma(2.0, 2.0, EXACT_JENKS_MAX + 1)]
    assigned, classes = classify(values, classes=5, method="natural_breaks")
    reference = mapclassify.JenksCaspall(np.array(values), k=5)
    assert [c["upper"] for c in classes] == [_cut(b) for b in reference.bins]
    assert sum(c["count"] for c in classes) == len(values)
    _held(values, assigned, classes)


def test_fewer_distinct_values_fewer_classes():
    values = [1.0, 1.0, 2.0, None, 2.0, 1.0]
    for method in ("quantiles", "natural_breaks"):
        assigned, classes = classify(values, classes=5, method=method)
        assert len(classes) == 2
        assert assigned == [0, 0, 1, None, 1, 0]
    assigned, classes = classify([3.0, 3.0, None], classes=4)
    assert classes == [{"class": 0, "lower": 3.0, "upper": 3.0, "count": 2}]
    assert assigned == [0, 0, None]
    assert classify([None, None]) == ([None, None], [])


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [({"classes": 1}, "classes"), ({"classes": 10}, "classes"), ({"method": "equal"}, "method")],
)
def test_bad_parameters_are_named(arguments, parameter):
    with pytest.raises(InvalidParameter) as raised:
        classify(VALUES, **arguments)
    assert raised.value.parameter == parameter
