"""Rule files: validation with errors that name file and key, DB rules, dry runs over the index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.rules import Rule, check_config, dry_run, load_rules
from duluan.errors import ConfigError
from tests.alerts.conftest import article


def test_shipped_rules_are_valid(config_dir: Path):
    summary = check_config(config_dir)
    assert "rule(s)" in summary
    from alerts.rules import load_alerts_file

    rules = load_alerts_file(config_dir).rules
    sensitive = {t for r in rules if "foreign" in r.kinds and r.max_sentiment == -1 for t in r.topics}
    assert {"sea_islands", "border_territory", "human_rights", "religion", "democracy", "ethnic_groups"} <= sensitive


@pytest.mark.parametrize("body, needle", [
    ("rules:\n  - id: x\n    name: X\n    topiks: [sea_islands]\n", "rules.0.topiks"),
    ("rules:\n  - id: x\n    name: X\n    severity: urgent\n", "rules.0.severity"),
    ("rules:\n  - id: x\n    name: X\n    topics: [moon_landing]\n", "unknown topic code 'moon_landing'"),
    ("rules:\n  - id: x\n    name: X\n    agency: nobody\n", "unknown agency 'nobody'"),
    ("rules:\n  - id: x\n    name: X\n    query: '\"unbalanced'\n", "rules.0.query"),
    ("rules:\n  - id: x\n    name: X\n  - id: x\n    name: Y\n", "duplicate rule id 'x'"),
    ("rules: [\n", "invalid YAML"),
])
def test_bad_rule_files_name_file_and_key(config_dir: Path, body: str, needle: str):
    (config_dir / "alerts.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        check_config(config_dir)
    assert "alerts.yaml" in str(exc.value)
    assert needle in str(exc.value)


def test_config_check_command_reports_alert_rules(config_dir: Path):
    from duluan.checks import check_all

    problems, summary = check_all(config_dir)
    assert not [p for p in problems if "alerts.yaml" in p or "arguments" in p]
    assert any(line.startswith("alert rules:") for line in summary)
    assert any(line.startswith("talking points:") for line in summary)


def test_db_rule_replaces_file_rule_and_bad_db_rule_is_skipped(ctx):
    from duluan.db import AlertRule

    with ctx.session() as s:
        s.add(AlertRule(id="hostile-distortion", name="Xuyên tạc (UI)", definition={"severity": "high"}, origin="ui"))
        s.add(AlertRule(id="broken", name="Broken", definition={"severity": "apocalyptic"}, origin="ui"))
        s.commit()
    rules = {r.id: r for r in load_rules(ctx)}
    assert rules["hostile-distortion"].severity == "high" and rules["hostile-distortion"].name == "Xuyên tạc (UI)"
    assert "broken" not in rules
    assert "foreign-human-rights" in rules


def test_dry_run_over_the_index(ctx):
    now = datetime.now(UTC)
    story = [article(story="st-1", source=f"paper-{i}", published=now - timedelta(hours=i + 1)) for i in range(3)]
    old = article(published=now - timedelta(days=20))
    other = article(topics=("tourism",), sentiment=1)
    lone = article(topics=("border_territory",), published=now - timedelta(hours=30))
    ctx.index.upsert([*story, old, other, lone])
    rule = Rule(id="t", name="test", kinds=["foreign"], topics=["sea_islands", "border_territory"], max_sentiment=-1,
                severity="high")
    fired = dry_run(ctx, rule, days=7)
    assert len(fired) == 2  # one per story, the old article is out of range
    by_story = {e["story_id"]: e for e in fired}
    assert by_story["st-1"]["articles"] == 3
    assert by_story["st-1"]["severity"] == "critical"  # three outlets: escalated as the engine would
    assert by_story["st-1"]["article_id"] == story[-1].id  # the first article of the story
    assert by_story[None]["article_id"] == lone.id
    assert len(dry_run(ctx, rule, days=30)) == 3
    assert dry_run(ctx, rule.model_copy(update={"query": "tourism"}), days=7) == []
