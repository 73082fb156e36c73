"""Text plumbing for the offline extractor: sentences with offsets, quote windows, names and places.

Everything here works on offsets into the original text, so a quote cut from it is verbatim and
passes the grounding check. Patterns are compiled once at import.

    >>> text = "Acme Inc. raised $5 million. Dr. Jane Doe joins as CFO."
    >>> [text[s.start:s.end] for s in split_sentences(text)]
    ['Acme Inc. raised $5 million.', 'Dr. Jane Doe joins as CFO.']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

__all__ = [
    "MAX_QUOTE",
    "MAX_SENTENCE",
    "ROLE_PATTERN",
    "Span",
    "clause_window",
    "data_json",
    "find_locations",
    "is_title_case",
    "location_at",
    "name_after",
    "name_before",
    "person_near",
    "split_sentences",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MAX_QUOTE = 400

# Abbreviations after which a period does not end a sentence (compared lower-cased, without the dot).
_NO_BREAK = _words(
    "mr mrs ms dr prof sr jr st mt ft gen gov sen rep rev hon capt col lt sgt no nos vs etc approx est "
    "dept jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n e.u a.m p.m fig op vol pp"
)
_CORP_SUFFIX = _words("inc corp co ltd llc plc lp llp n.v s.a s.p.a ag gmbh bv b.v pty pte")
_SENTENCE_STARTER = re.compile(
    r"\s+(?:The|It|Its|This|That|These|Those|In|On|At|For|A|An|We|Our|He|She|They|His|Her|As|With|After|Before"
    r"|Founded|Based|Headquartered|Since|Last|Today|Earlier|Shares|According|Terms|Financial|Under|Both|Such)\b"
)
_BREAK = re.compile(r"[.!?]+[\"')\]’”]*(?=\s)|\n")
_NEXT_STARTS = re.compile(r"\s*[\"'“‘(\[]?[A-Z0-9À-Þ]")


@dataclass(frozen=True, slots=True)
class Span:
    """A [start, end) range of a text."""

    start: int
    end: int


def split_sentences(text: str) -> list[Span]:
    """Splits text into sentence spans (newlines always split; abbreviations and initials do not)."""
    return list(_split_cached(text))


@lru_cache(maxsize=32)
def _split_cached(text: str) -> tuple[Span, ...]:
    # every part of the extractor splits the same document: split it once
    spans: list[Span] = []
    start = 0
    for match in _BREAK.finditer(text):
        end = match.end()
        if match.group() != "\n":
            word = _last_word(text, match.start())
            if _is_abbreviation(word) or not _NEXT_STARTS.match(text, end):
                continue
            # "Acme Inc. (NASDAQ: ACME) announced", "Acme Corp. Announces": a company suffix ends a
            # sentence only before a word that usually starts one
            if word.lower().rstrip(".") in _CORP_SUFFIX and not _SENTENCE_STARTER.match(text, end):
                continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return tuple(spans)


def _last_word(text: str, dot: int) -> str:
    begin = dot
    while begin > 0 and not text[begin - 1].isspace() and text[begin - 1] not in "(\"'“":
        begin -= 1
    return text[begin:dot]


def _is_abbreviation(word: str) -> bool:
    bare = word.lower().rstrip(".")
    if bare in _NO_BREAK:
        return True
    # single initials ("J.") and dotted acronyms ("U.S", "S.A") keep the sentence going
    return bool(re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word)) and len(word) <= 5 and word[:1].isupper()


MAX_SENTENCE = 1_000


def _add_span(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    # A run-on "sentence" (no punctuation for pages) is cut at spaces into pieces of at most
    # MAX_SENTENCE characters, which keeps every rule's work per piece bounded.
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        spans.append(Span(start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end - start >= 3:
        spans.append(Span(start, end))


_CLAUSE_BREAK = re.compile(r"[;:]\s|,\s|\s[-–—]{1,2}\s|\s\(")


def clause_window(text: str, sentence: Span, anchor: Span, *, limit: int = MAX_QUOTE) -> Span:
    """Returns the sentence, or when longer than `limit` the largest run of its clauses around `anchor` that fits."""
    if sentence.end - sentence.start <= limit:
        return sentence
    cuts = [sentence.start]
    cuts += [m.end() for m in _CLAUSE_BREAK.finditer(text, sentence.start, sentence.end)]
    cuts.append(sentence.end)
    left = max(c for c in cuts if c <= anchor.start)
    right = min((c for c in cuts if c >= anchor.end), default=sentence.end)
    if right - left > limit:
        return _word_window(text, anchor, sentence, limit)
    changed = True
    while changed:
        changed = False
        earlier = [c for c in cuts if c < left and right - c <= limit]
        if earlier:
            left, changed = max(earlier), True
            continue
        later = [c for c in cuts if c > right and c - left <= limit]
        if later:
            right, changed = min(later), True
    return _trim(text, Span(left, right))


def _word_window(text: str, anchor: Span, sentence: Span, limit: int) -> Span:
    middle = (anchor.start + anchor.end) // 2
    left = max(sentence.start, middle - limit // 2)
    right = min(sentence.end, left + limit)
    left = max(sentence.start, right - limit)
    while left > sentence.start and left < anchor.start and not text[left - 1].isspace():
        left += 1
    while right < sentence.end and right > anchor.end and not text[right].isspace():
        right -= 1
    return _trim(text, Span(left, right))


def _trim(text: str, span: Span) -> Span:
    start, end = span.start, span.end
    while start < end and (text[start].isspace() or text[start] in ",;:"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:("):
        end -= 1
    return Span(start, end)


def is_title_case(text: str) -> bool:
    """Returns True for headline-style text where most longer words are capitalised."""
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    if len(words) < 3:
        return False
    return sum(1 for w in words if w[0].isupper()) / len(words) >= 0.7


# --- names -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[\w$&'’./+-]+")
# Words that end a name when scanning (capitalised in headlines, but never part of a company name).
_STOP = _words(
    "for in from with to at as after amid amidst on by into over under via following despite through "
    "including while against than is are was were will would has have had be been being announces "
    "announce announced completes complete completed signs sign signed enters enter expands expand "
    "launches launch raises raise secures secure closes close acquires acquire acquired names appoints "
    "hires reports deal deals agreement transaction merger acquisition said says and or but that which "
    "who whose its their his her our this these those a an the new all more than up down about over today "
    "yesterday now also just officially it we they he she i you sets prices files plans gets makes takes "
    "says adds buys sells wins opens cuts hits faces seeks eyes posts reveals unveils debuts offers "
    "readies agrees agreed nears jumps gains falls rises slips tanks surges soars drops climbs"
)
# Auxiliaries skipped between a subject and its verb ("Torex Gold to acquire", "X has agreed to buy").
_AUX = _words("to will would has have had is are was were be been agreed agrees set also officially today just now")
_CONNECT = frozenset({"&", "of", "de", "du", "der", "van", "von", "la", "le", "and", "y", "und"})
_DESCRIPTOR = _words(
    "startup start-up company firm maker giant provider developer operator retailer lender insurer "
    "carrier manufacturer producer platform specialist leader pioneer unicorn subsidiary parent owner "
    "group's fintech biotech insurtech proptech edtech healthtech chipmaker automaker carmaker miner"
)
_DESCRIPTOR_SUFFIX = ("-based", "-listed", "-backed", "-focused", "-owned", "-headquartered")


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]


def _is_name_token(tok: str) -> bool:
    core = tok.strip(".,'’")
    if not core:
        return False
    # "iA Financial", "eBay", "3M" count as names; "percent" does not
    return (
        core[0].isupper()
        or (len(core) > 1 and core[1].isupper())
        or (core[0].isdigit() and any(c.isalpha() for c in core))
    )


def name_after(text: str, pos: int, *, end: int | None = None, max_tokens: int = 6) -> str | None:
    """Returns the capitalised name that starts right after `pos` ("to acquire RF Capital for ..." -> "RF Capital")."""
    limit = len(text) if end is None else end
    segment_end = _segment_end(text, pos, limit)
    toks = _tokens(text, pos, segment_end)
    if toks and toks[0][2].lower() == "the":
        toks = toks[1:]
    picked: list[tuple[int, int, str]] = []
    for i, (s, e, tok) in enumerate(toks):
        bare = tok.rstrip(".,")
        if len(picked) >= max_tokens:
            break
        if bare.lower() in _STOP and (picked or bare.lower() not in ("the",)):
            break
        if bare.lower() in _CONNECT and picked:
            if i + 1 < len(toks) and _is_name_token(toks[i + 1][2]) and toks[i + 1][2].lower() not in _STOP:
                picked.append((s, e, tok))
                continue
            break
        if not _is_name_token(tok):
            # "Hut 8", "Windows 11": a short number right after a name belongs to it
            if picked and bare.isdigit() and len(bare) <= 3 and not picked[-1][2].endswith((",", ".")):
                picked.append((s, e, tok))
            break
        picked.append((s, e, tok))
        if tok.endswith(("'s", "’s")):
            break
    return _span_text(text, _strip_descriptors(picked))


def name_before(text: str, pos: int, *, start: int = 0, max_tokens: int = 6) -> str | None:
    """Returns the capitalised name that ends right before `pos` ("Email Security Startup Agari raises" -> "Agari")."""
    seg_start = _segment_start(text, pos, start)
    toks = _tokens(text, seg_start, pos)
    while toks and toks[-1][2].lower() in _AUX:
        toks.pop()
    picked: list[tuple[int, int, str]] = []
    for i in range(len(toks) - 1, -1, -1):
        s, e, tok = toks[i]
        bare = tok.rstrip(".,")
        if len(picked) >= max_tokens:
            break
        if bare.lower() in _CONNECT and picked:
            if i > 0 and _is_name_token(toks[i - 1][2]):
                picked.insert(0, (s, e, tok))
                continue
            break
        if bare.lower() in _STOP or not _is_name_token(tok):
            break
        picked.insert(0, (s, e, tok))
    while picked and picked[0][2].lower() in _CONNECT:
        picked.pop(0)
    return _span_text(text, _strip_descriptors(picked))


def _strip_descriptors(picked: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drops headline descriptors and possessives before a name: "Email Security Startup Agari", "China's Bitmain"."""
    for i in range(len(picked) - 2, -1, -1):
        tok = picked[i][2]
        low = tok.lower().rstrip(".,")
        if low in _DESCRIPTOR or tok.endswith(("'s", "’s")) or low.endswith(_DESCRIPTOR_SUFFIX):
            return picked[i + 1 :]
    return picked


_SEGMENT_EDGE = re.compile(r"[,;:()\"“”]|\s[-–—]+\s|\.\s")
_NAME_REACH = 200  # a name is looked for within this many characters of where it should be


def _segment_end(text: str, pos: int, limit: int) -> int:
    limit = min(limit, pos + _NAME_REACH)
    match = _SEGMENT_EDGE.search(text, pos, limit)
    return match.start() if match else limit


def _segment_start(text: str, pos: int, floor: int) -> int:
    floor = max(floor, pos - _NAME_REACH)
    best = floor
    for match in _SEGMENT_EDGE.finditer(text, floor, pos):
        best = match.end()
    return best


def _span_text(text: str, picked: list[tuple[int, int, str]]) -> str | None:
    if not picked:
        return None
    value = text[picked[0][0] : picked[-1][1]].strip(" ,.")
    for suffix in ("'s", "’s"):
        if value.endswith(suffix):
            value = value[: -len(suffix)]
    if len(value) < 2 or value.isdigit() or value.lower() in _STOP:
        return None
    return value[:200]


# --- people ----------------------------------------------------------------------------------

_ROLE_TAIL = (
    r"(?:\s+(?!(?:at|for|in|to|effective|from|with|on|and|the|as|after|since|who|where|of|its|their)\b)[A-Za-z&]+){0,2}"
)
# The function in "Operations Director", "Sales Director": a director of a named function is a senior role.
_FUNCTION = (
    r"(?:operations|operating|sales|marketing|finance|financial|technical|technology|commercial|research|engineering"
    r"|product|programme|program|human\s+resources|hr|people|supply\s+chain|manufacturing|production|plant|site|country"
    r"|regional|creative|design|legal|communications|strategy|business\s+development|innovation|digital|procurement"
    r"|purchasing|quality|logistics|r&d|medical|scientific|clinical|investment|investor\s+relations|customer\s+success"
    r"|(?-i:IT))"
)
ROLE_PATTERN = (  # a job title: C-level, president, chair, VP, head of, director, board member
    r"(?:(?:interim|acting|new|incoming|permanent|deputy|global|group|executive|senior|co-)\s*)*"
    r"(?:chief\s+(?:[a-z]+\s+){1,2}officer|chief executive|ceo|cfo|coo|cto|cio|cmo|cro|ciso|cpo|chro|cdo|cco"
    r"|president(?:\s+and\s+(?:ceo|chief executive officer|coo|chief operating officer))?|chair(?:man|woman|person)?(?:\s+of\s+the\s+board)?"
    rf"|(?:executive\s+|senior\s+)?vice\s+president(?:\s+of{_ROLE_TAIL})?|[se]?vp(?:\s+of{_ROLE_TAIL})?|head\s+of{_ROLE_TAIL}"
    r"|managing\s+director|general\s+manager|managing\s+partner|general\s+counsel|board\s+(?:member|of\s+directors)"
    rf"|executive\s+director|director\s+of{_ROLE_TAIL}|(?:independent\s+|non-executive\s+)director"
    rf"|{_FUNCTION}\s+director)\b"
)

_NAME_WORD = r"[A-Z][a-zà-ÿ]*(?:[A-Z][a-zà-ÿ]+)?(?:[-'’][A-Z]?[a-zà-ÿ]+)?"
PERSON_RE = re.compile(
    rf"(?<![\w.])(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?{_NAME_WORD}(?:\s+(?:[A-Z]\.|{_NAME_WORD}|(?:de|van|von|der|da|di|del|bin|al)(?=\s+[A-Z]))){{1,3}}(?![\w])"
)
_NOT_NAME = _words(
    "chief officer executive president vice chair chairman chairwoman board director directors head "
    "senior group global company corporation inc corp ltd llc plc holdings capital partners ventures bank "
    "technologies systems solutions group international the and of new former interim acting co-founder "
    "founder ceo cfo coo cto cio cmo january february march april may june july august september october "
    "november december monday tuesday wednesday thursday friday saturday sunday investor investors stock "
    "shares market news street university college school state federal national american general motors "
    "financial services media"
)


def person_near(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """Returns the first plausible person name (2-4 capitalised words) within [start, end) and its offsets."""
    for match in PERSON_RE.finditer(text, start, end):
        name, at = match.group(), match.start()
        # "Sales Director Kees Jansen": a title run at the front is not part of the name
        lead = _TITLE_LEAD.match(name) if any(head in name for head in _TITLE_HEADS) else None
        if lead and lead.end() < len(name):
            name, at = name[lead.end() :], at + lead.end()
        words = [w.strip(".").lower() for w in name.split()]
        # particles ("de", "van") occur in place names too ("Rio de Janeiro"): only capitalised words say "place"
        capitalised = [w.strip(".").lower() for w in name.split() if w[:1].isupper()]
        if len(words) < 2 or any(w in _NOT_NAME for w in words) or any(w in _LOCATION_WORDS for w in capitalised):
            continue
        return name, at, at + len(name)
    return None


_TITLE_HEADS = ("Director", "Officer", "Manager")
# A business title run ending in Director, Officer or Manager; political titles ("President", "Chair") stay out.
_TITLE_LEAD = re.compile(
    r"(?:(?:Operations|Operating|Sales|Marketing|Finance|Financial|Technical|Technology|Commercial|Managing|General"
    r"|Executive|Deputy|Interim|Acting|Senior|Chief|Information|Revenue|Product|Regional|Country|Plant|Site|Group"
    r"|Global)\s+)*(?:Director|Officer|Manager)\s+(?=[A-Z])"
)


# --- places ----------------------------------------------------------------------------------


@cache
def data_json(name: str) -> Any:
    """Returns a JSON data file shipped in agent/data."""
    return json.loads(resources.files("agent.data").joinpath(name).read_text(encoding="utf-8"))


def _location_names() -> list[str]:
    data = data_json("locations.json")
    names: list[str] = []
    for key in ("countries", "us_states", "provinces", "regions", "cities"):
        names.extend(data[key])
    return sorted(set(names), key=len, reverse=True)


_LOCATIONS = _location_names()
_LOCATION_WORDS = frozenset(w.lower() for name in _LOCATIONS for w in name.split())
_LOCATION_RE = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in _LOCATIONS) + r")(?![\w])")
_DEMONYMS: dict[str, str] = data_json("locations.json")["demonyms"]
_DEMONYM_RE = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in sorted(_DEMONYMS, key=len, reverse=True)) + r")(?![\w])"
)


def find_locations(text: str, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """Returns the known place names (countries, US states, provinces, regions, major cities) in a range."""
    stop = len(text) if end is None else end
    return [(m.group(), m.start(), m.end()) for m in _LOCATION_RE.finditer(text, start, stop)]


def location_at(text: str, pos: int, *, end: int | None = None) -> tuple[str, int] | None:
    """Returns the place name (or demonym's place: "the Japanese market" -> Japan) starting at `pos`, and its end."""
    stop = len(text) if end is None else end
    skip = re.compile(r"\s*(?:the\s+)?").match(text, pos, stop)
    at = skip.end() if skip else pos
    match = _LOCATION_RE.match(text, at, stop)
    if match:
        place_end = match.end()
        # "Ft. Wayne, IN" / "Austin, Texas": keep the state or country that follows a city
        tail = re.compile(r",\s+([A-Z]{2}\b|[A-Z][a-z]+(?: [A-Z][a-z]+)?)").match(text, place_end, stop)
        if tail and (tail.group(1) in _LOCATIONS or tail.group(1) in _US_CODES):
            place_end = tail.end()
        return text[at:place_end], place_end
    demonym = _DEMONYM_RE.match(text, at, stop)
    if demonym and re.compile(r"\s+market").match(text, demonym.end(), stop):
        return _DEMONYMS[demonym.group()], demonym.end()
    # "Tarragona, Spain", "Gdańsk, Poland": a town the list lacks, named with its country, state or province
    town = _TOWN_COMMA.match(text, at, stop)
    if town and not any(word.lower().rstrip(".") in _NOT_TOWN for word in town.group(1).split()):
        region = _LOCATION_RE.match(text, town.end(), stop)
        if region and region.group() in _REGION_NAMES:
            return text[at : region.end()], region.end()
        code = _US_CODE_AT.match(text, town.end(), stop)
        if code:
            return text[at : code.end()], code.end()
    return None


_US_CODES = frozenset(data_json("locations.json")["us_state_codes"])
_TOWN_COMMA = re.compile(r"([A-Z][\w'’.-]*(?:[ -](?:[A-Z][\w'’.-]*|de|del|la|le|sur|am|upon)){0,2}),\s+")
_US_CODE_AT = re.compile(r"(?:" + "|".join(sorted(_US_CODES)) + r")\b")
_REGION_NAMES = frozenset(
    name for key in ("countries", "us_states", "provinces") for name in data_json("locations.json")[key]
)
# Capitalised words before ", <country>" that are not places ("Today, Spain ...", "Inc., Texas").
_NOT_TOWN = frozenset(w.lower() for w in _STOP) | _words(
    "inc corp ltd llc plc sa ag gmbh bv nv today yesterday monday tuesday wednesday thursday friday saturday sunday"
)
