"""std/task's training data and the scripts that build it (training/task/): no evaluation prompt
in training, the data files' format, the fixed splits, deterministic training, and what each
importer makes of its source's rows."""
import json
import sys
from collections import Counter

import pytest

from helpers import ROOT
from policylang.textmodel import fold, shipped_model

sys.path.insert(0, str(ROOT / "training" / "task"))
from data import read_blocks, read_jsonl  # noqa: E402


def _norm(text: str) -> str:
    return " ".join(fold(text).split())


def _training_texts() -> list[str]:
    """What train_task.py trains on: the generated frames (less those data.decontaminate leaves
    out), tune.jsonl and every public training file (data.PUBLIC_TRAIN)."""
    from data import decontaminate, natural_training_rows, public_training_rows
    from templates import generate

    frames, _ = decontaminate(generate(per_frame=4))
    return [r["text"] for r in frames + natural_training_rows() + public_training_rows()]


def test_no_evaluation_prompt_is_in_the_training_data():
    """No evaluation set (data.EVALUATION: the public evaluation set, the prompts OpenAssistant
    volunteers wrote, Arena-Hard's and AlpacaEval's, the project's held-out sets) appears in what
    train_task.py reads: no training prompt equals one, and none contains one of 30+ characters."""
    from data import EVALUATION

    here = ROOT / "training" / "task"
    assert {"public_eval.jsonl", "oasst_eval.jsonl", "arena_eval.jsonl", "helpful_eval.jsonl",
            "heldout.jsonl"} <= set(EVALUATION)
    evaluation = [r for name in EVALUATION
                  for r in (read_jsonl(here / name) if name.endswith(".jsonl") else read_blocks(here / name))]
    training = [_norm(t) for t in _training_texts()]
    assert len(evaluation) > 2700 and len(training) > 14000
    exact = set(training)
    haystack = "\x00".join(training)
    clashes = [r["text"][:80] for r in evaluation
               if _norm(r["text"]) in exact or (len(_norm(r["text"])) >= 30 and _norm(r["text"]) in haystack)]
    assert clashes == []


def test_a_data_file_keeps_one_row_a_line_whatever_line_breaks_its_texts_hold(tmp_path):
    """data.write_jsonl, which every importer writes with, escapes the characters str.splitlines
    breaks at and json.dumps leaves alone (NEL, U+2028, U+2029), so read_jsonl reads each row back
    whole; the others json.dumps escapes itself."""
    from data import write_jsonl

    rows = [{"text": f"a{ch}b", "task": "chat"} for ch in "\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e\r\n"]
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, rows)
    assert read_jsonl(path) == rows
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(rows)


def test_a_planted_evaluation_prompt_would_be_found():
    """The overlap check above can fail: a training prompt that quotes an evaluation prompt inside
    a longer request is caught."""
    evaluation = read_jsonl(ROOT / "training" / "task" / "public_eval.jsonl")[5]["text"]
    haystack = "\x00".join([_norm("Please answer this: " + evaluation + " Thanks!"), _norm("hello")])
    assert _norm(evaluation) in haystack


def test_the_data_files_keep_their_format():
    """The format the semantic extra's trainer reads too: JSONL with text, task, source, lang."""
    here = ROOT / "training" / "task"
    labels = set(shipped_model("task").labels)
    for name in ("public_train.jsonl", "public_eval.jsonl", "arena_eval.jsonl"):
        rows = read_jsonl(here / name)
        assert rows and all({"text", "task", "source", "lang"} <= set(r) for r in rows), name
        assert {r["task"] for r in rows} == labels, name
        assert all(r["text"].strip() for r in rows), name
    # Prompts others wrote, labelled by hand: each row also says its licence and where upstream
    # it was found; mostly chat, as users' prompts are, so not every task need occur.
    for name in ("labelled_train.jsonl", "oasst_eval.jsonl", "arena_eval.jsonl"):
        rows = read_jsonl(here / name)
        assert len(rows) > 500, name
        assert all({"text", "task", "source", "lang", "licence"} <= set(r) for r in rows), name
        assert {r["task"] for r in rows} <= labels and len({r["task"] for r in rows}) >= 5, name
        assert all(r["text"].strip() and len(r["lang"]) == 2 for r in rows), name
        assert len({_norm(r["text"]) for r in rows}) == len(rows), name
    arena = read_jsonl(here / "arena_eval.jsonl")
    assert all(r["licence"] == "Apache-2.0" and r["source"].split("/")[0] in ("arena-hard-v0.1", "arena-hard-v2.0")
               for r in arena)
    assert len({r["source"] for r in arena}) == len(arena) == 950
    helpful = read_jsonl(here / "helpful_eval.jsonl")
    assert len({_norm(r["text"]) for r in helpful}) == len(helpful) == 129
    assert all(r["source"].startswith("alpaca-eval-helpful-base/") and r["licence"].startswith("CC BY-NC")
               and r["task"] in labels and r["lang"] == "en" for r in helpful)
    # Prompts the project's engineers wrote as users write them (training/README.md): every task,
    # each row numbered under its author, the project's own licence, no text twice.
    written = read_jsonl(here / "written.jsonl")
    assert {r["task"] for r in written} == labels and min(Counter(r["task"] for r in written).values()) >= 15
    assert all({"text", "task", "source", "lang", "licence"} <= set(r) and r["text"].strip() and r["lang"] == "en"
               and r["licence"] == "project" and r["source"].startswith("written/wen/") for r in written)
    assert len({r["source"] for r in written}) == len({_norm(r["text"]) for r in written}) == len(written)


def test_the_project_written_multilingual_prompts_keep_their_format():
    """written_ml.jsonl, prompts the project's engineers wrote in 13 languages as users write
    them: read by both trainers (data.NATURAL_TRAIN, in no other list), one JSON row a line
    with exactly text, task, source, lang and licence, numbered sources, every task in every
    language, no prompt twice, and line breaks that are real ones (a stray backslash-n would be
    a prompt the trainer reads with a literal "\\n")."""
    from data import EVALUATION, NATURAL_TRAIN, PUBLIC_TRAIN

    assert "written_ml.jsonl" in NATURAL_TRAIN and "written_ml.jsonl" not in EVALUATION + PUBLIC_TRAIN
    lines = (ROOT / "training" / "task" / "written_ml.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and all(lines[:-1])
    rows = [json.loads(line) for line in lines[:-1]]
    labels = set(shipped_model("task").labels)
    assert all(set(r) == {"text", "task", "source", "lang", "licence"} for r in rows)
    assert [r["source"] for r in rows] == [f"written/wml/{n}" for n in range(1, len(rows) + 1)]
    assert all(r["licence"] == "project" and r["task"] in labels for r in rows)
    assert all(r["text"] == r["text"].strip() and r["text"] and "\\n" not in r["text"] for r in rows)
    assert len({_norm(r["text"]) for r in rows}) == len(rows)
    languages = ("es", "fr", "de", "pt", "it", "ja", "zh", "ko", "ru", "nl", "pl", "tr", "ar")
    assert {r["lang"] for r in rows} <= set(languages)
    per_language = Counter((r["lang"], r["task"]) for r in rows)
    for lang in {r["lang"] for r in rows}:
        assert all(per_language[lang, task] >= 4 for task in labels), lang
    # pasted material of every kind comes with the request, some of it long
    assert sum(len(r["text"]) > 400 for r in rows) >= len(rows) // 30
    assert sum("\n" in r["text"] for r in rows) >= len(rows) // 4


def test_the_volunteers_prompts_are_split_by_the_fixed_hash():
    """OpenAssistant volunteers' prompts fall on the side the hash of their text says (about
    40% evaluation), except that every non-English prompt of multilingual-60.jsonl is
    evaluation; no text is on both sides."""
    import_labelled = _training_module("import_labelled")
    here = ROOT / "training" / "task"
    trained = [r for r in read_jsonl(here / "labelled_train.jsonl") if r["source"].startswith("oasst/")]
    held = read_jsonl(here / "oasst_eval.jsonl")
    assert all(r["source"].startswith("oasst/") for r in held)
    assert not any(import_labelled.evaluation_side(r["text"]) for r in trained)
    multilingual = [r for r in held if "multilingual-60" in r["source"] and r["lang"] != "en"]
    assert len(multilingual) == 55 and len({r["lang"] for r in multilingual}) == 11
    assert all(import_labelled.evaluation_side(r["text"]) for r in held if r not in multilingual)
    assert 0.35 <= (len(held) - len(multilingual)) / (len(held) - len(multilingual) + len(trained)) <= 0.45
    assert not {_norm(r["text"]) for r in trained} & {_norm(r["text"]) for r in held}


def test_training_is_deterministic_on_a_small_slice():
    """Two trainings on the same slice give the same weights, bit for bit (fixed seeds, one
    order of operations): the shipped model rebuilds from training/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_task", ROOT / "training" / "train_task.py")
    train_task = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_task)
    rows = read_jsonl(ROOT / "training" / "task" / "public_train.jsonl")[::60]
    assert len({r["task"] for r in rows}) == 7
    examples = train_task.vectorize(rows, min_count=1)
    first = train_task.train(examples, epochs=2, l2=1e-4, rate=0.3, seed=5)
    second = train_task.train(examples, epochs=2, l2=1e-4, rate=0.3, seed=5)
    other = train_task.train(examples, epochs=2, l2=1e-4, rate=0.3, seed=6)
    assert first == second
    assert first != other  # the seed matters, so the equality above is not vacuous


def _training_module(name: str):
    import importlib.util

    path = ROOT / "training" / ("train_task.py" if name == "train_task" else f"task/{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_development_set_is_a_fixed_share_of_every_public_source():
    """Model selection looks at held-out slices of the training sources, not at the evaluation
    set: about 15% of each source, the same rows on every run and whatever rows are added."""
    train_task = _training_module("train_task")
    rows = read_jsonl(ROOT / "training" / "task" / "public_train.jsonl")
    by_family: dict[str, list[bool]] = {}
    for row in rows:
        by_family.setdefault(train_task.family(row["source"]), []).append(train_task.is_dev(row))
    big = {f: flags for f, flags in by_family.items() if len(flags) >= 300}
    assert {"dolly", "math", "codenn", "conala", "gsm8k", "flan-wmt-template"} <= set(big)
    for f, flags in big.items():
        assert 0.10 <= sum(flags) / len(flags) <= 0.20, (f, sum(flags) / len(flags))
    row = rows[123]
    assert train_task.is_dev(row) == train_task.is_dev(dict(row)) and train_task.is_dev(rows[0]) in (True, False)
    assert train_task.family("t0/cosmos_qa_context_question_description_text/7") == "t0/cosmos"
    assert train_task.family("math/train/algebra/12") == "math"


def test_maths_problems_are_made_plain_the_way_people_type_them():
    import_public = _training_module("import_public")
    assert import_public.plain_maths(r"Solve $\frac{x}{2} + 3 \le 7$ for $x$.") == "Solve (x)/(2) + 3 <= 7 for x."
    assert import_public.plain_maths(r"Compute $\sqrt{16} \cdot \pi$.") == "Compute sqrt{16} * pi."
    assert import_public.plain_maths(r"If $\left(a\right) \neq 0$ find $\mathbf{v}$") == "If (a) != 0 find v"


def _dolly_rows() -> dict[int, dict]:
    return {int(r["source"].split("/")[1]): r for r in read_jsonl(ROOT / "training" / "task" / "public_train.jsonl")
            if r["source"].startswith("dolly/")}


def test_dollys_programming_questions_are_code_and_its_other_open_questions_stay_chat():
    """Dolly's open questions and writing requests map to chat, but the programming questions among
    them ("What is an API?", "In SQL, how can I filter table rows…?") are code by the evaluation
    set's rules: the ids DOLLY_RELABEL lists as code, read by hand (36 found among the chat rows
    the keyword rule matches, 5 more it missed when every row was read), are code in
    public_train.jsonl and no other Dolly row is; the close cases (a data platform, an opinion
    about languages, machine learning) stay chat."""
    import_public = _training_module("import_public")
    rule = import_public.DOLLY_PROGRAMMING
    listed = {n: category for n, (category, task) in import_public.DOLLY_RELABEL.items() if task == "code"}
    dolly = _dolly_rows()
    assert len(listed) == 41 and set(listed) <= set(dolly)
    for n, category in listed.items():
        assert import_public.DOLLY_TASK.get(category) == "chat", (n, category)
        assert dolly[n]["task"] == "code", (n, dolly[n]["text"])
    assert {n for n, r in dolly.items() if r["task"] == "code"} == set(listed)
    assert sum(bool(rule.search(dolly[n]["text"])) for n in listed) == 36  # the fourth round's candidates
    for text in ("What is the JDK?", "What is Visual Basic?", "What is ADO connection?"):  # the rule missed these
        assert not rule.search(text) and text in {dolly[n]["text"] for n in listed}, text
    matched_chat = [r["text"] for n, r in dolly.items() if r["task"] == "chat" and rule.search(r["text"])]
    assert len(matched_chat) > 3 * 36  # a generous rule: the reading decided, not the rule
    for text in ("What is Delta Lake?", "What is the best programming language?", "How can I learn to code?",
                 "What do you understand by Boosting in machine learning?", "What is HTTP?", "What is Linux?",
                 "Can I copy my Delta Lake table to another location?"):
        assert text in matched_chat, text
    assert rule.search("Is C++ hard to learn?") and rule.search("What is C#?") and not rule.search("Cats or dogs?")
    assert import_public.relabelled(2827, "open_qa", "What is an API?") == "code"
    assert import_public.relabelled(2828, "open_qa", "What is an API?") == "chat"  # not listed
    with pytest.raises(SystemExit, match="dolly/2827"):  # a listed record whose category moved
        import_public.relabelled(2827, "classification", "What is an API?")


def test_dollys_rows_read_by_hand_carry_the_task_the_rules_give():
    """Every Dolly row was read by the evaluation set's rules and the ones its category mislabels
    are listed in DOLLY_RELABEL (category, new task): word problems and trick questions filed as
    open questions are reasoning, open questions filed as classification are chat, a summary asked
    for with no text is chat, a pasted passage with a question is extract. Each listed row carries
    its new task in public_train.jsonl; the table's check stops the import when a listed row's
    category moved, when its category already gives the new task, or when the row would be
    dropped."""
    import_public = _training_module("import_public")
    table = import_public.DOLLY_RELABEL
    dolly = _dolly_rows()
    assert len(table) == 36 + 161 and set(table) <= set(dolly)
    tasks = {"chat", "code", "reasoning", "classify", "extract", "summarize", "translate"}
    for n, (category, task) in table.items():
        assert category in import_public.DOLLY_CATEGORIES and task in tasks, (n, category, task)
        assert import_public.DOLLY_TASK.get(category) != task, (n, category, task)
        assert dolly[n]["task"] == task, (n, task, dolly[n]["text"])
    by_text = {r["text"]: r["task"] for r in dolly.values()}
    for text, task in (("How many cents do I have if I have 3 quarters?", "reasoning"),
                       ("Which is heavier: 1kg of flour or 1kg of steel?", "reasoning"),
                       ("Prove pythagoras theorem.", "reasoning"),
                       ("Who is Rajinikanth?", "chat"),
                       ("Please summarize what Linkedin does.", "chat"),
                       ("Write a brief summary of Nezami Ganjavi's Layli and Majnun.", "summarize"),
                       ("Change the following passage to past tense", "chat"),
                       # close cases left as they were
                       ("Is a tomato a fruit or a vegetable?", "classify"),
                       ("How many syllables are in the word smarter?", "chat"),
                       ("Order the following list descending 8, 5,2,4,8,9", "chat")):
        assert by_text[text] == task, (text, by_text[text])
    assert Counter(r["task"] for r in dolly.values()) == {
        "chat": 3538, "classify": 861, "extract": 694, "summarize": 52, "code": 41, "reasoning": 40}
    cents = "How many cents do I have if I have 3 quarters?"
    assert import_public.relabelled(754, "open_qa", cents) == "reasoning"
    assert import_public.relabelled(755, "open_qa", cents) == "chat"  # not listed
    with pytest.raises(SystemExit, match="dolly/754: listed in DOLLY_RELABEL as a open_qa"):
        import_public.relabelled(754, "brainstorming", cents)  # its category moved
    with pytest.raises(SystemExit, match="dolly/36"):  # no longer a summary request: dropped, not chat
        import_public.relabelled(36, "summarization", "What does Linkedin do?")
    assert import_public.relabelled(36, "summarization", "Please summarize what Linkedin does.") == "chat"
    assert import_public.relabelled(546, "summarization", "From this summary, list three ways") == "extract"
    with pytest.raises(SystemExit, match="dolly/546"):  # no summary asked: its category gives extract already
        import_public.relabelled(546, "summarization", "From this text, list three ways")


def test_interview_headings_become_the_questions_a_user_asks():
    """Programming-concept questions are taken from interview-question headings: the question, its
    mark-up dropped and inline code kept, with the code block under it where one belongs to it; a
    heading that needs the list after it, and the Go FAQ's sections about the project, are left out."""
    import_public = _training_module("import_public")
    react = "1.  ### What is **JSX**?\n   2. ### What is the [virtual DOM](#dom)?\nAnswer text\n"
    assert import_public.interview_questions(react, r"^ *\d+\. *### +(.+?) *$") == ["What is JSX?", "What is the virtual DOM?"]
    bullets = "* Explain how `this` works.\n* Explain these headers:\n* What does this print?\n```js\nlog(1)\n```\n"
    pattern = import_public.INTERVIEW[1][4]
    assert import_public.interview_questions(bullets, pattern) == [
        "Explain how `this` works.", "What does this print?\n```js\nlog(1)\n```"]
    faq = ("## Origins {#o}\n### What is the history of the project? {#h}\n"
           "## Design {#d}\n### Why does Go not have exceptions? {#e}\n")
    assert import_public.interview_questions(faq, import_public.INTERVIEW[-1][4]) == ["Why does Go not have exceptions?"]


def test_textbook_exercises_become_plain_proof_requests():
    import_public = _training_module("import_public")
    exercise = ("<exercise><statement><p>Prove that if <m>a \\mid b</m> and <m>b \\le c</m>, "
                "then <q>it holds</q>.</p></statement><solution><p>Because.</p></solution></exercise>")
    assert import_public.ptx_statement(exercise) == 'Prove that if a mid b and b <= c, then "it holds".'
    assert import_public.ptx_statement("<exercise><statement><p>Use the previous exercise.</p></statement></exercise>") is None
    assert import_public.ptx_statement("<exercise><statement><p>Prove:</p></statement><task>a</task></exercise>") is None


def test_cooking_titles_become_questions_and_leave_out_what_a_thing_is_called_elsewhere():
    import_public = _training_module("import_public")
    q = import_public.cooking_question
    assert q("__label__sauce __label__cheese How much does potato starch affect a cheese sauce recipe?") == (
        "How much does potato starch affect a cheese sauce recipe?")
    assert q("__label__restaurant Michelin Three Star Restaurant; but if the chef is not there") is None
    assert q("__label__language What is cilantro called in Spanish?") is None
    assert q("__label__language How do you translate 'blanch'?") is None
