"""The custom dataset of this exercise: a ship's log, written by a seeded random generator.

Short, formulaic entries (date, position, wind, sea, course, an event, the watch) in a style
that tiny Shakespeare never shows. ``log_text(entries, seed)`` always returns the same text for
the same arguments; the training part and the held-out part come from different seeds, so the
held-out entries are new sentences made of the same vocabulary and templates.
"""
import random

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WINDS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
SEAS = ["calm", "slight", "moderate", "rough", "heavy swell"]
SKIES = ["clear", "overcast", "fog", "rain squalls", "drizzle", "fair, high cloud"]
SIGHTINGS = ["a whale blowing", "two gulls", "a fishing boat", "a tanker", "driftwood", "a pod of dolphins",
             "the lighthouse", "an iceberg", "a container ship", "floating weed"]
SIDES = ["off the port bow", "off the starboard bow", "astern", "abeam to port", "abeam to starboard"]
EVENTS = [
    "Sighted {sighting} {side}.",
    "Reefed the mainsail at {hour}00.",
    "Shook out the reef at {hour}00.",
    "Pumped the bilge, {n} strokes.",
    "Changed the watch at {hour}00.",
    "Barometer falling, now {pressure} hPa.",
    "Barometer steady at {pressure} hPa.",
    "Logged {n} miles since noon.",
]
WATCH = ["All well.", "Crew in good spirits.", "Cook reports fresh water low.", "Nothing further to report.",
         "Mate on deck.", "Captain below."]


def entry(rng: random.Random, day: int) -> str:
    """One log entry: a heading line and three or four short sentences."""
    head = (f"{rng.randint(1, 28)} {rng.choice(MONTHS)}, day {day}. "
            f"Lat {rng.randint(10, 60)} {rng.choice('NS')}, long {rng.randint(5, 80)} {rng.choice('EW')}.")
    weather = (f"Wind {rng.choice(WINDS)} force {rng.randint(1, 8)}, sea {rng.choice(SEAS)}, "
               f"sky {rng.choice(SKIES)}.")
    course = f"Course {rng.randrange(0, 360, 5):03d}, speed {rng.randint(2, 9)} knots."
    events = [rng.choice(EVENTS).format(sighting=rng.choice(SIGHTINGS), side=rng.choice(SIDES),
                                        hour=f"{rng.randint(0, 23):02d}", n=rng.randint(10, 90),
                                        pressure=rng.randint(990, 1030))
              for _ in range(rng.randint(1, 2))]
    return "\n".join([head, weather, course, " ".join(events), rng.choice(WATCH)]) + "\n\n"


def log_text(entries: int, seed: int, first_day: int = 1) -> str:
    """``entries`` consecutive days of the log, the same text for the same arguments."""
    rng = random.Random(seed)
    return "".join(entry(rng, day) for day in range(first_day, first_day + entries))


TRAIN_SEED, HELD_OUT_SEED = 15, 1515


def train_text() -> str:
    """The part of the log the model is fine-tuned on."""
    return log_text(120, TRAIN_SEED)


def held_out_text() -> str:
    """Days the model never trains on: the measure of whether it learned the style or the text."""
    return log_text(30, HELD_OUT_SEED, first_day=121)
