"""The crisis lexicon: loading and checking data/safety/crisis_lexicon.yml, and compiling it into
spaCy matchers that find its phrases in a message.

The file's format is documented at its top. Here each phrase becomes two spaCy Matcher patterns:
an exact one (lemmas for longer words, the word itself for short ones) and a fuzzy one
(spaCy's FUZZY operator on words of four letters or more) for typos. The fuzzy matcher runs only
when a message holds a word that is not a common English word, and a common English word never
counts as a typo of another ("lying" is not "dying"), which keeps it cheap and precise.
"""
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple

import yaml
from spacy.matcher import Matcher
from spacy.matcher.levenshtein import levenshtein_compare

CATEGORIES = ("overdose", "suicide", "medical_danger", "medication_mistake", "self_harm")  # precedence
TIERS = ("acute", "event", "scene", "mention")
LANGUAGES = ("en", "es")
REGIONS = ("US", "UK", "IE", "CA", "AU", "EU", "OTHER")
FRAMES = ("question_start", "question", "what_if_start", "what_if", "past", "urgent")
# What the message says happened before the danger: drugs were used, or someone is in withdrawal.
CONTEXTS = ("drug_use", "withdrawal")
PERSON_PLACEHOLDER = "{person}"
# Words in `person: other` too vague to say that a particular person is in danger.
VAGUE_PEOPLE = {"someone", "somebody", "person", "people", "alguien"}
GAP = "..."
# "cant breathe (self)": who is in danger when the rest of the message does not say.
PERSON_SUFFIX = re.compile(r"\s*\((self|other)\)$")
MAX_GAP = 3
NEGATION = "not"  # also matches n't and nt, whose lemma it is


class LexiconError(ValueError):
    """The lexicon file is malformed; the message says where and how."""


@dataclass(frozen=True)
class Entry:
    """One phrase and what a match of it means."""

    phrase: str
    group: str  # a category, "person:<who>", "frame:<name>", "not_crisis", "not:<category>",
    # "context:<name>", "region:<code>"
    lang: str
    tier: Optional[str] = None  # categories only
    person: Optional[str] = None  # "self"/"other" when the phrase itself says who


@dataclass(frozen=True)
class Hit:
    entry: Entry
    start: int  # token offsets in the analysed doc
    end: int


# --- text normalisation ----------------------------------------------------------------------

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "helppp", "sooo"
_SPACES = re.compile(r"[ \t\u00a0]{2,}")  # runs of spaces, not line breaks (they end sentences)
_DOTTED = re.compile(r"\b([a-z])\.([a-z])\b\.?")  # "o.d." -> "od"


_OD = [(re.compile(r"\bo\.?d'?d\b"), "overdosed"), (re.compile(r"\bo\.?d'?ing\b"), "overdosing")]


def normalize(text: str) -> str:
    """Lower case, no accents, no apostrophes ("won't" = "wont"), "od'd" = "overdosed", no
    letters repeated three times or more, one space between words ("london  ontario")."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES).lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for pattern, replacement in _OD:
        text = pattern.sub(replacement, text)
    text = text.replace("'", "")
    text = _DOTTED.sub(r"\1\2", text)
    text = _SPACES.sub(" ", text)
    return _REPEATS.sub(r"\1", text)


# --- loading and checking ----------------------------------------------------------------------


def _phrases(value, where: str) -> List[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise LexiconError(f"{where}: expected a list of phrases")
    phrases = [str(v).strip() for v in value]
    for phrase in phrases:
        if not phrase or phrase.startswith(GAP) or phrase.endswith(GAP):
            raise LexiconError(f"{where}: '{phrase}' is empty or starts or ends with '{GAP}'")
    return phrases


def _by_language(value, where: str) -> Dict[str, List[str]]:
    if not isinstance(value, dict) or not set(value) <= set(LANGUAGES):
        raise LexiconError(f"{where}: expected 'en:' and/or 'es:' lists")
    return {lang: _phrases(value.get(lang), f"{where}.{lang}") for lang in LANGUAGES}


@dataclass
class Lexicon:
    entries: List[Entry]
    default_person: Dict[str, str]
    # A call for help that says nothing else ("sos", "need help right now"): every word of the
    # message is one of `words` or `signals`, and at least one is a signal.
    bare_words: Set[str] = field(default_factory=set)
    bare_signals: Set[str] = field(default_factory=set)

    @classmethod
    def from_file(cls, path: Path) -> "Lexicon":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise LexiconError(f"{path}: {error}") from error
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data, source: str = "lexicon") -> "Lexicon":
        if not isinstance(data, dict) or data.get("version") != 1:
            raise LexiconError(f"{source}: expected a mapping with 'version: 1'")
        entries: List[Entry] = []
        default_person = {}
        categories = data.get("categories") or {}
        if set(categories) != set(CATEGORIES):
            raise LexiconError(f"{source}: categories must be exactly {', '.join(CATEGORIES)}")
        for category in CATEGORIES:
            spec = categories[category]
            where = f"{source}: categories.{category}"
            if spec.get("person") not in ("self", "other"):
                raise LexiconError(f"{where}.person: must be 'self' or 'other'")
            default_person[category] = spec["person"]
            unknown = set(spec) - set(TIERS) - {"person"}
            if unknown:
                raise LexiconError(f"{where}: unknown tiers {sorted(unknown)}; use {TIERS}")
            for tier in TIERS:
                for lang, phrases in _by_language(spec.get(tier, {}), f"{where}.{tier}").items():
                    for phrase in phrases:
                        person = PERSON_SUFFIX.search(phrase)
                        entries.append(Entry(PERSON_SUFFIX.sub("", phrase), category, lang, tier,
                                             person.group(1) if person else None))
        for who in ("other", "self"):
            for lang, words in _by_language(data["person"][who], f"{source}: person.{who}").items():
                entries += [Entry(w, f"person:{who}", lang) for w in words]
        frames = data.get("frames") or {}
        if set(frames) != set(FRAMES):
            raise LexiconError(f"{source}: frames must be exactly {', '.join(FRAMES)}")
        for frame in FRAMES:
            for lang, phrases in _by_language(frames[frame], f"{source}: frames.{frame}").items():
                entries += [Entry(p, f"frame:{frame}", lang) for p in phrases]
        for lang, phrases in _by_language(data.get("not_crisis", {}), f"{source}: not_crisis").items():
            entries += [Entry(p, "not_crisis", lang) for p in phrases]
        not_category = data.get("not_category") or {}
        if not set(not_category) <= set(CATEGORIES):
            raise LexiconError(f"{source}: not_category keys must be among {CATEGORIES}")
        for category, spec in not_category.items():
            where = f"{source}: not_category.{category}"
            for lang, phrases in _by_language(spec, where).items():
                entries += [Entry(p, f"not:{category}", lang) for p in phrases]
        regions = data.get("regions") or {}
        if not set(regions) <= set(REGIONS):
            raise LexiconError(f"{source}: regions must be among {', '.join(REGIONS)}")
        for code, phrases in regions.items():
            entries += [Entry(p, f"region:{code}", "en") for p in _phrases(phrases, f"regions.{code}")]
        context = data.get("context") or {}
        if not set(context) <= set(CONTEXTS):
            raise LexiconError(f"{source}: context keys must be among {CONTEXTS}")
        for name, spec in context.items():
            for lang, phrases in _by_language(spec, f"{source}: context.{name}").items():
                entries += [Entry(p, f"context:{name}", lang) for p in phrases]
        bare = data.get("bare_call") or {}
        if set(bare) != {"words", "signals"}:
            raise LexiconError(f"{source}: bare_call needs exactly 'words' and 'signals'")
        bare_sets = {}
        for key in ("words", "signals"):
            by_lang = _by_language(bare[key], f"{source}: bare_call.{key}")
            bare_sets[key] = {normalize(w) for words in by_lang.values() for w in words}
        return cls(entries, default_person, bare_sets["words"], bare_sets["signals"])

    def words(self) -> Set[str]:
        """Every word the lexicon spells out, normalised."""
        return {w for e in self.entries for w in re.findall(r"[a-z']+", normalize(e.phrase))}


# --- compiling to spaCy matchers ---------------------------------------------------------------


# Typos are forgiven in crisis phrases from this word length, and in names of people and places
# from these; never in frames or idioms, nor in short place names ("carro" is not "cairo").
FUZZY_MIN_LENGTH = {**{category: 3 for category in CATEGORIES}, "person": 5, "region": 6}


def _fuzzy_operator(word: str) -> Optional[str]:
    if not word.isalpha() or len(word) < 3:
        return None
    return "FUZZY1" if len(word) < 7 else "FUZZY2"


def _edits(word: str) -> int:
    """How many typos a word of this length may have (as its FUZZY operator allows)."""
    return 1 if len(word) < 7 else 2


def _deletions(word: str, depth: int) -> Set[str]:
    """The word and every form of it with up to `depth` letters removed."""
    forms = {word}
    for _ in range(depth):
        forms |= {form[:i] + form[i + 1:] for form in forms for i in range(len(form))}
    return forms


def _swapped(text: str, pattern_text: str) -> bool:
    """One pair of neighbouring letters swapped ("lfie", "myslef"): a single typo."""
    if len(text) != len(pattern_text):
        return False
    diffs = [i for i, (a, b) in enumerate(zip(text, pattern_text)) if a != b]
    return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
            and text[diffs[0]] == pattern_text[diffs[1]] and text[diffs[1]] == pattern_text[diffs[0]])


class CompiledLexicon:
    """Finds lexicon phrases in text with spaCy's Matcher, exactly and with typos."""

    def __init__(self, nlp, lexicon: Lexicon, known_words: Iterable[str]):
        self.nlp = nlp
        self.lexicon = lexicon
        self.known_words = frozenset(known_words) | lexicon.words()
        self.other_words = {normalize(e.phrase) for e in lexicon.entries
                            if e.group == "person:other"}
        self.self_words = {normalize(e.phrase) for e in lexicon.entries
                           if e.group == "person:self"}
        self.people = sorted(self.other_words - VAGUE_PEOPLE)
        # Words like "narcan" are in both languages; only Spanish-only phrases say "Spanish".
        self.english_phrases = {e.phrase for e in lexicon.entries if e.lang == "en"}
        self.frame_starts = {
            frame: tuple(normalize(e.phrase) for e in lexicon.entries
                         if e.group == f"frame:{frame}")
            for frame in ("question_start", "what_if_start")
        }
        self._deletion_index = set()
        for entry in lexicon.entries:
            min_length = FUZZY_MIN_LENGTH.get(entry.group.split(":")[0])
            for word in re.findall(r"[a-z]+", normalize(entry.phrase)):
                if min_length and len(word) >= min_length and _fuzzy_operator(word):
                    self._deletion_index |= _deletions(word, _edits(word))
        self.exact = Matcher(nlp.vocab)
        self.fuzzy = Matcher(nlp.vocab, fuzzy_compare=self._typo_of)
        self._entries: Dict[str, Entry] = {}
        for index, entry in enumerate(lexicon.entries):
            key = f"lex{index}"
            self._entries[key] = entry
            kind = entry.group.split(":")[0]
            exact, fuzzy = self._patterns(entry.phrase, min_fuzzy=FUZZY_MIN_LENGTH.get(kind),
                                          one_typo=kind == "region")
            self.exact.add(key, [exact])
            if fuzzy != exact:
                self.fuzzy.add(key, [fuzzy])

    def _typo_of(self, text: str, pattern_text: str, fuzzy: int) -> bool:
        # A real word is never a typo of another one: "lying" is not "dying".
        return text == pattern_text or (
            text not in self.known_words
            and (levenshtein_compare(text, pattern_text, fuzzy) or _swapped(text, pattern_text)))

    def _patterns(self, phrase: str, min_fuzzy: Optional[int],
                  one_typo: bool = False) -> Tuple[List[dict], List[dict]]:
        """Exact and fuzzy Matcher patterns; `one_typo` for place names, whose two-typo
        neighbours are often everyday words ("frightened" is not "Brighton")."""
        exact: List[dict] = []
        fuzzy: List[dict] = []
        for piece in re.split(r"\s*\.\.\.\s*", normalize(phrase)):
            if exact:  # "..." between pieces: a few words, never across punctuation
                gap = {"IS_PUNCT": False, "OP": f"{{0,{MAX_GAP}}}"}
                exact.append(gap)
                fuzzy.append(dict(gap))
            for part in re.split(r"(\{person\})", piece):
                if part == PERSON_PLACEHOLDER:
                    token = {"LOWER": {"IN": self.people}}
                    exact.append(token)
                    fuzzy.append(token)
                    continue
                for token in self.nlp(part) if part.strip() else []:
                    word, lemma = token.lower_, token.lemma_
                    if lemma == NEGATION:
                        spec = {"LEMMA": NEGATION}
                    elif lemma == word and word.isalpha():
                        # A base form matches every form ("overdose": "overdosed", ...);
                        # a particular form only itself ("overdosing").
                        spec = {"LEMMA": lemma}
                    else:
                        spec = {"LOWER": word}
                    exact.append(spec)
                    operator = "FUZZY1" if one_typo and _fuzzy_operator(word) else \
                        _fuzzy_operator(word)
                    if operator and min_fuzzy and len(word) >= min_fuzzy and lemma != NEGATION:
                        # Typos of a base form are compared with lemmas ("takin" ~ "take"),
                        # of another form with the word itself ("overdozing" ~ "overdosing").
                        attribute, value = next(iter(spec.items()))
                        fuzzy.append({attribute: {operator: value}})
                    else:
                        fuzzy.append(spec)
        return exact, fuzzy

    def doc(self, text: str):
        return self.nlp(normalize(text))

    def might_have_typos(self, doc) -> bool:
        """Whether some unknown word is within two edits of a lexicon word.

        Checked with a deletion index (each word's forms with one or two letters removed), so
        the fuzzy matcher, which compares every word with every lexicon word, runs only when it
        can find something.
        """
        return any(t.is_alpha and len(t) >= 3 and t.lower_ not in self.known_words
                   and not self._deletion_index.isdisjoint(_deletions(t.lower_, _edits(t.lower_)))
                   for t in doc)

    def find(self, doc) -> List[Hit]:
        """All lexicon hits in the doc, with typos when the doc may have some."""
        found = {(key, start, end) for key, start, end in self.exact(doc)}
        if self.might_have_typos(doc):
            found |= {(key, start, end) for key, start, end in self.fuzzy(doc)}
        strings = self.nlp.vocab.strings
        return sorted((Hit(self._entries[strings[key]], start, end) for key, start, end in found),
                      key=lambda hit: (hit.start, -hit.end))


def common_english_words(min_log_prob: float = -14.0) -> Set[str]:
    """Words frequent enough in English that they are never treated as a typo of another word.

    From spaCy's own lookup data (word probabilities), read when the model is trained.
    """
    import gzip
    import json

    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        probabilities = json.load(handle)
    return {word.lower() for word, prob in probabilities.items()
            if prob >= min_log_prob and word.isalpha()}
