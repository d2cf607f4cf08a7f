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


# Function words that tell Spanish from English when no Spanish-only crisis phrase says so (the
# classifier's crisis readings, bare calls, phrases shared by both languages). Accents removed.
SPANISH_WORDS = {"el", "la", "los", "las", "una", "y", "que", "de", "del", "con", "mi", "mis",
                 "su", "esta", "estoy", "esta", "se", "le", "lo", "por", "para", "muy", "hay",
                 "tiene", "ya", "al", "es", "pero", "como", "cuando", "ahora", "todo", "todos",
                 "nada", "porque", "tengo", "creo", "puedo", "despues", "aqui", "mucho", "mama",
                 "papa", "hermano", "hermana", "amigo", "amiga", "ayuda", "ayudame", "socorro"}
ENGLISH_WORDS = {"the", "and", "is", "my", "he", "she", "it", "to", "of", "in", "on", "with",
                 "not", "i", "you", "this", "that", "was", "are", "have", "has", "now", "after",
                 "his", "her", "im", "cant", "wont", "help", "we", "they", "just", "me"}


def guess_language(doc) -> str:
    words = [t.lower_ for t in doc if t.is_alpha]
    spanish = sum(w in SPANISH_WORDS for w in words)
    english = sum(w in ENGLISH_WORDS for w in words)
    return "es" if spanish >= 1 and spanish > english else "en"


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
    # Who the message is about when no crisis phrase says (for the classifier's readings): a
    # particular other person named, else the writer as subject, else None.
    person_guess: Optional[str] = None
    context: Set[str] = field(default_factory=set)  # "drug_use", "withdrawal"


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


QUESTION_URGENT = {"what do i do", "what do we do", "what should i do now"}
# Words that bring a past story back to now: "I relapsed last week and now I want to die",
# "she stopped breathing again".
PRESENT_MARKERS = {"now", "again", "still", "currently", "tonight", "today", "rn"}
# Past forms that do not end in -ed (the pipeline has a lemmatizer, not a tagger).
IRREGULAR_PAST = {"went", "was", "were", "had", "took", "got", "fell", "came", "gave", "did",
                  "turned", "stopped", "overdosed", "collapsed", "passed", "froze", "tuve",
                  "tuvo", "se puso", "dejo"}
TIER_RANK = {"acute": 0, "event": 1, "scene": 2, "mention": 3, None: 4}
# Words inside a matched phrase that say who it is about ("kill himself", "end my life"). Object
# pronouns do not count: "she went out on me" is about her.
SPAN_OTHER = {"himself", "herself", "themselves", "themself", "him", "her", "his", "he", "she",
              "se"}
SPAN_SELF = {"en": {"i", "myself", "im"}, "es": {"me", "yo", "mi"}}
# Nouns and pronouns a sentence's subject is looked for in, back from the phrase to the start of
# its sentence.
SELF_SUBJECTS = {"i", "im", "myself", "yo", "me"}
BODY_WORDS = {"breathing", "breath", "breaths", "chest", "heart", "lips", "body", "eyes", "head",
              "arms", "legs", "face", "hands", "pulse", "skin"}
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

    start, end = sentence
    before = [p for p in people if start <= p.start and p.end <= hit.start and _who(doc, p)]
    if before:
        return _who(doc, before[-1])
    after = [p for p in people if hit.end <= p.start and p.end <= end and _who(doc, p)]
    if any(_who(doc, p) == "other" for p in after):
        return "other"
    if after:  # "my breathing is slow, i took extra"
        return "self"
    return default


def _who(doc, person_hit: Hit) -> Optional[str]:
    """Who a person word names as a subject: "he", "my friend" -> other; "I" -> self; "my"
    only before the writer's own body ("my breathing", "my chest"); English "me" is an object
    ("my friend who's staying with me"), Spanish "me" a subject ("me quiero morir")."""
    word = doc[person_hit.start].lower_
    if person_hit.entry.group == "person:other":
        return None if person_hit.entry.phrase in VAGUE_PEOPLE else "other"
    if word == "me" and person_hit.entry.lang == "en":
        return None
    if word == "my":
        following = doc[person_hit.end].lower_ if person_hit.end < len(doc) else ""
        # "my breathing's" is one word once apostrophes are gone: "breathings".
        return "self" if any(following.startswith(w) for w in BODY_WORDS) else None
    return "self" if word in SELF_SUBJECTS else None


@dataclass
class Frames:
    """What a sentence (or the whole message) says about its crisis words."""

    question: bool = False
    what_if: bool = False
    past: bool = False
    urgent: bool = False
    # Urgent words that are not themselves a question: "what do I do" does not make "if
    # someone's lips turn blue, what do I do?" happen now; "help me" or "!!" would.
    urgent_strong: bool = False
    past_end: int = -1  # where the sentence's last past phrase ends (token offset)
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
                  urgent_strong=any(h.entry.group == "frame:urgent"
                                    and h.entry.phrase not in QUESTION_URGENT for h in inside),
                  past_end=max((h.end for h in inside if h.entry.group == "frame:past"),
                               default=-1),
                  someone_specific=specific)


# Words of a bare call that say it is Spanish.
SPANISH_BARE = {"ayuda", "ayudame", "ayudenme", "socorro", "auxilio", "urgente", "necesito",
                "alguien", "porfa", "emergencia", "rapido", "favor"}


def _past_tense(doc, hit: Hit) -> bool:
    """Whether the phrase itself is in the past tense ("went blue", "stopped breathing")."""
    return any(t.lower_ in IRREGULAR_PAST or (t.lower_.endswith("ed") and t.lower_ != t.lemma_)
               for t in doc[max(hit.start - 2, 0):hit.end])


def _brought_to_now(doc, past_end: int, hit: Hit) -> bool:
    """A present marker between the past phrase and the crisis phrase, or right after the
    crisis phrase: "last week and now I want to die", "years ago, and again tonight"."""
    start = min(past_end, hit.start) if past_end >= 0 else hit.start
    words = {t.lower_ for t in doc[start:hit.start]} | {t.lower_ for t in doc[hit.end:hit.end + 3]}
    return bool(words & PRESENT_MARKERS)


def overdose_if_after_use(category: str, context: Set[str]) -> str:
    """Collapse, fainting, confusion or a seizure right after drugs were used is an overdose
    until shown otherwise ("passed out in the restroom with a needle next to him"); in
    withdrawal it stays a medical danger ("my friend in withdrawal had a seizure")."""
    if category == "medical_danger" and "drug_use" in context and "withdrawal" not in context:
        return "overdose"
    return category


def _person_guess(doc, hits: List[Hit]) -> Optional[str]:
    people = [h for h in hits if h.entry.group.startswith("person:")]
    if any(h.entry.group == "person:other" and h.entry.phrase not in VAGUE_PEOPLE
           for h in people):
        return "other"
    if any(_who(doc, h) == "self" for h in people):
        return "self"
    return None


def _bare_call(lexicon: CompiledLexicon, text: str, words) -> bool:
    """A call for help that says nothing else: "sos", "urgent!!", "need help right now"."""
    if not words:
        return False
    vocabulary = lexicon.lexicon.bare_words | lexicon.lexicon.bare_signals
    names = [t.lower_ for t in words]
    if not all(name in vocabulary for name in names):
        return False
    emoji = any(symbol in text for symbol in lexicon.lexicon.bare_signals if not symbol.isalnum()
                and not symbol.isascii())
    letters = [ch for ch in text if ch.isalpha()]
    shouted = len(letters) >= 4 and all(ch.isupper() for ch in letters)  # "HELP", "HELP ME"
    return (emoji or shouted or text.count("!") >= 2
            or any(name in lexicon.lexicon.bare_signals for name in names))


def detect(lexicon: CompiledLexicon, text: str, metadata: Optional[Dict] = None) -> Detection:
    doc = lexicon.doc(text)
    hits = lexicon.find(doc)
    idioms = [h for h in hits if h.entry.group == "not_crisis"]

    detection = Detection(language=guess_language(doc))
    contexts = _longest_first([h for h in hits if h.entry.group.startswith("context:")])
    detection.context = {h.entry.group.split(":", 1)[1] for h in contexts}
    detection.person_guess = _person_guess(doc, [
        h for h in hits if h.entry.lang == detection.language])
    regions = _longest_first([h for h in hits if h.entry.group.startswith("region:")])
    if regions:
        detection.region = regions[0].entry.group.split(":", 1)[1]
    else:
        detection.region = region_from_metadata(metadata)

    # "cutting my dose" rules out self-harm only; an idiom rules out every category.
    ruled_out = [h for h in hits if h.entry.group.startswith("not:")]
    crisis_hits = _longest_first([
        h for h in hits
        if h.entry.group in CATEGORIES and not any(_overlaps(h, idiom) for idiom in idioms)
        and not any(_overlaps(h, r) and r.entry.group == f"not:{h.entry.group}"
                    for r in ruled_out)
    ])
    words = [t for t in doc if not t.is_punct and not t.is_space]
    whole = _frames(lexicon, doc, hits, 0, len(doc))
    # A very short message ("overdose", "help od") is a cry for help, not a question.
    short = len(words) <= SHORT_MESSAGE_WORDS and not whole.question
    detection.frames = whole.names() | ({"idiom"} if idioms else set()) | (
        {"urgent"} if short else set()) | {r.entry.group for r in ruled_out}
    if not crisis_hits:
        if _bare_call(lexicon, text, words):
            detection.kind, detection.category, detection.person = "crisis", "general", "self"
            if any(t.lower_ in SPANISH_BARE for t in words):
                detection.language = "es"
        return detection

    sentences = _sentences(doc)

    def frames_of(hit: Hit) -> Frames:
        start, end = next(((s, e) for s, e in sentences if s <= hit.start < e), (0, len(doc)))
        return _frames(lexicon, doc, hits, start, end, near=hit.start)

    scenes = {h.entry.phrase for h in crisis_hits if h.entry.tier == "scene"}

    def is_emergency(hit: Hit) -> bool:
        frames = frames_of(hit)
        if frames.past and _brought_to_now(doc, frames.past_end, hit):
            frames.past = False
        urgent = short or frames.urgent or whole.urgent
        if frames.what_if and not (short or frames.urgent_strong or whole.urgent_strong):
            urgent = False  # "if someone's lips turn blue, what do I do?"
        if hit.entry.tier == "acute":
            # "why do lips turn blue in an overdose?" or "what if someone stops breathing?"
            # asks in general; "why is he not breathing?" does not. "Years ago my lips went
            # blue" is a story told in the past tense.
            general = frames.what_if or (frames.question and not frames.someone_specific)
            told = frames.past and _past_tense(doc, hit)
            return (urgent and not told) or not (general or told)
        if hit.entry.tier == "scene":
            # "slumped", "won't answer": a scene only after drug use, with urgent words, or
            # with a second scene word ("head down in the car and won't answer me").
            if "drug_use" not in detection.context and not urgent and len(scenes) < 2:
                return False
            general = frames.what_if or (frames.question and not frames.someone_specific)
            return not (frames.past or general)
        if hit.entry.tier == "event":
            # "I wanted to die years ago", "what if my son says he wants to die", "is self-harm
            # common in recovery?" are not happening now; "how do I stop wanting to die?" is.
            general = frames.question and not frames.someone_specific
            return not (frames.past or frames.what_if or general)
        return urgent or not (frames.past or frames.what_if or frames.question)

    emergencies = [h for h in crisis_hits if is_emergency(h)]
    # A scene word that is not an emergency is not even a mention: "slumped on the couch".
    crisis_hits = [h for h in crisis_hits if h.entry.tier != "scene" or h in emergencies]
    if not crisis_hits:
        return detection
    chosen = emergencies or crisis_hits
    hit = min(chosen, key=lambda h: (CATEGORIES.index(h.entry.group), TIER_RANK[h.entry.tier],
                                     h.start))
    detection.kind = "crisis" if emergencies else "mention"
    detection.category = hit.entry.group
    if detection.kind == "crisis":
        detection.category = overdose_if_after_use(detection.category, detection.context)
        if (detection.category == "overdose" and detection.context == {"withdrawal"}
                and any(h.entry.group == "medical_danger" for h in emergencies)):
            # "I stopped methadone and have chest pain and can't breathe well": withdrawal.
            detection.category = "medical_danger"
            hit = next(h for h in emergencies if h.entry.group == "medical_danger")
    if any(h.entry.lang == "es" and h.entry.phrase not in lexicon.english_phrases for h in chosen):
        detection.language = "es"
    detection.matched = sorted({h.entry.phrase for h in chosen})
    if detection.kind == "crisis":
        # In a Spanish message, "he" is "I have", not "he".
        people = [h for h in hits if h.entry.group.startswith("person:")
                  and h.entry.lang == detection.language]
        sentence = next(((s, e) for s, e in sentences if s <= hit.start < e), (0, len(doc)))
        detection.person = _person(hit, doc, people,
                                   lexicon.lexicon.default_person[detection.category], sentence)
    return detection
