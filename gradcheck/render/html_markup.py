"""The HTML every page is made of: escaped text, typeset formulas, badges, sections, tables, the document around
them; and the terminal's rich renderables converted into them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck.render.grade import NOT_XML
from gradcheck.render.html_style import CSP, CSS
from gradcheck.render.tables import Fitted

MARKS = {"PASS": "✓", "FAIL": "✗", "UNDECIDED": "?", "ERROR": "!"}
SUBSCRIPT = re.compile(r"_\{([^{}]*)\}|_([A-Za-z0-9]+)")


def esc(text: str) -> str:
    """Text as HTML: markup characters escaped, and characters HTML cannot hold (controls, lone surrogates of an
    undecodable path) shown as U+FFFD."""
    return escape(NOT_XML.sub("\ufffd", text), quote=True)


def plain(renderable: object) -> str:
    """The words of a rich cell, title or line."""
    return renderable.plain if isinstance(renderable, Text) else str(renderable)


def math_html(formula: str) -> str:
    """A formula in plain Unicode, its subscripts typeset (ŷ_{y(t)} → ŷ with y(t) below); read aloud as written."""
    body = SUBSCRIPT.sub(lambda m: f"<sub>{m.group(1) or m.group(2)}</sub>", esc(formula))
    return f'<span class="math" role="math" aria-label="{esc(formula)}">{body}</span>'


def badge(word: str) -> str:
    """PASS, FAIL, UNDECIDED or ERROR, with its mark: the word carries the meaning, the colour repeats it."""
    return f'<span class="badge {word.lower()}"><span aria-hidden="true">{MARKS[word]} </span>{word}</span>'


def sentence(line: Text, word: str) -> str:
    """A terminal verdict line without its leading verdict word (the page shows that as a badge)."""
    return line.plain.removeprefix(word).strip()


def page_header(command: str, title: str, lede: str = "", word: str | None = None, source: str = "") -> str:
    """The first thing on every page: the command and its input, the verdict (where the command has one) with the
    title, and the terminal's verdict sentence."""
    verdict, css = (f"{badge(word)} ", f" {word.lower()}") if word else ("", "")
    where = f" · {esc(source)}" if source else ""
    said = f'<p class="lede" id="verdict-sentence">{esc(lede)}</p>' if lede else ""
    return (
        f'<header id="verdict" class="verdict{css}"><p class="command">gradcheck {esc(command)}{where}</p>'
        f"<h1>{verdict}{esc(title)}</h1>{said}</header>\n"
    )


def section(title: str, body: str, name: str = "") -> str:
    ident = f' id="{name}"' if name else ""
    return f"<section{ident}><h2>{esc(title)}</h2>\n{body}</section>\n" if body else ""


def facts(grid: Table) -> str:
    """A rich key/value grid (a report's header) as a definition list."""
    keys, values = (list(map(plain, column.cells)) for column in grid.columns[:2])
    items = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in zip(keys, values, strict=True))
    return f'<dl class="facts">{items}</dl>\n'


def table_html(caption: str, heads: Sequence[tuple[str, bool]], body: Iterable[str], name: str) -> str:
    """A table in its own horizontally scrolling box, labelled by the caption above it; heads: (text, numeric)."""
    head = "".join(f'<th scope="col" class="{"num" if numeric else ""}">{esc(text)}</th>' for text, numeric in heads)
    return (
        f'<p class="caption" id="{name}-caption">{esc(caption)}</p>'
        f'<div class="scroll" role="region" tabindex="0" aria-labelledby="{name}-caption">'
        f'<table id="{name}"><thead><tr>{head}</tr></thead><tbody>\n{"".join(body)}</tbody></table></div>\n'
    )


def document(title: str, main: str) -> str:
    """The whole page around `main`."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<meta name="generator" content="gradcheck">\n<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n'
        f"<body>\n<main>\n{main}</main>\n</body>\n</html>\n"
    )


def _rich_table(table: Table, name: str, math_columns: tuple[str, ...] = ("formula",)) -> str:
    """A terminal table as an HTML table: its title, header, cells and caption; formula columns typeset."""
    heads = [(plain(column.header), column.justify == "right") for column in table.columns]
    columns = [list(column.cells) for column in table.columns]
    typeset = [text in math_columns for text, _ in heads]
    rows = []
    for cells in zip(*columns, strict=True):
        tds = (
            f'<td class="{"num" if numeric else "wrap" if maths else ""}">{(math_html if maths else esc)(plain(c))}</td>'
            for c, (_, numeric), maths in zip(cells, heads, typeset, strict=True)
        )
        rows.append(f"<tr>{''.join(tds)}</tr>\n")
    note = f'<p class="note">{esc(plain(table.caption))}</p>\n' if table.caption else ""
    return table_html(plain(table.title or ""), heads, rows, name) + note


def rich_html(renderable: RenderableType, name: str) -> str:
    """A terminal renderable as HTML: a group part by part, a table as a table, a bold line as a heading, a
    paragraph of several lines (a docstring) as text that keeps its lines."""
    if isinstance(renderable, Group):
        return "".join(rich_html(part, f"{name}-{k}") for k, part in enumerate(renderable.renderables))
    if isinstance(renderable, Fitted):
        return _rich_table(renderable.table, name)
    if isinstance(renderable, Table):
        return _rich_table(renderable, name)
    text = plain(renderable)
    if not text.strip():
        return ""
    if isinstance(renderable, Text) and "bold" in str(renderable.style):
        return f"<h2>{esc(text)}</h2>\n"
    return f'<div class="doc">{esc(text)}</div>\n' if "\n" in text else f"<p>{esc(text)}</p>\n"
