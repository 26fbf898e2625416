"""The stages of an event and the one table of transitions between them.

GB/T 30428 names seven stages: 信息收集 reported → 案卷建立 filed → 任务派遣 dispatched →
任务处理 in progress → 处理反馈 handled → 核查结案 closed → 综合评价 evaluated. Ways out:
rejected 不予受理, duplicate 重复 (merged), not responsible 非职责范围. Rework 返工 sends
a handled, closed or evaluated event back to handling; a department that is not
responsible returns 退回 its task to the centre for another dispatch; a grid member settles
an easy event on the spot 就地解决.

:data:`TRANSITIONS` is the only place the loop is written down: state × action → next
state, with the roles allowed. Grid members act only on events in their own grids, on a
dispatched task (accept, handle, return) only when it was dispatched to their grid, and
settle nothing dispatched to a department. Department handlers act only on the tasks
dispatched to their department.
``reporter`` is whoever holds the reporter key handed out when the event was created.
``python -m gis.events.stages`` prints the table for docs/events.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.tokens import Caller
from gis.vocabulary import EVENT_ACTIONS, EVENT_STATUSES

# "核查结案 closed": the Chinese label, then the English one.
STATUS_NAMES = {term.value: f"{term.zh} {term.en}" for term in EVENT_STATUSES.terms}
STATUSES = tuple(STATUS_NAMES)
# Not yet handled: the deadline runs and escalation applies.
BEFORE_HANDLED = ("reported", "filed", "dispatched", "in_progress")
# Still open: a new report nearby may duplicate it.
OPEN = (*BEFORE_HANDLED, "handled")

STAFF = ("admin", "staff")
# Roles that appear in the history besides the token roles of gis.tokens.
PSEUDO_ROLES = ("public", "reporter", "system")


@dataclass(frozen=True)
class Transition:
    """One step of an event's life: the action, the stages it leaves, the stage it reaches, the
    roles that may take it and what it means."""

    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    meaning: str

    @property
    def name(self) -> str:
        """What the step is called (立案, 派遣, …), from the vocabulary."""
        return EVENT_ACTIONS.label(self.action)


TRANSITIONS: tuple[Transition, ...] = (
    Transition("file", ("reported",), "filed", STAFF, "the centre files a case for the report"),
    Transition(
        "dispatch",
        ("filed",),
        "dispatched",
        STAFF,
        "send to a department or the grid by the rules (or the department named); sets the "
        "deadline",
    ),
    Transition(
        "accept",
        ("dispatched",),
        "in_progress",
        (*STAFF, "department", "grid_member"),
        "the department (or grid) takes the task",
    ),
    Transition(
        "return",
        ("dispatched", "in_progress"),
        "filed",
        (*STAFF, "department", "grid_member"),
        "not this department's task: back to the centre for another dispatch",
    ),
    Transition(
        "handle",
        ("in_progress",),
        "handled",
        (*STAFF, "department", "grid_member"),
        "the result is reported back",
    ),
    Transition("close", ("handled",), "closed", STAFF, "the centre verifies and closes"),
    Transition(
        "rework",
        ("handled", "closed", "evaluated"),
        "in_progress",
        STAFF,
        "verification failed or the reporter is not satisfied: handle again",
    ),
    Transition(
        "evaluate",
        ("closed",),
        "evaluated",
        ("reporter", *STAFF),
        "the reporter rates the result 1–5 (staff record a rating taken by phone)",
    ),
    Transition(
        "settle",
        ("reported", "filed", "dispatched", "in_progress"),
        "closed",
        ("grid_member",),
        "a grid member settles an easy matter in their own grid on the spot",
    ),
    Transition(
        "merge",
        ("reported", "filed", "dispatched", "in_progress"),
        "duplicate",
        STAFF,
        "a duplicate of another open event (duplicate_of, or the likely one found on intake)",
    ),
    Transition(
        "reject",
        ("reported", "filed"),
        "rejected",
        STAFF,
        "not a matter to act on (no problem found, insufficient information)",
    ),
    Transition(
        "not_responsible",
        ("reported", "filed", "dispatched"),
        "not_responsible",
        STAFF,
        "outside the platform's remit (courts, private contracts); the reporter is told where",
    ),
)
BY_ACTION = {t.action: t for t in TRANSITIONS}
ACTIONS = tuple(BY_ACTION)
# Actions a grid member (department handler) may take on a task only when it was
# dispatched to their grid (department).
GRID_TASK_ACTIONS = ("accept", "return", "handle")
# Steps that are not requested by anyone but happen: intake and the deadline sweep.
SYSTEM_ACTIONS = ("report", "escalate")


@dataclass(frozen=True)
class Actor:
    """Who acts: a token's or session's holder, the public (no token), the reporter (by
    reporter key) or onemap itself (dispatch on intake, escalation). ``grids`` are a grid
    member's grids, ``department_code`` a department handler's department."""

    role: str
    name: str
    token_id: int | None = None
    county_code: str | None = None
    grids: tuple[str, ...] = ()
    department_code: str | None = None
    person_id: int | None = None

    @classmethod
    def from_caller(cls, caller: Caller) -> Actor:
        """The actor a token's or session's holder acts as."""
        return cls(
            caller.role,
            caller.name,
            caller.token_id,
            caller.county_code,
            caller.grids,
            caller.department_code,
            caller.person_id,
        )


PUBLIC = Actor("public", "public")
REPORTER = Actor("reporter", "reporter")
SYSTEM = Actor("system", "onemap")


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    """Actions allowed from ``status`` (for ``role``, when given), in table order."""
    return [
        t.action for t in TRANSITIONS if status in t.sources and (role is None or role in t.roles)
    ]


def as_json() -> list[dict[str, object]]:
    """The table as JSON, for clients that draw the buttons."""
    return [
        {
            "action": t.action,
            "name": t.name,
            "from": list(t.sources),
            "to": t.target,
            "roles": list(t.roles),
            "meaning": t.meaning,
        }
        for t in TRANSITIONS
    ]


def markdown_table() -> str:
    """The transition table in Markdown (docs/events.md's copy is generated by this)."""
    lines = [
        "| action | 名称 | from | to | roles | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS:
        lines.append(
            f"| `{t.action}` | {t.name} | {', '.join(t.sources)} | {t.target} "
            f"| {', '.join(t.roles)} | {t.meaning} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())


# Who supervises an event at each escalation level (events.escalation_level).
CENTRES = (
    "社区站 community station",
    "街道分中心 subdistrict sub-centre",
    "城区中心 district centre",
)
