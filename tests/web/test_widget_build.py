"""web/build.py: the emergency strip comes from data/safety/crisis_replies.yml, the widget's code
never renders HTML from text, and the build fails clearly when it cannot be made."""
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[2]
CRISIS_REPLIES = PROJECT / "data" / "safety" / "crisis_replies.yml"


def load_build():
    spec = importlib.util.spec_from_file_location("waypoint_web_build", PROJECT / "web" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()


def text(parts):
    return "".join(part for part, _ in parts)


def test_strip_for_each_region_comes_from_the_crisis_replies():
    table = build.region_table()
    regions = yaml.safe_load(CRISIS_REPLIES.read_text(encoding="utf-8"))["regions"]
    assert list(table) == list(regions)
    assert text(table["US"]["strip"]) == "Emergency? Call 911 · Call or text 988"
    assert text(table["UK"]["strip"]) == (
        "Emergency? Call 999 · Call Samaritans on 116 123 or text 85258 (Shout)")
    assert text(table["AU"]["strip"]).startswith("Emergency? Call 000 · ")
    for code, row in table.items():
        values = regions[code]["en"]
        strip = text(row["strip"])
        assert strip.startswith("Emergency? ")
        # Every number shown is one the crisis replies give for that region.
        for number in re.findall(r"\d+(?:[ -]\d+)*", strip):
            assert number in values["call"] + values["crisis_short"], (code, number)
        assert text(row["call"]) == values["call_lc"]
        assert row["name"]


def test_numbers_are_links_text_lines_are_sms():
    table = build.region_table()
    assert [link for _, link in table["US"]["strip"] if link] == ["tel:911", "tel:988"]
    assert [link for _, link in table["UK"]["strip"] if link] == [
        "tel:999", "tel:116123", "sms:85258"]
    assert [link for _, link in table["CA"]["strip"] if link] == ["tel:911", "tel:988"]


def test_a_region_without_a_name_fails_the_build(tmp_path):
    source = yaml.safe_load(CRISIS_REPLIES.read_text(encoding="utf-8"))
    source["regions"]["XX"] = source["regions"]["US"]
    bad = tmp_path / "crisis_replies.yml"
    bad.write_text(yaml.safe_dump(source), encoding="utf-8")
    with pytest.raises(build.BuildError, match="XX"):
        build.region_table(bad)


def test_missing_node_modules_fails_with_what_to_run(monkeypatch, capsys):
    monkeypatch.setattr(build, "SOCKET_IO", PROJECT / "web" / "no_node_modules" / "socket.io.min.js")
    assert build.main() == 1
    assert "npm ci --prefix web" in capsys.readouterr().err


def test_over_budget_fails(monkeypatch, capsys):
    if not build.SOCKET_IO.is_file():
        pytest.fail("web/node_modules is missing: run `make widget` first")
    monkeypatch.setattr(build, "BUDGET_BYTES", 1024)
    monkeypatch.setattr(build, "OUT", Path("/nonexistent/never-written"))
    assert build.main() == 1
    assert "over the 1 KB budget" in capsys.readouterr().err


def test_widget_never_renders_text_as_html():
    source = (PROJECT / "web" / "src" / "widget.js").read_text(encoding="utf-8")
    for name in build.FORBIDDEN_IN_WIDGET:
        assert name not in source
    # No number of any region is written in the widget: they all come from the table.
    regions = yaml.safe_load(CRISIS_REPLIES.read_text(encoding="utf-8"))["regions"]
    for code, languages in regions.items():
        number = str(languages["en"]["number"])
        if number.isdigit():
            assert not re.search(rf"(?<![\d.]){number}(?![\d.])", source), (code, number)
