"""The one vocabulary: every kind, type, level, source and status onemap stores, with the
Chinese label people read and the English one, in the order they are listed to people.

The database constrains each of these columns with a CHECK ... IN (...) of the same values
(tests/gis/test_vocabulary.py compares them); the API serves this module at
``GET /api/v1/vocabulary`` and the dashboard takes its labels from there. Readers that
accept other spellings on input (gis.imports.columns, the 12345 hotline) keep those as
aliases of these values.

Where the older copies disagreed, the label is the fuller official term: 治安重点区域 (key
public-security area) rather than 治安, and 商圈市场 (malls and markets) rather than 商圈,
as the grid-governance documents list the places that get a dedicated grid.

Event categories are reference data in the ``event_categories`` table (a county may add
subclasses), so :func:`event_categories` reads them from there rather than from code.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import AsyncConnection


@dataclass(frozen=True)
class Term:
    """One stored value and what people read for it."""

    value: str
    zh: str
    en: str
    parent: str | None = None  # the class of a subclass (event categories only)

    def as_json(self) -> dict[str, str]:
        """The term as JSON: value, zh, en (and parent when it has one)."""
        term = {"value": self.value, "zh": self.zh, "en": self.en}
        if self.parent is not None:
            term["parent"] = self.parent
        return term


@dataclass(frozen=True)
class Vocabulary:
    """An ordered set of terms, and the ``table.column``s the database holds them in."""

    name: str
    zh: str
    en: str
    terms: tuple[Term, ...]
    columns: tuple[str, ...] = ()

    def values(self) -> tuple[str, ...]:
        """The stored values, in order."""
        return tuple(term.value for term in self.terms)

    def term(self, value: str) -> Term:
        """The term stored as ``value``; KeyError names the vocabulary when there is none."""
        for term in self.terms:
            if term.value == value:
                return term
        raise KeyError(f"{value!r} is not in the vocabulary {self.name}")

    def label(self, value: str) -> str:
        """The Chinese label of ``value``."""
        return self.term(value).zh

    def as_json(self) -> dict[str, object]:
        """The vocabulary as JSON: its own labels, the columns it constrains, its terms."""
        return {
            "zh": self.zh,
            "en": self.en,
            "columns": list(self.columns),
            "terms": [term.as_json() for term in self.terms],
        }


def _vocabulary(
    name: str, zh: str, en: str, columns: tuple[str, ...], *terms: tuple[str, str, str]
) -> Vocabulary:
    return Vocabulary(name, zh, en, tuple(Term(*term) for term in terms), columns)


SUBDISTRICT_KINDS = _vocabulary(
    "subdistrict_kinds",
    "街道类型",
    "kind of subdistrict",
    ("subdistricts.kind",),
    ("street", "街道", "street"),
    ("town", "乡镇", "town or township"),
    # a development zone, park or state farm run like a street (管委会)
    ("zone", "开发区/园区", "development zone or park"),
)
COMMUNITY_KINDS = _vocabulary(
    "community_kinds",
    "社区类型",
    "kind of community",
    ("communities.kind",),
    ("community", "社区", "community (residents' committee)"),
    ("village", "村", "village (villagers' committee)"),
)
GRID_TYPES = _vocabulary(
    "grid_types",
    "网格类型",
    "grid type",
    ("grids.grid_type",),
    ("base", "基础网格", "base grid"),
    ("dedicated", "专属网格", "dedicated grid"),
)
DEDICATED_KINDS = _vocabulary(
    "dedicated_kinds",
    "专属网格类型",
    "what a dedicated grid serves",
    ("grids.dedicated_kind",),
    ("industrial_park", "产业园区", "industrial park"),
    ("office_tower", "商务楼宇", "office tower"),
    ("mall", "商圈市场", "mall or market"),
    ("school", "学校", "school"),
    ("hospital", "医院", "hospital"),
    ("enterprise", "企业", "enterprise"),
    ("public_security", "治安重点区域", "key public-security area"),
)
# The kind of grid a patrol standard is set for: base grids, or what a dedicated grid
# serves (grids.grid_type, else grids.dedicated_kind).
GRID_KINDS = Vocabulary(
    "grid_kinds",
    "网格种类",
    "kind of grid, as patrol standards are set",
    (GRID_TYPES.term("base"), *DEDICATED_KINDS.terms),
    ("patrol_standards.grid_kind",),
)
COMPOUND_TYPES = _vocabulary(
    "compound_types",
    "小区类型",
    "compound type",
    ("compounds.compound_type",),
    ("commercial", "商品住宅", "commercial housing"),
    ("old", "老旧小区", "old compound"),
    # no property manager, no owners' committee, no supervising unit
    ("old_unmanaged", "三无小区", "old compound with no manager"),
    ("work_unit", "单位住宅", "work-unit housing"),
    ("resettlement", "安置/公租", "resettlement or public rental"),
    ("lane_bungalow", "街巷平房", "lane bungalows"),
    ("urban_village_rental", "城中村外租房", "urban-village rentals"),
)
BUILDING_USES = _vocabulary(
    "building_uses",
    "建筑用途",
    "building use",
    ("buildings.building_use",),
    ("residential", "住宅", "residential"),
    ("mixed", "商住混合", "mixed residential and commercial"),
    ("commercial", "商业", "commercial"),
    ("office", "办公", "office"),
    ("public", "公共建筑", "public building"),
    ("school", "学校", "school"),
    ("hospital", "医院", "hospital"),
    ("industrial", "工业", "industrial"),
)
CENTRE_LEVELS = _vocabulary(
    "centre_levels",
    "党群服务中心级别",
    "service-centre level",
    ("service_centers.level",),
    ("district", "城区", "district"),
    ("subdistrict", "街道", "subdistrict"),
    ("community", "社区", "community"),
    ("compound", "小区", "compound"),
)
EVENT_SOURCES = _vocabulary(
    "event_sources",
    "事件来源",
    "event source",
    ("events.source",),
    ("qr", "扫码报事", "QR-code report"),
    ("grid_member", "网格员上报", "grid member"),
    ("hotline_12345", "12345热线", "12345 hotline"),
    ("open311", "Open311 对接", "Open311 partner system"),
    ("patrol", "巡逻发现", "patrol"),
    ("video", "视频监控", "video surveillance"),
)
# GB/T 30428's seven stages, then the ways out of the loop.
EVENT_STATUSES = _vocabulary(
    "event_statuses",
    "事件状态",
    "event status",
    ("events.status",),
    ("reported", "信息收集", "reported"),
    ("filed", "案卷建立", "filed"),
    ("dispatched", "任务派遣", "dispatched"),
    ("in_progress", "任务处理", "in progress"),
    ("handled", "处理反馈", "handled"),
    ("closed", "核查结案", "closed"),
    ("evaluated", "综合评价", "evaluated"),
    ("rejected", "不予受理", "rejected"),
    ("duplicate", "重复", "duplicate (merged)"),
    ("not_responsible", "非职责范围", "not responsible"),
)
# What gis.events.stages lets people do, plus what happens by itself (report, escalate).
EVENT_ACTIONS = _vocabulary(
    "event_actions",
    "事件操作",
    "event action",
    ("event_history.action",),
    ("report", "上报", "report"),
    ("file", "立案", "file"),
    ("dispatch", "派遣", "dispatch"),
    ("accept", "接单", "accept"),
    ("handle", "处理反馈", "report back"),
    ("close", "核查结案", "verify and close"),
    ("evaluate", "评价", "evaluate"),
    ("rework", "返工", "rework"),
    ("settle", "就地解决", "settle on the spot"),
    ("return", "退回", "return for another dispatch"),
    ("reject", "不予受理", "reject"),
    ("not_responsible", "非职责范围", "not responsible"),
    ("merge", "合并", "merge as a duplicate"),
    ("escalate", "超期督办", "escalate when overdue"),
)
_PERSON_ROLES = (
    ("admin", "管理员", "administrator"),
    ("staff", "指挥中心", "command-centre staff"),
    ("department", "部门处置人员", "department handler"),
    ("grid_member", "网格员", "grid member"),
    ("auditor", "考核", "auditor"),
    ("planner", "规划", "planner"),
)
_SYSTEM_ROLES = (("open311", "对接系统", "partner system (Open311)"),)
# a team token uploads its patrol team's tracks (gis.patrols) and acts on no event
_TOKEN_ROLES = (*_PERSON_ROLES, *_SYSTEM_ROLES, ("team", "巡逻队", "patrol team"))
# Who signs in (gis.people) and what tokens stand for (gis.tokens).
PERSON_ROLES = _vocabulary(
    "person_roles", "人员角色", "person role", ("people.role",), *_PERSON_ROLES
)
TOKEN_ROLES = _vocabulary(
    "token_roles", "令牌角色", "token role", ("api_tokens.role",), *_TOKEN_ROLES
)
# Whoever acts on an event: a token's holder, or someone without a token.
ACTOR_ROLES = _vocabulary(
    "actor_roles",
    "操作人角色",
    "who acted",
    ("event_history.actor_role",),
    *_PERSON_ROLES,
    *_SYSTEM_ROLES,
    ("public", "群众", "the public"),
    ("reporter", "报事人", "the reporter"),
    ("system", "系统", "onemap itself"),
)
LOCATION_SOURCES = _vocabulary(
    "location_sources",
    "定位来源",
    "where the location came from",
    ("events.location_source",),
    ("point", "地图选点", "point given"),
    ("photo", "照片定位", "photo's GPS position"),
    ("address", "地址", "address"),
)
ASSIGNEE_KINDS = _vocabulary(
    "assignee_kinds",
    "承办方类型",
    "who handles",
    ("events.assignee_kind", "dispatch_rules.assignee_kind"),
    ("department", "职能部门", "department"),
    ("grid", "网格", "grid"),
)
# Who patrols: volunteers (紫马甲 with the police among them), the police, couriers (红骑手),
# grid members on their rounds, and units backing grids under 双派互促.
TEAM_KINDS = _vocabulary(
    "team_kinds",
    "巡逻队伍",
    "kind of patrol team",
    ("patrol_teams.kind", "patrol_rules.team_kind"),
    ("volunteers", "志愿者", "volunteers (purple vests among them)"),
    ("police", "民警", "police"),
    ("couriers", "红骑手", "couriers (red riders)"),
    ("grid_members", "网格员", "grid members"),
    ("units", "下沉单位", "backing units"),
)
STREET_CLASSES = _vocabulary(
    "street_classes",
    "道路等级",
    "street class",
    ("streets.street_class",),
    ("primary", "主干路", "primary"),
    ("secondary", "次干路", "secondary"),
    ("residential", "支路", "residential"),
    ("unclassified", "乡村道路", "rural road"),
    ("service", "内部道路", "service road"),
    ("footway", "步行道", "footway"),
)
SERVICE_AREA_METHODS = _vocabulary(
    "service_area_methods",
    "服务圈算法",
    "how a service area was drawn",
    ("service_areas.method",),
    ("network", "路网步行", "walked along the network"),
    ("straight_line", "直线距离（无路网）", "straight line (no walking network)"),
)

# The page's own words (web/: titles, legend, popups, status), so that the one map too
# takes every label from the API and its English toggle has something to switch to.
# Stored nowhere; `{name}` marks where the page puts a figure.
INTERFACE_WORDS = _vocabulary(
    "interface_words",
    "界面用语",
    "words of the one map page",
    (),
    # {place}: what the map covers (GET /api/v1/area), as the division codes name it; they
    # have no English names, so the English page names the place in Chinese too
    ("page_title", "{place} 一张图", "{place} one map"),
    ("page_title_empty", "一张图（暂无区县）", "One map (no county yet)"),
    ("area_counties", "{count} 个区县", "{count} counties"),
    ("map_label", "{place}网格地图", "map of {place}'s grids"),
    ("loading", "正在加载…", "loading…"),
    ("switch_language", "English 英文", "中文 Chinese"),
    ("layers", "图层", "Layers"),
    ("legend", "图例", "Legend"),
    ("layer_subdistricts", "街道", "Subdistricts"),
    ("layer_communities", "社区", "Communities"),
    ("layer_grids", "网格", "Grids"),
    ("layer_water", "水域", "Water"),
    ("layer_compounds", "小区", "Compounds"),
    ("layer_buildings", "楼栋", "Buildings"),
    ("layer_service_areas", "服务圈", "Service areas"),
    ("layer_uncovered", "未覆盖楼栋", "Uncovered buildings"),
    ("legend_subdistricts", "街道边界", "subdistrict boundary"),
    ("legend_communities", "社区边界", "community boundary"),
    ("legend_compounds", "小区范围", "compound outline"),
    ("legend_buildings", "楼栋（放大至 {zoom} 级显示）", "building (from zoom {zoom})"),
    ("legend_service_areas", "步行 {minutes} 分钟可达范围", "reached in a {minutes}-minute walk"),
    ("legend_uncovered", "服务圈外的住户楼栋", "homes outside every service area"),
    ("minutes", "{minutes} 分钟", "{minutes} minutes"),
    ("grid_info", "网格信息", "Grid"),
    (
        "grid_hint",
        "将鼠标移到网格上查看，点击放大",
        "hover over a grid to see it, click to zoom in",
    ),
    ("community_code", "社区编码", "community code"),
    ("grid_code", "网格编码", "grid code"),
    ("building_code", "楼栋编码", "building code"),
    ("type", "类型", "type"),
    ("team", "队伍", "team"),
    (
        "team_counts",
        "网格长 {leaders} · 指导员 {instructors} · 网格员 {members}",
        "{leaders} leader · {instructors} instructor · {members} members",
    ),
    ("grids", "网格数", "grids"),
    ("compounds", "小区数", "compounds"),
    ("buildings", "楼栋数", "buildings"),
    ("households", "户数", "households"),
    ("population", "人口", "residents"),
    ("use", "用途", "use"),
    ("floors", "层数", "floors"),
    ("units", "单元", "stairwells"),
    ("built_year", "建成年份", "year built"),
    ("property_manager", "物业管理", "property manager"),
    ("yes", "有", "yes"),
    ("no", "无", "no"),
    ("level", "级别", "level"),
    ("walk", "步行", "walk"),
    ("walk_minutes", "{minutes} 分钟（{metres} 米）", "{minutes} min ({metres} m)"),
    ("method", "方法", "method"),
    ("households_reached", "覆盖户数", "households reached"),
    ("population_reached", "覆盖人口", "residents reached"),
    ("nearest_centre", "最近服务中心", "nearest service centre"),
    ("straight_metres", "{metres} 米（直线）", "{metres} m (straight line)"),
    ("status_count", "{layer} {drawn} 个", "{layer}: {drawn}"),
    (
        "status_capped",
        "{layer} {drawn} / {matched}（已达上限，请放大）",
        "{layer}: {drawn} of {matched} (limit reached, zoom in)",
    ),
    ("status_zoom_in", "放大至 {zoom} 级显示{layer}", "{layer}: zoom in to {zoom}"),
    ("status_failed", "{layer}加载失败：{detail}", "{layer} failed to load: {detail}"),
    # events on the map, their filters, the queue and an event's panel (web/layers/events.js,
    # web/panels/)
    ("layer_events", "事件", "Events"),
    ("legend_event_escalated", "升级督办", "escalated"),
    ("legend_event_cluster", "聚合（放大查看）", "cluster (zoom in)"),
    ("event_filters", "事件筛选", "Event filters"),
    ("filter_from", "上报起", "reported from"),
    ("filter_to", "上报止", "reported to"),
    ("filter_any", "全部", "all"),
    ("filter_open", "未结案", "open"),
    ("event_queue", "待办事件", "Open events"),
    ("queue_counts", "共 {total} 件，超期 {overdue} 件", "{total} open, {overdue} overdue"),
    ("queue_shown", "显示前 {shown} 件", "first {shown} shown"),
    ("queue_empty", "暂无未结案事件", "no open events"),
    ("live_on", "实时", "live"),
    ("live_reconnecting", "实时连接中断，正在重连", "live feed lost, reconnecting"),
    ("event_panel", "事件详情", "Event"),
    ("tracking_number", "受理编号", "tracking number"),
    ("event_category", "类别", "category"),
    ("event_source", "来源", "source"),
    ("event_stage", "阶段", "stage"),
    ("reported_at", "上报时间", "reported"),
    ("deadline_at", "处置时限", "deadline"),
    ("assignee", "承办", "assigned to"),
    ("assignee_grid", "网格 {code}", "grid {code}"),
    ("supervised_by", "督办", "supervised by"),
    ("event_description", "描述", "description"),
    ("event_overdue", "超期", "overdue"),
    ("event_cell_count", "此处 {events} 件事件", "{events} events here"),
    ("event_cell_overdue", "其中超期 {overdue} 件", "{overdue} of them overdue"),
    ("event_cell_hint", "点击放大查看", "click to zoom in"),
    ("event_escalated", "升级督办（{level} 级）", "escalated (level {level})"),
    ("event_history", "处置记录", "History"),
    ("event_actions", "处置", "Act"),
    ("action_note", "备注", "note"),
    ("action_failed", "操作未完成：{detail}", "not done: {detail}"),
    ("signed_in_as", "操作人：{name}（{role}）", "acting: {name} ({role})"),
    ("close", "关闭", "close"),
    ("sign_in_to_act", "指挥中心人员登录后处置", "command staff: sign in to act"),
    ("dispatch_department", "派往", "send to"),
    ("dispatch_by_rules", "按派单规则", "by the dispatch rules"),
    ("dispatch_to_grid", "事件所在网格", "the event's grid"),
    ("evaluation_rating", "评价（1–5 分）", "rating (1–5)"),
    ("merge_into", "重复于（受理编号）", "duplicate of (tracking number)"),
    # the notes onemap writes itself in an event's history, by their code
    # (event_history.details.note_code); notes people typed are shown as typed
    (
        "note_escalated",
        "已超期（时限 {deadline}），升级由{centre}督办",
        "overdue since {deadline}: supervised by {centre}",
    ),
    (
        "note_dispatched",
        "派往{assignee}，{hours} 小时内处置",
        "dispatched to {assignee}, within {hours} h",
    ),
    (
        "note_likely_duplicate",
        "疑似与 {tracking_number} 重复（相距 {metres} 米），待指挥中心合并或派遣",
        "likely duplicate of {tracking_number} ({metres} m away);"
        " held for staff to merge or dispatch",
    ),
    (
        "note_no_rule",
        "此处此类别无派单规则，待指挥中心派遣",
        "no dispatch rule covers this category here; waiting for staff",
    ),
    ("note_hotline_import", "自 12345 热线导入", "imported from the 12345 hotline"),
    # who supervises an event at each escalation level (gis/events/stages.py CENTRES)
    ("supervisor_0", "社区站", "the community station"),
    ("supervisor_1", "街道分中心", "the subdistrict sub-centre"),
    ("supervisor_2", "城区中心", "the district centre"),
    # the analysis panels: choropleths, charts, search and the place panel
    ("analysis", "专题分析", "Analysis"),
    ("choropleth_on", "分级着色", "Colour areas"),
    ("indicator", "指标", "indicator"),
    ("classes_method", "分级方法", "classes by"),
    ("method_quantiles", "分位数", "quantiles"),
    ("method_natural_breaks", "自然断点", "natural breaks"),
    ("no_value", "无数据", "no value"),
    ("no_value_count", "无数据（{count} 个）", "no value ({count})"),
    ("class_range", "{lower} – {upper}（{count} 个）", "{lower} – {upper} ({count})"),
    ("district_figure", "全区 {value}", "district {value}"),
    ("indicator_events_per_1000_households", "每千户事件数", "events per 1,000 households"),
    ("indicator_closure_rate", "结案率", "closure rate"),
    ("indicator_on_time_closure_rate", "按期结案率", "on-time closure rate"),
    ("indicator_overdue_share", "超期率", "overdue share"),
    ("indicator_mean_rating", "平均评价", "mean rating"),
    ("indicator_households_per_member", "网格员人均服务户数", "households per grid member"),
    ("indicator_service_coverage_15", "15分钟服务圈覆盖率", "15-minute coverage"),
    ("indicator_patrol_coverage", "巡查覆盖率（需登录）", "patrol coverage (sign in)"),
    ("indicator_patrol_standard", "巡查达标率（需登录）", "visits against the standard (sign in)"),
    ("charts", "事件统计", "Event statistics"),
    ("chart_by_month", "按月趋势", "by month"),
    ("chart_by_category", "按类别", "by category"),
    ("chart_by_source", "按来源", "by source"),
    ("events_reported", "上报", "reported"),
    ("events_closed", "结案", "closed"),
    ("events_overdue", "超期事件", "overdue"),
    ("show", "显示", "show"),
    ("hide", "收起", "hide"),
    ("search", "搜索", "Search"),
    ("search_placeholder", "输入编码或名称", "code or name"),
    ("search_none", "未找到“{query}”", "nothing found for “{query}”"),
    ("place_panel", "详情", "Details"),
    ("place_people", "人口与队伍", "people and team"),
    ("code", "编码", "code"),
    ("team_leaders", "网格长", "grid leaders"),
    ("team_instructors", "网格指导员", "instructors"),
    ("team_members", "网格员", "grid members"),
    ("team_people", "网格员姓名", "grid members' names"),
    ("centres", "党群服务中心", "service centres"),
    (
        "centre_standard",
        "标准：社区 ≥ {community} m²，小区 ≥ {compound} m²",
        "standard: community ≥ {community} m², compound ≥ {compound} m²",
    ),
    ("centre_area", "{area} m²（要求 {required} m²）", "{area} m² ({required} m² required)"),
    ("centre_short", "缺 {shortfall} m²", "{shortfall} m² short"),
    ("centre_meets", "达标", "meets"),
    ("coverage_15", "15分钟服务圈覆盖", "15-minute coverage"),
    (
        "coverage_share",
        "{covered} / {households} 户（{share}）",
        "{covered} of {households} households ({share})",
    ),
    ("patrols", "巡查", "patrols"),
    (
        "patrol_buildings",
        "巡到楼栋 {patrolled} / {buildings}",
        "buildings patrolled {patrolled} of {buildings}",
    ),
    (
        "patrol_grids",
        "达标网格 {meeting} / {grids}",
        "grids meeting the standard {meeting} of {grids}",
    ),
    ("patrol_last", "最近巡查", "last patrol"),
    (
        "events_counts",
        "共 {events} 件 · 在办 {open} · 超期 {overdue}",
        "{events} in all · {open} open · {overdue} overdue",
    ),
    ("events_public", "公众视图", "public view"),
    ("deadline", "期限 {deadline}", "due {deadline}"),
    ("indicators", "指标（本地 / 全区）", "indicators (here / district)"),
    ("grid_of", "所在网格", "in grid"),
    # the patrol layers (web/layers/patrol*.js, streetPatrols.js, blindSpots.js)
    ("patrol_month", "巡逻月份", "Patrol month"),
    ("patrol_layer_tracks", "巡逻轨迹", "Patrol tracks"),
    ("patrol_layer_streets", "道路巡逻覆盖", "Street patrols"),
    ("patrol_layer_blind_spots", "巡逻盲区事件", "Patrol blind spots"),
    ("patrol_legend_track", "{kind}巡逻轨迹", "{kind} track"),
    (
        "patrol_legend_unpatrolled",
        "未巡路段：{month} 无巡逻经过 30 米内",
        "unpatrolled: no patrol within 30 m in {month}",
    ),
    (
        "patrol_legend_patrolled",
        "已巡路段：{month} 有巡逻经过 30 米内（放大至 {zoom} 级显示）",
        "patrolled: a patrol passed within 30 m in {month} (from zoom {zoom})",
    ),
    (
        "patrol_legend_blind_spot",
        "巡逻盲区：事发前 {days} 天内附近无巡逻的事件",
        "blind spot: an event no patrol came near in the {days} days before",
    ),
    ("patrol_team_kind", "巡逻队伍类型", "kind of team"),
    ("patrol_members", "巡逻人数", "on patrol"),
    ("patrol_length", "巡逻长度", "length"),
    ("patrol_kilometres", "{km} 公里", "{km} km"),
    ("patrol_metres", "{metres} 米", "{metres} m"),
    ("patrol_started_at", "巡逻开始", "started"),
    ("patrol_ended_at", "巡逻结束", "ended"),
    ("patrol_clues", "巡逻发现线索", "clues found"),
    ("patrol_street_state", "路段巡逻情况", "patrol state"),
    ("patrol_patrolled", "已巡", "patrolled"),
    ("patrol_unpatrolled", "未巡", "not patrolled"),
    ("patrol_passes", "巡逻经过次数", "patrols passing"),
    ("patrol_last_passed", "最近巡逻经过", "last passed"),
    ("patrol_grid", "巡逻所在网格", "grid"),
    ("patrol_blind_spot_number", "盲区事件编号", "tracking number"),
    ("patrol_reported_at", "盲区事件上报时间", "reported"),
    ("patrol_blind_spot_rule", "盲区判定", "blind spot rule"),
    ("patrol_within_metres", "{metres} 米内无巡逻", "no patrol within {metres} m"),
    ("patrol_nearest", "最近的巡逻", "nearest patrol"),
    ("patrol_nearest_at", "{metres} 米，{at}", "{metres} m, {at}"),
    ("patrol_nearest_none", "此前 30 天 500 米内无巡逻", "none within 500 m in the 30 days before"),
    # the period of the choropleth, the charts and the wall screen (web/panels/period.js)
    ("period_label", "统计周期", "period"),
    ("period_all", "全部时段", "all time"),
    ("period_month", "按月统计", "month"),
    ("period_quarter", "按季度统计", "quarter"),
    ("period_year", "按年度统计", "year"),
    ("period_range", "自定义统计时段", "from – to"),
    ("period_quarter_number", "第 {quarter} 季度", "Q{quarter}"),
    ("period_from", "统计起始日", "from"),
    ("period_to", "统计截止日（含）", "to (inclusive)"),
    ("period_classes", "分级数", "classes"),
    # the command centre's wall screen (大屏, web/panels/wall.js) and the side drawer
    ("wall_mode", "大屏模式", "Wall screen"),
    ("wall_exit", "退出大屏", "Leave the wall screen"),
    ("wall_open_events", "在办事件（当前）", "open events (now)"),
    ("wall_overdue_events", "超期在办（当前）", "overdue, open (now)"),
    ("wall_patrol_coverage", "巡查覆盖率（统计周期）", "patrol coverage (period)"),
    ("wall_live_feed", "实时事件动态", "Live events"),
    ("wall_feed_waiting", "等待新的事件动态…", "waiting for events…"),
    ("wall_updated", "大屏数据更新于 {time}", "figures as of {time}"),
    ("wall_drawer_close", "收起侧栏", "close the side panel"),
)

VOCABULARIES: dict[str, Vocabulary] = {
    vocabulary.name: vocabulary
    for vocabulary in (
        SUBDISTRICT_KINDS,
        COMMUNITY_KINDS,
        GRID_TYPES,
        DEDICATED_KINDS,
        GRID_KINDS,
        COMPOUND_TYPES,
        BUILDING_USES,
        CENTRE_LEVELS,
        EVENT_SOURCES,
        EVENT_STATUSES,
        EVENT_ACTIONS,
        PERSON_ROLES,
        TOKEN_ROLES,
        ACTOR_ROLES,
        LOCATION_SOURCES,
        ASSIGNEE_KINDS,
        TEAM_KINDS,
        STREET_CLASSES,
        SERVICE_AREA_METHODS,
        INTERFACE_WORDS,
    )
}


def label(vocabulary: str, value: str) -> str:
    """The Chinese label of ``value`` in the named vocabulary."""
    return VOCABULARIES[vocabulary].label(value)


async def event_categories(conn: AsyncConnection) -> Vocabulary:
    """The event categories as a vocabulary: classes (2 digits) and their subclasses
    (4 digits, ``parent`` the class), in code order, as the table holds them."""
    cursor = await conn.execute(
        "SELECT category_code, name, name_en, parent_code FROM event_categories"
        " ORDER BY category_code"
    )
    terms = tuple(Term(*row) for row in await cursor.fetchall())
    return Vocabulary("event_categories", "事件类别", "event category", terms)


async def as_json(conn: AsyncConnection) -> dict[str, object]:
    """Every vocabulary, the event categories last, as the API serves them."""
    vocabularies = [*VOCABULARIES.values(), await event_categories(conn)]
    return {vocabulary.name: vocabulary.as_json() for vocabulary in vocabularies}
