"""Nothing lost, nothing hung, no traceback: hostile outputs (an input as output, links, FIFOs, devices, a full or
closed stdout, a broken pipe), SIGTERM, terminals that are not UTF-8, paths that are not UTF-8, and no arguments.

Every case runs with a 10 s timeout, in a subprocess wherever a hang or the real console script is the point."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "configs" / "default.toml"
SMALL = "[model]\ninput_size = 3\nhidden_size = 4\noutput_size = 3\n[data]\nlength = 3\n"


def gradcheck(*args: str | bytes | Path, timeout: float = 10, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """The console script (`python -m gradcheck` runs main()), as bytes, killed after `timeout` seconds."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    env = dict(kwargs.get("env") or os.environ)  # type: ignore[call-overload]
    env.pop("COLUMNS", None)  # the width a pipe gets (160), whatever the test runner's terminal says
    kwargs["env"] = env
    return subprocess.run([sys.executable, "-m", "gradcheck", *args], timeout=timeout, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def text(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[str]:
    """The same result with stdout and stderr as text, for assert_one_line_error."""
    out, err = (stream.decode("utf-8", "replace") for stream in (result.stdout or b"", result.stderr or b""))
    return subprocess.CompletedProcess(result.args, result.returncode, out, err)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cfg.toml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def no_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any check that starts fails the test: a refusal must come before it."""
    from gradcheck.check import run as check

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check started")

    for name in ("run", "export_arrays"):
        monkeypatch.setattr(check, name, started)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- 1. an output that is an input of the same run -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["same", "relative", "symlink", "hardlink"])
@pytest.mark.parametrize("command", ["run", "export", "sweep"])
def test_an_output_that_is_the_config_is_refused_before_the_check(
    cli, assert_one_line_error, no_check, config, tmp_path, monkeypatch, how, command
):
    monkeypatch.chdir(tmp_path)
    output = {
        "same": config,
        "relative": Path("sub/../cfg.toml"),
        "symlink": tmp_path / "link.toml",
        "hardlink": tmp_path / "hard.toml",
    }[how]
    (tmp_path / "sub").mkdir()
    if how == "symlink":
        output.symlink_to(config)
    elif how == "hardlink":
        os.link(config, output)
    before = config.read_bytes()
    option = "--plot" if command == "sweep" else "-o"
    result = cli(command, config, option, output)
    assert_one_line_error(result, 2, f"{output}: is the config {config}", "refusing to overwrite an input")
    assert config.read_bytes() == before and (how != "symlink" or output.is_symlink())
    assert leftovers(tmp_path) == []


def test_an_output_beside_the_config_is_not_refused(cli, config, tmp_path):
    cli("run", config, "--format", "json", "-o", tmp_path / "report.json", code=0)
    assert json.loads((tmp_path / "report.json").read_text())["source"] == str(config)


@pytest.mark.parametrize("how", ["option", "config", "symlink", "forward"])
@pytest.mark.parametrize("fmt", ["json", "html"])
def test_an_output_that_is_the_code_under_check_is_refused_before_the_check(cli, assert_one_line_error, tmp_path, how, fmt):
    code = tmp_path / "mine.py"
    code.write_bytes((ROOT / "examples" / "book_rnn.py").read_bytes())
    before = code.read_bytes()
    args: list[object] = ["--backward", code]
    output: Path = code
    if how == "config":
        config = tmp_path / "c.toml"
        config.write_text('[user]\nbackward = "mine.py"\n', encoding="utf-8")
        args = [config]
    elif how == "symlink":
        output = tmp_path / "report.out"
        output.symlink_to(code)
    elif how == "forward":
        args += ["--forward", f"{code}:forward"]
    result = cli("run", *args, "--format", fmt, "-o", output)
    assert_one_line_error(result, 2, f"{output}: is the code", "mine.py this run checks; refusing to overwrite an input")
    assert code.read_bytes() == before and leftovers(tmp_path) == []


@pytest.fixture
def as_nobody():
    """Run the block with effective ids 65534 (root only), in this process: python itself lives where nobody reads."""
    if os.geteuid() != 0:
        pytest.skip("needs root to act as another user")

    class Nobody:
        def __enter__(self) -> None:
            os.setegid(65534)
            os.seteuid(65534)

        def __exit__(self, *exc: object) -> None:
            os.seteuid(0)
            os.setegid(0)

    return Nobody()


@pytest.mark.parametrize(("mode", "error"), [(0o444, "Permission denied"), (0o666, None)])
def test_an_output_of_another_owner_is_never_taken_over(as_nobody, mode, error):
    """In a directory anyone may write, a rename would replace a read-only file and make anyone's file theirs: a
    read-only one is refused, a writable one is rewritten in place and keeps its owner and mode."""
    import shutil
    import tempfile

    from gradcheck.errors import GradcheckError
    from gradcheck.files import write_text

    shared = Path(tempfile.mkdtemp(prefix="gradcheck-shared-", dir="/tmp"))  # tmp_path's parents are root's only
    try:
        shared.chmod(0o777)
        report = shared / "r.json"
        report.write_text("old")
        report.chmod(mode)
        with as_nobody:
            if error:
                with pytest.raises(GradcheckError, match=f"r.json: cannot write: {error}"):
                    write_text(report, "new")
            else:
                write_text(report, "new")
        assert report.read_text() == ("old" if error else "new") and report.stat().st_uid == 0
        assert stat.S_IMODE(report.stat().st_mode) == mode and leftovers(shared) == []
    finally:
        shutil.rmtree(shared)


# --- 2. links, FIFOs, devices, modes --------------------------------------------------------------------------------


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_output_is_written_through_and_stays_a_link(cli, config, tmp_path, dangling):
    target, link = tmp_path / "real" / "report.json", tmp_path / "report.json"
    target.parent.mkdir()
    if not dangling:
        target.write_text("old")
    link.symlink_to(target)
    cli("run", config, "--format", "json", "-o", link, code=0)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["verdict"] == "pass"
    assert leftovers(tmp_path) == [] and leftovers(target.parent) == []


def test_init_through_a_symlink_and_export_through_a_symlink(cli, config, tmp_path):
    target, link = tmp_path / "real.toml", tmp_path / "link.toml"
    target.write_text("old")
    link.symlink_to(target)
    cli("init", link, "--force", code=0)
    assert link.is_symlink() and "[model]" in target.read_text()
    npz, npz_link = tmp_path / "real.npz", tmp_path / "grads.npz"
    npz_link.symlink_to(npz)
    cli("export", config, "-o", npz_link, code=0)
    assert npz_link.is_symlink() and npz.read_bytes().startswith(b"PK")


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("command", ["run", "export"])
def test_a_fifo_with_a_reader_is_written_in_place(config, tmp_path, command):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_fifo(fifo, got)
    args = ("run", config, "--format", "json", "-o", fifo) if command == "run" else ("export", config, "-o", fifo)
    # the reader may open a moment after the writer tries: retry while it reports no reader
    for _ in range(50):
        result = gradcheck(*args)
        if b"no reader" not in result.stderr:
            break
        time.sleep(0.1)
    assert result.returncode == 0, result.stderr
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and leftovers(tmp_path) == []
    if command == "run":
        assert json.loads(got[0])["verdict"] == "pass"
    else:
        assert got[0].startswith(b"PK")


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("command", ["run", "export", "init"])
def test_a_fifo_without_a_reader_fails_at_once(assert_one_line_error, config, tmp_path, command):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    args = {"run": ("run", config, "-o", fifo), "export": ("export", config, "-o", fifo), "init": ("init", fifo, "--force")}
    result = text(gradcheck(*args[command]))  # a hang is a TimeoutExpired
    assert_one_line_error(result, 2, f"{fifo}: cannot write: no reader")
    assert stat.S_ISFIFO(fifo.stat().st_mode) and leftovers(tmp_path) == []


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A character device under tmp_path: a new /dev/null node if this user may mknod, else a symlink to /dev/null."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        path.symlink_to("/dev/null")
    assert stat.S_ISCHR(path.stat().st_mode)
    return path


@pytest.mark.parametrize("command", ["run", "export", "init"])
def test_a_character_device_is_written_in_place_never_replaced(cli, config, tmp_path, null_device, command):
    args = {
        "run": ("run", config, "-o", null_device),
        "export": ("export", config, "-o", null_device),
        "init": ("init", null_device, "--force"),
    }
    cli(*args[command], code=0)
    assert stat.S_ISCHR(null_device.stat().st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert leftovers(tmp_path) == []


@pytest.fixture
def umask():
    def set_to(mask: int) -> None:
        os.umask(mask)

    old = os.umask(0o022)
    yield set_to
    os.umask(old)


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_a_new_output_gets_the_umask_mode(cli, config, tmp_path, umask, mask):
    umask(mask)
    cli("run", config, "--format", "json", "-o", tmp_path / "r.json", code=0)
    cli("export", config, "-o", tmp_path / "g.npz", code=0)
    cli("init", tmp_path / "new.toml", code=0)
    for name in ("r.json", "g.npz", "new.toml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~mask, name


def test_an_existing_output_keeps_its_mode(cli, config, tmp_path, umask):
    umask(0o077)
    report = tmp_path / "r.json"
    report.write_text("old")
    report.chmod(0o664)
    cli("run", config, "--format", "json", "-o", report, code=0)
    assert stat.S_IMODE(report.stat().st_mode) == 0o664 and json.loads(report.read_text())["verdict"] == "pass"


@pytest.mark.parametrize("command", ["run", "init", "sweep"])
def test_a_hard_linked_output_is_rewritten_for_every_name(cli, config, tmp_path, command):
    output, other = tmp_path / "out.svg", tmp_path / "other-name.svg"
    if command == "init":
        output, other = tmp_path / "out.toml", tmp_path / "other-name.toml"
    output.write_text("old")
    os.link(output, other)
    args = {
        "run": ("run", config, "--format", "json", "-o", output),
        "init": ("init", output, "--force"),
        "sweep": ("sweep", config, "--methods", "central", "--params", "c", "--plot", output),
    }
    cli(*args[command], code=0)
    assert os.path.samefile(output, other) and other.read_bytes() == output.read_bytes() != b"old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_the_sweep_plot_is_written_like_every_output(cli, config, tmp_path, null_device, kind):
    """--plot goes through the same writer: a link stays a link, a FIFO and a device are written in place."""
    plot = {"symlink": tmp_path / "plot.svg", "fifo": tmp_path / "plot.fifo.svg", "device": tmp_path / "dev.svg"}[kind]
    got: list[bytes] = []
    if kind == "device":  # the format comes from the name: a device is reached through a link named *.svg
        plot.symlink_to(null_device)
    elif kind == "symlink":
        plot.symlink_to(tmp_path / "real.svg")
    elif kind == "fifo":
        os.mkfifo(plot)
        reader = _read_fifo(plot, got)
    cli("sweep", config, "--methods", "central", "--params", "c", "--plot", plot, code=0)
    if kind == "symlink":
        assert plot.is_symlink() and (tmp_path / "real.svg").read_bytes().lstrip().startswith(b"<?xml")
    elif kind == "fifo":
        reader.join(10)
        assert stat.S_ISFIFO(plot.stat().st_mode) and got[0].lstrip().startswith(b"<?xml")
    else:
        assert stat.S_ISCHR(plot.stat().st_mode)
    assert leftovers(tmp_path) == []


def test_a_bad_plot_name_is_refused_before_the_sweep(cli, assert_one_line_error, config, tmp_path, monkeypatch):
    from gradcheck.check import convergence

    monkeypatch.setattr(convergence, "sweep", lambda *args: pytest.fail("the sweep started"))
    assert_one_line_error(cli("sweep", config, "--plot", tmp_path / "x.pdf"), 2, "x.pdf: use a .png or .svg")


@pytest.mark.parametrize(
    ("name", "fmt", "fragment"),
    [
        ("a.toml", "yaml", "a.toml: --format yaml does not match the .toml suffix: use .yaml or .yml"),
        ("a.yml", "toml", "a.yml: --format toml does not match the .yml suffix: use .toml"),
        ("a.json", None, "a.json: gradcheck reads only .toml, .yaml and .yml configs: name it a.toml"),
        ("noext", "yaml", "noext: gradcheck reads only .toml, .yaml and .yml configs: name it noext.yaml"),
    ],
)
def test_init_refuses_a_file_name_run_could_not_read(cli, assert_one_line_error, tmp_path, monkeypatch, name, fmt, fragment):
    monkeypatch.chdir(tmp_path)
    result = cli("init", name, *(("--format", fmt) if fmt else ()))
    assert_one_line_error(result, 2, fragment)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("name", "fmt"), [("a.yaml", None), ("b.yml", "yaml"), ("c.TOML", None), ("d.toml", "toml")])
def test_every_file_init_writes_runs(cli, tmp_path, monkeypatch, name, fmt):
    monkeypatch.chdir(tmp_path)
    cli("init", name, *(("--format", fmt) if fmt else ()), code=0)
    cli("run", name, "--params", "c", code=0)


# --- 3. stdout: full, closed, a reader gone --------------------------------------------------------------------------


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("args", [(), ("--format", "json"), ("--format", "junit")])
def test_a_full_stdout_is_one_line_and_exit_2(assert_one_line_error, config, args):
    with open("/dev/full", "wb") as full:
        result = text(gradcheck("run", config, *args, stdout=full))
    assert_one_line_error(result, 2, "error: cannot write the report: No space left on device")


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("command", [("run",), ("schema",), ("bugs", "--list")])
def test_a_closed_stdout_is_one_line_and_exit_2(assert_one_line_error, command):
    result = text(gradcheck(*command, stdout=None, preexec_fn=lambda: os.close(1)))
    assert_one_line_error(result, 2, "error: cannot write the report: stdout is closed")


@pytest.mark.slow  # the console script in a subprocess
def test_run_o_with_a_closed_stdout_fails_on_its_table_and_writes_nothing(assert_one_line_error, config, tmp_path):
    result = text(gradcheck("run", config, "-o", tmp_path / "r.txt", stdout=None, preexec_fn=lambda: os.close(1)))
    assert_one_line_error(result, 2, "cannot write the report: stdout is closed")
    assert not (tmp_path / "r.txt").exists()


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("args", [("run",), ("run", "--format", "json"), ("explain",), ("schema",)])
def test_a_broken_pipe_exits_141_quietly(config, args):
    """The reader went away (`gradcheck run | head -0`): exit 128 + SIGPIPE = 141, as `yes | head` does; nothing on stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "gradcheck", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the child writes anything
    err = proc.stderr.read()
    assert proc.wait(timeout=10) == 141, err
    assert err == b""


@pytest.mark.slow  # the console script in a subprocess
def test_head_1_on_a_long_report_exits_quietly():
    result = subprocess.run(
        f"{sys.executable} -m gradcheck run --bug sign-flip --equations | head -1; echo ${{PIPESTATUS[0]}} >&2",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        timeout=10,
    )
    assert result.stdout.count(b"\n") == 1
    assert result.stderr.decode().strip() in ("141", "1"), result.stderr  # 1 if the whole report fitted the pipe


# --- 4. SIGTERM ------------------------------------------------------------------------------------------------------


SLOW = (
    "import time, gradcheck.check.run as c\n"
    "def slow(*a, **k):\n"
    "    print('started', flush=True)\n"
    "    time.sleep(30)\n"
    "c.run = slow\n"
)


def _terminate(script: str, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script + "from gradcheck.cli import main\nmain()\n", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "started\n"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow  # the console script in a subprocess
def test_sigterm_is_exit_143_and_one_line(assert_one_line_error):
    assert_one_line_error(_terminate(SLOW, "run"), 143, "error: terminated\n")


@pytest.mark.slow  # the console script in a subprocess
def test_sigterm_while_writing_leaves_no_temporary_file(assert_one_line_error, config, tmp_path):
    script = (
        "import time, numpy as np\n"
        "def slow(handle, **k):\n"
        "    handle.write(b'partial'); handle.flush()\n"
        "    print('started', flush=True)\n"
        "    time.sleep(30)\n"
        "np.savez = slow\n"
    )
    output = tmp_path / "g.npz"
    result = _terminate(script, "export", config, "-o", output)
    assert_one_line_error(result, 143, "error: terminated\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.toml"]


@pytest.mark.slow  # the console script in a subprocess
def test_sigterm_restores_the_terminal_cursor(tmp_path):
    """On a terminal the progress bar hides the cursor; SIGTERM must show it again (as Ctrl-C does)."""
    import pty

    script = (
        "import time, gradcheck.check.run as c\n"
        "def slow(cfg, bug, progress):\n"
        "    time.sleep(1.1); progress('U', 1, 10); time.sleep(0.3)\n"
        "    print('started', flush=True)\n"
        "    time.sleep(30)\n"
        "c.run = slow\n"
        "from gradcheck.cli import main\nmain()\n"
    )
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", script, "run"], stdin=child, stdout=child, stderr=child)
    os.close(child)
    seen, deadline = b"", time.monotonic() + 10
    while b"started" not in seen and time.monotonic() < deadline:
        seen += os.read(main, 4096)
    assert b"\x1b[?25l" in seen, seen  # the bar is up and the cursor hidden
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 143
    rest = b""
    try:
        while chunk := os.read(main, 4096):
            rest += chunk
    except OSError:  # EIO: the child is gone
        pass
    os.close(main)
    assert b"\x1b[?25h" in rest and b"error: terminated" in rest and b"Traceback" not in rest, rest


# --- 5. terminals and paths that are not UTF-8 ------------------------------------------------------------------------


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
@pytest.mark.parametrize(
    ("args", "code"),
    [(("run",), 0), (("run", "--bug", "sign-flip", "--params", "b"), 1), (("explain", "--t", "2"), 0), (("bugs", "--list"), 0)],
)
def test_a_terminal_that_is_not_utf8_gets_ascii(encoding, args, code):
    result = gradcheck(*args, env={**os.environ, "PYTHONIOENCODING": encoding})
    assert result.returncode == code, result.stderr
    assert b"Traceback" not in result.stderr
    shown = result.stdout.decode(encoding)  # strict: every byte is in the terminal's encoding
    assert "┃" not in shown and "…" not in shown and "∇" not in shown
    if args == ("run",):
        assert "tau = 10" in shown and "|-------+-------+" in shown  # rich's box.ASCII


@pytest.mark.slow  # the console script in a subprocess
def test_an_error_on_an_ascii_terminal_is_one_line(assert_one_line_error):
    result = gradcheck("run", "--sample", "0", env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert_one_line_error(text(result), 2, "--sample (check.sample)", "an integer >= 1, got 0")  # ≥ in ASCII
    result.stderr.decode("ascii")


@pytest.fixture
def latin1_config(tmp_path: Path) -> Path:
    path = Path(os.fsdecode(tmp_path)) / os.fsdecode(b"caf\xe9.toml")
    try:
        path.write_text(SMALL)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take a name that is not UTF-8")
    return path


@pytest.mark.slow  # the console script in a subprocess
@pytest.mark.parametrize("fmt", ["json", "junit", "markdown", "table"])
@pytest.mark.parametrize("to_file", [False, True])
def test_a_path_that_is_not_utf8_does_not_break_the_reports(latin1_config, tmp_path, fmt, to_file):
    name = os.fsencode(latin1_config)
    output = tmp_path / f"report.{fmt}"
    result = gradcheck("run", os.path.basename(name), "--format", fmt, *(["-o", output] if to_file else []), cwd=tmp_path)
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    data = output.read_bytes() if to_file else result.stdout
    shown = data.decode("utf-8")  # strict
    assert "caf\ufffd" in shown  # the table may shorten a long path with …
    if fmt == "json":
        assert json.loads(shown)["source"].endswith("caf\ufffd.toml")
    elif fmt == "junit":
        suites = ET.fromstring(data)
        assert suites.find("testsuite") is not None


@pytest.mark.slow  # the console script in a subprocess
def test_a_path_that_is_not_utf8_in_an_error_and_in_init(assert_one_line_error, tmp_path):
    missing = os.fsencode(tmp_path) + b"/caf\xe9.toml"
    result = gradcheck("run", missing)
    assert_one_line_error(text(result), 2, "no such file")
    made = gradcheck("init", missing)
    assert made.returncode == 0 and b"Traceback" not in made.stderr, made.stderr
    assert os.path.exists(missing) and gradcheck("run", missing).returncode == 0


# --- 6. no arguments ------------------------------------------------------------------------------------------------


def test_no_arguments_prints_the_help(cli):
    result = cli()
    assert result.exit_code == 2
    assert "Usage: gradcheck" in result.stderr and "Commands:" in result.stderr and "run" in result.stderr
    assert not result.stderr.startswith("error:") and result.stderr.count("\n") > 5


@pytest.mark.slow  # the console script in a subprocess
def test_no_arguments_from_the_console_script():
    result = gradcheck()
    assert result.returncode == 2 and b"Usage: gradcheck" in result.stderr and b"Traceback" not in result.stderr
    assert not result.stderr.startswith(b"error:") and result.stderr.count(b"\n") > 5


def test_a_real_error_stays_one_line(cli, assert_one_line_error):
    assert_one_line_error(cli("frob"), 2, "No such command 'frob'")
    assert_one_line_error(cli("export"), 2, "Missing option '-o'")
