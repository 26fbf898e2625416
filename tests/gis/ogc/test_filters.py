"""Equality filters of the OGC collections (gis.ogc.selection.filter_value): a value of
the wrong format or outside its vocabulary is refused naming the property, so that a
mistyped code or an SQL fragment is a 400, never a page that silently matches nothing.
Generated from the collection registry."""

from __future__ import annotations

import re

import pytest

from gis.errors import InvalidParameter
from gis.ogc.collections import COLLECTIONS
from gis.ogc.selection import filter_value

CHECKED = [
    (collection.id, prop)
    for collection in COLLECTIONS.values()
    for prop in collection.properties
    if prop.filterable and (prop.values or prop.pattern)
]
# what a client might wrongly send; no code and no vocabulary value looks like these
WRONG = ["' OR 1=1 --", "; DROP TABLE events", "%00", "", "Residential "]


@pytest.mark.parametrize(("collection_id", "prop"), CHECKED, ids=lambda v: getattr(v, "name", v))
def test_a_filter_value_of_the_wrong_format_is_refused_naming_the_property(collection_id, prop):
    for value in WRONG:
        with pytest.raises(InvalidParameter) as refused:
            filter_value(prop, value)
        assert refused.value.parameter == prop.name
    for value in prop.values:
        assert filter_value(prop, value) == value


def test_every_code_and_vocabulary_filter_is_checked():
    # the properties served as codes carry a format; the free-text ones are names
    unchecked = {
        prop.name
        for collection in COLLECTIONS.values()
        for prop in collection.properties
        if prop.filterable and prop.json_type == "string" and not (prop.values or prop.pattern)
    }
    assert unchecked == {"name", "highway"}
    county_codes = [prop for _, prop in CHECKED if prop.name == "county_code"]
    assert county_codes and all(re.fullmatch(p.pattern or "", "450105") for p in county_codes)
