"""The one vocabulary (gis/vocabulary.py) against every other place that spells the same
values: the database's CHECK constraints after `onemap migrate`, the import readers'
keywords, the event loop's stages and the token roles."""

from __future__ import annotations

import re

import psycopg
import pytest

from gis import tokens
from gis.events import stages
from gis.imports.columns import LAYER_COLUMNS, choose
from gis.people import directory
from gis.vocabulary import VOCABULARIES, label

# A CHECK that is exactly `column IN ('a', 'b', …)`, as PostgreSQL prints it back.
VALUE_LIST = re.compile(r"CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)")
TEXT_LITERAL = re.compile(r"'((?:[^']|'')*)'::text")
# Value lists that are not vocabularies: a MIME type, and the service-area queue's own
# bookkeeping (why a centre's areas are stale), never shown to anyone.
NOT_VOCABULARIES = {
    "event_photos.content_type",
    "service_area_queue.reason",
    # how a patrol file arrived and its format: bookkeeping, never shown as a category
    "patrol_uploads.source",
    "patrol_uploads.format",
    # what a patrol can pass: reported as buildings, street length and cells, never by name
    "patrol_targets.kind",
}


@pytest.fixture(scope="module")
def constrained(database_url: str) -> dict[str, set[str]]:
    """`table.column` → the values its CHECK allows, read from the migrated database."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """
            SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid)
            FROM pg_constraint AS c
            JOIN pg_namespace AS n ON n.oid = c.connamespace
            WHERE c.contype = 'c' AND n.nspname = 'public'
              AND pg_get_constraintdef(c.oid) LIKE '%= ANY (ARRAY[%'
            """
        ).fetchall()
    allowed: dict[str, set[str]] = {}
    for table, definition in rows:
        match = VALUE_LIST.fullmatch(definition)
        # A value list inside a larger expression would escape this test: refuse it.
        assert match is not None, f"{table}: not a plain value list: {definition}"
        column, listed = match.groups()
        values = [value.replace("''", "'") for value in TEXT_LITERAL.findall(listed)]
        assert values, f"{table}.{column}: no text values in {definition}"
        allowed[f"{table}.{column}"] = set(values)
    return allowed


def test_each_constrained_column_allows_exactly_its_vocabulary(
    constrained: dict[str, set[str]],
) -> None:
    checked = 0
    for vocabulary in VOCABULARIES.values():
        for column in vocabulary.columns:
            assert column in constrained, f"{vocabulary.name}: no CHECK on {column}"
            assert constrained[column] == set(vocabulary.values()), column
            checked += 1
    # grid_type, dedicated_kind, … 19 vocabularies; assignee_kind and team kinds are each
    # held in two tables
    assert checked == 21


def test_every_value_list_in_the_database_has_a_vocabulary(
    constrained: dict[str, set[str]],
) -> None:
    covered = {column for v in VOCABULARIES.values() for column in v.columns}
    assert set(constrained) == covered | NOT_VOCABULARIES
    assert covered.isdisjoint(NOT_VOCABULARIES)


def test_a_vocabulary_names_each_value_once_with_both_labels() -> None:
    for vocabulary in VOCABULARIES.values():
        values = vocabulary.values()
        assert len(set(values)) == len(values), vocabulary.name
        zh = [term.zh for term in vocabulary.terms]
        assert len(set(zh)) == len(zh), vocabulary.name
        for term in vocabulary.terms:
            assert term.zh.strip() and term.en.strip(), (vocabulary.name, term.value)
            assert re.search(r"[\u4e00-\u9fff]", term.zh), (vocabulary.name, term.zh)


def test_the_labels_chosen_where_the_old_copies_disagreed() -> None:
    # the first page said 治安 and 商圈市场, the demo 治安重点区域 and 商圈: the fuller terms won.
    assert label("dedicated_kinds", "public_security") == "治安重点区域"
    assert label("dedicated_kinds", "mall") == "商圈市场"
    with pytest.raises(KeyError, match="dedicated_kinds"):
        label("dedicated_kinds", "park")


def test_import_keywords_read_into_the_vocabulary_and_every_label_reads_back() -> None:
    choice_columns = [
        column
        for columns in LAYER_COLUMNS.values()
        for column in columns
        if column.kind == "choice"
    ]
    assert len(choice_columns) == 7
    for column in choice_columns:
        vocabulary = column.vocabulary
        assert vocabulary is not None, column.name
        assert {value for _, value in column.choices} == set(vocabulary.values()), column.name
        assert column.stored_values() == list(vocabulary.values())
        # a file written with onemap's own labels (or values) imports as it was exported
        for term in vocabulary.terms:
            assert choose(term.zh, column.choices) == term.value, (column.name, term.zh)
            assert choose(term.value, column.choices) == term.value


def test_the_event_loop_speaks_the_vocabulary() -> None:
    assert VOCABULARIES["event_statuses"].values() == stages.STATUSES
    assert stages.STATUS_NAMES["closed"] == "核查结案 closed"
    assert stages.STATUS_NAMES["duplicate"] == "重复 duplicate (merged)"
    actions = {*stages.ACTIONS, *stages.SYSTEM_ACTIONS}
    assert actions == set(VOCABULARIES["event_actions"].values())
    assert [t.name for t in stages.TRANSITIONS[:3]] == ["立案", "派遣", "接单"]


def test_token_and_actor_roles_are_the_vocabulary() -> None:
    assert VOCABULARIES["token_roles"].values() == tokens.ROLES
    assert VOCABULARIES["person_roles"].values() == directory.ROLES
    # a team token acts on no event: it uploads patrol tracks only
    acting = tuple(role for role in tokens.ROLES if role != "team")
    assert (*acting, *stages.PSEUDO_ROLES) == VOCABULARIES["actor_roles"].values()
