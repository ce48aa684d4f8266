"""The message catalogue (``ndgrad.i18n``) and the demos in Chinese."""

from __future__ import annotations

import io
import os
import re
import string
import subprocess
import sys

import pytest

from ndgrad import cli, i18n
from ndgrad.cli import demo, demo_optimize, demo_train
from ndgrad.i18n import messages_en, messages_zh

TERMS = ("叶子节点", "梯度", "偏导数", "方向导数", "二阶偏导数", "计算图", "反向传播")
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture
def no_language_env(monkeypatch):
    for var in ("NDGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_no_message_key_exists_in_one_language_only():
    en, zh = set(messages_en.MESSAGES), set(messages_zh.MESSAGES)
    assert sorted(en - zh) == [], "keys missing in Chinese"
    assert sorted(zh - en) == [], "keys missing in English"


def test_every_message_has_the_same_format_fields_in_both_languages():
    for key, text in messages_en.MESSAGES.items():
        assert fields(text) == fields(messages_zh.MESSAGES[key]), key


def test_the_chinese_catalogue_is_chinese_except_code_and_plot_labels():
    english_on_purpose = {k for k in messages_en.MESSAGES if ".plot." in k}
    english_on_purpose |= {"explain.at", "optimize.col.value", "demo.s6.col.hessian"}
    english_on_purpose |= {"optimize.opt.Adam", "optimize.opt.L-BFGS"}
    for key, text in messages_zh.MESSAGES.items():
        if key not in english_on_purpose:
            assert CJK.search(text), f"{key} is not translated: {text!r}"


def test_message_fills_fields_and_names_a_missing_key():
    assert i18n.message("demo.step", "en", number=2, total=9, title="T") == "Step 2/9. T"
    with pytest.raises(KeyError, match="no message 'nope'"):
        i18n.message("nope", "en")


def test_language_comes_from_the_argument_then_ndgrad_lang_then_the_locale(no_language_env):
    env = no_language_env
    assert i18n.detect_language() == "en"
    env.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.detect_language() == "zh"
    env.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL overrides LANG
    assert i18n.detect_language() == "en"
    env.delenv("LC_ALL")
    env.setenv("NDGRAD_LANG", "en")  # NDGRAD_LANG overrides the locale
    assert i18n.detect_language() == "en"
    assert i18n.detect_language("zh") == "zh"  # the argument overrides everything
    with i18n.use_language("zh"):
        assert i18n.detect_language() == "zh"
    assert i18n.detect_language() == "en"
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.detect_language("fr")


@pytest.fixture(scope="module")
def zh_demo() -> str:
    out = io.StringIO()
    demo.walkthrough(out, lang="zh")
    return out.getvalue()


def test_the_chinese_demo_uses_the_tutorials_terms(zh_demo):
    for term in TERMS:
        assert term in zh_demo, term
    assert "第 1/9 步：叶子节点" in zh_demo


def test_the_chinese_demo_leaves_no_english_explanation_behind(zh_demo):
    for key, text in messages_en.MESSAGES.items():
        if key.startswith("demo."):
            longest = max(re.split(r"\{[^}]*\}", text), key=len)
            if len(longest) >= 20:
                assert longest[:30] not in zh_demo, f"English text of {key} in the Chinese demo"
    for line in zh_demo.splitlines():
        if line.startswith("  -> "):
            assert CJK.search(line), line


def test_the_chinese_demo_keeps_code_and_numbers_as_they_are(zh_demo):
    assert "  >>> y = 3 * x ** 2" in zh_demo
    assert "x.grad               tensor([ 6., 12., 18.])" in zh_demo
    assert "f_xy == f_yx：True" in zh_demo
    assert "TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'" in zh_demo
    assert re.search(r"f_yy\s+-0\.909297\s+-sin y\s+= -0\.909297", zh_demo)


def test_the_chinese_demo_fits_100_terminal_columns(zh_demo):
    for line in zh_demo.splitlines():
        assert demo._width(line) <= 100, line


def test_ndgrad_demo_lang_zh_exits_0_without_warnings():
    r = subprocess.run(
        [sys.executable, "-m", "ndgrad.cli", "demo", "--lang", "zh"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "反向传播" in r.stdout


def test_the_demo_language_follows_the_locale_and_ndgrad_lang(no_language_env, capsys):
    env = no_language_env
    env.setenv("LANG", "zh_CN.UTF-8")
    assert cli.main(["demo", "--no-color"]) == 0
    assert "叶子节点" in capsys.readouterr().out
    env.setenv("NDGRAD_LANG", "en")
    assert cli.main(["demo", "--no-color"]) == 0
    assert "A leaf tensor" in capsys.readouterr().out
    assert cli.main(["demo", "--lang", "zh"]) == 0  # --lang overrides NDGRAD_LANG
    assert "叶子节点" in capsys.readouterr().out


def test_an_unknown_language_is_a_usage_error(capsys):
    assert cli.main(["demo", "--lang", "fr"]) == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_demo_optimize_lang_zh_prints_chinese_headings(monkeypatch, capsys):
    def fake(problem, name, progress=True):  # the headings, without the 20000 iterations
        return demo_optimize.Result(problem.name, name, 7, True, [1.0, 1.0], 0.0, [])

    monkeypatch.setattr(demo_optimize, "minimise", fake)
    assert cli.main(["demo", "optimize", "--lang", "zh", "--no-progress"]) == 0
    out = capsys.readouterr().out
    for text in ("优化器", "迭代次数", "终点", "梯度下降", "动量法", "起点", "收敛：梯度的范数"):
        assert text in out, text
    assert "optimiser" not in out
    assert "Converged" not in out


def test_demo_train_lang_zh_prints_chinese_sentences(monkeypatch, capsys):
    def fake(progress=True, seed=0, lang=None):
        return demo_train.Trained(None, 12, 0.05, 0.995, 0.99)

    monkeypatch.setattr(demo_train, "train", fake)
    assert cli.main(["demo", "train", "--lang", "zh", "--no-progress"]) == 0
    out = capsys.readouterr().out
    for text in ("双螺旋", "训练轮数：12（达到了 95% 的训练准确率）", "训练准确率：99.5%"):
        assert text in out, text
    assert "accuracy" not in out


def test_wrap_breaks_chinese_between_characters_but_never_splits_code():
    text = "反向传播" * 30 + " ndgrad.autograd.grad(f, x) " + "计算图" * 10 + "。"
    lines = demo.wrap(text, 40)
    assert all(demo._width(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert any("ndgrad.autograd.grad(f," in line for line in lines)
    assert not any(line.startswith("。") for line in lines)


def test_chinese_on_an_ascii_only_output_is_a_usage_error_not_a_crash(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    assert cli.main(["demo", "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert "the output's encoding (ascii) cannot show Chinese" in err
    assert "PYTHONIOENCODING=utf-8" in err
