"""Derive training/task/public_train.jsonl from public, openly licensed data written by others.

    python training/task/import_public.py MIRRORS    # MIRRORS/<owner>+<name>/repo: bare git clones

Each source is read from a git clone at a pinned commit (`git show COMMIT:PATH`), sampled with a
fixed seed, and mapped to our seven tasks; training/README.md lists the sources, their licences,
the mapping and what was dropped. The output is committed, so training needs no network and no
clone: this script only documents, and can repeat, how the file was made. Every row is
{"text", "task", "source", "lang", "licence"}; `source` is "<set>/<id in that set>".

The evaluation sets (training/task/public_eval.jsonl and the project's held-out sets) are read
only to leave out any prompt that equals or holds one of them (data.decontaminate).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
from pathlib import Path

from data import HERE, decontaminate, git, show, write_jsonl

MAX_CHARS = 6000  # longer prompts are skipped: the model reads 300 characters from each end
SEED = 20261207


def show_tree(mirrors: Path, repo: str, commit: str, folder: str) -> dict[str, str]:
    """Every file under folder at commit, path -> text, read in one `git cat-file --batch`."""
    paths = git(mirrors, repo, "ls-tree", "-r", "--name-only", commit, folder).decode("utf-8").split()
    out = git(mirrors, repo, "cat-file", "--batch", stdin="".join(f"{commit}:{p}\n" for p in paths).encode())
    files, at = {}, 0
    for path in paths:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        files[path] = out[header_end + 1 : header_end + 1 + size].decode("utf-8")
        at = header_end + 1 + size + 1
    return files


# ---- Databricks Dolly 15k (CC BY-SA 3.0) -----------------------------------------------------
# The full file is 13 MB (out of reach here); nayohan/dolly-15k-analysis holds the instructions
# and responses of the first 6,400 records (dolly_decode_bak/*.jsonl, keyed by Dolly's row id)
# and, per category, model outputs in row order (T5_piechart/d_google/MODEL/CAT.csv, beside
# All.csv in row order). Merging each category's sequence back into All.csv, for six models at
# once, gives every All.csv row its category: the merge never finds two categories that fit, nor
# none. All.csv follows Dolly's first release (15,015 rows), the instructions its deduplicated
# one (15,011): one row more precedes record 1158, so record N is All.csv row N below 1131 and
# row N + 1 from 1158 on (instructions that name their category — "Classify…", "Summarize…",
# "Brainstorm…" — agree with these offsets and with no other); records 1131-1157 are skipped.
DOLLY = ("nayohan/dolly-15k-analysis", "5797d87c90c8c13a8ec79897381991a280092945")
DOLLY_CATEGORIES = ("brainstorming", "classification", "closed_qa", "creative_writing", "general_qa",
                    "information_extraction", "open_qa", "summarization")
DOLLY_GAP = (1131, 1158)  # records whose All.csv row is uncertain
DOLLY_TASK = {"brainstorming": "chat", "creative_writing": "chat", "open_qa": "chat", "general_qa": "chat",
              "classification": "classify"}
# closed_qa, information_extraction and summarization need their passage (Dolly's `context`), which
# the copy lacks: the instruction alone ("When did Virgin Australia start operating?") is an open
# question. Kept are the instructions that name the text they are about ("Based on this paragraph
# about…", "Extract the names … from the text") — what a user writes above a pasted passage —:
# extract, or summarize where they ask for a summary (also of a named work without a text).
DOLLY_PASSAGE = re.compile(
    r"\b(?:this|these|the|that|following|given|above|below|provided|reference|attached)\s+(?:\w+\s+){0,2}?"
    r"(?:text|passage|paragraph|article|document|reference|context|bio|biography|description|excerpt|"
    r"information|essay|story|summary|wikipedia)s?\b", re.I)
DOLLY_SUMMARY = re.compile(r"\b(?:summar|summis|summiz|sum up|sum it up|recap|tl;?dr|gist)", re.I)


# Dolly's categories are its authors' and do not follow the evaluation set's rules everywhere: its
# open questions and writing requests hold programming questions ("What is an API?", "In SQL, how
# can I filter table rows…?"), word problems and trick questions ("How many cents do I have if I
# have 3 quarters?"), passages with a question or a request for their summary; its
# classification rows hold open questions ("Who is Rajinikanth?"); its summary requests without a
# text ("Summarize what GDP means") are open questions. DOLLY_RELABEL is the hand-read exception
# table (training/README.md lists how the rows were read, the choices and the close cases): each
# id with its Dolly category and the task the rules give it, which relabelled() checks. The
# programming questions were found in the fourth round by the generous keyword rule below (every
# chat row it matches was read: the rule only found candidates); every Dolly chat, classify,
# extract and summarize row was read in the fifth. Each entry ends with the reason.
DOLLY_PROGRAMMING = re.compile(
    r"(?<!\w)(?:python|java|javascript|typescript|c|c\+\+|c#|golang|rust|ruby|perl|php|scala|kotlin|swift|"
    r"haskell|cobol|fortran|lisp|assembly|matlab|programming|programmer|program|code|coding|software|developer|"
    r"sql|nosql|database|data ?warehouse|schema|index(?:es|ing)?|api|rest|sdk|function|class|object[- ]oriented|"
    r"oops?|algorithm|data structure|hash(?:ing| table)?|linked list|big o|complexity|recursion|recursive|loop|"
    r"variable|array|tuple|stack|queue|string|integer|boolean|pointer|byte|bit|binary|compiler|compile|"
    r"interpreter|syntax|debug|bug|unit test|testing|git|github|version control|repository|repo|commit|merge|"
    r"branch|docker|container|kubernetes|virtual machine|vm|linux|unix|shell|bash|terminal|command line|cli|"
    r"kernel|operating system|regex|regular expression|html|css|json|xml|yaml|markdown|http|url|dns|tcp|"
    r"ip address|protocol|latex|excel|spreadsheet|framework|library|react|angular|vue|node|django|flask|npm|pip|"
    r"spark|hadoop|mapreduce|hive|kafka|streaming|dataframe|pandas|numpy|jvm|byte ?code|thread|concurren\w*|"
    r"memory|sort|query|queries|etl|elt|delta lake|databricks|lakehouse|mlflow|airflow|parquet|notebook|"
    r"unity catalog|jupyter|snowflake|tableau|power bi|tensorflow|pytorch|terraform|jenkins|ci/cd|devops|"
    r"microservice|serverless|lambda|cloud|server|backend|frontend|aws|azure|gcp|computer science|computer|"
    r"data science|data engineering|machine learning|neural|ai|encryption|ide|vim|emacs|scripting|script|"
    r"web ?site|web app|web|internet|app|application|technology|tech|search engine)s?(?!\w)", re.I)
DOLLY_RELABEL = {
    3: ("open_qa", "reasoning"),  # trick question: the third daughter is Alice
    33: ("general_qa", "code"),  # what is REST API
    36: ("summarization", "chat"),  # summarize what LinkedIn does (no text, not a work)
    106: ("information_extraction", "chat"),  # change the given passage to past tense (rewriting)
    111: ("classification", "chat"),  # common ingredients of a full English breakfast (an open que…
    142: ("general_qa", "code"),  # In SQL, how can I filter table rows based on a column condit
    223: ("open_qa", "reasoning"),  # word problem: yarn coins
    228: ("information_extraction", "summarize"),  # based on the following passage, summarise how…
    232: ("summarization", "chat"),  # a brief summary describing Canada (no text)
    252: ("classification", "chat"),  # top US ski resorts (an open question)
    273: ("classification", "chat"),  # the classifications of academic degrees (an open question)
    275: ("general_qa", "code"),  # Why isn't multi-threading making my Python code faster? How
    278: ("general_qa", "code"),  # query performance on a delta table (as 6268 Kafka performance w…
    339: ("general_qa", "extract"),  # a given passage and a question about it
    359: ("open_qa", "code"),  # What is Terraform?
    367: ("general_qa", "reasoning"),  # rabbits and ducks: heads and feet
    378: ("general_qa", "reasoning"),  # count the farm animals
    446: ("general_qa", "classify"),  # sort given sports into two groups
    525: ("open_qa", "code"),  # What is Jenkins?
    532: ("general_qa", "code"),  # How do I optimize my Kafka consumption in Spark for low late
    546: ("summarization", "extract"),  # from this summary, list three ways (answering from a give…
    581: ("summarization", "chat"),  # a summary of the reaction to LIV Golf's creation (no text)
    612: ("classification", "chat"),  # Who is Rajinikanth?
    625: ("summarization", "chat"),  # the TLDR on llamas guarding livestock (no text)
    632: ("general_qa", "extract"),  # list the persons in the given text
    635: ("open_qa", "code"),  # What is Python?
    656: ("general_qa", "reasoning"),  # solve y = 7x + 2 for x = 2
    696: ("classification", "chat"),  # what four Keanu Reeves films have in common (a trivia quest…
    754: ("open_qa", "reasoning"),  # cents in 3 quarters
    759: ("creative_writing", "reasoning"),  # word problem: refuelling on a 10-hour trip
    811: ("summarization", "chat"),  # a summary of the war of 1812 (no text, not a work)
    880: ("classification", "chat"),  # what is Sociology?
    882: ("general_qa", "extract"),  # given context, answer the question
    918: ("classification", "chat"),  # popular movies from the 1980s
    1087: ("classification", "chat"),  # how many planets orbit the sun
    1112: ("brainstorming", "reasoning"),  # puzzle: triangles from 6 matchsticks
    1161: ("open_qa", "code"),  # What is the JDK? (as Java, Jenkins, Terraform)
    1220: ("summarization", "chat"),  # a summary of who Harvey Marion LaFollette was (no text)
    1265: ("general_qa", "extract"),  # identify the animals in the given text, order them by size
    1270: ("general_qa", "reasoning"),  # trick question: why 2 is greater than 3
    1294: ("classification", "chat"),  # TV shows William B. Davis has been in
    1305: ("closed_qa", "summarize"),  # summarize, from the given paragraph, McCarthy's punctuation
    1322: ("open_qa", "code"),  # What is the purpose of using Terraform modules?
    1348: ("general_qa", "reasoning"),  # apples, pears and books: how many fruits
    1386: ("classification", "chat"),  # the 5 biggest cities in France
    1413: ("general_qa", "summarize"),  # a named work's summary: Layli and Majnun
    1433: ("information_extraction", "chat"),  # remove the vowels from a given text (rewriting)
    1452: ("open_qa", "code"),  # What is GitHub Actions?
    1456: ("classification", "chat"),  # what are the primary colors
    1473: ("summarization", "chat"),  # the main points about the first International (no text)
    1496: ("open_qa", "reasoning"),  # cents in 3 dollars and a dime
    1542: ("summarization", "chat"),  # a summary of the announcements before the Berlin Wall fell…
    1569: ("open_qa", "reasoning"),  # trick: 1kg flour vs 1kg steel
    1626: ("open_qa", "reasoning"),  # trick: pound of feathers vs iron
    1720: ("open_qa", "reasoning"),  # cents in 3 dimes
    1726: ("general_qa", "summarize"),  # summary of the given text
    1743: ("summarization", "chat"),  # a summary about the company Nobo (no text)
    1752: ("classification", "chat"),  # which Taylor Jenkins Reid books were adapted (an open ques…
    1776: ("classification", "chat"),  # define the rainbow colours
    1800: ("summarization", "chat"),  # a summary of how World Series home-field advantage is decid…
    1818: ("general_qa", "code"),  # What is the difference between a Transformation and Action i
    1830: ("summarization", "chat"),  # summarize Tiger Woods' career (no text)
    1868: ("general_qa", "code"),  # Does structured streaming support joins?
    1870: ("summarization", "chat"),  # summarize Clemson University (no text)
    1923: ("general_qa", "classify"),  # sort given sports into two groups
    1980: ("open_qa", "reasoning"),  # solve x^2 = 4
    2034: ("general_qa", "extract"),  # from the passage provided, extract the revenue and growth
    2128: ("general_qa", "code"),  # How do I see how large a dataset is in Spark?
    2130: ("general_qa", "reasoning"),  # rabbits and ducks: heads and feet
    2266: ("summarization", "chat"),  # the climbing history of Gurla Mandhata (no text)
    2338: ("open_qa", "reasoning"),  # solve x^2 + 2x + 1
    2353: ("classification", "chat"),  # the top 5 NBA scorers of all time
    2374: ("classification", "chat"),  # what is structural biology?
    2406: ("closed_qa", "summarize"),  # given this text, summarize the major events
    2431: ("summarization", "chat"),  # a summary of the Manhattan Project (no text, not a work)
    2439: ("open_qa", "code"),  # What is React?
    2455: ("summarization", "summarize"),  # the main points of this article
    2498: ("open_qa", "code"),  # What is SQL?
    2530: ("open_qa", "reasoning"),  # next number in a sequence
    2542: ("general_qa", "summarize"),  # two-sentence summary of the following text
    2603: ("creative_writing", "reasoning"),  # trick question: the fourth son's name
    2616: ("summarization", "chat"),  # summarize how well anaerobic and aerobic exercise build mus…
    2634: ("summarization", "chat"),  # summarize disruptive innovation (no text)
    2656: ("creative_writing", "code"),  # Write me a recursive function for calculating the nth fi…
    2680: ("open_qa", "code"),  # pros and cons of denormalizing data sets (as 5311 data denormaliz…
    2715: ("summarization", "chat"),  # a summary of Oliver Cromwell Applegate's career (no text)
    2720: ("creative_writing", "reasoning"),  # steps left, forward, right: distance from the start
    2736: ("classification", "chat"),  # the season that begins in fall and ends in spring
    2768: ("general_qa", "summarize"),  # one-line summary of the given text
    2787: ("summarization", "chat"),  # a summary about St Paul's Cathedral (no text)
    2788: ("summarization", "chat"),  # a summary of why an abstract is useful (no text)
    2827: ("open_qa", "code"),  # What is an API?
    2877: ("classification", "chat"),  # what is Taj Mahal?
    2879: ("summarization", "chat"),  # a summary of snowboarding's early history (no text)
    2928: ("creative_writing", "reasoning"),  # two sets of steps: the same end point?
    2935: ("summarization", "chat"),  # the meaning of the information age (names no text)
    2986: ("classification", "chat"),  # what Nicola Yoon majored in
    3022: ("open_qa", "code"),  # What is Visual Basic? (as What is Ruby?)
    3035: ("brainstorming", "reasoning"),  # trick question: Bob's mother's third child
    3085: ("classification", "chat"),  # what types of bikes are there?
    3093: ("general_qa", "summarize"),  # a named book's summary: Braving the Wilderness
    3127: ("summarization", "chat"),  # a summary of roller derby's rules (no text)
    3226: ("classification", "chat"),  # what is the long yellow fruit?
    3323: ("open_qa", "code"),  # What is Java?
    3356: ("general_qa", "extract"),  # reasons, according to the following article
    3477: ("summarization", "chat"),  # summarize what the electoral college does (no text)
    3500: ("summarization", "chat"),  # summarize the four principles of GAAP (no text)
    3559: ("open_qa", "code"),  # What is COBOL used for?
    3681: ("summarization", "chat"),  # summarize methods to produce verdigris (no text)
    3706: ("classification", "chat"),  # contributions of women in computing
    3759: ("summarization", "chat"),  # summarize the meaning of "Lovers" in a slogan (no text)
    3768: ("classification", "chat"),  # iPhone 14 pro vs Samsung s22 ultra
    3803: ("open_qa", "code"),  # What is Objective-C?
    3842: ("open_qa", "reasoning"),  # solve x^2 = 4
    3854: ("open_qa", "code"),  # What is ADO connection? (a database API)
    3886: ("summarization", "chat"),  # summarize the types of firestop pillows (no text)
    3901: ("open_qa", "code"),  # What is Ruby?
    3912: ("general_qa", "reasoning"),  # explain the answer to a riddle
    3918: ("brainstorming", "reasoning"),  # riddle: what goes up and does not come down
    3955: ("open_qa", "code"),  # What is C?
    3969: ("summarization", "chat"),  # a summary of how ISO 27001 works (no text)
    3982: ("general_qa", "code"),  # What is SQL?
    4026: ("general_qa", "summarize"),  # summarise the following text
    4038: ("classification", "chat"),  # the largest employer in the world
    4049: ("general_qa", "reasoning"),  # apples, pears and books: how many fruits
    4051: ("brainstorming", "reasoning"),  # trick question: birds left on the branch after a shot
    4106: ("classification", "chat"),  # coastal cruising vs blue water sailboats
    4163: ("general_qa", "extract"),  # geographical places from the following passage
    4219: ("summarization", "chat"),  # summarise the origin of the Kievan Rus' name (no text)
    4228: ("creative_writing", "reasoning"),  # trick question: a square with angles of 30, 90 and…
    4253: ("summarization", "chat"),  # summarize Mickey Mouse's early licensing (no text)
    4260: ("creative_writing", "reasoning"),  # puzzle: the fewest ducks in a row
    4298: ("open_qa", "reasoning"),  # puzzle: most money in coins without change for a dollar
    4306: ("information_extraction", "summarize"),  # from the passage provided, summarise the phas…
    4348: ("classification", "chat"),  # describe gene expression
    4350: ("summarization", "chat"),  # a summary of Le Souvenir francais (no text)
    4362: ("open_qa", "code"),  # What is Lisp?
    4437: ("general_qa", "code"),  # What is the database?
    4487: ("open_qa", "reasoning"),  # Fermi: the Gulf of Mexico's depth in Empire State buildings
    4493: ("summarization", "chat"),  # summarize a Chief Data Officer's responsibilities (no text)
    4551: ("classification", "chat"),  # the season that begins in summer and ends in winter
    4635: ("brainstorming", "classify"),  # which of the listed animals are marine mammals
    4650: ("information_extraction", "summarize"),  # based on the following passage, summarise ele…
    4691: ("general_qa", "code"),  # How can I run Spark on a cluster?
    4701: ("open_qa", "code"),  # What is Visual Studio Code?
    4715: ("brainstorming", "reasoning"),  # prove the Pythagorean theorem
    4802: ("general_qa", "classify"),  # which of these animals is not a bear
    4857: ("open_qa", "code"),  # What are microservices?
    4862: ("general_qa", "code"),  # Please explain why adding more indexes to a relational datab
    4868: ("summarization", "chat"),  # a summary of the meaning of a derivative (no text)
    4875: ("open_qa", "reasoning"),  # a dollar, two nickels and a quarter: the total
    4901: ("classification", "chat"),  # what is Genetics?
    4916: ("general_qa", "extract"),  # the colour of the girl's dress, from the given sentence
    4942: ("classification", "chat"),  # the best soccer player of all time
    4971: ("classification", "chat"),  # is there a book and TV show named Shantaram
    4982: ("summarization", "chat"),  # summarise why lightweight rowing was at risk (no text)
    4998: ("classification", "chat"),  # what lake, ocean, river and avalanche have in common (as 6…
    5013: ("general_qa", "extract"),  # from the passage provided, extract the net retention rate
    5026: ("general_qa", "classify"),  # classify the following into animals and plants
    5035: ("classification", "chat"),  # is the three-body problem solved?
    5041: ("summarization", "chat"),  # summary of what historians see as the War of 1812's cause (…
    5075: ("classification", "chat"),  # merchant ships useful in a naval conflict
    5147: ("creative_writing", "code"),  # Imagine you are a java expert and explain what OOPS means
    5152: ("summarization", "chat"),  # a summary of Spalding's recordings by year (no text)
    5163: ("brainstorming", "reasoning"),  # lateral-thinking puzzle: a truck stuck under a bridge
    5166: ("summarization", "summarize"),  # a single-sentence explanation of this paragraph
    5237: ("classification", "chat"),  # where Rosogolla originated
    5311: ("open_qa", "code"),  # What is data denormalization in data warehouse?
    5326: ("classification", "chat"),  # worker bees vs drone bees
    5345: ("brainstorming", "reasoning"),  # Fermi: more wheels or doors in New York City
    5423: ("open_qa", "code"),  # What is PHP?
    5592: ("classification", "chat"),  # the antagonist of The X-Files
    5664: ("creative_writing", "reasoning"),  # navigation steps: back at the start?
    5671: ("open_qa", "code"),  # What is the difference between a microservice and an API?
    5672: ("creative_writing", "reasoning"),  # travelling north then turning 60 degrees: where do…
    5719: ("creative_writing", "reasoning"),  # navigation steps: back at the start?
    5741: ("general_qa", "extract"),  # a given passage and a question about it
    5755: ("open_qa", "code"),  # What is Kotlin?
    5775: ("general_qa", "extract"),  # names of persons and countries in the given text
    5781: ("summarization", "summarize"),  # what is this text about?
    5853: ("open_qa", "code"),  # What are the most common sorting algorithms?
    5863: ("summarization", "chat"),  # summarize what GDP means (no text)
    5878: ("general_qa", "summarize"),  # a named work's summary: Moby Dick in 4 rhyming words
    5895: ("summarization", "extract"),  # the most popular DC characters, from this paragraph
    5921: ("general_qa", "reasoning"),  # trick question: Kate's third kid
    5992: ("general_qa", "summarize"),  # one-line summary of the story below
    6028: ("summarization", "chat"),  # summarize what it means to feel threatened (no text)
    6058: ("open_qa", "reasoning"),  # riddle: what follows you and cannot be caught
    6116: ("classification", "chat"),  # what five X-Men have in common (as 696)
    6118: ("general_qa", "classify"),  # sentiment of the given text
    6156: ("classification", "chat"),  # how the Spanish Empire treated its territories
    6228: ("summarization", "chat"),  # summarize how to make printable 3D models (no text)
    6261: ("general_qa", "classify"),  # label each given animal pet / farm / wild
    6268: ("general_qa", "code"),  # How can I improve Kafka performance with Spark?
    6331: ("classification", "chat"),  # what rhymes with orange?
    6332: ("general_qa", "code"),  # How to add two cells in Excel?
    6338: ("classification", "chat"),  # the 3 branches of science
}


def dolly_task(category: str, instruction: str) -> str | None:
    if category in DOLLY_TASK:
        return DOLLY_TASK[category]
    if category == "summarization" and DOLLY_SUMMARY.search(instruction):
        return "summarize"
    if category in ("closed_qa", "information_extraction", "summarization") and DOLLY_PASSAGE.search(instruction):
        return "extract"
    return None


def relabelled(n: int, category: str, instruction: str) -> str | None:
    """Record n's task: its category's (dolly_task), or the one DOLLY_RELABEL gives it; a listed
    record whose category is not the listed one, or that its category already gives the listed
    task or drops, stops the script (the table was read against exactly those rows)."""
    task = dolly_task(category, instruction)
    if n not in DOLLY_RELABEL:
        return task
    listed, new = DOLLY_RELABEL[n]
    if category != listed or task is None or task == new:
        raise SystemExit(f"dolly/{n}: listed in DOLLY_RELABEL as a {listed} row to relabel {new}, but it is "
                         f"{category} -> {task}: {instruction[:60]!r}")
    return new


def dolly_categories(mirrors: Path) -> list[str]:
    models = ("flan-t5-base", "flan-t5-small", "flan-t5-large", "flan-t5-xl", "t5-v1_1-base", "t5-v1_1-large")

    def column(path: str) -> list[str]:
        rows = list(csv.reader(io.StringIO(show(mirrors, *DOLLY, path))))[1:]
        return [r[0] if r else "" for r in rows]

    whole = {m: column(f"T5_piechart/d_google/{m}/All.csv") for m in models}
    parts = {m: {c: column(f"T5_piechart/d_google/{m}/{c}.csv") for c in DOLLY_CATEGORIES} for m in models}
    at = dict.fromkeys(DOLLY_CATEGORIES, 0)
    out = []
    for i in range(len(whole[models[0]])):
        fits = [c for c in DOLLY_CATEGORIES
                if at[c] < len(parts[models[0]][c]) and all(parts[m][c][at[c]] == whole[m][i] for m in models)]
        if len(fits) != 1:
            raise SystemExit(f"dolly row {i}: categories {fits} fit; the merge is not unique")
        at[fits[0]] += 1
        out.append(fits[0])
    return out


def dolly(mirrors: Path) -> tuple[list[dict], list[str]]:
    cats = dolly_categories(mirrors)
    records = [json.loads(line) for line in
               show(mirrors, *DOLLY, "dolly_decode_bak/google_flan-t5-base_decode_output.jsonl").splitlines()]
    rows, responses = [], []
    for r in records:
        if DOLLY_GAP[0] <= r["id"] < DOLLY_GAP[1]:
            continue
        text = r["instruction"].strip()
        category = cats[r["id"] + (r["id"] >= DOLLY_GAP[1])]
        task = relabelled(r["id"], category, text)
        if task and text and len(text) <= MAX_CHARS:
            rows.append({"text": text, "task": task, "source": f"dolly/{r['id']}", "lang": "en",
                         "licence": "CC-BY-SA-3.0"})
            if category in DOLLY_TASK:  # the translation requests' sentences, as in the first round
                responses.append(r["text"])
    return rows, responses


# ---- T0 / promptsource prompts over public datasets (via yizhongw/self-instruct) ---------------
T0 = ("yizhongw/self-instruct", "0b26ccaa415992100fa32df62d41b994cf928e23")
T0_DIR = "data/finetuning/t0_train_50k/data_per_template/"
T0_PER_TEMPLATE = 30
# template file -> (task, licence of the underlying dataset); only datasets with an open licence
T0_TEMPLATES = {
    **{f"cnn_dailymail_3_0_0_{t}": ("summarize", "Apache-2.0") for t in (
        "2_or_3_sentences", "news_card_view", "news_stock", "news_summary", "sum_in_brief", "tldr_summary",
        "write_an_outline")},
    **{f"xsum_{t}": ("summarize", "MIT") for t in (
        "DOC_boils_down_to_simple_idea_that", "DOC_given_above_write_one_sentence", "DOC_how_would_you_rephrase_few_words",
        "DOC_tldr", "DOC_write_summary_of_above", "article_DOC_summary", "college_roommate_asked_DOC_so_I_recap",
        "read_below_DOC_write_abstract", "summarize_DOC", "summarize_this_DOC_summary")},
    **{f"adversarial_qa_{m}_{t}": ("extract", "CC-BY-SA-4.0") for m in ("dbert", "dbidaf", "droberta") for t in (
        "answer_the_following_q", "based_on", "question_context_answer", "tell_what_it_is")},
    **{f"quoref_{t}": ("extract", "CC-BY-4.0") for t in (
        "Answer_Friend_Question", "Answer_Question_Given_Context", "Answer_Test", "Context_Contains_Answer",
        "Find_Answer", "Found_Context_Online", "Given_Context_Answer_Question", "Guess_Answer", "Read_And_Extract_",
        "What_Is_The_Answer")},
    **{f"duorc_{s}_{t}": ("extract", "MIT") for s in ("SelfRC", "ParaphraseRC") for t in (
        "answer_question", "extract_answer", "question_answering", "movie_director")},
    **{f"wiki_bio_{t}": ("extract", "CC-BY-SA-3.0") for t in ("comprehension", "key_content", "what_content")},
    **{f"amazon_polarity_{t}": ("classify", "Apache-2.0") for t in (
        "Is_this_product_review_positive", "Is_this_review", "Is_this_review_negative", "User_recommend_this_product",
        "convey_negative_or_positive_sentiment", "flattering_or_not", "negative_or_positive_tone", "user_satisfied",
        "would_you_buy")},
    **{f"dbpedia_14_{t}": ("classify", "CC-BY-SA-3.0") for t in (
        "given_a_choice_of_categories_", "given_a_list_of_category_what_does_the_title_belong_to",
        "given_list_what_category_does_the_paragraph_belong_to", "pick_one_category_for_the_following_text")},
    **{f"paws_labeled_final_{t}": ("classify", "PAWS (free use with attribution)") for t in (
        "Meaning", "Concatenation", "PAWS_ANLI_GPT3", "context_question", "task_description_no_label")},
    **{f"quarel_{t}": ("reasoning", "CC-BY-4.0") for t in ("logic_test", "testing_students", "choose_between")},
    # open factual questions, with or without answer options: what users ask an assistant (chat)
    **{f"kilt_tasks_hotpotqa_{t}": ("chat", "CC-BY-SA-4.0") for t in (
        "combining_facts", "final_exam", "formulate", "straighforward_qa")},
    **{f"commonsense_qa_{t}": ("chat", "MIT") for t in (
        "answer_given_question_without_options", "most_suitable_answer", "question_answering")},
    # writing over given material — paraphrase a sentence, a sentence from given words, a story
    # from a news article —: chat by our rules, however much text the prompt holds
    "paws_labeled_final_paraphrase_task": ("chat", "PAWS (free use with attribution)"),
    **{f"common_gen_{t}": ("chat", "MIT") for t in ("Given_concepts_type_1", "Put_together", "topic_to_sentence")},
    **{f"cnn_dailymail_3_0_0_{t}": ("chat", "Apache-2.0") for t in ("generate_story", "spice_up_story")},
    # a passage, then a question answered from it
    **{f"cosmos_qa_{t}": ("extract", "CC-BY-4.0") for t in (
        "context_description_question_text", "context_question_description_text",
        "description_context_question_text")},
}


def t0(mirrors: Path) -> list[dict]:
    rows = []
    for name, (task, licence) in sorted(T0_TEMPLATES.items()):
        lines = show(mirrors, *T0, T0_DIR + name + ".jsonl").splitlines()
        picked = random.Random(f"{SEED}/{name}").sample(range(len(lines)), min(T0_PER_TEMPLATE, len(lines)))
        for n in sorted(picked):
            text = json.loads(lines[n])["prompt"].strip()
            if len(text) <= MAX_CHARS:
                rows.append({"text": text, "task": task, "source": f"t0/{name}/{n}", "lang": "en", "licence": licence})
    return rows


_QUESTION = re.compile(r"^Question: ?(.+)$", re.M)
_CONTEXT = re.compile(r"^(?:Context|Movie plot): ?(.+)$", re.M)


def reframed(rows: list[dict]) -> list[dict]:
    """The T0 reading-comprehension prompts that hold a `Question:` and a `Context:` line once
    more in the shape users write them: the passage pasted first, then the bare question (their
    text, our framing)."""
    out = []
    for row in rows:
        question, context = _QUESTION.search(row["text"]), _CONTEXT.search(row["text"])
        if row["task"] == "extract" and question and context:
            out.append(dict(row, text=context.group(1).strip() + "\n\n" + question.group(1).strip(),
                            source=row["source"] + "/passage-then-question"))
    return out


# ---- GSM8K word problems (MIT) -----------------------------------------------------------------
GSM8K = ("openai/grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c")
GSM8K_COUNT = 700


def gsm8k(mirrors: Path) -> list[dict]:
    lines = show(mirrors, *GSM8K, "grade_school_math/data/train.jsonl").splitlines()
    picked = sorted(random.Random(f"{SEED}/gsm8k").sample(range(len(lines)), GSM8K_COUNT))
    return [{"text": json.loads(lines[n])["question"].strip(), "task": "reasoning", "source": f"gsm8k/{n}",
             "lang": "en", "licence": "MIT"} for n in picked]


# ---- AQuA-RAT algebraic word problems with answer choices (Apache-2.0) ---------------------------
AQUA = ("google-deepmind/AQuA", "26b64ed1f22208c6742f47df547dfd65088ec30d")


def aqua(mirrors: Path) -> list[dict]:
    rows = []
    for split in ("dev", "test"):  # train.json is out of reach here (over 4 MB)
        for n, line in enumerate(show(mirrors, *AQUA, f"{split}.json").splitlines()):
            r = json.loads(line)
            text = r["question"].strip() + "\nAnswer choices: " + " ".join(r["options"])
            rows.append({"text": text, "task": "reasoning", "source": f"aqua/{split}/{n}", "lang": "en",
                         "licence": "Apache-2.0"})
    return rows


# ---- MATH: competition mathematics problems (MIT), as a user would type them ----------------------
# hendrycks/math's files (one JSON file a problem) as copied into aiwaves-cn/agents; the train split.
MATH = ("aiwaves-cn/agents", "e8c4e3c2d19739d3dff59e577d1c97090cc15f59")
MATH_DIR = "src/agents/datasets/data/math/train/"
MATH_PER_TYPE = 150
_LATEX = (
    (re.compile(r"\\(?:mathbf|mathrm|text|textbf|mathit|operatorname|mbox)\{([^{}]*)\}"), r"\1"),
    (re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}"), r"(\1)/(\2)"),
    (re.compile(r"\\(?:left|right|displaystyle|,|;|!|quad)"), ""),
    (re.compile(r"\\(?:cdot|times)"), "*"),
    (re.compile(r"\\leq?\b"), "<="), (re.compile(r"\\geq?\b"), ">="), (re.compile(r"\\neq?\b"), "!="),
    (re.compile(r"\\([a-zA-Z]+)"), r"\1"),
    (re.compile(r"[$]|\\[\[\]()]"), ""),
    (re.compile(r"[ \t]+"), " "),
)


def plain_maths(text: str) -> str:
    """A MATH problem with its LaTeX mark-up read aloud the way people type maths in a chat:
    `$\\frac{1}{2}x \\le 3$` -> `(1)/(2)x <= 3`."""
    for pattern, replacement in _LATEX:
        text = pattern.sub(replacement, text)
    return text.strip()


def maths(mirrors: Path) -> list[dict]:
    files = show_tree(mirrors, *MATH, MATH_DIR)
    by_type: dict[str, list[str]] = {}
    for path in sorted(files, key=lambda p: (p.rsplit("/", 2)[-2], int(p.rsplit("/", 1)[-1].split(".")[0]))):
        by_type.setdefault(path.rsplit("/", 2)[-2], []).append(path)
    rows = []
    for kind, paths in sorted(by_type.items()):
        usable = [p for p in paths if "[asy]" not in files[p]]  # a drawing is no prompt
        for path in sorted(random.Random(f"{SEED}/math/{kind}").sample(usable, MATH_PER_TYPE)):
            text = plain_maths(json.loads(files[path])["problem"])
            n = path.rsplit("/", 1)[-1].split(".")[0]
            if text and len(text) <= MAX_CHARS:
                rows.append({"text": text, "task": "reasoning", "source": f"math/train/{kind}/{n}", "lang": "en",
                             "licence": "MIT"})
    return rows


# ---- CoNaLa: StackOverflow question titles about Python (CC BY-SA 4.0, StackOverflow content) ---
CONALA = ("shilliscmu/TranxConalaBaseline", "5520285387d946e826f4cc5a4a0a1bf7361355e5")


def conala(mirrors: Path) -> list[dict]:
    rows, seen = [], set()
    for r in json.loads(show(mirrors, *CONALA, "conala-train.json")):
        text = " ".join(r["intent"].split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            rows.append({"text": text, "task": "code", "source": f"conala/{r['question_id']}", "lang": "en",
                         "licence": "CC-BY-SA-4.0"})
    return rows


# ---- CODE-NN: StackOverflow question titles about C# and SQL (CC BY-SA, StackOverflow content) ----
# sriniiyer/codenn (MIT) ships the titles with their code; its train.txt files are over the 4 MB a
# snapshot holds, so the rows come from valid.txt: "<question id>\t<answer id>\t<title>\t<code>\t<score>".
CODENN = ("sriniiyer/codenn", "0f7fbb8b298a84faf4a14a8f76199e39af685e4a")
CODENN_COUNT = 400  # per language


def codenn(mirrors: Path) -> list[dict]:
    rows = []
    for language in ("csharp", "sql"):
        titles: dict[str, str] = {}
        for line in show(mirrors, *CODENN, f"data/stackoverflow/{language}/valid.txt").splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2].strip():
                titles.setdefault(" ".join(fields[2].split()).casefold(), fields[0] + "\t" + " ".join(fields[2].split()))
        picked = random.Random(f"{SEED}/codenn/{language}").sample(sorted(titles.values()), CODENN_COUNT)
        for qid, title in sorted(x.split("\t") for x in picked):
            rows.append({"text": title, "task": "code", "source": f"codenn/{language}/{qid}", "lang": "en",
                         "licence": "CC-BY-SA-3.0"})
    return rows


# ---- Translation requests: FLAN's WMT templates (Apache-2.0) around sentences of Dolly responses --
FLAN = ("google-research/FLAN", "e9e4ec6e2701182c7a91af176f705310da541277")
TRANSLATE_COUNT = 600
LANGUAGES = (
    "Spanish", "French", "German", "Italian", "Portuguese", "Dutch", "Swedish", "Norwegian", "Danish", "Finnish",
    "Polish", "Czech", "Slovak", "Hungarian", "Romanian", "Bulgarian", "Greek", "Turkish", "Russian", "Ukrainian",
    "Arabic", "Hebrew", "Persian", "Hindi", "Bengali", "Urdu", "Tamil", "Thai", "Vietnamese", "Indonesian",
    "Malay", "Tagalog", "Swahili", "Japanese", "Korean", "Chinese", "Mandarin", "Cantonese", "Catalan", "Croatian",
    "Serbian", "Lithuanian", "Latvian", "Estonian", "Icelandic", "Irish", "Welsh", "Latin", "Esperanto", "English",
)
_SENTENCE = re.compile(r"[A-Z][^.!?\n]{15,110}[.!?]")


def flan_translate_templates(mirrors: Path) -> list[str]:
    source = show(mirrors, *FLAN, "flan/templates.py")
    block = source[source.index('"wmt16_translate": ['):]
    block = block[: block.index("],")]
    templates = [json.loads(f'"{m}"') for m in re.findall(r'\(\s*"((?:[^"\\]|\\.)*)",', block)]
    # the ones that ask to translate an English {sent1} into {lang2}
    return [t for t in templates if "{sent1}" in t and "{lang2}" in t]


def translate(mirrors: Path, responses: list[str]) -> list[dict]:
    templates = flan_translate_templates(mirrors)
    sentences = sorted({m.group() for r in responses for m in _SENTENCE.finditer(r)})
    rng = random.Random(f"{SEED}/translate")
    rows = []
    for n, sentence in enumerate(rng.sample(sentences, TRANSLATE_COUNT)):
        template = templates[n % len(templates)]
        language = rng.choice([x for x in LANGUAGES if x != "English"])
        rows.append({"text": template.replace("{sent1}", sentence).replace("{lang2}", language), "task": "translate",
                     "source": f"flan-wmt-template/{n % len(templates)}+dolly-sentence", "lang": "en",
                     "licence": "Apache-2.0 + CC-BY-SA-3.0"})
    return rows


# ---- Programming-concept questions: interview-question headings (MIT, BSD-3-Clause) -------------
# "What is the difference between X and Y?", "Explain event delegation.", "Why does Go not have
# exceptions?": questions about a language, a framework or a tool, which Dolly's open questions
# about programming taught the model to read as chat. The question headings only, never the
# answers (a question over a code snippet keeps its snippet); each repository capped, so no one
# style dominates. Every one is code: explaining code and the tools around it is code by the
# evaluation set's rules (training/README.md). Headings that are not about the technology
# (h5bp's general and fun questions, the Go FAQ's Origins and Usage, cloud.md) are left out.
INTERVIEW_CAP = 45  # questions per repository
# (owner/name, commit, licence, files, heading pattern (group 1: the question))
INTERVIEW = (
    ("sudheerj/reactjs-interview-questions", "4c355593498bb1878953b6b7f23c20c02848909e", "MIT",
     ("README.md",), r"^ *\d+\. *### +(.+?) *$"),
    ("h5bp/Front-end-Developer-Interview-Questions", "c8023cdcc4e13d45c096c3f37160a8fa5ab066d6", "MIT",
     tuple(f"src/questions/{t}-questions.md" for t in ("html", "css", "javascript", "network", "performance", "testing")),
     r"^\* +(.+\n(?:```\w*\n(?:.*\n)*?```)?)"),
    ("h5bp/Front-end-Developer-Interview-Questions", "c8023cdcc4e13d45c096c3f37160a8fa5ab066d6", "MIT",
     ("src/questions/coding-questions.md",), r"^Question: +(.+\n```\w*\n(?:.*\n)*?```)"),
    ("learning-zone/csharp-basics", "58328ab5bbe12618759912f9949c5ddf7152aea2", "MIT",
     ("README.md", "ado.net.md", "asp-net-core.md"), r"^## Q\. +(.+?) *$"),
    ("learning-zone/docker-and-kubernetes-basics", "e998e7e22d9168349952a7d0bb317013f1b2e06a", "MIT",
     ("README.md", "docker.md", "kubernetes.md"), r"^## Q\. +(.+?) *$"),
    ("golang/website", "b02076ae6df08ee9d495fe4b283f88ac18e51012", "BSD-3-Clause",
     ("_content/doc/faq.md",), r"^### +(.+?) *\{#[^}]*\} *$"),
)
_GO_FAQ_OFF_TOPIC = re.compile(r"^## (?:Origins|Usage) .*?(?=^## )", re.M | re.S)
_MARKUP = ((re.compile(r"\*\*\*|\*\*"), ""), (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
           (re.compile(r"<[^>]+>"), ""))


def interview_questions(text: str, pattern: str) -> list[str]:
    """The questions of one file, in order: each heading's text with its mark-up (bold, links,
    HTML) dropped and inline `code` kept, and the code block right under it where the pattern
    takes one; a question that ends in ":" (it needs the list that follows) is left out."""
    out = []
    for m in re.finditer(pattern, _GO_FAQ_OFF_TOPIC.sub("", text), re.M):
        question, _, code = m.group(1).strip().partition("\n")
        for markup, replacement in _MARKUP:
            question = markup.sub(replacement, question)
        question = question.strip()
        if question and not question.endswith(":"):
            out.append(question + ("\n" + code if code else ""))
    return out


def interview(mirrors: Path) -> list[dict]:
    rows, seen = [], set()
    for repo, commit, licence, paths, pattern in INTERVIEW:
        found = []
        for path in paths:
            for n, question in enumerate(interview_questions(show(mirrors, repo, commit, path), pattern)):
                if question.casefold() not in seen:
                    seen.add(question.casefold())
                    found.append((f"interview/{repo.replace('/', '+')}/{path}#{n}", question))
        picked = sorted(random.Random(f"{SEED}/interview/{repo}/{paths[0]}").sample(
            range(len(found)), min(INTERVIEW_CAP, len(found))))
        rows += [{"text": found[i][1], "task": "code", "source": found[i][0], "lang": "en", "licence": licence}
                 for i in picked]
    return rows


# ---- Proofs and logic puzzles: Oscar Levin's Discrete Mathematics: An Open Introduction (CC BY-SA 4.0)
# The end-of-section exercises (source/exercises/*.ptx, PreTeXt XML): "Prove that every tree is
# bipartite.", "Are the statements P imp (Q vee R) and (P imp Q) vee (P imp R) logically
# equivalent?", knights-and-knaves puzzles, counting problems. Every one is reasoning (proofs, logic
# puzzles, word problems by the evaluation set's rules). Only the statement, never the solution; left
# out: exercises in parts (<task>), with a picture, a table or a list, and those that point at another
# exercise ("the previous exercise"), which no user could send alone. Math mark-up made plain as MATH's.
LEVIN = ("oscarlevin/discrete-book", "3a7345749f5b687435711c0a7896f5b194ac64dd")
_PTX_SKIP = re.compile(r"<(?:image|sidebyside|tabular|task|figure|ol|ul|latex-image|sage)\b")
_PTX_ELSEWHERE = re.compile(r"\b(?:previous|preceding|above|last)\s+(?:exercise|problem|question|example|part)|"
                            r"\bfigure\b|\bexercise \d", re.I)


def ptx_statement(exercise: str) -> str | None:
    """An exercise's statement as plain text (`<m>a \\mid b</m>` -> `a mid b`), or None where it
    cannot stand alone."""
    m = re.search(r"<statement>(.*?)</statement>", exercise, re.S)
    if not m or _PTX_SKIP.search(exercise):
        return None
    text = re.sub(r"<(m|me|men)>(.*?)</\1>", lambda x: "$" + x.group(2) + "$", m.group(1), flags=re.S)
    text = re.sub(r"<q>(.*?)</q>", r'"\1"', text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = " ".join(plain_maths(text).split())
    return text if text and not _PTX_ELSEWHERE.search(text) else None


def levin(mirrors: Path) -> list[dict]:
    rows = []
    for path, text in sorted(show_tree(mirrors, *LEVIN, "source/exercises/").items()):
        for n, exercise in enumerate(re.findall(r"<exercise\b.*?</exercise>", text, re.S)):
            statement = ptx_statement(exercise)
            if statement and len(statement) <= MAX_CHARS:
                rows.append({"text": statement, "task": "reasoning",
                             "source": f"levin-dmoi/{path.rsplit('/', 1)[-1].removesuffix('.ptx')}/{n}",
                             "lang": "en", "licence": "CC-BY-SA-4.0"})
    return rows


# ---- How-to and factual questions that are not code: Cooking Stack Exchange titles (CC BY-SA 3.0) --
# "How do I cover up the white spots on my cast iron stove?", "Without knife skills, how can I quickly
# and accurately dice vegetables?": people's own questions about a practical subject, which the model
# read as code for their "how do I…". The question titles of cooking.stackexchange.com as fastText's
# tutorial ships them (one title a line with its tags, beside a file of the rows' ids in the
# Stack Exchange data dump), copied into HuStanding/ml. Only titles that are questions (ending in
# "?"), and not those about what a thing is called in another language (translate by our rules);
# every one is chat.
COOKING = ("HuStanding/ml", "890d481df3da334b1f3b13ce43eb50df829915b7")
COOKING_COUNT = 300
_CALLED = re.compile(r"\b(?:in|into) (?:english|french|german|spanish|italian|japanese|chinese|dutch|hebrew|"
                     r"portuguese|russian|polish|swedish|hindi|korean|arabic|turkish|greek)\b|\btranslat", re.I)


def cooking_question(line: str) -> str | None:
    """A line of cooking.stackexchange.txt ("__label__sauce How much…?") as the question a user
    asks, or None where the title is no question or asks what a thing is called in a language."""
    title = " ".join(w for w in line.split() if not w.startswith("__label__"))
    return title if title.endswith("?") and not _CALLED.search(title) else None


def cooking(mirrors: Path) -> list[dict]:
    lines = show(mirrors, *COOKING, "fasttext/data/cooking.stackexchange.txt").splitlines()
    ids = show(mirrors, *COOKING, "fasttext/data/cooking.stackexchange.id").split()
    if len(lines) != len(ids):
        raise SystemExit(f"cooking: {len(lines)} titles but {len(ids)} ids")
    titles, seen = [], set()
    for qid, line in zip(ids, lines):
        title = cooking_question(line)
        if title and title.casefold() not in seen:
            seen.add(title.casefold())
            titles.append((int(qid), title))
    picked = sorted(random.Random(f"{SEED}/cooking").sample(titles, COOKING_COUNT))
    return [{"text": title, "task": "chat", "source": f"cooking-se/{qid}", "lang": "en", "licence": "CC-BY-SA-3.0"}
            for qid, title in picked]


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    mirrors = Path(sys.argv[1])
    dolly_rows, responses = dolly(mirrors)
    t0_rows = t0(mirrors)
    rows = (dolly_rows + t0_rows + reframed(t0_rows) + gsm8k(mirrors) + aqua(mirrors) + maths(mirrors)
            + conala(mirrors) + codenn(mirrors) + translate(mirrors, responses)
            + interview(mirrors) + levin(mirrors) + cooking(mirrors))
    rows, dropped = decontaminate(rows)
    for row in dropped:
        print(f"left out, an evaluation prompt: {row['source']} {row['text'][:60]!r}")
    write_jsonl(HERE / "public_train.jsonl", rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["task"]] = counts.get(r["task"], 0) + 1
    print(f"{len(rows)} prompts -> training/task/public_train.jsonl: {counts}")


if __name__ == "__main__":
    main()
