"""Links news and feed text to CRM accounts by name, alias or domain mention.

    >>> matcher = EntityMatcher([AccountRef(id=1, name="Slack Technologies, Inc.", domain="slack.com")])
    >>> [(h.account_id, h.how, h.surface) for h in matcher.match("Slack (NASDAQ:WORK) shares rose.")]
    [(1, 'name', 'Slack')]
    >>> matcher.match("Don't let your attention slack off.")
    []

How a name is matched:

- Each account yields name variants: the name as written, the name without trailing legal suffixes
  ("Inc", "Corp.", "GmbH", "S.A.", "Holdings", a trailing "Group", ...), the name without a trailing
  descriptor ("Technologies", "Software", "Labs", ...), and a leading "The" dropped; aliases the same.
  Tokens are compared case-folded, "&" equals "and", possessives ("Acme's") and inner dots
  ("S.A.") are ignored.
- Every variant goes into one token trie; `match` tokenises the text once and walks the trie from
  each token (leftmost-longest), so the cost grows with the text, not with the number of accounts.
- Names that are risky as plain words must be capitalised (exactly upper-case for acronyms) and,
  when a single dictionary word ("Slack", "Target", "Apple", "Monday"), need context as well: a
  legal suffix after it, the account's domain in the document, a company word within eight tokens
  ("shares", "CEO", "announced", "startup", ...), or another confirmed mention of the same account in
  the title or text. Such a word inside a longer capitalised phrase ("Brayden Slack", "Slack Wax
  Market") is someone else, except in a title-case headline; one followed by "market", "industry"
  or "sector" names a product category.
- The dictionary comes from `common_words.txt` beside this module (its header says how it was made).
- Domain mentions ("acme.com", "blog.acme.co.uk", an e-mail address) link by registrable domain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

from ingest.urls import UrlError, registrable_domain, url_host

__all__ = ["AccountRef", "EntityHit", "EntityMatcher", "common_words"]

How = Literal["name", "alias", "domain"]
Field = Literal["text", "title"]
_Case = Literal["any", "capital", "upper"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LEGAL_SUFFIXES = _words(
    "inc incorporated corp corporation co company ltd limited llc llp lp plc gmbh ag sa nv bv se spa srl sarl "
    "sas ab asa oy kk pte pty bhd holdings holding group"
)
_DESCRIPTORS = _words(
    "technologies technology tech software systems labs lab solutions networks international platforms "
    "interactive digital analytics robotics"
)
_CONTEXT_WORDS = _words(
    "inc corp corporation ltd llc plc gmbh shares stock stocks ceo cfo cto coo founder cofounder co-founder "
    "chairman president executive spokesperson spokesman spokeswoman announced announces announcement "
    "acquired acquires acquisition acquire merger startup start-up company companies firm nasdaq nyse ipo "
    "listing raised raises funding investors investor valuation revenue revenues earnings quarter quarterly "
    "customers customer software platform app apps headquartered employees layoffs subsidiary partnership "
    "partnered launched launches launch deal brand products product service services enterprise rival rivals "
    "competitor competitors insider analyst analysts chief"
)
# "Automotive Slack Market", "Slack Wax Market": a dictionary word naming a market, not a company.
_CATEGORY_WORDS = _words("market markets industry sector")
_COMMON_ACRONYMS = _words("us uk eu un it ai hr pr ceo cfo cto coo ipo tv usa api ar vr ok id")
_TOKEN = re.compile(r"[^\W_]+(?:[.'’&][^\W_]+)*|&")
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_JOIN_GAP = re.compile(r"[\s,.\-–—]{0,4}")
_CONTEXT_WINDOW = 8

_SCORES: dict[str, float] = {
    "domain": 1.0,
    "exact": 0.95,
    "variant": 0.9,
    "alias": 0.85,
    "strong": 0.85,
    "context": 0.7,
    "document": 0.6,
}


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account as the matcher needs it: id, name, optional aliases and web domain."""

    id: int
    name: str
    aliases: Sequence[str] = ()
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class EntityHit:
    """One mention of an account: how it matched, the surface text, its offsets and a 0-1 score.

    Offsets index into the text, or into the title when `field` is "title".
    """

    account_id: int
    how: How
    surface: str
    start: int
    end: int
    score: float
    field: Field = "text"


@dataclass(frozen=True, slots=True)
class _Variant:
    account_id: int
    how: How
    written: tuple[str, ...]
    case: _Case
    needs_context: bool
    score: float


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    variants: list[_Variant] = field(default_factory=list)


@dataclass(slots=True)
class _Tokens:
    text: str
    norms: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Candidate:
    variant: _Variant
    field: Field
    first: int
    last: int
    surface: str
    start: int
    end: int


@cache
def common_words() -> frozenset[str]:
    """Returns the built-in set of common English words (lower case) used by the common-word guard."""
    data = resources.files("ingest").joinpath("common_words.txt").read_text("utf-8")
    return frozenset(w for line in data.splitlines() if not line.startswith("#") for w in line.split())


class EntityMatcher:
    """Finds mentions of many accounts in a text with one token-trie scan.

    >>> m = EntityMatcher([AccountRef(1, "Acme Corp", aliases=("Acme Robotics",), domain="acme.com")])
    >>> [(h.how, h.surface) for h in m.match("Acme's robots, sold via acme.com")]
    [('name', "Acme's"), ('domain', 'acme.com')]
    """

    def __init__(self, accounts: Sequence[AccountRef], *, dictionary: frozenset[str] | None = None) -> None:
        self._common = common_words() if dictionary is None else dictionary
        self._trie = _Node()
        self._domains: dict[str, list[int]] = {}
        self._account_domain: dict[int, str] = {}
        for account in accounts:
            self._add_account(account)

    def match(self, text: str, *, title: str = "") -> list[EntityHit]:
        """Returns the account mentions in the title and the text, title first, each in reading order."""
        fields: list[tuple[Field, _Tokens]] = [("title", _tokenize(title)), ("text", _tokenize(text))]
        domain_hits = [hit for name, toks in fields for hit in self._domain_hits(toks, name)]
        domain_accounts = {hit.account_id for hit in domain_hits}
        confirmed: list[tuple[_Candidate, float]] = []
        pending: list[_Candidate] = []
        for name, toks in fields:
            headline = _is_headline(toks)
            for cand in self._scan(toks, name):
                score = self._judge(cand, toks, headline=headline, domain_accounts=domain_accounts)
                if score is None:
                    continue
                if score > 0:
                    confirmed.append((cand, score))
                else:
                    pending.append(cand)
        seen = domain_accounts | {cand.variant.account_id for cand, _ in confirmed}
        confirmed += [(cand, _SCORES["document"]) for cand in pending if cand.variant.account_id in seen]
        hits = domain_hits + [
            EntityHit(c.variant.account_id, c.variant.how, c.surface, c.start, c.end, score, c.field)
            for c, score in confirmed
        ]
        return sorted(hits, key=lambda h: (h.field != "title", h.start, h.account_id, h.how))

    def _add_account(self, account: AccountRef) -> None:
        if account.domain:
            try:
                domain = registrable_domain(url_host(account.domain))
            except UrlError:
                domain = ""
            if domain:
                self._domains.setdefault(domain, []).append(account.id)
                self._account_domain[account.id] = domain
        alias: How = "alias"
        names: list[tuple[str, How]] = [(account.name, "name"), *((a, alias) for a in account.aliases)]
        added: set[tuple[str, ...]] = set()
        for name, how in names:
            for written, exact in _variants(name):
                key = tuple(_normalize(t) for t in written)
                if not key or key in added:
                    continue
                added.add(key)
                self._insert(key, self._make_variant(account.id, how, written, exact=exact))

    def _make_variant(self, account_id: int, how: How, written: tuple[str, ...], *, exact: bool) -> _Variant:
        norms = [_normalize(t) for t in written]
        joined = "".join(norms)
        has_suffix = len(norms) > 1 and norms[-1] in LEGAL_SUFFIXES
        acronym = len(written) == 1 and written[0].isupper() and len(joined) <= 5
        all_common = all(n in self._common for n in norms)
        single_word = len(norms) == 1 and (all_common or joined in _COMMON_ACRONYMS)
        case: _Case = "any"
        if acronym:
            case = "upper"
        elif all_common or len(joined) <= 4:
            case = "capital"
        needs_context = single_word and not has_suffix and not (acronym and joined not in _COMMON_ACRONYMS)
        score = _SCORES["alias"] if how == "alias" else _SCORES["exact"] if exact else _SCORES["variant"]
        return _Variant(account_id, how, written, case, needs_context, score)

    def _insert(self, key: tuple[str, ...], variant: _Variant) -> None:
        node = self._trie
        for token in key:
            node = node.children.setdefault(token, _Node())
        node.variants.append(variant)

    def _scan(self, toks: _Tokens, name: Field) -> list[_Candidate]:
        """Walks the trie from each token and keeps the longest case-compatible match."""
        found: list[_Candidate] = []
        norms, n = toks.norms, len(toks.norms)
        i = 0
        while i < n:
            node = self._trie.children.get(norms[i])
            ends: list[tuple[int, list[_Variant]]] = []
            j = i
            while node is not None:
                j += 1
                if node.variants:
                    ends.append((j, node.variants))
                if j >= n or not _JOIN_GAP.fullmatch(toks.text, toks.ends[j - 1], toks.starts[j]):
                    break
                node = node.children.get(norms[j])
            step = 1
            for end, variants in reversed(ends):
                raws = [toks.text[toks.starts[k] : toks.ends[k]] for k in range(i, end)]
                fitting = [v for v in variants if _case_fits(v, raws)]
                if fitting:
                    start, stop = toks.starts[i], toks.ends[end - 1]
                    found += [_Candidate(v, name, i, end - 1, toks.text[start:stop], start, stop) for v in fitting]
                    step = end - i
                    break
            i += step
        return found

    def _judge(self, cand: _Candidate, toks: _Tokens, *, headline: bool, domain_accounts: set[int]) -> float | None:
        """Returns the hit's score, 0.0 if it waits for another mention, None if it is rejected."""
        variant = cand.variant
        if not variant.needs_context:
            return variant.score
        if not headline and _inside_capitalised_phrase(toks, cand.first, cand.last):
            return None
        after = cand.last + 1
        if after < len(toks.norms) and toks.norms[after] in LEGAL_SUFFIXES:
            return _SCORES["strong"]
        if after < len(toks.norms) and toks.norms[after] in _CATEGORY_WORDS:
            return None
        if variant.account_id in domain_accounts:
            return _SCORES["strong"]
        low, high = max(0, cand.first - _CONTEXT_WINDOW), min(len(toks.norms), cand.last + 1 + _CONTEXT_WINDOW)
        if any(toks.norms[k] in _CONTEXT_WORDS for k in range(low, high) if not cand.first <= k <= cand.last):
            return _SCORES["context"]
        return 0.0

    def _domain_hits(self, toks: _Tokens, name: Field) -> list[EntityHit]:
        hits: list[EntityHit] = []
        for k in range(len(toks.norms)):
            raw = toks.text[toks.starts[k] : toks.ends[k]].lower()
            if "." not in raw or not _DOMAIN.fullmatch(raw) or raw.rsplit(".", 1)[1].isdigit():
                continue
            try:
                domain = registrable_domain(raw)
            except UrlError:
                continue
            for account_id in self._domains.get(domain, ()):
                hits.append(
                    EntityHit(account_id, "domain", toks.text[toks.starts[k] : toks.ends[k]],
                              toks.starts[k], toks.ends[k], _SCORES["domain"], name)
                )  # fmt: skip
        return hits


def _normalize(token: str) -> str:
    folded = token.casefold().replace("’", "'")
    if folded == "&":
        return "and"
    if folded.endswith("'s") and len(folded) > 2:
        folded = folded[:-2]
    return folded.replace(".", "").replace("'", "")


def _tokenize(text: str) -> _Tokens:
    toks = _Tokens(text)
    for match in _TOKEN.finditer(text):
        toks.norms.append(_normalize(match.group()))
        toks.starts.append(match.start())
        toks.ends.append(match.end())
    return toks


def _variants(name: str) -> list[tuple[tuple[str, ...], bool]]:
    """Returns the written token sequences a name is known by, each flagged True if it is the full name."""
    written = tuple(m.group() for m in _TOKEN.finditer(name))
    if written and _normalize(written[0]) == "the" and len(written) > 1:
        written = written[1:]
    out = [(written, True)]
    core = written
    while len(core) > 1 and _normalize(core[-1]) in LEGAL_SUFFIXES:
        core = core[:-1]
    if core != written:
        out.append((core, False))
    short = core
    while len(short) > 1 and _normalize(short[-1]) in _DESCRIPTORS:
        short = short[:-1]
    if short != core:
        out.append((short, False))
    return out


def _case_fits(variant: _Variant, raws: list[str]) -> bool:
    if variant.case == "any":
        return True
    for raw, written in zip(raws, variant.written, strict=True):
        if variant.case == "upper":
            if raw != written:
                return False
        elif raw != written and not raw[0].isupper() and not raw[0].isdigit() and raw != "&":
            return False
    return True


def _is_headline(toks: _Tokens) -> bool:
    """Tells whether a field is written in title case, where every word is capitalised anyway."""
    words = [toks.text[s] for s, norm in zip(toks.starts, toks.norms, strict=True) if norm.isalpha() and len(norm) > 3]
    return len(words) >= 3 and sum(w.isupper() for w in words) >= 0.6 * len(words)


def _inside_capitalised_phrase(toks: _Tokens, first: int, last: int) -> bool:
    """Tells whether a capitalised word directly touches the match, as in "Brayden Slack" or "Slack Wax"."""
    possessive = toks.text[toks.ends[last] - 2 : toks.ends[last]] in ("'s", "’s")
    for k, gap_from, gap_to in ((first - 1, first - 1, first), (last + 1, last, last + 1)):
        if k < 0 or k >= len(toks.norms) or (k == last + 1 and possessive):
            continue
        if not toks.text[toks.ends[gap_from] : toks.starts[gap_to]].isspace():
            continue
        raw = toks.text[toks.starts[k] : toks.ends[k]]
        norm = toks.norms[k]
        if raw[0].isupper() and not raw.isupper() and norm not in _CONTEXT_WORDS and norm not in LEGAL_SUFFIXES:
            if k == first - 1 and _starts_sentence(toks, k):
                continue
            return True
    return False


def _starts_sentence(toks: _Tokens, k: int) -> bool:
    before = toks.text[: toks.starts[k]].rstrip()
    return not before or before[-1] in ".!?:;\"“”'(\n"
