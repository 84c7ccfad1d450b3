"""The content loader: valid trees load, every kind of mistake names its file and field."""
import textwrap
from pathlib import Path

import pytest

from courseware.loader import ContentError, load_bank
from config import PROJECT_ROOT


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        load_bank(root)
    return [str(p) for p in info.value.problems]


def test_the_repository_content_loads_and_resolves():
    bank = load_bank(PROJECT_ROOT)
    assert {"stable-softmax", "scaled-dot-product-attention", "bigram-model"} <= set(bank.exercises)
    for track in bank.tracks.values():
        for exercise_id in track.exercise_ids():
            assert exercise_id in bank.exercises
        for lesson_id in track.lesson_ids():
            assert bank.lessons[lesson_id].body.strip()


def test_a_minimal_tree_loads(content_tree):
    bank = load_bank(content_tree)
    assert list(bank.tracks) == ["tiny"]
    track = bank.tracks["tiny"]
    assert track.exercise_ids() == ["double"]  # the `coming` item is listed but not required
    assert [i.coming for i in track.modules[0].items] == [False, False, True]
    spec = bank.exercises["double"]
    assert spec.points == 10 and spec.limits.time_s == 30 and spec.hints == ("multiply by two",)
    assert bank.lessons["doubling"].objectives == ("double things",)


def test_unknown_ids_in_a_track_name_the_item(content_tree):
    track = content_tree / "lessons" / "tracks" / "tiny.yaml"
    track.write_text(track.read_text().replace("exercise: double", "exercise: doubel"))
    [problem] = problems_of(content_tree)
    assert "tiny.yaml [modules[0].items[1]]" in problem and "'doubel' does not exist" in problem


def test_bad_exercise_fields_are_each_reported(content_tree):
    yaml_file = content_tree / "exercises" / "double" / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("points: 10", "points: ten")
                         .replace("difficulty: easy", "difficulty: trivial")
                         .replace("time_s: 30", "time_s: -1"))
    found = "\n".join(problems_of(content_tree))
    assert "exercise.yaml [points]: must be int" in found
    assert "exercise.yaml [difficulty]: 'trivial'" in found
    assert "exercise.yaml [limits.time_s]" in found


def test_missing_files_and_syntax_errors_are_reported(content_tree):
    folder = content_tree / "exercises" / "double"
    (folder / "tests" / "test_hidden.py").unlink()
    found = "\n".join(problems_of(content_tree))
    assert "double/tests/test_hidden.py: is missing" in found
    (folder / "tests" / "test_hidden.py").write_text("def test_x(:\n")
    found = "\n".join(problems_of(content_tree))
    assert "test_hidden.py [line 1]: syntax error" in found


def test_lesson_front_matter_is_checked(content_tree):
    lesson = content_tree / "lessons" / "basics" / "doubling.md"
    lesson.write_text("# no front matter\n")
    found = "\n".join(problems_of(content_tree))
    assert "doubling.md [front matter]" in found
    lesson.write_text("---\nid: other\ntitle: T\n---\nbody\n")
    found = "\n".join(problems_of(content_tree))
    assert "doubling.md [id]: 'other' must match the file name" in found
    assert "doubling.md [minutes]: is missing" in found


def test_invalid_yaml_names_the_file(content_tree):
    (content_tree / "lessons" / "tracks" / "tiny.yaml").write_text("id: [unclosed\n")
    found = "\n".join(problems_of(content_tree))
    assert "tiny.yaml: is not valid YAML" in found


def test_duplicate_ids_are_refused(content_tree):
    copy = content_tree / "lessons" / "basics" / "again"
    copy.mkdir()
    (copy / "doubling.md").write_text((content_tree / "lessons" / "basics" / "doubling.md").read_text())
    found = "\n".join(problems_of(content_tree))
    assert "lesson id 'doubling' is also used by" in found


def test_a_folder_without_content_says_what_to_set(tmp_path):
    [problem] = problems_of(tmp_path)
    assert "COURSE_CONTENT_DIR" in problem


def test_a_lesson_quiz_is_loaded_and_checked(content_tree):
    lesson = content_tree / "lessons" / "basics" / "doubling.md"
    text = lesson.read_text().replace("objectives: [double things]\n", "objectives: [double things]\nquiz:\n"
                                      "  - question: What is 2 * 3?\n    options: ['5', '6']\n    answer: 1\n"
                                      "    explanation: Two threes.\n")
    lesson.write_text(text)
    [q] = load_bank(content_tree).lessons["doubling"].quiz
    assert (q.options, q.answer, q.explanation) == (("5", "6"), 1, "Two threes.")
    lesson.write_text(text.replace("answer: 1", "answer: 2"))
    assert any("quiz[0].answer" in p for p in problems_of(content_tree))


def test_helper_modules_beside_the_tests_are_listed_and_may_not_take_a_graders_name(content_tree):
    tests = content_tree / "exercises" / "double" / "tests"
    (tests / "double_support.py").write_text("EXPECTED = 2\n")
    assert [p.name for p in load_bank(content_tree).exercises["double"].support_files] == ["double_support.py"]
    (tests / "conftest.py").write_text("")
    assert any("conftest.py is a name the grader uses" in p for p in problems_of(content_tree))


def test_a_playground_is_loaded_and_kept_apart_from_the_helpers(content_tree):
    from playground_fixtures import add_playground

    folder = add_playground(content_tree / "exercises" / "double")
    (folder / "tests" / "double_support.py").write_text("EXPECTED = 2\n")
    spec = load_bank(content_tree).exercises["double"]
    assert spec.playground == folder / "tests" / "playground.py"
    assert [p.name for p in spec.support_files] == ["double_support.py"]  # never sent with Run or Submit
    assert load_bank(PROJECT_ROOT).exercises["bigram-model"].playground.name == "playground.py"


@pytest.mark.parametrize("value, words", [
    ("[tests/playground.py]", "must name a test file directly in tests/"),
    ("../solution.py", "must name a test file directly in tests/"),
    ("tests/sub/playground.py", "must name a test file directly in tests/"),
    ("tests/test_hidden.py", "is a name the grader uses"),
    ("tests/conftest.py", "is a name the grader uses"),
    ("tests/nowhere.py", "does not exist"),
])
def test_a_bad_playground_field_names_the_file_and_the_field(content_tree, value, words):
    yaml_file = content_tree / "exercises" / "double" / "exercise.yaml"
    yaml_file.write_text(yaml_file.read_text() + f"playground: {value}\n")
    [problem] = [p for p in problems_of(content_tree) if "tiny.yaml" not in p]  # the track also misses "double"
    assert "double/exercise.yaml [playground]" in problem and words in problem, problem


def test_a_playground_without_a_test_names_its_file(content_tree):
    folder = content_tree / "exercises" / "double"
    (folder / "tests" / "playground.py").write_text("def helper():\n    return 1\n")
    (folder / "exercise.yaml").write_text((folder / "exercise.yaml").read_text() + "playground: tests/playground.py\n")
    [problem] = [p for p in problems_of(content_tree) if "tiny.yaml" not in p]
    assert "double/tests/playground.py" in problem and "defines no test function" in problem


def _write_lesson_body(content_tree: Path, body: str) -> Path:
    lesson = content_tree / "lessons" / "basics" / "doubling.md"
    lesson.write_text("---\nid: doubling\ntitle: Doubling\nminutes: 3\nobjectives: [double things]\n---\n" + body)
    return lesson


@pytest.mark.parametrize("phrase", [
    "the next lesson", "(next lesson)", "the previous lesson", "last week", "next week", "as we saw",
    "we saw earlier", "Later we will", "later in the course", "an earlier lesson", "the next module",
    "the previous module", "in the last module", "the last lesson", "the coming lesson", "in a later lesson",
    "this week's exercise", "the previous exercises", "Last time you", "the lesson and lab that follow",
])
def test_a_lesson_may_not_place_itself_in_an_order(content_tree, phrase):
    _write_lesson_body(content_tree, f"# Doubling\n\nFirst line.\nMore on this in {phrase}, see.\n")
    [problem] = problems_of(content_tree)
    assert problem.startswith("lessons/basics/doubling.md [line 10]: says "), problem
    said = problem.split(" says ", 1)[1].split(": a lesson", 1)[0].strip("'\"")
    assert said and said in phrase, said
    assert "[[lesson:<id>]]" in problem and "shared by several tracks" in problem


def test_ordinary_uses_of_next_previous_and_later_are_fine(content_tree):
    _write_lesson_body(content_tree, textwrap.dedent("""\
        Next-token prediction trains the model to guess the next token; the previous layer's output
        feeds the next layer, and the last dimension holds the features. The next section explains
        why. As we saw above, later calls reuse the graph; the later chapters of the book go further.
        ```python
        # the next lesson would be wrong here too, but code is not prose
        ```
        """))
    load_bank(content_tree)


def test_exercise_prompts_follow_the_same_rule(content_tree):
    (content_tree / "exercises" / "double" / "prompt.md").write_text("Write `double(x)`.\nYou wrote it last week.\n")
    [problem] = problems_of(content_tree)
    assert problem.startswith("exercises/double/prompt.md [line 2]: says 'last week'"), problem


def test_references_must_name_existing_items(content_tree):
    _write_lesson_body(content_tree, "See [[exercise:double]] and [[lesson:doubling]].\n")
    assert load_bank(content_tree).lessons["doubling"].body.startswith("See [[exercise:double]]")
    _write_lesson_body(content_tree, "See [[lesson:learning-rate-schedules]] and [[exercise:tripple]].\n")
    found = "\n".join(problems_of(content_tree))
    assert "doubling.md [reference]: [[lesson:learning-rate-schedules]] names no lesson" in found
    assert "doubling.md [reference]: [[exercise:tripple]] names no exercise" in found
    _write_lesson_body(content_tree, "See [[lessons:doubling]] and [[lesson: doubling]].\n")
    found = "\n".join(problems_of(content_tree))
    assert "'[[lessons:doubling]]' is not a reference" in found and "'[[lesson: doubling]]' is not a reference" in found
    (content_tree / "exercises" / "double" / "prompt.md").write_text("Read [[lesson:halving]] first.\n")
    assert any("exercises/double/prompt.md [reference]: [[lesson:halving]] names no lesson" in p
               for p in problems_of(content_tree))
