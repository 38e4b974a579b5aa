"""Finding the school's people in free text: one detector for redaction, scrubbing and warnings.

A :class:`NameIndex` is built once from people (students and guardians: first name,
initials, tussenvoegsel, last name, student number) and then finds them in any text in one
pass over its words. The index is a trie of word sequences (a word-level automaton): every
way a person is written is a path of folded words, and the text is read word by word, each
word one dictionary look-up, never a loop over the school's names.

What counts as a mention of a person (folded: case-insensitive, accents ignored, so "Zoë",
"zoe" and "ZOË" are the same; "ı" reads as "i", "ø" as "o"):

- the first name alone ("Ayoub"), the last name alone ("Jansen", "Vries"), the last name
  with its tussenvoegsel ("de Vries", "De Vries", "van der Meer"), and each part of a
  double name ("Çelik-van den Brûle": "Çelik", "Brûle");
- first name + last name ("Jan de Vries"), last name, first name ("Vries, Jan de",
  "de Vries, Jan", "Vries, de"), initials + last name ("J. de Vries", "J.P. de Vries",
  "JP de Vries"), the first name's initial + last name ("J. de Vries" for Jan);
- a possessive of any of these: "Ayoubs", "Ayoub's", "Ayoub’s", "De Vries' fiets";
- a student number of four digits or more, with or without its leading zeros.

Names that are also ordinary words. "Roos", "Bas", "de Groot", "van der Meer", "Bos",
"Vos", "de Boer" are also "roos", "bas", "groot", "meer", "bos", "vos", "boer". A mention
all of whose name words are such words (the OpenTaal list of Dutch words of up to eight
letters, ``resources/names``) is *weak*: it counts only when one of those words is written
with a capital ("Roos huilde", "van der Meer", not "een rode roos", "meer dan"). When
warning (``strict=False``) a weak mention of one word at the start of a sentence does not
count either ("Meer dan eens ..."), so a letter is not blocked by its own first word; when
redacting or scrubbing (``strict=True``) it does: there a false alarm costs a word, a miss
costs a child's privacy. Tussenvoegsels and initials alone are never a mention, and a
one-letter name part only counts inside a longer mention.

This module is pure: no Qt, no database. ``pestdesk.services.names`` builds the school's
index from the database and caches it.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

#: a word: letters and digits, with inner apostrophes ("d'Ancona", "Ayoub's")
_WORD = re.compile(r"[^\W_]+(?:['’`][^\W\d_]+)*")
#: what may stand between the words of one mention
_GAP = re.compile(r"[ \t\u00a0,.\-‐–'’`]{1,4}")
_POSSESSIVE = re.compile(r"['’`]s\Z")
_EXTRA_FOLD = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d",
                             "ð": "d", "þ": "th", "ß": "ss"})
_SENTENCE_END = ".!?…:;\n\"“”(•*"
TUSSENVOEGSELS = frozenset(
    "de den der des het 't t van von vande vanden vander ter ten te in op aan bij uit "
    "la le les du da di del della dos das el al ben bin ibn abu d l mc mac o".split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: "Çağla" -> "cagla", "Yılmaz" -> "yilmaz"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_EXTRA_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_EXTRA_FOLD)


def words(text: str) -> list[str]:
    """The folded words of ``text`` ("in 't Veld" -> ["in", "t", "veld"])."""
    return [fold(w.strip("'’`")) for w in _WORD.findall(text or "")]


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Dutch words of up to eight letters that are also names (see the module text)."""
    from ..paths import RESOURCES_DIR

    path = RESOURCES_DIR / "names" / "nl-words.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(fold(line.strip()) for line in fh if line.strip())


@dataclass(frozen=True)
class Person:
    """Someone the detector looks for. ``key`` is the caller's id ("student:12")."""

    key: str
    first_name: str = ""
    last_name: str = ""
    tussenvoegsel: str = ""
    initials: str = ""
    number: str = ""


@dataclass(frozen=True)
class Hit:
    """One mention: where it is, what it says, whom it may be (often one, sometimes more)."""

    start: int
    end: int
    text: str
    keys: frozenset[str]


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    # (weak: all name words are ordinary words, name word positions) -> the people written so
    ends: dict[tuple[bool, tuple[int, ...]], set[str]] = field(default_factory=dict)
    depth: int = 0  # words from the root


def _initials(person: Person) -> list[list[str]]:
    """Initials as word lists: "J.P." -> [["j", "p"], ["jp"]]; the first name's letter too."""
    out = []
    letters = [c for c in fold(person.initials) if c.isalpha()]
    if letters:
        out.append(letters)
        if len(letters) > 1:
            out.append(["".join(letters)])
    first = words(person.first_name)
    if first and [first[0][0]] not in out:
        out.append([first[0][0]])
    return out


def _variants(person: Person) -> Iterable[tuple[list[str], tuple[int, ...]]]:
    """Every way ``person`` may be written: (folded words, positions of the name words)."""
    first = words(person.first_name)
    tv = words(person.tussenvoegsel)
    last = words(person.last_name)
    if last and not tv:  # "de Vries" typed as the last name: split off the tussenvoegsel
        lead = 0
        while lead < len(last) - 1 and last[lead] in TUSSENVOEGSELS:
            lead += 1
        tv, last = last[:lead], last[lead:]
    full_last = tv + last

    def names(seq: list[str], offset: int = 0) -> tuple[int, ...]:
        return tuple(i + offset for i, w in enumerate(seq)
                     if w not in TUSSENVOEGSELS and len(w) > 1)

    if first:
        yield first, names(first)
    if last:
        yield full_last, names(full_last)
        yield last, names(last)
        for part in last:  # the parts of a double name
            if part not in TUSSENVOEGSELS:
                yield [part], names([part])
        if tv:
            yield last + tv, names(last)  # "Vries, de"
    if first and last:
        yield first + full_last, names(first + full_last)
        yield full_last + first, names(full_last + first)  # "de Vries, Jan"
        yield last + first + tv, names(last + first + tv)  # "Vries, Jan de"
        if tv:
            yield last + tv + first, names(last + tv + first)  # "Vries, de, Jan"
        if len(last) > 1:  # "Zoë Çelik" for Zoë Çelik-van den Brûle
            for part in last:
                if part not in TUSSENVOEGSELS:
                    yield first + [part], names(first + [part])
    if last:
        for initials in _initials(person):
            yield initials + full_last, names(full_last, len(initials))
            yield full_last + initials, names(full_last)  # "de Vries, J."
    number = (person.number or "").strip()
    if len(number) >= 4 and number.isalnum():
        yield [fold(number)], (0,)
        bare = number.lstrip("0")
        if number.isdigit() and len(bare) >= 4 and bare != number:
            yield [bare], (0,)


class NameIndex:
    """The people to find, compiled once; ``find`` and ``redact`` read a text in one pass."""

    def __init__(self, people: Iterable[Person], ordinary: frozenset[str] | None = None):
        self._root = _Node()
        self._ordinary = common_words() if ordinary is None else ordinary
        self.size = 0
        for person in people:
            self.size += 1
            for seq, name_positions in dict.fromkeys(
                    (tuple(seq), pos) for seq, pos in _variants(person)):
                if not seq or not name_positions:
                    continue  # a tussenvoegsel or an initial alone is no mention
                node = self._root
                for depth, word in enumerate(seq, start=1):
                    child = node.children.get(word)
                    if child is None:
                        child = node.children[word] = _Node(depth=depth)
                    node = child
                weak = all(seq[i] in self._ordinary for i in name_positions)
                node.ends.setdefault((weak, name_positions), set()).add(person.key)

    def find(self, text: str, strict: bool = True) -> list[Hit]:
        """Every mention in ``text``, left to right, the longest at each place."""
        if not text:
            return []
        tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
        hits: list[Hit] = []
        i = 0
        while i < len(tokens):
            found = self._longest(text, tokens, i, strict)
            if found is None:
                i += 1
                continue
            j, keys = found
            start, end = tokens[i][0], tokens[j][1]
            hits.append(Hit(start, end, text[start:end], keys))
            i = j + 1
        return hits

    def _longest(self, text: str, tokens, i: int, strict: bool):
        node, best = self._root, None
        j = i
        while j < len(tokens):
            if j > i and not _GAP.fullmatch(text, tokens[j - 1][1], tokens[j][0]):
                break
            raw = tokens[j][2]
            word = fold(raw.strip("'’`"))
            nxt = node.children.get(word)
            possessive = None
            base = _POSSESSIVE.sub("", word)
            if base != word:
                possessive = node.children.get(base)
            elif len(word) > 3 and word.endswith("s"):
                possessive = node.children.get(word[:-1])
            if nxt is None and possessive is None:
                break
            for candidate in (nxt, possessive):
                if candidate is None or not candidate.ends:
                    continue
                keys = frozenset().union(*(
                    people for (weak, positions), people in candidate.ends.items()
                    if self._counts(text, tokens, i, weak, positions,
                                    strict or candidate.depth > 1)))
                if keys:
                    best = (j, keys)
                    break
            node = nxt if nxt is not None else possessive
            j += 1
        return best

    @staticmethod
    def _counts(text: str, tokens, i: int, weak: bool, positions: tuple[int, ...],
                strict: bool) -> bool:
        if not weak:
            return True
        capitals = [tokens[i + p][2][:1].isupper() for p in positions if i + p < len(tokens)]
        if not any(capitals):
            return False
        if strict:  # (a mention of more than one word is never a sentence's first word)
            return True
        return not _sentence_start(text, tokens[i][0])

    def redact(self, text: str, replace: Callable[[Hit], str | None],
               strict: bool = True) -> str:
        """``text`` with each mention replaced by ``replace(hit)`` (None: left as it is)."""
        if not text:
            return text or ""
        out, pos = [], 0
        for hit in self.find(text, strict):
            label = replace(hit)
            if label is None:
                continue
            out.append(text[pos:hit.start])
            out.append(label)
            pos = hit.end
        out.append(text[pos:])
        return "".join(out)


def _sentence_start(text: str, start: int) -> bool:
    k = start - 1
    while k >= 0 and text[k] in " \t\u00a0":
        k -= 1
    return k < 0 or text[k] in _SENTENCE_END
