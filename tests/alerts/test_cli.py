"""`duluan alerts …` end to end in-process: list/show --json, the workflow commands, test-rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alerts.engine import evaluate_batch
from duluan.cli import main
from tests.alerts.conftest import article


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_workflow(make_ctx, capsys):
    ctx = make_ctx()
    [rec] = evaluate_batch(ctx, [article(title="Border dispute report mentions Saigon", topics=("border_territory",))])
    code, out, _ = _run(capsys, "alerts", "list", "--json")
    assert code == 0
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["id"] == rec.id and row["state"] == "new" and row["severity"] == "high" and row["agency"] == "bchqs"
    code, out, _ = _run(capsys, "alerts", "show", rec.id[:6], "--json")
    doc = json.loads(out)
    assert doc["id"] == rec.id and doc["allowed_actions"] == ["acknowledge", "assign", "note"]
    assert doc["history"][0]["action"] == "create" and doc["deliveries"][0]["channel"] == "inbox"
    assert doc["talking_points"]
    assert _run(capsys, "alerts", "ack", rec.id, "--actor", "analyst")[0] == 0
    code, _, err = _run(capsys, "alerts", "close", rec.id)
    assert code == 2 and "cannot close" in err
    code, _, err = _run(capsys, "alerts", "assign", rec.id, "--agency", "nowhere")
    assert code == 2 and "unknown agency" in err
    assert _run(capsys, "alerts", "assign", rec.id, "--agency", "songoaivu", "--assignee", "Chị B",
                "--deadline", "2030-01-02")[0] == 0
    code, _, err = _run(capsys, "alerts", "respond", rec.id, "--action", "no_action")
    assert code == 2 and "reason" in err
    assert _run(capsys, "alerts", "respond", rec.id, "--action", "correction_requested", "-m", "Đã đề nghị cải chính")[0] == 0
    assert _run(capsys, "alerts", "close", rec.id, "--note", "xong")[0] == 0
    code, out, _ = _run(capsys, "alerts", "show", rec.id, "--json")
    doc = json.loads(out)
    assert doc["state"] == "closed" and doc["agency"] == "songoaivu" and doc["assignee"] == "Chị B"
    assert [h["action"] for h in doc["history"]] == ["create", "acknowledge", "assign", "respond", "close"]
    assert doc["history"][1]["actor"] == "analyst"
    code, out, _ = _run(capsys, "alerts", "list", "--json", "--open")
    assert out.strip() == ""
    code, out, _ = _run(capsys, "alerts", "list")
    assert code == 0 and rec.id in out
    code, out, _ = _run(capsys, "alerts", "stats", "--json")
    assert json.loads(out)["respond"]["count"] == 1


def test_cli_test_rule(make_ctx, capsys, tmp_path):
    ctx = make_ctx()
    now = datetime.now(UTC)
    ctx.index.upsert([article(published=now - timedelta(hours=2), title="Island claims questioned"),
                      article(published=now - timedelta(days=3), topics=("religion",), title="Church closed"),
                      article(published=now - timedelta(days=12), title="Old island story")])
    rule = tmp_path / "rule.yaml"
    rule.write_text("id: try-islands\nname: Thử biển đảo\nkinds: [foreign]\ntopics: [sea_islands]\n"
                    "max_sentiment: -1\nseverity: high\n", encoding="utf-8")
    code, out, _ = _run(capsys, "alerts", "test-rule", str(rule), "--days", "7", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["title"] for r in rows] == ["Island claims questioned"]
    code, out, _ = _run(capsys, "alerts", "test-rule", str(rule), "--days", "30")
    assert code == 0 and "would have fired 2 alert(s)" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: y\nseverity: loud\n", encoding="utf-8")
    code, _, err = _run(capsys, "alerts", "test-rule", str(bad))
    assert code == 2 and "severity" in err and "bad.yaml" in err
    with ctx.session() as s:
        from duluan.db import AlertRecord

        assert s.query(AlertRecord).count() == 0  # a dry run stores nothing
