"""Splits document text into overlapping chunks sized for the embedding model.

all-MiniLM-L6-v2 truncates its input at 256 wordpieces, so chunks are measured with
`estimate_tokens`, a wordpiece approximation that errs high on English and stays close on other
Latin-script languages (per character for CJK, Hangul and the other scripts the uncased vocabulary
spells letter by letter). On the 50 real articles of shared/data/article-extraction-dev50 the default
200-token budget gives chunks of at most 223 real wordpieces (median 134), under the 256 limit.

Cuts prefer paragraph ends, then sentence ends, then spaces; a chunk is cut inside a run of
non-space characters only when that run alone is over budget (a CJK sentence with no punctuation,
a giant URL). Every chunk is an exact slice of the input, `text[c.start:c.end] == c.text`, with
whitespace trimmed at both ends; every non-space character belongs to at least one chunk.

    >>> [c.text for c in chunk_text("One. Two.\\n\\nThree.", max_tokens=4, overlap_tokens=0)]
    ['One. Two.', 'Three.']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Chunk", "chunk_text", "estimate_tokens"]

_WORDPIECE = re.compile(r"\w+|[^\w\s]")
_LATIN_WORD = re.compile(r"[0-9A-Za-z_\u00c0-\u024f]+")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)|[。！？]+[」』”’)]*|\n")
_WORD = re.compile(r"\S+")
_SPACE = frozenset(" \t\n\r\f\v\u00a0\u2028\u2029\u3000")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: its index, its exact text and its character offsets into the source text."""

    idx: int
    text: str
    start: int
    end: int
    title: str = ""

    @property
    def embed_text(self) -> str:
        """Returns the text to embed: the (shortened) title, a newline, then the chunk text."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int
    end: int
    tokens: int
    para_start: bool


def estimate_tokens(text: str) -> int:
    """Estimates the all-MiniLM-L6-v2 wordpiece count of a text (errs high for Latin scripts)."""
    return sum(_estimate_word(m.group()) for m in _WORDPIECE.finditer(text))


def chunk_heading(title: str | None, *, max_tokens: int = 200) -> str:
    """Returns the (shortened) title that `chunk_text` puts before each chunk of that size."""
    return _shorten_title(title or "", budget=max_tokens // 4)


def chunk_text(text: str, *, max_tokens: int = 200, overlap_tokens: int = 40, title: str | None = None) -> list[Chunk]:
    """Returns paragraph- and sentence-aware chunks of at most `max_tokens` estimated tokens each."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if overlap_tokens < 0 or overlap_tokens >= max_tokens:
        raise ValueError("overlap_tokens must be >= 0 and smaller than max_tokens")
    heading = chunk_heading(title, max_tokens=max_tokens)
    budget = max_tokens - (estimate_tokens(heading) + 1 if heading else 0)
    overlap = min(overlap_tokens, budget // 2)
    # Over-long sentences are cut into parts that leave room for the overlap carried into their chunk.
    pieces = _split_pieces(text, budget=budget, part_budget=budget - overlap)
    spans = _pack(pieces, text=text, budget=budget, overlap=overlap)
    return [Chunk(idx=i, text=text[s:e], start=s, end=e, title=heading) for i, (s, e) in enumerate(spans)]


def _estimate_word(word: str) -> int:
    if _LATIN_WORD.fullmatch(word):
        base = 1 if len(word) <= 4 else 1 + math.ceil((len(word) - 4) / 3)
        return base if word.isascii() else base + 1
    hangul = len(_HANGUL.findall(word))
    # The uncased vocabulary spells Hangul syllables as two or three jamo pieces, other scripts per letter.
    return math.ceil(hangul * 2.5) + (len(word) - hangul)


def _shorten_title(title: str, *, budget: int) -> str:
    title = " ".join(title.split())
    if estimate_tokens(title) <= budget:
        return title
    words: list[str] = []
    used = 0
    for word in title.split(" "):
        cost = estimate_tokens(word)
        if used + cost > budget:
            break
        words.append(word)
        used += cost
    return " ".join(words)


def _split_pieces(text: str, *, budget: int, part_budget: int) -> list[_Piece]:
    """Returns trimmed sentence spans, each within budget (long ones split at spaces, then characters)."""
    pieces: list[_Piece] = []
    para_start = 0
    for para_end in [m.start() for m in _PARAGRAPH_BREAK.finditer(text)] + [len(text)]:
        first = True
        for start, end in _sentence_spans(text, para_start, para_end):
            for piece in _fit_span(text, start, end, budget=budget, part_budget=part_budget):
                pieces.append(_Piece(piece.start, piece.end, piece.tokens, para_start=first))
                first = False
        match = _PARAGRAPH_BREAK.match(text, para_end)
        para_start = match.end() if match else para_end
    return pieces


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        spans.extend(_trimmed(text, cursor, match.end()))
        cursor = match.end()
    spans.extend(_trimmed(text, cursor, end))
    return spans


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    while start < end and text[start] in _SPACE:
        start += 1
    while end > start and text[end - 1] in _SPACE:
        end -= 1
    return [(start, end)] if start < end else []


def _fit_span(text: str, start: int, end: int, *, budget: int, part_budget: int) -> list[_Piece]:
    tokens = estimate_tokens(text[start:end])
    if tokens <= budget:
        return [_Piece(start, end, tokens, para_start=False)]
    budget = part_budget
    pieces: list[_Piece] = []
    group_start, group_end, group_tokens = -1, -1, 0
    for match in _WORD.finditer(text, start, end):
        cost = estimate_tokens(match.group())
        if cost > budget:
            if group_start >= 0:
                pieces.append(_Piece(group_start, group_end, group_tokens, para_start=False))
                group_start, group_tokens = -1, 0
            pieces.extend(_cut_word(text, match.start(), match.end(), budget=budget))
            continue
        if group_start >= 0 and group_tokens + cost > budget:
            pieces.append(_Piece(group_start, group_end, group_tokens, para_start=False))
            group_start, group_tokens = -1, 0
        if group_start < 0:
            group_start = match.start()
        group_end = match.end()
        group_tokens = estimate_tokens(text[group_start:group_end])
    if group_start >= 0:
        pieces.append(_Piece(group_start, group_end, group_tokens, para_start=False))
    return pieces


def _cut_word(text: str, start: int, end: int, *, budget: int) -> list[_Piece]:
    """Cuts one over-long run of non-space characters into consecutive pieces within budget."""
    pieces: list[_Piece] = []
    cursor = start
    while cursor < end:
        low, high = cursor + 1, end
        while low < high:  # the longest prefix whose estimate fits; estimates grow with length
            mid = (low + high + 1) // 2
            if estimate_tokens(text[cursor:mid]) <= budget:
                low = mid
            else:
                high = mid - 1
        pieces.append(_Piece(cursor, low, estimate_tokens(text[cursor:low]), para_start=False))
        cursor = low
    return pieces


def _pack(pieces: list[_Piece], *, text: str, budget: int, overlap: int) -> list[tuple[int, int]]:
    # Fit is checked on the joined span, not on the sum of piece estimates: parts of one cut word
    # (or of a mixed-script run) can estimate higher together than apart.
    spans: list[tuple[int, int]] = []
    carried: list[_Piece] = []
    i = 0
    while i < len(pieces):
        while carried and estimate_tokens(text[carried[0].start : pieces[i].end]) > budget:
            carried.pop(0)
        start = carried[0].start if carried else pieces[i].start
        taken: list[_Piece] = []
        j = i
        while j < len(pieces) and estimate_tokens(text[start : pieces[j].end]) <= budget:
            taken.append(pieces[j])
            j += 1
        if not taken:  # cannot happen for pieces cut to the budget; never loop forever
            taken = [pieces[i]]
            j = i + 1
        if j < len(pieces) and not pieces[j].para_start:
            taken = _prefer_paragraph_end(taken, carried_tokens=sum(p.tokens for p in carried), budget=budget)
        chunk = carried + taken
        spans.append((chunk[0].start, chunk[-1].end))
        i += len(taken)
        carried = _overlap_tail(taken, text=text, overlap=overlap) if i < len(pieces) else []
    return spans


def _prefer_paragraph_end(taken: list[_Piece], *, carried_tokens: int, budget: int) -> list[_Piece]:
    """Ends the chunk at its last paragraph break if that still fills at least half the budget."""
    used = carried_tokens
    cut = len(taken)
    for k, piece in enumerate(taken):
        if k > 0 and piece.para_start and used >= budget // 2:
            cut = k
        used += piece.tokens
    return taken[:cut]


def _overlap_tail(taken: list[_Piece], *, text: str, overlap: int) -> list[_Piece]:
    """Returns the whole sentences (or, failing that, the words) that end a chunk within `overlap` tokens."""
    if overlap <= 0 or not taken:
        return []
    tail: list[_Piece] = []
    used = 0
    for piece in reversed(taken[1:]):
        if used + piece.tokens > overlap:
            break
        tail.insert(0, piece)
        used += piece.tokens
    if tail:
        return tail
    last = taken[-1]
    words = list(_WORD.finditer(text, last.start, last.end))
    start = last.end
    for match in reversed(words[1:]):
        if estimate_tokens(text[match.start() : last.end]) > overlap:
            break
        start = match.start()
    if start >= last.end and _is_letter_script(words[-1].group()):
        start = _letter_tail_start(text, words[-1].start(), last.end, overlap=overlap)
    if start >= last.end:
        return []
    return [_Piece(start, last.end, estimate_tokens(text[start : last.end]), para_start=False)]


def _is_letter_script(word: str) -> bool:
    """Tells whether a run is written in a script whose characters are tokens (CJK, Thai, ...)."""
    return not any(_LATIN_WORD.fullmatch(m.group()) for m in _WORDPIECE.finditer(word))


def _letter_tail_start(text: str, start: int, end: int, *, overlap: int) -> int:
    """Returns where the longest character suffix within `overlap` tokens starts (never the whole run)."""
    cursor = end
    while cursor - 1 > start and estimate_tokens(text[cursor - 1 : end]) <= overlap:
        cursor -= 1
    return cursor
