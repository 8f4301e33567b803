"""`--format html`: one self-contained page per report, read as HTML (the words, numbers and marks a reader needs,
escaped, loading nothing) and, where Chromium is installed, in a real browser (offline, on a phone, printed)."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from gradcheck.book.bugs import BUGS
from gradcheck.book.kinds import network
from gradcheck.check import config, convergence, loading
from gradcheck.check.run import run, run_bugs
from gradcheck.check.steps import step_numbers
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import RULES, Method
from gradcheck.render import html
from gradcheck.render.console import plain_text
from gradcheck.render.html_markup import MARKS
from gradcheck.render.html_results import WORST
from gradcheck.render.html_style import CSS, PALETTE, TEXT_COLOURS
from gradcheck.render.reports import run_report
from gradcheck.render.svg import LOOKS
from gradcheck.render.teaching import explain_report
from gradcheck.user.grade import grade

GRADE = ROOT / "tests" / "usercode" / "grade"
HOSTILE = "<script>alert(1)</script>"
VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source", "area", "base", "embed", "track"}
SVG_EMPTY = {"circle", "rect", "path", "line", "polyline"}


# --- a small DOM, parsed with the standard library ------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        """Every descendant with this tag (any, if None) whose attributes contain these (class: one of its classes)."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(_has(child, k.rstrip("_"), v) for k, v in attrs.items()):
                    found.append(child)
                found += child.all(tag, **attrs)
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} {attrs}>"
        return found[0]


def _has(node: Node, key: str, value: str) -> bool:
    have = node.attrs.get(key.replace("_", "-"))
    return have is not None and (value in have.split() if key == "class" else have == value)


class _Builder(HTMLParser):
    """Builds the tree and insists that every element is closed where it was opened (no markup left dangling)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in VOID | SVG_EMPTY, f"<{tag}/> is not an empty element"
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed: " + ", ".join(n.tag for n in builder.stack[1:])
    return builder.root


def number(text: str) -> float:
    return float(text.split()[0])


# --- results, made once -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Real results of every kind of page: a clean run, a bug's run with its equations, minchar, the bug matrix, a
    sweep, and a grading of three submissions in a folder whose name is markup."""
    cfg = config.Config()
    with_equations = config.validate({"check": {"equations": True}})
    folder = tmp_path_factory.mktemp("grade") / f"{HOSTILE.replace('/', '_')}"
    folder.mkdir()
    for name in ("correct.py", "untransposed.py", "todo.py"):
        shutil.copy(GRADE / name, folder / name)
    files = tuple(folder / name for name in ("correct.py", "untransposed.py", "todo.py"))
    return {
        "run": run(cfg),
        "bug": run(with_equations, BUGS["untransposed-W"]),
        "minchar": run(loading.load(ROOT / "configs" / "minchar.toml")),
        "bugs": run_bugs(cfg, tuple(BUGS.values())),
        "sweep": convergence.sweep(cfg, tuple(Method)),
        "grade": grade(cfg, files),
        "numbers": step_numbers(cfg, 3),
    }


@pytest.fixture(scope="module")
def pages(results):
    """Every page, as text: {name: html}."""
    return {
        "run": html.run_page(results["run"], "built-in default"),
        "bug": html.run_page(results["bug"], "built-in default"),
        "minchar": html.run_page(results["minchar"], "configs/minchar.toml"),
        "bugs": html.bugs_page(results["bugs"], "built-in default"),
        "sweep": html.sweep_page(results["sweep"], "built-in default"),
        "explain": html.explain_page(results["numbers"], "built-in default"),
        "network": html.network_page(network("lstm"), "book", "configs/lstm-book.toml"),
        "grade": html.grade_page(results["grade"], "built-in default"),
    }


# --- the page as HTML ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "word"), [("run", "PASS"), ("bug", "FAIL"), ("bugs", "PASS"), ("grade", "FAIL"), ("sweep", None)]
)
def test_the_verdict_comes_first(pages, name, word):
    main = parse(pages[name]).one("main")
    first = next(child for child in main.children if isinstance(child, Node))
    assert first.attrs.get("id") == "verdict"
    if word is not None:
        assert first.one("span", class_="badge").text.split() == [MARKS[word], word]
        assert word.lower() in first.attrs["class"].split()


def test_the_verdict_sentence_is_the_terminals(pages, results):
    sentence = parse(pages["bug"]).one(id="verdict-sentence").text
    assert sentence.startswith("3 of 5 parameter gradients disagree: U (")
    assert sentence in " ".join(plain_text(run_report(results["bug"], "built-in default")).split())


def _rows(page: str, table: str) -> dict[str, Node]:
    return {tr.attrs["data-row"]: tr for tr in parse(page).one("table", id=table).all("tr") if "data-row" in tr.attrs}


@pytest.mark.parametrize("name", ["run", "bug", "minchar"])
def test_every_parameter_row_carries_its_numbers(pages, results, name):
    result = results[name]
    rows = _rows(pages[name], "parameters")
    assert list(rows) == [row.name for row in result.params]
    for row in result.params:
        cells = {td.attrs["data-key"]: td.text for td in rows[row.name].all("td") if "data-key" in td.attrs}
        for key in ("max_abs_err", "max_rel_err", "norm_rel_err", "worst_analytic", "worst_numeric", "worst_limit"):
            assert number(cells[key]) == pytest.approx(getattr(row, key), rel=6e-3, abs=1e-300), (row.name, key)
        assert tuple(int(k) for k in re.findall(r"\d+", cells["worst_index"])) == row.worst_index
        assert int(cells["failed"]) == row.failed
        assert cells["verdict"].split()[-1] == row.verdict.name


def _badness(row: ParamResult) -> tuple[bool, float]:
    return row.verdict is Verdict.FAIL, abs(row.worst_analytic - row.worst_numeric) / row.worst_limit


@pytest.mark.parametrize("name", ["run", "bug"])
def test_the_worst_row_is_flagged_in_words_not_only_in_colour(pages, results, name):
    rows = _rows(pages[name], "parameters")
    flagged = [key for key, tr in rows.items() if "worst" in tr.attrs["class"].split()]
    expected = max(results[name].params, key=_badness).name
    assert flagged == [expected]
    assert WORST in rows[expected].one("th").text  # a word and a mark, not just a background
    note = next(p for p in parse(pages[name]).all("p", class_="note") if p.text.startswith(WORST))
    assert f": {expected}, entry " in note.text


def test_a_failing_run_names_its_bug_and_the_equations_it_breaks(pages, results):
    section = parse(pages["bug"]).one("section", id="parameters-diagnosis")
    assert "untransposed-W" in section.text and "as predicted" in section.text
    numbers = [li.one("span", class_="eqno").text for li in section.one("ul", class_="equations").all("li")]
    assert numbers == ["10.21", "10.23", "10.26", "10.28"]  # Wᵀ in 10.21, then b, W and U, which sum through it


def test_a_users_failing_code_gets_its_named_mistake_and_the_equations_it_breaks(pages):
    story = parse(pages["grade"]).all("article")[1]
    assert story.one(class_="mistake").text == "untransposed-W"
    assert "W instead of Wᵀ" in story.one(class_="diagnosis").text
    assert [s.text for s in story.all("span", class_="eqno")] == ["10.21", "10.23", "10.26", "10.28"]


def test_equations_are_typeset_with_their_numbers(pages, results):
    table = parse(pages["bug"]).one("table", id="parameters-equations")
    rows = [tr for tr in table.all("tr") if "data-row" in tr.attrs]
    assert [tr.attrs["data-row"] for tr in rows] == [e.equation.number for e in results["bug"].equations]
    maths = rows[3].one("span", class_="math")  # 10.22, ∇c L = Σ_t ∇o(t)L
    assert maths.attrs["role"] == "math" and maths.attrs["aria-label"] == "∇c L = Σ_t ∇o(t)L"
    assert maths.one("sub").text == "t"
    node = next(tr for tr in rows if tr.attrs["data-row"] == "10.21")
    assert re.fullmatch(r"t=\d+, i=\d+", node.one("td", data_key="worst_index").text)


def test_the_explain_page_cites_every_equation_number_the_terminal_does(pages, results):
    terminal = plain_text(explain_report(results["numbers"], "built-in default"))
    cited = set(re.findall(r"\(10\.\d+(?:–10\.\d+)?\)|10\.\d+", terminal))
    assert {"(10.18)", "(10.12–10.14)", "10.19", "10.21", "10.28"} <= cited
    text = parse(pages["explain"]).one("main").text
    assert sorted(c for c in cited if c not in text) == []
    assert "ŷ − e_y (10.18)" in text  # the numbers' table


def test_the_bug_matrix_marks_each_cell_fails_or_passes(pages, results):
    matrix = _rows(pages["bugs"], "matrix")
    runs = [results["bugs"].clean, *results["bugs"].bugs]
    assert list(matrix) == ["none (clean)", *(r.bug.name for r in results["bugs"].bugs)]
    for tr, result in zip(matrix.values(), runs, strict=True):
        for td in tr.all("td", data_verdict="fail") + tr.all("td", data_verdict="pass"):
            mark = td.one("span", class_="mark")
            verdict = result.rows[td.attrs["data-key"]].verdict
            assert (mark.text, mark.attrs["aria-label"]) == (("✗", "fails") if verdict is Verdict.FAIL else ("·", "passes"))
        assert len(tr.all("span", class_="mark")) == len(result.rows)
    assert all(tr.one("td", data_key="caught").text == "yes" for tr in list(matrix.values())[1:])


def test_the_sweep_is_drawn_as_inline_svg_with_a_title_and_labelled_axes(pages, results):
    sweep = results["sweep"]
    lede = parse(pages["sweep"]).one(id="verdict-sentence").text
    for method in Method:  # the figure's message in words: where each method's error bottoms out
        lowest = min(float(np.min(c[np.isfinite(c)])) for c in sweep.errors[method.value].values())
        assert f"{RULES[method].title}: smallest {lowest:.2e} at ε = " in lede
    figures = parse(pages["sweep"]).one(id="figure").all("svg", class_="plot")
    assert len(figures) == len(sweep.config.checked_params)
    for svg in figures:
        assert svg.attrs["role"] == "img" and svg.one("title").text.endswith("log-log")
        assert {"step ε", "relative error"} <= {t.text for t in svg.all("text")}
        dashes = [p.attrs.get("stroke-dasharray", "") for p in svg.all("path") if p.attrs.get("fill") == "none"]
        assert len(set(dashes)) == len(Method)  # each method's line drawn its own way, not only in its own colour
        curves = [sweep.errors[m.value][svg.one("title").text.split()[0][1:]] for m in Method]
        markers = [n for n in svg.all() if n.tag in ("circle", "rect", "path") and n.attrs.get("fill") == "#fff"]
        assert len(markers) == sum(int((np.isfinite(c) & (c > 0)).sum()) for c in curves)


@pytest.mark.parametrize("name", ["run", "bug", "minchar", "bugs", "sweep", "explain", "network", "grade"])
def test_a_page_references_nothing_outside_itself(pages, name):
    page = pages[name]
    assert not re.search(r"https?:|//[a-z]|<script|<link|<img|<iframe|@import|url\(", page, re.IGNORECASE)
    nodes = parse(page).all()
    for node in nodes:
        for key in ("src", "href", "xlink:href", "action", "data"):
            assert node.attrs.get(key, "#").startswith("#"), (node.tag, key, node.attrs[key])
    ids = [node.attrs["id"] for node in nodes if "id" in node.attrs]
    assert len(ids) == len(set(ids))  # every id once: each link, label and caption points at one element
    assert {node.attrs["href"][1:] for node in nodes if "href" in node.attrs} <= set(ids)
    assert {ref for node in nodes for ref in node.attrs.get("aria-labelledby", "").split()} <= set(ids)


def test_the_minchar_page_stays_under_200_kb(pages):
    assert len(pages["minchar"].encode("utf-8")) < 200_000


def test_user_strings_are_escaped(results, pages):
    page = html.run_page(results["bug"], HOSTILE + "\udcff\x00.toml")  # markup, an undecodable byte and a NUL
    assert "<script" not in page.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;\ufffd\ufffd.toml" in page
    page.encode("utf-8")  # no lone surrogate left
    assert "<script" not in pages["grade"].lower()
    assert all(
        HOSTILE.replace("/", "_") in file for file in _rows(pages["grade"], "submissions")
    )  # the folder's name, intact as text


def test_every_submission_has_its_row_and_its_story(pages, results):
    grading = results["grade"]
    rows = _rows(pages["grade"], "submissions")
    assert [tr.one("td", data_key="verdict").text.split()[-1] for tr in rows.values()] == ["PASS", "FAIL", "ERROR"]
    assert "not implemented yet" in list(rows.values())[2].one("td", data_key="note").text
    stories = parse(pages["grade"]).all("article")
    assert len(stories) == len(grading.submissions)
    assert "NotImplementedError" in stories[2].text or "not implemented" in stories[2].text


def _luminance(colour: str) -> float:
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_meet_wcag_aa_contrast():
    assert set(re.findall(r"#[0-9a-fA-F]{3,6}\b", CSS)) <= set(PALETTE.values())  # no colour outside the palette
    for text, back in TEXT_COLOURS:
        assert _contrast(PALETTE[text], PALETTE[back]) >= 4.5, (text, back)
    for method, look in LOOKS.items():  # lines and markers: 3:1 for graphics (WCAG 1.4.11)
        assert _contrast(look.colour, "#ffffff") >= 3.0, method


# --- in a browser -------------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need the playwright package")
    if not CHROMIUM.exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def files(pages, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    for name, page in pages.items():
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
    return {name: (folder / f"{name}.html").as_uri() for name in pages}


@dataclass
class Visit:
    page: object
    requests: list[str]
    errors: list[str]


@pytest.fixture
def visit(browser):
    """visit(url, width, height): the page loaded, with every request it made and every console or page error."""
    opened = []

    def load(url: str, width: int = 1280, height: int = 800) -> Visit:
        page = browser.new_page(viewport={"width": width, "height": height})
        opened.append(page)
        seen = Visit(page, [], [])
        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: seen.errors.append(str(error)))
        page.goto(url, wait_until="load")
        return seen

    yield load
    for page in opened:
        page.close()


PAGES = ["run", "bug", "minchar", "bugs", "sweep", "explain", "network", "grade"]


@pytest.mark.parametrize("name", PAGES)
def test_a_page_loads_offline_with_no_error_and_no_request(visit, files, name):
    seen = visit(files[name])
    assert seen.requests == [files[name]]
    assert seen.errors == []


@pytest.mark.parametrize("name", ["run", "bug", "minchar"])
def test_the_verdict_and_every_row_are_in_the_dom(visit, files, results, name):
    page = visit(files[name]).page
    result = results[name]
    assert page.inner_text("#verdict .badge").split()[-1] == result.verdict.name
    cells = page.eval_on_selector_all(
        "#parameters tbody tr",
        "rows => rows.map(r => [r.dataset.row, ...[...r.querySelectorAll('td[data-key]')].map(td => td.innerText)])",
    )
    assert [row[0] for row in cells] == [row.name for row in result.params]
    for (_, max_abs, max_rel, *_rest), row in zip(cells, result.params, strict=True):
        assert number(max_abs) == pytest.approx(row.max_abs_err, rel=6e-3, abs=1e-300)
        assert number(max_rel) == pytest.approx(row.max_rel_err, rel=6e-3, abs=1e-300)
        assert _rest[-1].split()[-1] == row.verdict.name


def _unfilter(kind: int, line: bytes, previous: bytes, bpp: int) -> bytes:
    """One scanline's bytes from its PNG filter type (0 none, 1 left, 2 up, 3 average, 4 nearest-neighbour predictor)
    and the row above."""
    if kind == 0:
        return line
    if kind == 2:  # uint8 arithmetic wraps modulo 256, as the filters do
        return (np.frombuffer(line, np.uint8) + np.frombuffer(previous, np.uint8)).tobytes()
    if kind == 1:  # a running sum along each channel
        return np.frombuffer(line, np.uint8).reshape(-1, bpp).cumsum(axis=0, dtype=np.uint8).tobytes()
    row = bytearray(line)
    for x in range(len(row)):  # average and predictor: each byte depends on the one decoded before it
        a = row[x - bpp] if x >= bpp else 0
        b = previous[x]
        if kind == 3:
            row[x] = (row[x] + (a + b) // 2) & 255
            continue
        c = previous[x - bpp] if x >= bpp else 0
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
        row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return bytes(row)


def _pixels(png: bytes) -> np.ndarray:
    """A PNG screenshot (8-bit RGB or RGBA, not interlaced) decoded with zlib alone: height × width × channels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: dict[bytes, bytes] = {}
    pos = 8
    while pos < len(png):
        (size,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        chunks[kind] = chunks.get(kind, b"") + png[pos + 8 : pos + 8 + size]
        pos += 12 + size
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(chunks[b"IDAT"]), 1 + width * bpp
    rows, previous = [], bytes(width * bpp)
    for y in range(height):
        previous = _unfilter(raw[y * stride], raw[y * stride + 1 : (y + 1) * stride], previous, bpp)
        rows.append(previous)
    return np.frombuffer(b"".join(rows), np.uint8).reshape(height, width, bpp)


@pytest.mark.parametrize("name", ["bug", "bugs", "sweep", "grade"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844)])
def test_a_screenshot_is_not_blank_and_a_phone_never_scrolls_sideways(visit, files, name, width, height):
    page = visit(files[name], width, height).page
    pixels = _pixels(page.screenshot())
    assert pixels.shape[:2] == (height, width)
    rgb = pixels[..., :3].astype(np.int32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    assert len(colours) > 16  # text, badges, rules: far more than a blank or single-colour page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 390 and name == "bug":  # the wide table scrolls inside its own box instead
        assert page.eval_on_selector("#parameters", "t => t.parentElement.scrollWidth > t.parentElement.clientWidth")


@pytest.mark.parametrize("name", ["bug", "sweep"])
def test_a_page_prints_to_pdf(visit, files, name):
    pdf = visit(files[name]).page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


# --- the command line: --format html on every command that has a page ------------------------------------------------

GRADE_FILES = ROOT / "tests" / "usercode" / "grade"
CLI_PAGES = {  # name: (arguments, exit code, a verdict word the page must show)
    "run": (("run", "--bug", "untransposed-W"), 1, "FAIL"),
    "bugs": (("bugs",), 0, "PASS"),
    "explain": (("explain", "--t", "2"), 0, "10.18"),
    "network": (("explain", ROOT / "configs" / "gru-common.toml"), 0, "10.46"),
    "sweep": (("sweep", "--params", "c", "--methods", "central"), 0, "central"),
    "grade": (("grade", GRADE_FILES / "correct.py", GRADE_FILES / "untransposed.py"), 1, "untransposed-W"),
}


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    """Each page written by the command line with -o: {name: the file}."""
    from click.testing import CliRunner

    from gradcheck.cli import cli

    folder = tmp_path_factory.mktemp("cli")
    written = {}
    for name, (args, code, _) in CLI_PAGES.items():
        out = folder / f"{name}.html"
        result = CliRunner().invoke(cli, [*map(str, args), "--format", "html", "-o", str(out)], catch_exceptions=False)
        assert result.exit_code == code, (name, result.stdout, result.stderr)
        written[name] = out
    return written


@pytest.mark.parametrize("name", list(CLI_PAGES))
def test_every_command_writes_its_page_with_format_html(cli_files, name):
    text = cli_files[name].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert CLI_PAGES[name][2] in text and "http://" not in text and "https://" not in text


def test_a_page_goes_to_stdout_without_o(cli):
    result = cli("run", "--format", "html", code=0)
    assert result.stdout.startswith("<!DOCTYPE html>") and "PASS" in result.stdout


def test_a_page_never_overwrites_its_config(cli, assert_one_line_error, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[data]\nlength = 3\n", encoding="utf-8")
    for command in ("bugs", "sweep", "explain"):
        assert_one_line_error(cli(command, config, "--format", "html", "-o", config), 2, "refusing to overwrite an input")
    assert config.read_text(encoding="utf-8") == "[data]\nlength = 3\n"


@pytest.mark.parametrize("name", list(CLI_PAGES))
def test_a_page_the_command_line_wrote_loads_offline_with_no_error(visit, cli_files, name):
    seen = visit(cli_files[name].as_uri())
    assert seen.errors == [] and seen.requests == [cli_files[name].as_uri()]


def test_the_sweep_page_and_its_figure_need_two_names(cli, assert_one_line_error, tmp_path):
    same = tmp_path / "same.svg"
    result = cli("sweep", "--params", "c", "--plot", same, "--format", "html", "-o", same)
    assert_one_line_error(result, 2, "is also the --plot file")
    assert not same.exists()
