"""Shared by the public and hidden tests: the texts, independent reference tokenizers, helpers."""
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from course_harness import get_function

SIGNATURE = "compare_tokenizers(text: str, eval_text: str | None = None) -> list[dict]"
NAMES = ["char", "word", "bpe-300", "bpe-1000", "wordpiece", "unigram"]
FIELDS = {"name", "vocab_size", "num_tokens", "tokens_per_char", "unk_rate"}

# A small original corpus to train on, and a held-out paragraph to measure on.
TRAIN_TEXT = """\
The bakery on Mill Street opens at six in the morning, long before the first bus arrives.
Its owner, a patient woman named Ruth, starts the ovens at four and listens to the radio while the dough rises.
By half past five the whole street smells of bread, and the night shift from the hospital stops by for warm rolls.
Ruth keeps a notebook of every recipe she has tried, with the failures marked in red and the successes in green.
Most pages are red. She says that a recipe only becomes yours after you have ruined it a dozen times.

The river that runs behind the bakery is shallow in summer and wild in spring.
Children throw sticks from the bridge and race to the other side to see which one comes out first.
In April the water rises over the lower path, and the town puts out orange signs that nobody reads.
Herons stand in the reeds like grey umbrellas, waiting for a fish to make a mistake.
An old man fishes there every evening, although nobody has ever seen him catch anything.

Learning to program feels a lot like learning to bake.
You follow a recipe, the result is strange, and you slowly work out which step you misunderstood.
A missing bracket is a missing pinch of salt: small, easy to overlook, and it changes everything.
Good programmers read error messages the way good bakers read the crust of a loaf.
They do not panic; they ask what the message is trying to say and where the problem really started.
Tests are like tasting the batter before it goes into the oven.
They cost a little time now and save a great deal of disappointment later.

The weather in this valley changes its mind several times a day.
A bright blue morning can turn into a grey afternoon, and the evening may end with a rainbow over the hills.
Farmers watch the clouds over the western ridge, because rain always comes from that direction.
When the wind turns north, the temperature drops quickly and everyone reaches for a second jumper.
In winter the fog sits in the valley for days, and the lights of the station glow like lanterns.

Trains pass through the station twice an hour, one going north to the city and one going south to the coast.
The northbound train is usually full of students with laptops and commuters with newspapers.
The southbound train carries families with buckets, towels and far too many sandwiches.
The station master has worked there for thirty years and knows most passengers by their coats.
He keeps a clock on the wall that runs exactly two minutes fast, so that nobody misses the last train.

On Saturdays there is a market in the square in front of the town hall.
Farmers sell apples, cheese, honey and eggs, and a man with a van sells second hand books by the kilo.
A band plays old songs near the fountain, and the dogs of the town gather to listen politely.
Ruth runs a stall there too, selling the loaves that did not fit on the shelves of the bakery.
By noon the stall is empty, and she walks home along the river with an empty basket and a full notebook.

Every town has its small routines, and they matter more than they seem.
The bus that is always late, the bell that rings at noon, the same faces at the same tables each morning.
Routines are like the vocabulary of a place: a small set of pieces that can be combined in many ways.
A language works the same way, building long words and sentences out of a limited number of parts.
Learning those parts, and how they fit together, is most of what it means to understand.

A computer reading text has to decide what its parts are before it can learn anything at all.
It can treat every character as a piece, which keeps the vocabulary tiny but makes every sentence long.
It can treat every word as a piece, which makes sentences short but leaves it helpless before new words.
Most modern systems choose something in between: frequent words stay whole and rare words are split into pieces.
The pieces are learned from data by counting which neighbours appear together most often and merging them.
After enough merges, common words like the, and, with and station become single tokens,
while an unusual word is spelled out from smaller fragments that the model has already seen.
"""

EVAL_TEXT = """\
On a foggy Tuesday the northbound train was late, so the students waited on the platform with coffee.
A visitor from Zürich asked the station master whether the café near the fountain sold croissants.
He pointed across the square: the bakery, of course, where Ruth was writing another recipe in her notebook.
"""


def rows_by_name(text, eval_text=None):
    """Call compare_tokenizers and index its rows by name, checking the layout on the way."""
    compare = get_function("compare_tokenizers", SIGNATURE)
    rows = compare(text) if eval_text is None else compare(text, eval_text)
    assert isinstance(rows, list), f"compare_tokenizers should return a list of dicts, got {type(rows).__name__}."
    names = [r.get("name") if isinstance(r, dict) else r for r in rows]
    assert names == NAMES, f"expected one row per tokenizer named {NAMES}, in that order; got {names}."
    for r in rows:
        missing = FIELDS - set(r)
        assert not missing, f"row {r['name']!r} is missing the field(s) {sorted(missing)}."
    return {r["name"]: r for r in rows}


def reference_bpe(text, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def reference_wordpiece(text):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator([text], trainer=trainers.WordPieceTrainer(
        vocab_size=1000, special_tokens=["[UNK]"], show_progress=False))
    return tok


def reference_unigram(text):
    """SentencePiece's Unigram model as the tokenizers library builds it (training is deterministic)."""
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.train_from_iterator([text], trainer=trainers.UnigramTrainer(
        vocab_size=1000, special_tokens=["<unk>"], unk_token="<unk>", show_progress=False))
    return tok


def unigram_unknowns(tok, text):
    """How many <unk> ids the text becomes, and how many ids in all."""
    ids = tok.encode(text).ids
    return ids.count(tok.token_to_id("<unk>")), len(ids)


def close(actual, expected, rel, what):
    assert abs(float(actual) - float(expected)) <= rel * abs(float(expected)) + 1e-9, (
        f"{what} is {actual}, expected {expected}" + (f" (within {rel:.0%})" if rel else "") + ".")
