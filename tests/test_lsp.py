"""`policylang lsp` driven by a real LSP client (pygls's) over stdio in a subprocess: initialize,
didOpen, didChange, diagnostics, hover, definition, completion, formatting, code actions."""
import asyncio
import subprocess
import sys
import time

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from policylang import resources
from policylang.lsp import code_point_column, utf16_column

POLICY = """import std

model local-llama { provider = together  id = "meta-llama/Llama-3.3-70B"  input = 0.9  output = 0.9  context = 8_000 }

quick: when task == chat and tokens < 500 route gpt-5-mini
long:  when tokens >= 10_000 route local-llama
default route gpt-5
"""


class Session:
    def __init__(self, client, path):
        self.client = client
        self.uri = from_fs_path(str(path))
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.event = asyncio.Event()

    async def diagnostics(self, after: int, timeout: float = 20.0) -> list[lsp.Diagnostic]:
        """The first publication past `after` (the count seen before the edit)."""
        deadline = time.monotonic() + timeout
        while len(self.published) <= after:
            self.event.clear()
            await asyncio.wait_for(self.event.wait(), max(0.01, deadline - time.monotonic()))
        return self.published[after].diagnostics

    def doc(self):
        return lsp.TextDocumentIdentifier(self.uri)

    def at(self, line, character):
        return lsp.Position(line, character)

    def on(self, needle, nth=0):
        """The position of the nth occurrence of needle in POLICY (same lines in UTF-16 here)."""
        lines = POLICY.split("\n")
        hits = [(i, line.index(needle)) for i, line in enumerate(lines) if needle in line]
        return lsp.Position(*hits[nth])


async def start(tmp_path, text=POLICY):
    client = LanguageClient("policylang-test", "1")
    path = tmp_path / "main.policy"
    path.write_text(text)
    session = Session(client, path)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params):
        if params.uri == session.uri:
            session.published.append(params)
            session.event.set()

    await client.start_io(sys.executable, "-m", "policylang", "lsp")
    result = await client.initialize_async(lsp.InitializeParams(
        process_id=None, root_uri=from_fs_path(str(tmp_path)), capabilities=lsp.ClientCapabilities()))
    assert result.server_info.name == "policylang"
    client.initialized(lsp.InitializedParams())
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(session.uri, "policylang", 1, text)))
    return session


async def stop(session):
    await session.client.shutdown_async(None)
    session.client.exit(None)
    await session.client.stop()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


def test_a_session_from_open_to_quick_fix(tmp_path):
    async def body():
        s = await start(tmp_path)
        c = s.client
        diags = await s.diagnostics(0)
        # the context-overflow check: the same code, message and example request as `check`
        overflow = [d for d in diags if d.code == "context-overflow"]
        assert overflow and overflow[0].severity == lsp.DiagnosticSeverity.Warning
        assert "local-llama" in overflow[0].message and "example: {" in overflow[0].message
        assert overflow[0].range.start.line == 5

        # hover: a model, a fact, a pool
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), s.on("local-llama", 1)))
        assert "**model** `local-llama`" in h.contents.value and "context window: 8,000" in h.contents.value
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), s.on("task ==")))
        assert "**fact** `task`: `enum {summarize, chat" in h.contents.value
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), lsp.Position(6, len("default route "))))
        assert "**model** `gpt-5`" in h.contents.value and "$" in h.contents.value

        # definition: in this file, and across the import into the standard library
        loc = await c.text_document_definition_async(lsp.DefinitionParams(s.doc(), s.on("local-llama", 1)))
        assert loc.uri == s.uri and loc.range.start.line == 2
        loc = await c.text_document_definition_async(lsp.DefinitionParams(s.doc(), s.on("task ==")))
        assert loc.uri == from_fs_path(str((resources.stdlib_dir() / "facts.policy").resolve()))

        # completion: an enum's values after `==`, names and keywords elsewhere
        after_eq = s.on("chat and")
        done = await c.text_document_completion_async(lsp.CompletionParams(s.doc(), after_eq))
        labels = [i.label for i in done.items]
        assert labels[:3] == ["summarize", "chat", "code"] and "gpt-5" not in labels
        done = await c.text_document_completion_async(lsp.CompletionParams(s.doc(), s.at(6, 0)))
        labels = {i.label for i in done.items}
        assert {"task", "gpt-5", "local-llama", "when", "route"} <= labels

        # an edit with a typo: diagnostics follow, and the quick fix applies "did you mean"
        broken = POLICY.replace("task == chat", "taks == chat")
        seen = len(s.published)
        t0 = time.perf_counter()
        c.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=s.uri, version=2), [lsp.TextDocumentContentChangeWholeDocument(text=broken)]))
        diags = await s.diagnostics(seen)
        assert time.perf_counter() - t0 < 10
        (unknown,) = [d for d in diags if d.code == "unknown-name"]
        assert "did you mean `task`" in unknown.message and unknown.range.start.line == 4
        assert (unknown.range.start.character, unknown.range.end.character) == (12, 16)
        actions = await c.text_document_code_action_async(lsp.CodeActionParams(
            s.doc(), unknown.range, lsp.CodeActionContext([unknown])))
        (fix,) = [a for a in actions if a.title == "Change to `task`"]
        (edit,) = fix.edit.changes[s.uri]
        assert edit.new_text == "task" and edit.range == unknown.range

        # a warning offers `# policylang: allow CODE` above its line
        seen = len(s.published)
        c.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=s.uri, version=3), [lsp.TextDocumentContentChangeWholeDocument(text=POLICY)]))
        warn = next(d for d in (await s.diagnostics(seen)) if d.code == "context-overflow")
        actions = await c.text_document_code_action_async(lsp.CodeActionParams(
            s.doc(), warn.range, lsp.CodeActionContext([warn])))
        (allow,) = [a for a in actions if a.title == "Allow `context-overflow` here"]
        (edit,) = allow.edit.changes[s.uri]
        assert edit.new_text == "# policylang: allow context-overflow\n" and edit.range.start.line == 5

        # formatting is fmt
        messy = "import std\ndefault   route   gpt-5\n"
        c.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=s.uri, version=4), [lsp.TextDocumentContentChangeWholeDocument(text=messy)]))
        edits = await c.text_document_formatting_async(lsp.DocumentFormattingParams(
            s.doc(), lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
        assert [e.new_text for e in edits] == ["import std\ndefault route gpt-5\n"]
        await stop(s)

    run(body())


def test_diagnostics_of_a_200_rule_file_after_an_edit(tmp_path):
    rules = "\n".join(f"r{i}: when tokens >= {i * 10} and task == code route gpt-5-mini" for i in range(200))
    text = f"import std\n{rules}\ndefault route gpt-5\n"

    async def body():
        s = await start(tmp_path, text)
        await s.diagnostics(0)
        times = []
        for version in range(2, 7):
            seen = len(s.published)
            edited = text.replace("r7: when tokens >= 70", f"r7: when tokens >= {70 + version}")
            t0 = time.perf_counter()
            s.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=s.uri, version=version), [lsp.TextDocumentContentChangeWholeDocument(text=edited)]))
            await s.diagnostics(seen)
            times.append(time.perf_counter() - t0)
        print(f"diagnostics after an edit of a 200-rule file: median {sorted(times)[2] * 1000:.0f} ms")
        await stop(s)

    run(body())


@pytest.mark.parametrize("line,column,units", [("abc", 3, 2), ("a😀b", 3, 3), ("😀😀x", 3, 4), ("", 1, 0)])
def test_columns_convert_between_code_points_and_utf16(line, column, units):
    assert utf16_column(line, column) == units
    assert code_point_column(line, units) == column - 1


def test_the_vscode_folder_starts_the_server_and_knows_every_keyword():
    import json
    import re

    from helpers import ROOT
    from policylang.syntax.parser import KEYWORDS

    folder = ROOT / "editors" / "vscode"
    package = json.loads((folder / "package.json").read_text())
    assert package["contributes"]["languages"][0]["extensions"] == [".policy"]
    assert package["contributes"]["configuration"]["properties"]["policylang.command"]["default"] == ["policylang", "lsp"]
    assert "vscode-languageclient" in package["dependencies"]
    assert 'require("vscode-languageclient/node")' in (folder / "extension.js").read_text()
    grammar = json.loads((folder / "syntaxes" / "policylang.tmLanguage.json").read_text())
    words = re.fullmatch(r"\\b\((.*)\)\\b", grammar["repository"]["keyword"]["match"]).group(1).split("|")
    assert sorted(words) == sorted(KEYWORDS)
    for rule in grammar["repository"].values():
        for key in ("match", "begin", "end"):
            if key in rule:
                re.compile(rule[key])


def test_hostile_documents_get_answers_not_a_dead_server(tmp_path):
    """Broken syntax, a lone surrogate-free but odd text, positions past the end: the server
    answers each request and keeps publishing."""
    texts = ["when when ((((", "import std\n" + "x" * 5000, "import \"../../etc/passwd\"\n", "😀😀 route\n\n\n",
             "import std\nfact a: enum {x, y} = z\ndefault route gpt-5\n", ""]

    async def body():
        s = await start(tmp_path, texts[0])
        c = s.client
        for version, text in enumerate(texts, 2):
            seen = len(s.published)
            c.text_document_did_change(lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(uri=s.uri, version=version),
                [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
            diags = await s.diagnostics(seen)
            assert all(d.source == "policylang" and d.range.start.line >= 0 for d in diags)
            far = lsp.Position(10_000, 10_000)
            assert await c.text_document_hover_async(lsp.HoverParams(s.doc(), far)) is None
            assert await c.text_document_definition_async(lsp.DefinitionParams(s.doc(), far)) is None
            done = await c.text_document_completion_async(lsp.CompletionParams(s.doc(), far))
            assert "route" in {i.label for i in done.items}
            edits = await c.text_document_formatting_async(lsp.DocumentFormattingParams(
                s.doc(), lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
            assert edits is None or len(edits) <= 1
        actions = await c.text_document_code_action_async(lsp.CodeActionParams(
            s.doc(), lsp.Range(lsp.Position(0, 0), lsp.Position(0, 1)), lsp.CodeActionContext([])))
        assert not actions
        await stop(s)

    run(body())


def test_problems_in_imported_files_are_shown_on_the_import_that_reads_them(tmp_path):
    """#36.4: a conflict found in an imported file, a syntax error in one, and an import cycle seen
    from one side: `check` exits 1 on each, so the editor shows each at the import line, with the
    imported place as related information."""
    (tmp_path / "regions.policy").write_text("import std\nfact region: enum {eu, us}\n")
    (tmp_path / "eu.policy").write_text("import std\nfact region: enum {eu}\n")
    (tmp_path / "team.policy").write_text('import "eu.policy"\n')
    (tmp_path / "broken.policy").write_text("fact x: int\nwhen x == route\n")
    (tmp_path / "back.policy").write_text('import "main.policy"\n')
    text = 'import std\nimport "regions.policy"\nimport "team.policy"\n\nimport "broken.policy"\nimport "back.policy"\ndefault route cheap\n'
    (tmp_path / "main.policy").write_text(text)
    check = subprocess.run([sys.executable, "-m", "policylang", "check", str(tmp_path / "main.policy")],
                           capture_output=True, text=True)
    assert check.returncode == 1 and "eu.policy" in check.stdout + check.stderr

    async def body():
        s = await start(tmp_path, text)
        diags = await s.diagnostics(0)
        await stop(s)
        return diags

    diags = run(body())
    by_line = {}
    for d in diags:
        by_line.setdefault(d.range.start.line, []).append(d)
    # the conflict lies in eu.policy, read through team.policy: shown on `import "team.policy"`
    (conflict,) = by_line[2]
    assert conflict.code == "duplicate-definition" and conflict.message.startswith("eu.policy:2:6: fact `region`")
    assert conflict.related_information[0].location.uri == from_fs_path(str((tmp_path / "eu.policy").resolve()))
    assert conflict.related_information[0].location.range.start.line == 1
    (syntax,) = by_line[4]
    assert syntax.code == "syntax-error" and syntax.message.startswith("broken.policy:2:")
    (cycle,) = by_line[5]
    assert cycle.code == "import-error" and "import cycle" in cycle.message
    assert set(by_line) == {2, 4, 5}


def _apply(text, edits):
    """Apply LSP text edits with LSP's own line model (\\n, \\r\\n, \\r end lines), as an editor does."""
    import re as _re

    starts = [0] + [m.end() for m in _re.finditer(r"\r\n|\r|\n", text)]

    def offset(pos):
        line_start = starts[pos.line]
        units, i = 0, line_start
        while units < pos.character:
            units += 2 if ord(text[i]) > 0xFFFF else 1
            i += 1
        return i

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


def test_lines_as_the_editor_counts_them_lone_cr_and_line_separators(tmp_path):
    """#36.5: with lone-CR line ends and a U+2028 in a comment, a diagnostic lands on the line
    the editor shows, and the formatting edit replaces the whole document (no `default` left
    behind twice)."""
    text = "import std\r# a note \u2028 goes on\rwhen task == code  route cheap\rwhen task == cod route cheap\rdefault  route cheap\r"

    async def body():
        s = await start(tmp_path, text)
        diags = await s.diagnostics(0)
        edits = await s.client.text_document_formatting_async(lsp.DocumentFormattingParams(
            s.doc(), lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
        await stop(s)
        return diags, edits

    diags, edits = run(body())
    (d,) = [d for d in diags if d.severity == lsp.DiagnosticSeverity.Error]
    assert d.range.start.line == 3 and d.range.start.character == 13
    assert text.replace("\r", "\n").split("\n")[3][d.range.start.character:].startswith("cod ")
    formatted = _apply(text, edits)
    assert formatted.count("default") == 1 and formatted.startswith("import std\n# a note \u2028 goes on\n")


BROKEN = """import std

model local-llama { provider = together  id = "meta-llama/Llama-3.3-70B"  input = 0.9  output = 0.9  context = 8_000 }

wen task == chat route gpt-5-mini
long:  when tokens >= 10_000 route local-llama
code: when task == 
default route nope
"""


def test_hover_definition_and_completion_keep_working_in_a_file_with_errors(tmp_path):
    """Opened broken (it never checked whole): what the statements that parse declare and import
    still answers hover, definition and an enum's values after `task ==` (#35 item 9)."""
    async def body():
        s = await start(tmp_path, BROKEN)
        c = s.client
        diags = await s.diagnostics(0)
        assert {d.code for d in diags} == {"syntax-error", "unknown-name"}  # the rest is still checked
        lines = BROKEN.split("\n")
        at = lambda needle, row: lsp.Position(row, lines[row].index(needle))  # noqa: E731
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), at("local-llama", 5)))
        assert h is not None and "**model** `local-llama`" in h.contents.value
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), at("task", 4)))  # on the broken line
        assert h is not None and "**fact** `task`: `enum {summarize, chat" in h.contents.value
        h = await c.text_document_hover_async(lsp.HoverParams(s.doc(), at("gpt-5-mini", 4)))
        assert h is not None and "**model** `gpt-5-mini`" in h.contents.value
        loc = await c.text_document_definition_async(lsp.DefinitionParams(s.doc(), at("local-llama", 5)))
        assert loc is not None and loc.uri == s.uri and loc.range.start.line == 2
        loc = await c.text_document_definition_async(lsp.DefinitionParams(s.doc(), at("tokens", 5)))
        assert loc is not None and loc.uri == from_fs_path(str((resources.stdlib_dir() / "facts.policy").resolve()))
        done = await c.text_document_completion_async(
            lsp.CompletionParams(s.doc(), lsp.Position(6, len(lines[6]))))
        labels = [i.label for i in done.items]
        assert labels[:3] == ["summarize", "chat", "code"] and "when" not in labels
        await stop(s)

    run(body())
