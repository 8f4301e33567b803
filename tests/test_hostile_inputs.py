"""Hostile config files and options: nothing lost, nothing hung, no traceback (one line, exit 2, file, key, reason)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from gradcheck.check import loading
from gradcheck.options import MemorySize

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--sample", "2", "--method", "complex-step"]


def _within(seconds: float, call: object) -> object:
    """call() in a thread; fail (instead of hanging the suite) if it has not returned after `seconds`."""
    box: dict[str, object] = {}
    thread = threading.Thread(target=lambda: box.update(value=call()), daemon=True)  # type: ignore[operator]
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return box["value"]


class TestFilesThatAreNotFiles:
    def test_a_fifo_is_refused_without_waiting_for_a_writer(self, cli, assert_one_line_error, tmp_path):
        fifo = tmp_path / "x.toml"
        os.mkfifo(fifo)
        result = _within(10, lambda: cli("run", fifo))
        assert_one_line_error(result, 2, "x.toml: not a regular file (a FIFO)")

    @pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
    def test_a_symlink_to_a_character_device_is_refused(self, cli, assert_one_line_error, tmp_path, device):
        if not Path(device).exists():
            pytest.skip(f"no {device}")
        link = tmp_path / "x.yaml"
        link.symlink_to(device)
        result = _within(10, lambda: cli("run", link))
        assert_one_line_error(result, 2, "x.yaml: not a regular file (a character device)")

    def test_the_format_is_checked_before_opening(self, cli, assert_one_line_error, tmp_path):
        fifo = tmp_path / "x.json"
        os.mkfifo(fifo)
        result = _within(10, lambda: cli("run", fifo))
        assert_one_line_error(result, 2, "x.json: unknown config format '.json'")

    def test_a_file_that_grows_after_stat_is_read_bounded(self, monkeypatch, tmp_path):
        """st_size is not trusted: whatever it says, at most MAX_CONFIG_BYTES + 1 bytes are read."""
        path = tmp_path / "big.toml"
        path.write_bytes(b"#" * 5000 + b"\n")
        monkeypatch.setattr(loading, "MAX_CONFIG_BYTES", 100)
        real_fstat = os.fstat

        class Small:  # an fstat that claims the file is tiny, as if it grew after the check
            def __init__(self, fd: int) -> None:
                self.st_mode, self.st_size = real_fstat(fd).st_mode, 10

        monkeypatch.setattr(loading.os, "fstat", Small)
        read: list[int] = []
        real_fdopen = os.fdopen

        def fdopen(fd: int, mode: str) -> object:
            file = real_fdopen(fd, mode)
            real_read = file.read
            file.read = lambda n=-1: read.append(n) or real_read(n)  # type: ignore[method-assign]
            return file

        monkeypatch.setattr(loading.os, "fdopen", fdopen)
        with pytest.raises(loading.ConfigError, match="more than 100 bytes is too large"):
            loading.load(path)
        assert read == [101]


class TestYaml:
    def test_exponent_numbers_are_floats(self, cli, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("check:\n  tolerance: fixed\n  rtol: 1e-5\n  atol: 2E-8\n  eps: 1e-6\n", encoding="utf-8")
        config = loading.load(path)
        assert (config.check.rtol, config.check.atol, config.check.eps) == (1e-5, 2e-8, 1e-6)
        cli("run", path, *FAST, code=0)

    def test_a_duplicate_key_is_an_error(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("model:\n  hidden_size: 4\nmodel:\n  hidden_size: 5\n", encoding="utf-8")
        assert_one_line_error(cli("run", path), 2, "c.yaml: line 3, column 1: the key 'model' is given twice")

    def test_a_duplicate_nested_key_is_an_error(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "c.yaml"
        path.write_text("check:\n  rtol: 0.1\n  rtol: 0.2\n", encoding="utf-8")
        assert_one_line_error(cli("run", path), 2, "line 3, column 3: the key 'rtol' is given twice")

    @pytest.mark.parametrize(
        ("name", "text"), [("c.toml", "[model]\nhidden_size = 5\n"), ("c.yaml", "model:\n  hidden_size: 5\n")]
    )
    def test_a_byte_order_mark_is_stripped(self, tmp_path, name, text):
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        assert loading.load(path).model.hidden_size == 5


class TestMessages:
    def test_a_huge_unknown_key_gives_a_short_line(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "c.toml"
        path.write_text("[model]\n" + "k" * 500_000 + " = 1\n", encoding="utf-8")
        result = cli("run", path)
        assert_one_line_error(result, 2, "c.toml: model.kkkk", "…: unknown key")
        assert len(result.stderr) < 500

    @pytest.mark.parametrize(
        ("name", "text", "shown"),
        [
            ("c.toml", "[data]\nseed = 1979-05-27\n", "got 1979-05-27"),
            ("c.yaml", "data:\n  seed: 1979-05-27\n", "got 1979-05-27"),
            ("c.toml", "[data]\ntext = 1979-05-27T07:32:00\n", "got 1979-05-27T07:32:00"),
            ("c.toml", "[data]\ntext = 07:32:00\n", "got 07:32:00"),
            ("c.toml", "[data]\ntext = [1979-05-27]\n", "got [1979-05-27]"),
        ],
    )
    def test_dates_are_shown_as_written(self, cli, assert_one_line_error, tmp_path, name, text, shown):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = cli("run", path)
        assert_one_line_error(result, 2, shown)
        assert "datetime" not in result.stderr


class TestMaxMemory:
    @pytest.mark.parametrize(
        ("text", "size"),
        [
            ("100B", 100),
            ("100b", 100),
            ("3K", 3 * 2**10),
            ("3KB", 3 * 2**10),
            ("3KiB", 3 * 2**10),
            ("5M", 5 * 2**20),
            ("5", 5 * 2**20),
            ("1.5G", 3 * 2**29),
            ("2GiB", 2 * 2**30),
            ("1T", 2**40),
        ],
    )
    def test_units(self, text, size):
        assert MemorySize().convert(text, None, None) == size

    @pytest.mark.parametrize("text", ["0", "0.5B", "100iB", "12X", "-1M", "M"])
    def test_bad_sizes(self, cli, assert_one_line_error, text):
        assert_one_line_error(cli("run", "--max-memory", text), 2, "--max-memory", "must be a size such as 500M or 4G")

    def test_100_bytes_is_too_little_for_anything(self, cli, assert_one_line_error):
        assert_one_line_error(cli("run", "--max-memory", "100B"), 2, "but --max-memory is 100")


class TestContradictions:
    def test_sample_with_directions_in_a_file(self, cli, assert_one_line_error, tmp_path):
        path = tmp_path / "c.toml"
        path.write_text("[check]\nsample = 3\ndirections = 2\n", encoding="utf-8")
        assert_one_line_error(cli("run", path), 2, "c.toml: check.sample: cannot be combined with check.directions")

    @pytest.mark.parametrize(
        ("text", "args", "fragment"),
        [
            ("", ["--dense-directions"], "--dense-directions (check.dense_directions): is for a directional check"),
            ("[check]\ndense_directions = true\n", [], "c.toml: check.dense_directions: is for a directional check"),
            ('[model]\nkind = "lstm"\nlayers = 3\n', [], 'c.toml: model.layers: is the depth of model.kind = "deep"'),
            (
                '[model]\nkind = "fig-10.5"\n[data]\ntokens = [0, 1, 2]\ntargets = [1, 2, 3]\n',
                [],
                "c.toml: data.targets: has 3 entries, but fig-10.5 has one output, at t = τ: give its one target",
            ),
            ("", ["--layout", "cs231n"], "--layout (user.layout): says how to call user.backward (--backward)"),
            ('[user]\nlayout = "cs231n"\n', [], "c.toml: user.layout: says how to call user.backward"),
        ],
    )
    def test_a_key_that_does_nothing_here_is_refused(self, cli, assert_one_line_error, tmp_path, text, args, fragment):
        path = tmp_path / "c.toml"
        path.write_text(text, encoding="utf-8")
        assert_one_line_error(cli("run", *([path] if text else []), *args), 2, fragment)

    def test_fig_10_5_takes_one_target_and_its_length_from_the_tokens(self, cli, tmp_path):
        path = tmp_path / "c.toml"
        path.write_text('[model]\nkind = "fig-10.5"\n[data]\ntokens = [0, 1, 2]\ntargets = [3]\n', encoding="utf-8")
        report = json.loads(cli("run", path, "--format", "json", code=0).stdout)
        assert report["sizes"]["tau"] == 3 and report["verdict"] == "pass"

    @pytest.mark.parametrize("command", ["bugs", "taylor", "sweep"])
    def test_a_command_that_checks_the_book_refuses_a_config_naming_user_code(
        self, cli, assert_one_line_error, tmp_path, command
    ):
        path = tmp_path / "c.toml"
        path.write_text(f'[user]\nbackward = "{ROOT / "examples" / "book_rnn.py"}"\n', encoding="utf-8")
        fragment = f"c.toml: user.backward: `gradcheck {command}` checks the book's backward pass, not your code"
        assert_one_line_error(cli(command, path), 2, fragment)

    def test_bugs_has_no_option_for_user_code(self, cli, assert_one_line_error):
        assert_one_line_error(cli("bugs", "--backward", ROOT / "examples" / "book_rnn.py"), 2, "No such option '--backward'")

    def test_explain_t_is_for_fig_10_3_only(self, cli, assert_one_line_error):
        result = cli("explain", ROOT / "configs" / "lstm-classic.toml", "--t", "1000")
        assert_one_line_error(result, 2, "--t: the numbers at step t are those of Fig. 10.3's 10.18", 'model.kind = "lstm"')

    def test_sample_with_directions_as_options(self, cli, assert_one_line_error):
        result = cli("run", "--sample", "3", "--directions", "2")
        assert_one_line_error(result, 2, "--sample (check.sample): cannot be combined with --directions (check.directions)")

    @pytest.mark.parametrize(
        ("text", "option", "fragment"),
        [
            ("sample = 3", "--directions", "c.toml: check.sample: cannot be combined with --directions (check.directions)"),
            ("directions = 3", "--sample", "c.toml: --sample (check.sample): cannot be combined with check.directions"),
        ],
    )
    def test_an_option_against_a_key_of_the_file_names_both(self, cli, assert_one_line_error, tmp_path, text, option, fragment):
        path = tmp_path / "c.toml"
        path.write_text(f"[check]\n{text}\n", encoding="utf-8")
        assert_one_line_error(cli("run", path, option, "2"), 2, fragment)

    def test_a_bad_option_with_a_good_file_does_not_blame_the_file(self, cli, tmp_path):
        path = tmp_path / "c.toml"
        path.write_text("[check]\nsample = 3\n", encoding="utf-8")
        result = cli("run", path, "--eps", "-1", code=2)
        assert result.stderr.startswith("error: --eps (check.eps): must be") and "c.toml" not in result.stderr

    def test_directions_alone_still_runs(self, cli):
        cli("run", "--directions", "2", "--method", "complex-step", code=0)

    def _report(self, cli, *args: object) -> dict[str, object]:
        result = cli("run", *args, "--format", "json")
        assert result.exit_code in (0, 1, 3), result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    def test_rtol_on_the_command_line_beats_tolerance_auto_in_the_file(self, cli, tmp_path):
        path = tmp_path / "c.toml"
        path.write_text('[check]\ntolerance = "auto"\n', encoding="utf-8")
        assert self._report(cli, path, *FAST)["tolerance"] == "auto"
        report = self._report(cli, path, *FAST, "--rtol", "1e-3")
        assert report["tolerance"] == "fixed"
        assert report["config"]["check"]["tolerance"] == "fixed"  # type: ignore[index]

    @pytest.mark.parametrize("given", [["--rtol", "1e-3"], ["--atol", "1e-9"], ["--rtol", "1e-3", "--atol", "1e-9"]])
    def test_tolerance_auto_with_a_fixed_line_on_the_command_line_is_refused(self, cli, assert_one_line_error, given):
        result = cli("run", *given, "--tolerance", "auto")
        assert_one_line_error(result, 2, "set the fixed pass line, which --tolerance auto (check.tolerance) does not use")

    @pytest.mark.parametrize(
        "text",
        [
            "[check]\nrtol = 1e-3\n",  # tolerance implied fixed
            '[model]\nhidden_size = 4\n[data]\ntext = "hello world"\n',  # sizes derived from the text
            "[data]\ntokens = [0, 1, 2]\ntargets = [1, 2, 0]\n",  # length derived from the tokens
        ],
    )
    def test_the_dumped_config_reproduces_the_run(self, cli, tmp_path, text):
        path = tmp_path / "c.toml"
        path.write_text(text, encoding="utf-8")
        first = self._report(cli, path, *FAST)
        dumped = tmp_path / "dumped.yaml"
        dumped.write_text(json.dumps(first["config"]), encoding="utf-8")  # JSON is YAML
        again = self._report(cli, dumped)
        for key in ("config", "sizes", "tolerance", "loss", "parameters", "verdict"):
            assert again[key] == first[key], key
