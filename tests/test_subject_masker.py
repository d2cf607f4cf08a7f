"""The subject masker (components/subject_masker.py): every token of a subject name gets one
placeholder lemma, whatever the name, and nothing else changes."""
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.subject_masker import SUBJECT_LEMMA, SubjectMasker


def tokenized(*texts):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={"text": text}) for text in texts]
    tokenizer.process(messages)
    return messages


def lemmas(message):
    return [token.lemma for token in message.get("text_tokens")]


def test_subject_names_become_one_placeholder_and_load_back(tmp_path):
    storage, resource = LocalModelStorage(tmp_path), Resource("masker")
    context = ExecutionContext(graph_schema=None, node_name="masker")
    masker = SubjectMasker.create(SubjectMasker.get_default_config(), storage, resource, context)
    masker.train(TrainingData(lookup_tables=[
        {"name": "subject", "elements": ["cbt", "cognitive behavioral therapy", "methadone"]},
        {"name": "city", "elements": ["what"]}]))
    loaded = SubjectMasker.load(SubjectMasker.get_default_config(), storage, resource, context)

    short, long, none, inside = loaded.process(tokenized(
        "what is CBT", "what is cognitive behavioral therapy", "what is therapy",
        "methadoneish stuff"))

    assert lemmas(short) == ["what", "is", SUBJECT_LEMMA]
    # One placeholder per name, however many words it has: the rest count for nothing.
    assert lemmas(long) == ["what", "is", SUBJECT_LEMMA, "", ""]
    assert lemmas(none) == ["what", "is", "therapy"]  # other tables and partial words: untouched
    assert lemmas(inside) == ["methadoneish", "stuff"]
    assert [t.text for t in long.get("text_tokens")][-1] == "therapy"  # the text itself stays


def test_subject_patterns_are_masked_only_where_they_match(tmp_path):
    """Names that are also everyday words ("NA" and "nah") come as regex patterns: masked where
    the pattern reads them as a name, left alone elsewhere."""
    storage, resource = LocalModelStorage(tmp_path), Resource("masker")
    context = ExecutionContext(graph_schema=None, node_name="masker")
    masker = SubjectMasker.create(SubjectMasker.get_default_config(), storage, resource, context)
    masker.train(TrainingData(
        lookup_tables=[{"name": "subject", "elements": ["na meetings"]}],
        regex_features=[{"name": "subject", "pattern": r"(?:(?-i:\bNA\b)|(?<=\bis )na\b)"},
                        {"name": "zipcode", "pattern": r"\bwhat\b"}]))
    loaded = SubjectMasker.load(SubjectMasker.get_default_config(), storage, resource, context)

    question, capitals, reply, meetings = loaded.process(tokenized(
        "what is na", "does NA work", "na thanks", "where are na meetings"))

    assert lemmas(question) == ["what", "is", SUBJECT_LEMMA]
    assert lemmas(capitals) == ["does", SUBJECT_LEMMA, "work"]
    assert lemmas(reply) == ["na", "thanks"]
    assert lemmas(meetings) == ["where", "are", SUBJECT_LEMMA, ""]
