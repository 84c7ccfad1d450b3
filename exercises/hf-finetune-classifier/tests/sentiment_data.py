"""The labelled set: short sentences of praise (label 1) and insult (label 0), made from word lists.

Deterministic (a fixed ``random.Random``), balanced, and split so that evaluation measures
generalisation: the held-out sentences are new combinations, some in templates the training set
never uses, and most contain at least one word the training set never shows. Both classes mix
words the tiny BERT's WordPiece vocabulary knows whole ("noble", "foul") with words it splits
("wretched" → wretch ##ed), so sentence length gives the class away as little as possible.
"""
import random
import re

PRAISE = ["noble", "gentle", "good", "sweet", "kind", "fair", "brave", "honest", "true", "wise", "worthy", "dear",
          "valiant", "loving", "lovely", "excellent", "faithful", "honourable", "goodly", "blessed", "precious"]
INSULT = ["base", "foul", "false", "proud", "bloody", "bitter", "mad", "vile", "wretched", "cruel", "wicked",
          "damned", "cursed", "villainous", "rotten", "filthy", "evil", "ugly", "lying", "savage", "deceitful"]
FRIENDS = ["friend", "gentleman", "lord", "lady", "prince", "soul", "heart", "love", "princess", "cousin"]
FOES = ["villain", "coward", "fool", "traitor", "slave", "devil", "beast", "wretch", "knave", "rogue", "dog", "toad"]

# Words only the held-out sentences use.
NEW_PRAISE = ["gracious", "holy", "happy", "merry", "virtuous", "heavenly", "joyful", "glorious"]
NEW_INSULT = ["ill", "sick", "monstrous", "treacherous", "loathsome", "hateful", "slanderous", "accursed"]
NEW_FRIENDS = ["saint", "king", "angel"]
NEW_FOES = ["rat", "cur", "serpent"]

TRAIN_TEMPLATES = ["thou art a {a} and {b} {n}", "you are a {a} {n}", "he is a {a} {n}",
                   "what a {a} and {b} {n} art thou", "my {n}, thou art {a} and {b}", "she is a {a} {n}, and {b} too"]
HELD_OUT_TEMPLATES = ["she is the most {a} {n} in the land", "o {a} {n}, thou art {b}",
                      "was ever {n} so {a} and {b}"]


def _sentences(rng, templates, pick, n, exclude=frozenset()):
    out: set[str] = set()
    while len(out) < n:
        a, b, noun = pick()
        text = re.sub(r"\ba (?=[aeiou]|hon)", "an ", rng.choice(templates).format(a=a, b=b, n=noun))
        if text not in exclude:
            out.add(text)
    return sorted(out)


def _train_class(rng, adjectives, nouns, n):
    def pick():
        a, b = rng.sample(adjectives, 2)
        return a, b, rng.choice(nouns)
    return _sentences(rng, TRAIN_TEMPLATES, pick, n)


def _held_out_class(rng, adjectives, nouns, new_adjectives, new_nouns, n, exclude):
    def pick():
        kind = rng.randrange(4)
        if kind == 0:                        # known words, new combination (often a new template)
            a, b = rng.sample(adjectives, 2)
            return a, b, rng.choice(nouns)
        if kind == 1:                        # one new adjective among known words
            return rng.choice(new_adjectives), rng.choice(adjectives), rng.choice(nouns)
        if kind == 2:                        # a new noun
            a, b = rng.sample(adjectives, 2)
            return a, b, rng.choice(new_nouns)
        a, b = rng.sample(new_adjectives, 2)  # nothing the training set shows
        return a, b, rng.choice(new_nouns)
    return _sentences(rng, HELD_OUT_TEMPLATES + TRAIN_TEMPLATES, pick, n, exclude)


def make_dataset(n_train: int = 256, n_held_out: int = 128, seed: int = 0):
    """(train, held_out): lists of (text, label) with label 1 = praise, 0 = insult; each half and half."""
    rng = random.Random(seed)
    train = [(t, 1) for t in _train_class(rng, PRAISE, FRIENDS, n_train // 2)]
    train += [(t, 0) for t in _train_class(rng, INSULT, FOES, n_train // 2)]
    seen = {t for t, _ in train}
    held_out = [(t, 1) for t in _held_out_class(rng, PRAISE, FRIENDS, NEW_PRAISE, NEW_FRIENDS, n_held_out // 2, seen)]
    held_out += [(t, 0) for t in _held_out_class(rng, INSULT, FOES, NEW_INSULT, NEW_FOES, n_held_out // 2, seen)]
    rng.shuffle(train)
    rng.shuffle(held_out)
    return train, held_out


def texts(pairs):
    return [t for t, _ in pairs]


def labels(pairs):
    import torch

    return torch.tensor([y for _, y in pairs], dtype=torch.long)
