"""`policylang lsp`: a language server over stdio (pygls; `pip install 'policylang[lsp]'`).

Diagnostics are `check`'s own (pipeline.findings_text on the editor's text: same codes,
messages and example requests), published after every change; one located in an imported
file is shown on the import that reads it, its own place related; hover shows what a name
declares (a fact's type and default, a model's provider, prices, context window and quality
scores, a pool's members and strategy, a provider's adapter); go to definition follows
imports into other files and the standard library; completion offers facts, the values of
an enum fact after `==` or `in {`, models, pools, providers and keywords; formatting is
`fmt`; code actions apply a "did you mean" and add `# policylang: allow CODE` above a
warned line.

Positions: policylang spans count code points from 1; LSP counts UTF-16 code units from 0.
Lines are LSP's (span.split_lines): \n, \r\n and a lone \r end one; U+2028, U+2029 and \x85
do not.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ._version import __version__
from .diagnostics import Diagnostic
from .pipeline import findings_text
from .semantics import ir
from .semantics.loader import std_module_path
from .span import Span, split_lines
from .syntax.formatter import FormatError, format_text
from .syntax.parser import KEYWORDS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?:/[A-Za-z_][A-Za-z0-9_.\-]*)?")
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`")
_AFTER_EQ = re.compile(r"([A-Za-z_][\w.\-]*)\s*(?:==|!=)\s*[\w.\-]*$")
_INSIDE_SET = re.compile(r"([A-Za-z_][\w.\-]*)\s+(?:not\s+)?in\s*\{[^}]*$")
SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
}


def utf16_column(line: str, column: int) -> int:
    """The UTF-16 offset of a 1-based code-point column of line."""
    head = line[: max(0, column - 1)]
    return len(head) + sum(1 for ch in head if ord(ch) > 0xFFFF)


def code_point_column(line: str, character: int) -> int:
    """The 0-based code-point index of a UTF-16 offset into line."""
    units = 0
    for i, ch in enumerate(line):
        if units >= character:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(line)


def file_of(span_file: str) -> Path | None:
    """The file a span's name stands for: a path, or `<std>` / `<std/NAME>` in the stdlib."""
    if span_file.startswith("<std"):
        return std_module_path(span_file.strip("<>"))
    if span_file.startswith("<"):
        return None
    return Path(span_file)


class Document:
    """One open file: its latest text and what the last analysis found."""

    def __init__(self, uri: str):
        self.uri = uri
        self.path = Path(to_fs_path(uri) or uri)
        self.generation = 0
        self.ir: ir.PolicyIR | None = None  # the last IR without errors, for hover and friends
        # with errors now: what of the current text did check (the statements that parse)
        self.partial: ir.PolicyIR | None = None
        self.diagnostics: list[Diagnostic] = []
        self.reached: dict[str, list[tuple[Span, str]]] = {}  # the last analysis's imports

    def views(self) -> list[ir.PolicyIR]:
        """What hover, definition and completion read, best first: the current text's IR when it
        checks; with errors, what of it did check, then the last IR that checked whole (a name
        the broken statements hide may still be there)."""
        return [p for p in (self.partial, self.ir) if p is not None]

    def import_toward(self, file: str) -> Span | None:
        """The import statement of this document through which `file` is read (directly or by
        the files it imports; the first such import written), or None."""
        for span, first in self.reached.get(str(self.path), ()):
            seen: set[str] = set()
            queue = [first]
            while queue:
                key = queue.pop(0)
                if key == file:
                    return span
                if key not in seen:
                    seen.add(key)
                    queue += [k for _, k in self.reached.get(key, ())]
        return None


class PolicyServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "policylang", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full
        )
        self.documents: dict[str, Document] = {}
        # one analysis at a time: the parser's caches are shared
        self.analyser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policylang-check")

    def document(self, uri: str) -> Document:
        if uri not in self.documents:
            self.documents[uri] = Document(uri)
        return self.documents[uri]

    def source(self, span_file: str, doc: Document) -> list[str]:
        if span_file == str(doc.path):
            return split_lines(self.workspace.get_text_document(doc.uri).source)
        path = file_of(span_file)
        try:
            return split_lines(path.read_text(encoding="utf-8")) if path else []
        except OSError:
            return []

    def range_of(self, span: Span, doc: Document, read: dict | None = None) -> lsp.Range:
        """span as an LSP range; `read` keeps the files' lines between calls (one publication
        converts every diagnostic's span against the same texts)."""
        read = {} if read is None else read
        if span.file not in read:
            read[span.file] = self.source(span.file, doc)
        lines = read[span.file]

        def at(line: int, column: int) -> lsp.Position:
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            return lsp.Position(max(0, line - 1), utf16_column(text, column))

        return lsp.Range(at(span.line, span.column), at(span.end_line, span.end_column))

    async def analyse(self, uri: str) -> None:
        doc = self.document(uri)
        doc.generation += 1
        generation = doc.generation
        text = self.workspace.get_text_document(uri).source
        loop = asyncio.get_running_loop()
        checked = await loop.run_in_executor(
            self.analyser, findings_text, text, str(doc.path), doc.path.parent
        )
        if generation != doc.generation:
            return  # a newer edit is being analysed
        if checked.ir is not None:
            doc.ir = checked.ir
        doc.partial = checked.partial
        doc.diagnostics = checked.diagnostics
        doc.reached = checked.reached
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=self.lsp_diagnostics(doc))
        )

    def lsp_diagnostics(self, doc: Document) -> list[lsp.Diagnostic]:
        out = []
        read: dict[str, list[str]] = {}
        for d in doc.diagnostics:
            at = d.span
            message = d.message
            related = [
                lsp.DiagnosticRelatedInformation(
                    lsp.Location(self.uri_of(r.span.file, doc), self.range_of(r.span, doc, read)),
                    r.message,
                )
                for r in d.related
                if file_of(r.span.file) is not None
            ]
            if d.span.file != str(doc.path):
                # found in an imported file: shown on the import that reads it, so that no
                # problem `check` reports is invisible here; the file's own place is related
                via = doc.import_toward(d.span.file)
                if via is None:
                    continue
                at = via
                where = f"{_short(d.span.file)}:{d.span.line}:{d.span.column}"
                message = f"{where}: {message}"
                if file_of(d.span.file) is not None:
                    here = lsp.Location(
                        self.uri_of(d.span.file, doc), self.range_of(d.span, doc, read)
                    )
                    related.insert(0, lsp.DiagnosticRelatedInformation(here, d.message))
            if d.witness is not None:
                message += f"\nexample: {json.dumps(dict(d.witness), sort_keys=True)}"
            message += "".join(f"\n{n}" for n in d.notes)
            out.append(
                lsp.Diagnostic(
                    range=self.range_of(at, doc, read),
                    message=message,
                    severity=SEVERITY[d.severity],
                    code=d.code,
                    source="policylang",
                    related_information=related or None,
                )
            )
        return out

    def uri_of(self, span_file: str, doc: Document) -> str:
        if span_file == str(doc.path):
            return doc.uri
        path = file_of(span_file)
        return from_fs_path(str(path.resolve())) or doc.uri if path else doc.uri

    def word_at(self, uri: str, position: lsp.Position) -> tuple[str, str] | None:
        """The name under the cursor and the line's text before it."""
        lines = split_lines(self.workspace.get_text_document(uri).source)
        if position.line >= len(lines):
            return None
        line = lines[position.line]
        col = code_point_column(line, position.character)
        for m in _NAME.finditer(line):
            if m.start() <= col <= m.end():
                return m.group(), line[: m.start()]
        return None


def _short(span_file: str) -> str:
    """A span's file as a message names it: std modules as `<std/NAME>`, files by their name."""
    return span_file if span_file.startswith("<") else Path(span_file).name


def describe(policy: ir.PolicyIR, name: str) -> str | None:
    """Markdown for a declared name: fact, model, pool or provider."""
    if name in policy.facts:
        f = policy.facts[name]
        kind = f"enum {{{', '.join(f.members)}}}" if f.kind == "enum" else f.kind
        default = "" if f.default is ir.NO_DEFAULT else f" = {json.dumps(f.default)}"
        return f"**fact** `{name}`: `{kind}{default}`"
    model = policy.models.get(name) or policy.models_by_candidate.get(name)
    if model is not None:
        price = lambda v: "unpriced" if v is None else f"${v:g}"  # noqa: E731
        lines = [
            f"**model** `{model.name}` — provider `{model.provider}`, id `{model.id}`",
            f"- price per million tokens: input {price(model.input)}, output {price(model.output)}",
            f"- context window: {model.context:,} tokens"
            if model.context
            else "- context window: not declared",
        ]
        if policy.quality is not None and model.name in policy.quality.scores:
            scores = policy.quality.scores[model.name]
            lines.append(
                f"- quality by `{policy.quality.fact}`: "
                + ", ".join(f"{k} {v:g}" for k, v in scores.items())
            )
        return "\n".join(lines)
    if name in policy.pools:
        p = policy.pools[name]
        return f"**pool** `{name}` ({p.strategy}): " + ", ".join(f"`{m}`" for m in p.members)
    if name in policy.providers:
        pr = policy.providers[name]
        where = f", base URL `{pr.base_url}`" if pr.base_url else ""
        default = f", default model `{pr.default_model}`" if pr.default_model else ""
        place = f", location `{pr.location}`" if pr.location else ""
        if pr.regions is not None:
            place += f", hosted in {', '.join(sorted(pr.regions)) or 'no region'}"
        return f"**provider** `{name}`: adapter `{pr.adapter}`{where}{default}{place}"
    return None


def declaration(policy: ir.PolicyIR, name: str) -> Span | None:
    for table in (policy.facts, policy.models, policy.pools, policy.providers):
        item = table.get(name)
        if item is not None:
            return item.span
    return None


server = PolicyServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: PolicyServer, params: lsp.DidOpenTextDocumentParams) -> None:
    await ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: PolicyServer, params: lsp.DidChangeTextDocumentParams) -> None:
    await ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: PolicyServer, params: lsp.DidSaveTextDocumentParams) -> None:
    await ls.analyse(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PolicyServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


def _name_under(
    ls: PolicyServer, params: lsp.HoverParams | lsp.DefinitionParams
) -> tuple[Document, str] | None:
    """The document and the name under the cursor."""
    doc = ls.document(params.text_document.uri)
    found = ls.word_at(doc.uri, params.position)
    return None if found is None else (doc, found[0])


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: PolicyServer, params: lsp.HoverParams) -> lsp.Hover | None:
    under = _name_under(ls, params)
    if under is None:
        return None
    doc, name = under
    text = next((t for p in doc.views() if (t := describe(p, name)) is not None), None)
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: PolicyServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    under = _name_under(ls, params)
    if under is None:
        return None
    doc, name = under
    spans = (declaration(p, name.split("/")[-1]) for p in doc.views())
    span = next((s for s in spans if s is not None), None)
    if span is None or file_of(span.file) is None:
        return None
    return lsp.Location(ls.uri_of(span.file, doc), ls.range_of(span, doc))


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["{", " "]))
def completion(ls: PolicyServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    doc = ls.document(params.text_document.uri)
    lines = split_lines(ls.workspace.get_text_document(doc.uri).source)
    line = lines[params.position.line] if params.position.line < len(lines) else ""
    before = line[: code_point_column(line, params.position.character)]
    views = doc.views()
    policy = views[0] if views else None
    items: list[lsp.CompletionItem] = []
    if policy is not None:
        m = _AFTER_EQ.search(before) or _INSIDE_SET.search(before)
        facts = (p.facts.get(m.group(1)) for p in views) if m else iter(())
        fact = next((f for f in facts if f is not None), None)
        if fact is not None and fact.kind == "enum":
            return lsp.CompletionList(
                is_incomplete=False,
                items=[
                    lsp.CompletionItem(v, kind=lsp.CompletionItemKind.EnumMember)
                    for v in fact.members
                ],
            )
        for names, kind in (
            (policy.facts, lsp.CompletionItemKind.Variable),
            (policy.models, lsp.CompletionItemKind.Class),
            (policy.pools, lsp.CompletionItemKind.Module),
            (policy.providers, lsp.CompletionItemKind.Interface),
        ):
            items += [lsp.CompletionItem(n, kind=kind, detail=describe(policy, n)) for n in names]
    items += [lsp.CompletionItem(k, kind=lsp.CompletionItemKind.Keyword) for k in sorted(KEYWORDS)]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: PolicyServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    text = ls.workspace.get_text_document(params.text_document.uri).source
    try:
        formatted = format_text(text)
    except FormatError:
        return []  # the diagnostics already say why it does not parse
    if formatted == text:
        return []
    lines = split_lines(text)
    end = lsp.Position(len(lines) - 1, utf16_column(lines[-1], len(lines[-1]) + 1))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
def code_actions(ls: PolicyServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    lines = split_lines(ls.workspace.get_text_document(uri).source)
    out = []
    for d in _diagnostics_in(params.context.diagnostics, params.range):
        hint = _DID_YOU_MEAN.search(d.message)
        if hint is not None:
            out.append(_edit_action(f"Change to `{hint.group(1)}`", uri, d, d.range, hint.group(1)))
        if d.severity != lsp.DiagnosticSeverity.Error and d.code:
            row = d.range.start.line
            indent = re.match(r"\s*", lines[row] if row < len(lines) else "").group()  # type: ignore[union-attr]
            at = lsp.Range(lsp.Position(row, 0), lsp.Position(row, 0))
            out.append(
                _edit_action(
                    f"Allow `{d.code}` here", uri, d, at, f"{indent}# policylang: allow {d.code}\n"
                )
            )
    return out


def _diagnostics_in(diags: Sequence[lsp.Diagnostic], within: lsp.Range) -> list[lsp.Diagnostic]:
    return [
        d
        for d in diags
        if d.source == "policylang"
        and d.range.start.line <= within.end.line
        and d.range.end.line >= within.start.line
    ]


def _edit_action(
    title: str, uri: str, diag: lsp.Diagnostic, where: lsp.Range, text: str
) -> lsp.CodeAction:
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(where, text)]}),
    )


def main() -> None:
    server.start_io()
