"""Deciding what a message means for safety, from the lexicon hits in it.

Pure logic, no Rasa: `detect()` takes the analysed text (and the channel's metadata) and says
whether the message is an emergency (and of which kind, for whom, in which language and region),
only mentions one, or neither. The tiers and frames are explained in the lexicon file.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from safety.lexicon import CATEGORIES, REGIONS, VAGUE_PEOPLE, CompiledLexicon, Hit

# A message this short ("overdose", "help od", "narcan now") is a cry for help, not a question.
SHORT_MESSAGE_WORDS = 3

# ISO 3166 codes a channel may send as metadata, mapped to our regions.
EU_COUNTRIES = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IT", "LV",
    "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}
COUNTRY_TO_REGION = {"US": "US", "PR": "US", "GB": "UK", "UK": "UK", "IE": "IE", "CA": "CA",
                     "AU": "AU", "EU": "EU"}


@dataclass
class Detection:
    kind: str = "none"  # "crisis", "mention" or "none"
    category: Optional[str] = None
    person: Optional[str] = None  # "self" or "other"
    language: str = "en"
    region: Optional[str] = None  # only when the message or its metadata says
    matched: List[str] = field(default_factory=list)  # lexicon phrases, for diagnostics
    # Context found in the message: idiom, past, what_if, question, urgent. Used to judge a
    # crisis reading that came from the classifier alone.
    frames: Set[str] = field(default_factory=set)


def region_from_metadata(metadata: Optional[Dict]) -> Optional[str]:
    """The region a channel passes as metadata: {"region": "UK"} or {"country": "GB"}."""
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("region") or metadata.get("country")
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    if code in REGIONS:
        return code
    if code in COUNTRY_TO_REGION:
        return COUNTRY_TO_REGION[code]
    if code in EU_COUNTRIES:
        return "EU"
    return "OTHER" if len(code) == 2 and code.isalpha() else None


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


TIER_RANK = {"acute": 0, "event": 1, "mention": 2, None: 3}
# Words inside a matched phrase that say who it is about ("kill himself", "end my life"). Object
# pronouns do not count: "she went out on me" is about her.
SPAN_OTHER = {"himself", "herself", "themselves", "themself", "him", "her", "his", "he", "she",
              "se"}
SPAN_SELF = {"en": {"i", "myself", "im"}, "es": {"me", "yo", "mi"}}
# Nouns and pronouns a sentence's subject is looked for in, back from the phrase to the start of
# its sentence.
SELF_SUBJECTS = {"i", "im", "myself", "yo", "me"}
SENTENCE_END = {".", "!", "?", ";"}
# A frame phrase further back than this many tokens belongs to another clause of a run-on
# sentence: in "this might be a dumb question but ... im on day 4 my chest feels squeezed and my
# left arm is tingling", "might be" does not make the chest pain hypothetical.
CLAUSE_TOKENS = 12


def _longest_first(hits: List[Hit]) -> List[Hit]:
    """Keeps the longest of overlapping hits; on equal length the more urgent tier."""
    kept: List[Hit] = []
    for hit in sorted(hits, key=lambda h: (-(h.end - h.start), TIER_RANK[h.entry.tier])):
        if not any(_overlaps(hit, other) for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _person(hit: Hit, doc, people: List[Hit], default: str,
            sentence: Tuple[int, int]) -> str:
    """Who is in danger: the phrase's own words or a pronoun right after it ("kill himself",
    "can't wake him"), else what the phrase itself says ("(self)" in the lexicon), else the
    nearest person named before it in its sentence, else someone named after it, else the
    category's default. "Someone" and "people" name nobody in particular."""
    span = [t.lower_ for t in doc[hit.start:hit.end]]
    if any(word in SPAN_OTHER for word in span):
        return "other"
    if any(word in SPAN_SELF[hit.entry.lang] for word in span):
        return "self"
    if hit.end < len(doc) and doc[hit.end].lower_ in SPAN_OTHER:
        return "other"
    if hit.entry.person:
        return hit.entry.person

    def who(person_hit: Hit) -> Optional[str]:
        word = doc[person_hit.start].lower_
        if person_hit.entry.group == "person:other":
            return None if person_hit.entry.phrase in VAGUE_PEOPLE else "other"
        return "self" if word in SELF_SUBJECTS else None

    start, end = sentence
    before = [p for p in people if start <= p.start and p.end <= hit.start and who(p)]
    if before:
        return who(before[-1])
    after = [p for p in people if hit.end <= p.start and p.end <= end and who(p) == "other"]
    if after:
        return "other"
    return default


@dataclass
class Frames:
    """What a sentence (or the whole message) says about its crisis words."""

    question: bool = False
    what_if: bool = False
    past: bool = False
    urgent: bool = False
    someone_specific: bool = False  # "he", "my friend", "I": not "someone" or "people"

    def names(self) -> Set[str]:
        return {name for name in ("question", "what_if", "past", "urgent") if getattr(self, name)}


def _sentences(doc) -> List[Tuple[int, int]]:
    """Token spans of the sentences: split after . ! ? ; and line breaks."""
    spans, start = [], 0
    for token in doc:
        if token.text in SENTENCE_END or "\n" in token.text:
            spans.append((start, token.i + 1))
            start = token.i + 1
    if start < len(doc):
        spans.append((start, len(doc)))
    return spans or [(0, 0)]


def _frames(lexicon: CompiledLexicon, doc, hits: List[Hit], start: int, end: int,
            near: Optional[int] = None) -> Frames:
    """Frames of the span start:end; with `near` (a crisis phrase's first token), frame phrases
    count only from CLAUSE_TOKENS before it."""
    crisis = [h for h in hits if h.entry.group in CATEGORIES]
    earliest = start if near is None else max(start, near - CLAUSE_TOKENS)
    # A frame word inside a crisis phrase is part of it: "my last month" is not "last month".
    inside = [h for h in hits if start <= h.start and h.end <= end
              and (h.entry.group in CATEGORIES or not any(_overlaps(h, c) for c in crisis))
              and (not h.entry.group.startswith("frame:") or h.start >= earliest)]
    groups = {h.entry.group for h in inside}
    words = [t for t in doc[start:end] if not t.is_punct and not t.is_space]
    first_words = " ".join(t.lower_ for t in words[:6])

    def starts_with(frame: str) -> bool:
        return any(first_words == phrase or first_words.startswith(phrase + " ")
                   for phrase in lexicon.frame_starts[frame])

    question = (any(t.text == "?" for t in doc[start:end]) or "frame:question" in groups
                or starts_with("question_start"))
    specific = any(
        (h.entry.group == "person:other" and h.entry.phrase not in VAGUE_PEOPLE)
        or (h.entry.group == "person:self" and doc[h.start].lower_ in SELF_SUBJECTS)
        for h in inside)
    return Frames(question=question,
                  what_if="frame:what_if" in groups or starts_with("what_if_start"),
                  past="frame:past" in groups,
                  urgent="frame:urgent" in groups,
                  someone_specific=specific)


def detect(lexicon: CompiledLexicon, text: str, metadata: Optional[Dict] = None) -> Detection:
    doc = lexicon.doc(text)
    hits = lexicon.find(doc)
    idioms = [h for h in hits if h.entry.group == "not_crisis"]

    detection = Detection()
    regions = _longest_first([h for h in hits if h.entry.group.startswith("region:")])
    if regions:
        detection.region = regions[0].entry.group.split(":", 1)[1]
    else:
        detection.region = region_from_metadata(metadata)

    crisis_hits = _longest_first([
        h for h in hits
        if h.entry.group in CATEGORIES and not any(_overlaps(h, idiom) for idiom in idioms)
    ])
    words = [t for t in doc if not t.is_punct and not t.is_space]
    whole = _frames(lexicon, doc, hits, 0, len(doc))
    # A very short message ("overdose", "help od") is a cry for help, not a question.
    short = len(words) <= SHORT_MESSAGE_WORDS and not whole.question
    detection.frames = whole.names() | ({"idiom"} if idioms else set()) | (
        {"urgent"} if short else set())
    if not crisis_hits:
        return detection

    sentences = _sentences(doc)

    def frames_of(hit: Hit) -> Frames:
        start, end = next(((s, e) for s, e in sentences if s <= hit.start < e), (0, len(doc)))
        return _frames(lexicon, doc, hits, start, end, near=hit.start)

    def is_emergency(hit: Hit) -> bool:
        frames = frames_of(hit)
        urgent = short or frames.urgent or whole.urgent
        if hit.entry.tier == "acute":
            # "why do lips turn blue in an overdose?" or "what if someone stops breathing?"
            # asks in general; "why is he not breathing?" does not.
            general = frames.what_if or (frames.question and not frames.someone_specific)
            return urgent or not general
        if hit.entry.tier == "event":
            # "I wanted to die years ago", "what if my son says he wants to die", "is self-harm
            # common in recovery?" are not happening now; "how do I stop wanting to die?" is.
            general = frames.question and not frames.someone_specific
            return not (frames.past or frames.what_if or general)
        return urgent or not (frames.past or frames.what_if or frames.question)

    emergencies = [h for h in crisis_hits if is_emergency(h)]
    chosen = emergencies or crisis_hits
    hit = min(chosen, key=lambda h: (CATEGORIES.index(h.entry.group), TIER_RANK[h.entry.tier],
                                     h.start))
    detection.kind = "crisis" if emergencies else "mention"
    detection.category = hit.entry.group
    detection.language = "es" if any(
        h.entry.lang == "es" and h.entry.phrase not in lexicon.english_phrases for h in chosen
    ) else "en"
    detection.matched = sorted({h.entry.phrase for h in chosen})
    if detection.kind == "crisis":
        people = [h for h in hits if h.entry.group.startswith("person:")]
        sentence = next(((s, e) for s, e in sentences if s <= hit.start < e), (0, len(doc)))
        detection.person = _person(hit, doc, people,
                                   lexicon.lexicon.default_person[hit.entry.group], sentence)
    return detection
