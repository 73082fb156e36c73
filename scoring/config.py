"""The ICP as configuration: criteria, weights, threshold, tiers, signals and personas.

An ICP is a YAML file validated by these models (`extra="forbid"` everywhere). Errors name the
file, the line and the key. The version of an ICP is a hash of everything that affects scores,
so editing a persona does not invalidate stored scores.

    >>> cfg = load_icp_text('''
    ... name: Example
    ... criteria:
    ...   - id: industry
    ...     dimension: firmographic
    ...     kind: must_have
    ...     weight: 40
    ...     field: industry
    ...     match: {one_of: [software]}
    ... ''')
    >>> cfg.criteria[0].kind.value
    'must_have'
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scoring.domain import CriterionKind, Dimension, EventType, StakeholderRole, Tier
from scoring.errors import IcpConfigError

# Profile fields a criterion may read. `custom.<name>` reads a CRM column kept as-is.
NUMERIC_FIELDS = frozenset({"revenue", "employees", "founded_year", "revenue_potential", "age_years"})
TEXT_FIELDS = frozenset(
    {
        "industry",
        "country",
        "region",
        "city",
        "domain",
        "parent_company",
        "growth_stage",
        "cloud_orientation",
        "currency",
        "name",
    }
)
LIST_FIELDS = frozenset(
    {
        "technologies",
        "tech_categories",
        "legacy_systems",
        "structure",
        "priorities",
        "pains",
        "competitors",
        "relationships",
        "integration_requirements",
        "it_maturity",
    }
)
EVENT_FIELD = "events"
KNOWN_FIELDS = NUMERIC_FIELDS | TEXT_FIELDS | LIST_FIELDS | {EVENT_FIELD}

_STRICT = ConfigDict(extra="forbid", frozen=True)
_CURRENCY = re.compile(r"[A-Z]{3}")


def _is_custom(field: str) -> bool:
    return field.startswith("custom.") and len(field) > len("custom.")


class _LocatedError(ValueError):
    """A validation error that knows which key below the validated object it is about.

    Pydantic reports model-level errors at the model's own location; the loader appends `loc`
    so the message names the exact line and key (for example `signals.buying[2]`).
    """

    def __init__(self, loc: tuple[int | str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class Range(BaseModel):
    """A numeric range, both ends inclusive; a missing end is open."""

    model_config = _STRICT

    min: float | None = Field(default=None, description="Lowest value that matches (inclusive).")
    max: float | None = Field(default=None, description="Highest value that matches (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("a range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _LocatedError(("min",), f"min ({self.min:g}) is above max ({self.max:g})")
        return self

    def describe(self) -> str:
        """Returns the range in words."""
        if self.min is not None and self.max is not None:
            return f"between {_num(self.min)} and {_num(self.max)}"
        if self.min is not None:
            return f"at least {_num(self.min)}"
        return f"at most {_num(self.max or 0)}"


class Recent(BaseModel):
    """A trigger event of the given types within the last `within_days` days."""

    model_config = _STRICT

    event: list[EventType] = Field(min_length=1, description="Event types that count.")
    within_days: int = Field(gt=0, le=3650, description="How many days back an event counts.")
    min_materiality: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("event", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class Match(BaseModel):
    """Exactly one matcher: one_of, equals, range, contains_any, contains_all, exists or recent."""

    model_config = _STRICT

    one_of: list[str] | None = Field(default=None, min_length=1)
    equals: str | float | bool | None = None
    range: Range | None = None
    contains_any: list[str] | None = Field(default=None, min_length=1)
    contains_all: list[str] | None = Field(default=None, min_length=1)
    exists: bool | None = None
    recent: Recent | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Match:
        chosen = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "a match needs exactly one of one_of, equals, range, contains_any, contains_all, "
                f"exists, recent (got {', '.join(chosen) or 'none'})"
            )
        return self

    @property
    def op(self) -> str:
        """Returns the matcher's name."""
        for name in type(self).model_fields:
            if getattr(self, name) is not None:
                return name
        raise AssertionError("validated Match has one matcher")


class Criterion(BaseModel):
    """One ICP criterion: what it reads, how it matches and what it is worth."""

    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="Stable id, snake_case.")
    label: str = ""
    description: str = ""
    dimension: Dimension
    kind: CriterionKind
    weight: float = Field(default=0.0, ge=0.0, le=1000.0)
    field: str
    match: Match

    @model_validator(mode="after")
    def _coherent(self) -> Criterion:
        if self.field not in KNOWN_FIELDS and not _is_custom(self.field):
            known = ", ".join(sorted(KNOWN_FIELDS))
            raise _LocatedError(("field",), f"unknown field {self.field!r}; use one of {known} or custom.<column>")
        op = self.match.op
        if op == "recent" and self.field != EVENT_FIELD:
            raise _LocatedError(("match", "recent"), "the recent matcher reads trigger events: set field: events")
        if self.field == EVENT_FIELD and op not in {"recent", "exists"}:
            raise _LocatedError(("match", op), "field events takes the recent or exists matcher")
        if op == "range" and self.field not in NUMERIC_FIELDS and not _is_custom(self.field):
            raise _LocatedError(("match", op), f"range needs a numeric field ({', '.join(sorted(NUMERIC_FIELDS))})")
        if op in {"contains_any", "contains_all"} and self.field in NUMERIC_FIELDS:
            raise _LocatedError(("match", op), f"{op} needs a text or list field, not {self.field}")
        if self.kind is CriterionKind.DISQUALIFIER and self.weight != 0:
            raise _LocatedError(("weight",), "disqualifiers carry no weight: they remove an account whatever it scores")
        return self

    @property
    def title(self) -> str:
        """Returns the label, or the id in words."""
        return self.label or self.id.replace("_", " ")

    def describe(self) -> str:
        """Returns the condition in words."""
        m = self.match
        f = self.field.removeprefix("custom.").replace("_", " ")
        if m.one_of is not None:
            return f"{f} is one of {', '.join(m.one_of)}"
        if m.equals is not None:
            wanted = str(m.equals).lower() if isinstance(m.equals, bool) else m.equals
            return f"{f} equals {_num(wanted) if isinstance(wanted, float) else wanted}"
        if m.range is not None:
            return f"{f} {m.range.describe()}"
        if m.contains_any is not None:
            return f"{f} include any of {', '.join(m.contains_any)}"
        if m.contains_all is not None:
            return f"{f} include all of {', '.join(m.contains_all)}"
        if m.exists is not None and self.field == EVENT_FIELD:
            return "a trigger event is on record" if m.exists else "no trigger event is on record"
        if m.exists is not None:
            return f"{f} is {'known' if m.exists else 'absent'}"
        if m.recent is not None:
            kinds = " or ".join(e.value.replace("_", " ") for e in m.recent.event)
            article = "an" if kinds[0] in "aeiou" else "a"
            floor = f" (materiality ≥ {m.recent.min_materiality:g})" if m.recent.min_materiality > 0 else ""
            return f"{article} {kinds} event within {m.recent.within_days} days{floor}"
        raise AssertionError("validated Match has one matcher")


class TierRule(BaseModel):
    """The minimums an account must reach for a tier; the best tier whose minimums hold wins."""

    model_config = _STRICT

    tier: Literal[Tier.TIER_1, Tier.TIER_2, Tier.TIER_3]
    min_fit: float = Field(ge=0.0, le=100.0, description="Lowest fit % for the tier (inclusive).")
    min_potential: float | None = Field(default=None, ge=0.0, description="Lowest revenue potential.")
    requires: Literal["buying", "in_market"] | None = Field(
        default=None, description="A signal the account must show: buying or in-market."
    )


class PotentialRule(BaseModel):
    """Revenue potential from a profile field: the first rule whose range holds gives the value."""

    model_config = _STRICT

    field: str
    min: float | None = None
    max: float | None = None
    value: float = Field(ge=0.0)

    @field_validator("field")
    @classmethod
    def _numeric(cls, v: str) -> str:
        return _numeric_field(v)

    @model_validator(mode="after")
    def _ordered(self) -> PotentialRule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _LocatedError(("min",), f"min ({self.min:g}) is above max ({self.max:g})")
        return self


def _numeric_field(v: str) -> str:
    if v not in NUMERIC_FIELDS and not _is_custom(v):
        raise ValueError(
            f"revenue potential reads a numeric field ({', '.join(sorted(NUMERIC_FIELDS))}) or custom.<column>"
        )
    return v


class PotentialConfig(BaseModel):
    """Where revenue potential comes from: a CRM column when present, else the first matching rule."""

    model_config = _STRICT

    field: str | None = Field(default="revenue_potential", description="Profile field read first.")
    rules: list[PotentialRule] = Field(default_factory=list)
    currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="Tier minimums on potential are in this currency; a CRM potential in another is converted.",
    )
    unknown_blocks: bool = Field(
        default=False,
        description="When true an account with unknown potential cannot reach a tier with a minimum.",
    )

    @field_validator("field")
    @classmethod
    def _numeric(cls, v: str | None) -> str | None:
        return None if v is None else _numeric_field(v)


class Signals(BaseModel):
    """Criteria whose being met counts as a buying signal or an in-market indicator."""

    model_config = _STRICT

    buying: list[str] = Field(default_factory=list)
    in_market: list[str] = Field(default_factory=list)


class Persona(BaseModel):
    """Who plays a stakeholder role: titles, departments and seniority, matched case-insensitively."""

    model_config = _STRICT

    description: str = ""
    titles: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    seniority: list[str] = Field(default_factory=list)


def _default_tiers(signals: Any = None) -> list[TierRule]:
    """Returns the default tier rules; a tier requires a signal only when the ICP declares such signals."""
    declared = signals if isinstance(signals, dict) else {}
    buying = "buying" if declared.get("buying") else None
    # Tier 3 asks for an in-market signal only beside a Tier 2 that asks for a buying one, so a
    # better tier never demands less than a worse one
    in_market = "in_market" if declared.get("in_market") else None
    return [
        TierRule(tier=Tier.TIER_1, min_fit=90, min_potential=1_000_000),
        TierRule(tier=Tier.TIER_2, min_fit=70, min_potential=250_000, requires=buying),
        TierRule(tier=Tier.TIER_3, min_fit=50, min_potential=50_000, requires=in_market if buying else None),
    ]


class IcpConfig(BaseModel):
    """A whole ICP: criteria over four dimensions, the fit threshold, tiers, signals and personas."""

    model_config = _STRICT

    name: str
    description: str = ""
    threshold: float = Field(default=50.0, ge=0.0, le=100.0, description="Minimum fit % worth pursuing.")
    criteria: list[Criterion] = Field(min_length=1)
    tiers: list[TierRule] = Field(default_factory=_default_tiers, min_length=1)
    signals: Signals = Field(default_factory=Signals)
    potential: PotentialConfig = Field(default_factory=PotentialConfig)
    currency: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Revenue criteria are in this currency; account revenue in another currency is converted.",
    )
    fx_rates: dict[str, float] = Field(
        default_factory=dict,
        description="Units of `currency` per unit of another currency (overrides the built-in table).",
    )
    personas: dict[StakeholderRole, Persona] = Field(default_factory=dict)

    @field_validator("fx_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        for code, value in v.items():
            if not _CURRENCY.fullmatch(code):
                raise _LocatedError((code,), f"{code!r} is not a currency code: use three capital letters, e.g. USD")
            if not (math.isfinite(value) and value > 0):
                raise _LocatedError((code,), f"a rate must be a number above 0, not {value:g}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _fill_tiers(cls, data: Any) -> Any:
        # without this an ICP that declares no signals could never use the default tiers
        if isinstance(data, dict) and "tiers" not in data:
            return {**data, "tiers": _default_tiers(data.get("signals"))}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> IcpConfig:
        ids = [c.id for c in self.criteria]
        seen: set[str] = set()
        for i, cid in enumerate(ids):
            if cid in seen:
                raise _LocatedError(("criteria", i, "id"), f"criterion ids must be unique: {cid} appears twice")
            seen.add(cid)
        if not any(c.weight > 0 for c in self.criteria if c.kind is not CriterionKind.DISQUALIFIER):
            raise _LocatedError(("criteria",), "at least one non-disqualifier criterion needs a weight above 0")
        if self.fx_rates and self.currency is None:
            raise _LocatedError(
                ("fx_rates",), "fx_rates are units of currency per unit of another currency: set currency too"
            )
        kinds = {c.id: c.kind for c in self.criteria}
        for name in ("buying", "in_market"):
            for i, cid in enumerate(getattr(self.signals, name)):
                if cid not in kinds:
                    raise _LocatedError(("signals", name, i), f"signals.{name} names an unknown criterion: {cid}")
                if kinds[cid] is CriterionKind.DISQUALIFIER:
                    # a disqualifier that holds is `disqualified`, never `met`, so it could never signal
                    raise _LocatedError(("signals", name, i), f"signals.{name} names a disqualifier: {cid}")
        seen_tiers: set[Tier] = set()
        for i, t in enumerate(self.tiers):
            if t.tier in seen_tiers:
                raise _LocatedError(("tiers", i, "tier"), f"each tier may appear once in tiers: {t.tier.value}")
            seen_tiers.add(t.tier)
        ordered = sorted(self.tiers, key=lambda t: t.tier.rank)
        fits = [t.min_fit for t in ordered]
        if fits != sorted(fits, reverse=True):
            raise _LocatedError(("tiers",), "tier min_fit must not rise from Tier 1 down to Tier 3")
        if ordered[-1].min_fit < self.threshold:
            raise _LocatedError(
                ("threshold",),
                f"{ordered[-1].tier.value} min_fit ({ordered[-1].min_fit:g}) is below the threshold "
                f"({self.threshold:g}): accounts under the threshold are never a target",
            )
        for i, rule in enumerate(self.tiers):
            if rule.requires and not getattr(self.signals, rule.requires):
                raise _LocatedError(
                    ("tiers", i, "requires"),
                    f"{rule.tier.value} requires {rule.requires} signals but signals.{rule.requires} is empty",
                )
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> IcpConfig:
        """Returns a copy, with `update` applied unvalidated; cached totals and version are recomputed."""
        copy = super().model_copy(update=update, deep=deep)
        for name in _CACHED:
            copy.__dict__.pop(name, None)  # a copied cache would give a reweighted ICP the old version
        return copy

    @property
    def scoring_criteria(self) -> list[Criterion]:
        """Returns the criteria that carry points (every kind except disqualifiers)."""
        return [c for c in self.criteria if c.kind is not CriterionKind.DISQUALIFIER]

    @cached_property
    def total_weight(self) -> float:
        """Returns the sum of the weights that fit is measured against."""
        return float(sum(c.weight for c in self.scoring_criteria))

    @property
    def ordered_tiers(self) -> list[TierRule]:
        """Returns the tier rules best first."""
        return sorted(self.tiers, key=lambda t: t.tier.rank)

    @cached_property
    def version(self) -> str:
        """Returns a content hash of everything that affects scores.

        Personas and descriptions (of the ICP and of each criterion) are left out: editing them
        does not change any score, so stored scores stay valid.
        """
        payload = self.model_dump(
            mode="json",
            exclude={"personas": True, "description": True, "criteria": {"__all__": {"description"}}},
        )
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def criterion(self, criterion_id: str) -> Criterion:
        """Returns a criterion by id."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def describe(self) -> list[str]:
        """Returns the ICP in plain sentences, as `icp config check` prints it."""
        out = [f"ICP {self.name!r} (version {self.version})."]
        if self.description:
            out.append(self.description.strip())
        total = self.total_weight
        out.append(
            f"{len(self.criteria)} criteria; fit is the share of {total:g} weight points an account meets. "
            f"Below {self.threshold:g}% an account is not worth pursuing."
        )
        for dim in Dimension:
            crits = [c for c in self.criteria if c.dimension is dim]
            if not crits:
                continue
            out.append(f"{dim.value.capitalize()}:")
            for c in crits:
                share = f"{100 * c.weight / total:.0f}% of fit" if total else "no weight"
                if c.kind is CriterionKind.DISQUALIFIER:
                    out.append(f"  - [{c.id}] disqualifies when {c.describe()}.")
                elif c.kind is CriterionKind.MUST_HAVE:
                    out.append(f"  - [{c.id}] must have: {c.describe()} ({share}; a dealbreaker when unmet).")
                else:
                    word = "strong indicator" if c.kind is CriterionKind.STRONG else "nice to have"
                    out.append(f"  - [{c.id}] {word}: {c.describe()} ({share}).")
        for rule in self.ordered_tiers:
            parts = [f"fit ≥ {rule.min_fit:g}%"]
            if rule.min_potential is not None:
                parts.append(f"revenue potential ≥ {_num(rule.min_potential)} {self.potential.currency}")
            if rule.requires:
                names = getattr(self.signals, rule.requires)
                word = "a buying" if rule.requires == "buying" else "an in-market"
                parts.append(f"{word} signal ({', '.join(names)})")
            out.append(f"{rule.tier.value}: " + ", ".join(parts) + ".")
        pot = self.potential
        src = [f"the {pot.field} column"] if pot.field else []
        if pot.rules:
            src.append(f"{len(pot.rules)} rule(s) on {', '.join(sorted({r.field for r in pot.rules}))}")
        if src:
            out.append("Revenue potential comes from " + ", then ".join(src) + ".")
        if self.currency:
            out.append(
                f"Revenue is compared in {self.currency}; other currencies are converted at approximate rates"
                + (
                    f" ({', '.join(f'{k} {v:g}' for k, v in sorted(self.fx_rates.items()))} set here)."
                    if self.fx_rates
                    else "."
                )
            )
        out.append("Unknown data is shown as unknown, never as unmet; it lowers coverage, not eligibility.")
        if self.personas:
            roles = ", ".join(r.value.replace("_", " ") for r in self.personas)
            out.append(f"Personas (not part of the score): {roles}.")
        return out


_CACHED = ("total_weight", "version")


def _num(v: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


# --- loading -------------------------------------------------------------------------------


class _IcpLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false are booleans, so the country code NO stays a string."""


_IcpLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _ch in "tTfF":
    _IcpLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_ch]
    )


def load_icp_text(text: str, *, source: str = "<icp>") -> IcpConfig:
    """Parses and validates an ICP from YAML text; errors name the source, line and key."""
    try:
        node = yaml.compose(text, Loader=_IcpLoader)
        data = yaml.load(text, Loader=_IcpLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise IcpConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from exc
    if not isinstance(data, dict):
        raise IcpConfigError([f"{source}: an ICP file is a mapping with name and criteria"])
    # PyYAML keeps the last of two equal keys without a word; a repeated weight is a real mistake
    dupes = list(_duplicate_keys(node, [], source))
    if dupes:
        raise IcpConfigError(dupes)
    try:
        return IcpConfig.model_validate(data)
    except ValidationError as exc:
        raise IcpConfigError(_format_errors(exc, node, source)) from exc


def load_icp(path: str | Path) -> IcpConfig:
    """Loads an ICP from a file path, or a built-in one by name (`default`, `maven`)."""
    p = Path(path)
    if not p.exists() and str(path) in builtin_icps():
        return load_icp_text(builtin_icp_text(str(path)), source=f"builtin:{path}")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise IcpConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from exc
    return load_icp_text(text, source=str(path))


def builtin_icps() -> list[str]:
    """Returns the names of the ICP files shipped with the package."""
    folder = resources.files("scoring") / "icps"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_icp_text(name: str) -> str:
    """Returns the YAML text of a shipped ICP."""
    return (resources.files("scoring") / "icps" / f"{name}.yaml").read_text(encoding="utf-8")


def _duplicate_keys(node: yaml.Node | None, path: list[int | str], source: str) -> Iterator[str]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            name = getattr(k, "value", None)
            if isinstance(name, str) and name != "<<":
                if name in seen:
                    key = _dotted([*path, name])
                    yield f"{source}:{k.start_mark.line + 1}: {key}: key appears twice in the same mapping"
                seen.add(name)
                yield from _duplicate_keys(v, [*path, name], source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, [*path, i], source)


def _format_errors(exc: ValidationError, root: yaml.Node | None, source: str) -> list[str]:
    # one message per key: a union (`equals: str | float | bool`) reports once per branch
    grouped: dict[tuple[str, str], list[str]] = {}
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        ctx = err.get("ctx") or {}
        loc += list(getattr(ctx.get("error"), "loc", ()))
        # pydantic puts union/literal branch names in loc; the YAML walk keeps only real path parts
        path = _path_in_yaml(root, loc)
        line = _line_of(root, path)
        key = _dotted(path) or "(top level)"
        where = f"{source}:{line}" if line else source
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the ICP format; check the spelling)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        msgs = grouped.setdefault((where, key), [])
        if msg not in msgs:
            msgs.append(msg)
    return [f"{where}: {key}: {_merge_messages(msgs)}" for (where, key), msgs in grouped.items()]


def _merge_messages(msgs: list[str]) -> str:
    prefix = "Input should be "
    if len(msgs) > 1 and all(m.startswith(prefix) for m in msgs):
        tails = [m.removeprefix(prefix) for m in msgs]
        return prefix + ", ".join(tails[:-1]) + " or " + tails[-1]
    return "; ".join(msgs)


def _path_in_yaml(root: yaml.Node | None, loc: list[int | str]) -> list[int | str]:
    """Keeps the prefix of a pydantic error location that exists in the YAML tree."""
    path: list[int | str] = []
    node = root
    for part in loc:
        child = _child(node, part)
        if child is None:
            if isinstance(part, str) and isinstance(node, yaml.MappingNode):
                path.append(part)  # a missing key: name it, point at its parent
            break
        path.append(part)
        node = child
    return path


def _child(node: yaml.Node | None, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for k, v in node.value:
            if getattr(k, "value", None) == part:
                found: yaml.Node = v
                return found
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child: yaml.Node = node.value[part]
        return child
    return None


def _line_of(root: yaml.Node | None, path: list[int | str]) -> int | None:
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line
        else:
            child = _child(node, part)
            if child is None:
                return line
            node = child
            line = node.start_mark.line + 1
    return line


def _dotted(path: list[int | str]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
