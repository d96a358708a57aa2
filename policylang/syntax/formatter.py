"""`policylang fmt`: one canonical layout, comments kept, meaning unchanged.

Statements are printed by the canonical printer; catalog blocks stay on one line
when they fit; runs of consecutive rules get their `route` keywords aligned.
Comments stay with what they describe: a comment on its own line goes before the
next statement, a comment at the end of a line stays at the end of that
statement (or field). Blank lines between statements collapse to one. The result
is parsed again and must equal the input's AST, or formatting fails loudly.
"""

from __future__ import annotations

from ..span import unify_line_breaks
from . import ast, printer
from .parser import parse

MAX_LINE = 130
ALIGN_LIMIT = 72  # a rule whose head is longer than this is not padded for alignment


class FormatError(Exception):
    pass


def _parts(s, label_width: int = 0) -> tuple[str, str]:
    """(head, tail) of an alignable statement: the tail starts at the aligned column."""
    if isinstance(s, ast.Rule):
        tail = f"route {printer.ref(s.target)}"
        if s.fallback is not None:
            tail += f" fallback [{', '.join(printer.ref(r) for r in s.fallback)}]"
        tail += printer.only(s.only)
        if s.is_default:
            return "default", tail
        label = f"{s.label}: " if s.label else ""
        return f"{label.ljust(label_width)}when {printer.cond(s.cond)}", tail
    if isinstance(s, ast.Expect):
        text = printer.statement(s)
        cut = text.rindex(" route ") if s.target is not None else text.rindex(" no route")
        return text[:cut], text[cut + 1 :]
    text = printer.statement(s)  # a pool: align the `=`
    name, rest = text.split(" = ", 1)
    return name, "= " + rest


def _kind(s) -> str | None:
    if isinstance(s, ast.Rule):
        return "rule"
    if isinstance(s, ast.Expect):
        return "expect"
    if isinstance(s, ast.PoolDecl):
        return "pool"
    return None


def _block(s, field_comments: dict[int, str]) -> str:
    kw = "provider" if isinstance(s, ast.ProviderDecl) else "model"
    fields = [f"{f.key} = {printer.value(f.value)}" for f in s.fields]
    one = f"{kw} {s.name} {{ {'  '.join(fields)} }}" if fields else f"{kw} {s.name} {{}}"
    if len(one) <= MAX_LINE and not field_comments:
        return one
    width = max((len(f.key) for f in s.fields), default=0)
    lines = [f"{kw} {s.name} {{"]
    for i, f in enumerate(s.fields):
        line = f"  {f.key.ljust(width)} = {printer.value(f.value)}"
        if i in field_comments:
            line += "  " + field_comments[i]
        lines.append(line)
    lines.append("}")
    return "\n".join(lines)


def format_text(text: str, file: str = "<string>") -> str:
    """text in the canonical layout; a file whose lines end in \r\n keeps \r\n."""
    crlf = "\r\n" in text and "\n" not in text.replace("\r\n", "")
    text = unify_line_breaks(text)
    formatted = _format(text, file)
    return formatted.replace("\n", "\r\n") if crlf else formatted


def _format(text: str, file: str) -> str:
    module, diags = parse(text, file)
    if module is None:
        raise FormatError(diags)
    stmts = list(module.statements)
    comments = sorted(module.comments, key=lambda c: (c.span.line, c.span.column))
    # who owns each comment
    leading: dict[int, list[tuple[int, str]]] = {i: [] for i in range(len(stmts) + 1)}
    trailing: dict[int, str] = {}
    fields: dict[int, dict[int, str]] = {}
    blank_before: set[int] = set()
    src_lines = text.split("\n")
    for c in comments:
        line = c.span.line
        owner = next(
            (i for i, s in enumerate(stmts) if s.span.line <= line <= s.span.end_line), None
        )
        own_line = src_lines[line - 1][: c.span.column - 1].strip() == ""
        if owner is None:
            nxt = next((i for i, s in enumerate(stmts) if s.span.line > line), len(stmts))
            leading[nxt].append((line, c.text))
            continue
        s = stmts[owner]
        if isinstance(s, (ast.ProviderDecl, ast.ModelDecl)) and not own_line:
            idx = next((k for k, f in enumerate(s.fields) if f.span.end_line == line), None)
            if idx is not None and s.span.line != s.span.end_line:
                fields.setdefault(owner, {})[idx] = c.text
                continue
        if not own_line and line == s.span.end_line and owner not in trailing:
            trailing[owner] = c.text
        else:
            leading[owner].append((line, c.text))  # inside a statement: kept, before it
    # blank lines: one wherever the source had any between two statements (or their comments)
    prev_end = 0
    for i, s in enumerate(stmts):
        first = s.span.line
        lead_lines = [ln for ln, _ in leading[i] if ln < first]
        start = min([first] + lead_lines)
        if i > 0 and any(not src_lines[n - 1].strip() for n in range(prev_end + 1, start)):
            blank_before.add(i)
        prev_end = max(
            s.span.end_line,
            max((c.span.line for c in comments if c.span.line == s.span.end_line), default=0),
        )
    widths = _head_widths(stmts, blank_before, leading)
    table_rows = _catalog_tables(stmts, blank_before, leading, fields)
    out: list[str] = []
    for i, s in enumerate(stmts):
        if i in blank_before and out:
            out.append("")
        out.extend(_with_blanks(leading[i], src_lines, s.span.line))
        if _kind(s) is not None:
            width, lw = widths.get(i, (0, 0))
            head, tail = _parts(s, lw)
            text_ = (head.ljust(width) if len(head) <= width else head) + " " + tail
        elif isinstance(s, (ast.ProviderDecl, ast.ModelDecl)):
            text_ = table_rows.get(i) or _block(s, fields.get(i, {}))
        else:
            text_ = printer.statement(s)
        if i in trailing:
            text_ += "  " + trailing[i]
        out.append(text_)
    if leading[len(stmts)]:
        if out:
            out.append("")
        out.extend(_with_blanks(leading[len(stmts)], src_lines, len(src_lines) + 1))
    result = "\n".join(out).rstrip("\n") + "\n" if out else ""
    again, errors = parse(result, file)
    if again is None or again != module:
        raise FormatError(
            f"internal error: formatting would change the meaning of {file}; please report it"
        )
    kept = sorted(c.text for c in again.comments)
    if kept != sorted(c.text for c in comments):
        raise FormatError(
            f"internal error: formatting would lose a comment in {file}; please report it"
        )
    return result


def _head_widths(
    stmts: list, blank_before: set[int], leading: dict[int, list[tuple[int, str]]]
) -> dict[int, tuple[int, int]]:
    """Heads aligned per run of consecutive statements of one kind (rules, expects, pools):
    per statement, the width its head is padded to and its label's (0: not aligned)."""
    widths: dict[int, tuple[int, int]] = {}
    run: list[int] = []

    def close_run():
        labels = [
            len(stmts[j].label) + 2
            for j in run
            if isinstance(stmts[j], ast.Rule) and stmts[j].label and not stmts[j].is_default
        ]
        lw = max(labels) if len(labels) > 1 else 0
        heads = [len(_parts(stmts[j], lw)[0]) for j in run]
        fit = [h for h in heads if h <= ALIGN_LIMIT]
        for j in run:
            widths[j] = (max(fit) if fit and len(run) > 1 else 0, lw)
        run.clear()

    for i, s in enumerate(stmts):
        kind = _kind(s)
        if run and (kind != _kind(stmts[run[-1]]) or i in blank_before or leading[i]):
            close_run()
        if kind is not None:
            run.append(i)
    if run:
        close_run()
    return widths


def _with_blanks(
    comments: list[tuple[int, str]], src_lines: list[str], stmt_line: int
) -> list[str]:
    """Leading comments, with one blank line wherever the source had blank lines among them
    (or between the last of them and the statement). Comments from inside the statement come
    last; blank lines inside the statement do not count, so the run of comments directly above
    a rule (which its `# policylang: allow` comments are read from) stays one run."""
    out, prev = [], None
    for line, text in comments:
        if prev is not None and any(
            not src_lines[n - 1].strip() for n in range(prev + 1, min(line, stmt_line))
        ):
            out.append("")
        out.append(text)
        prev = line
    if (
        prev is not None
        and prev < stmt_line
        and any(
            not src_lines[n - 1].strip()
            for n in range(prev + 1, min(stmt_line, len(src_lines) + 1))
        )
    ):
        out.append("")
    return out


def _catalog_tables(stmts, blank_before, leading, fields) -> dict[int, str]:
    """Runs of one-line models (or providers) with the same fields, as aligned columns."""
    rows: dict[int, str] = {}
    run: list[int] = []

    def cells(s) -> list[str]:
        kw = "provider" if isinstance(s, ast.ProviderDecl) else "model"
        return (
            [f"{kw} {s.name}", "{"]
            + [f"{f.key} = {printer.value(f.value)}" for f in s.fields]
            + ["}"]
        )

    def close():
        if len(run) > 1:
            table = [cells(stmts[j]) for j in run]
            n = len(table[0])
            if all(len(t) == n for t in table) and all(
                [f.key for f in stmts[j].fields] == [f.key for f in stmts[run[0]].fields]
                for j in run
            ):
                widths = [max(len(t[c]) for t in table) for c in range(n)]
                for j, t in zip(run, table):
                    line = (
                        " ".join(t[0:1]).ljust(widths[0])
                        + " { "
                        + "  ".join(t[c].ljust(widths[c]) for c in range(2, n - 1)).rstrip()
                        + " }"
                    )
                    if len(line) <= MAX_LINE + 20:
                        rows[j] = line
        run.clear()

    for i, s in enumerate(stmts):
        one_line = (
            isinstance(s, (ast.ProviderDecl, ast.ModelDecl))
            and s.fields
            and i not in fields
            and len(_block(s, {}).split("\n")) == 1
        )
        if run and (
            not one_line or type(s) is not type(stmts[run[-1]]) or i in blank_before or leading[i]
        ):
            close()
        if one_line:
            run.append(i)
    close()
    return rows
