"""The per-batch engine: matching, routing, dedup per (rule, story), escalation, re-ingestion."""

from __future__ import annotations

from alerts.engine import evaluate_batch, match_batch
from alerts.rules import CompiledRule, Rule
from alerts.workflow import acknowledge, close, respond
from duluan.db import AlertHistory, AlertRecord, Delivery
from duluan.models import Review
from tests.alerts.conftest import article


def _alerts(ctx) -> list[AlertRecord]:
    with ctx.session() as s:
        return s.query(AlertRecord).order_by(AlertRecord.created_at).all()


def test_foreign_negative_sensitive_article_fires_and_routes(make_ctx):
    ctx = make_ctx()
    hits = evaluate_batch(ctx, [
        article(topics=("human_rights",), title="Activists in Ho Chi Minh City detained, rights group says",
                text="Human rights groups said activists in Ho Chi Minh City were detained this week."),
        article(topics=("tourism",), sentiment=1, title="Saigon street food wins praise"),  # positive: no alert
        article(topics=("human_rights",), kind="domestic", country="VN", language="vi",
                title="TP.HCM tổ chức hội thảo về quyền con người"),  # domestic: the foreign rule does not fire
        article(topics=("sea_islands",), relevance=0.1, title="Spratly tensions rise"),  # not about the city
    ])
    assert len(hits) == 1
    [rec] = _alerts(ctx)
    assert rec.rule_id == "foreign-human-rights"
    assert rec.severity == "high"
    assert rec.agency == "sotuphap"
    assert rec.state == "new"
    assert rec.data["talking_points"] and rec.data["talking_points"][0]["id"] == "human-rights"
    assert any("nhân quyền" in r or "human_rights" in r for r in rec.data["reasons"])
    with ctx.session() as s:
        inbox = s.query(Delivery).filter_by(alert_id=rec.id, channel="inbox").one()
        assert inbox.state == "sent"


def test_routing_by_topic_when_rule_names_no_agency(make_ctx):
    ctx = make_ctx()
    evaluate_batch(ctx, [article(topics=("flooding",), title="Floods swamp Saigon again")])
    [rec] = _alerts(ctx)
    assert rec.rule_id == "foreign-negative-local-issues"
    assert rec.agency == "ubndquan"  # the district committees answer flooding
    assert rec.data["talking_points"][0]["id"] == "flood-prevention"


def test_dedup_and_escalation_over_a_growing_story(make_ctx):
    ctx = make_ctx()
    story = "story-islands-1"
    first = article(story=story, source="paper-a", country="US")
    evaluate_batch(ctx, [first])
    [rec] = _alerts(ctx)
    assert rec.severity == "high"
    # same story, second outlet, same country: attaches, no new alert, no escalation
    evaluate_batch(ctx, [article(story=story, source="paper-b", country="US")])
    [rec] = _alerts(ctx)
    assert len(rec.data["article_ids"]) == 2 and rec.severity == "high"
    # third outlet → escalate_outlets (3) reached → critical
    evaluate_batch(ctx, [article(story=story, source="paper-c", country="GB")])
    [rec] = _alerts(ctx)
    assert rec.severity == "critical"
    assert rec.data["escalations"][-1]["from"] == "high"
    assert sorted(rec.data["outlets"]) == ["paper-a", "paper-b", "paper-c"]
    with ctx.session() as s:
        actions = [h.action for h in s.query(AlertHistory).filter_by(alert_id=rec.id).order_by(AlertHistory.id)]
    assert actions == ["create", "attach", "attach", "escalate"]
    # re-ingesting an article already in the alert changes nothing
    evaluate_batch(ctx, [first])
    [rec2] = _alerts(ctx)
    assert len(rec2.data["article_ids"]) == 3


def test_closed_alert_lets_the_story_fire_again(make_ctx):
    ctx = make_ctx()
    evaluate_batch(ctx, [article(story="s2", source="a")])
    [rec] = _alerts(ctx)
    with ctx.session() as s:
        acknowledge(s, rec.id, "analyst")
        respond(s, rec.id, "analyst", "statement", "Đã phát ngôn")
        close(s, rec.id, "analyst")
    evaluate_batch(ctx, [article(story="s2", source="b")])
    recs = _alerts(ctx)
    assert len(recs) == 2 and recs[1].state == "new" and recs[0].state == "closed"


def test_analyst_correction_wins_over_automatic_labels(make_ctx):
    ctx = make_ctx()
    a = article(topics=("sea_islands",))
    corrected = a.model_copy(update={"review": Review(reviewed=True, topics=["tourism"], sentiment=0)})
    assert evaluate_batch(ctx, [corrected]) == []
    not_relevant = a.model_copy(update={"review": Review(reviewed=True, relevant=False)})
    assert evaluate_batch(ctx, [not_relevant]) == []


def test_ui_rule_from_database_is_used(make_ctx):
    from alerts.engine import compiled_rules
    from duluan.db import AlertRule

    ctx = make_ctx()
    assert "ui-metro" not in {c.rule.id for c in compiled_rules(ctx).rules}
    with ctx.session() as s:
        s.add(AlertRule(id="ui-metro", name="Metro coverage", origin="ui",
                        definition={"query": "metro", "severity": "low", "channels": ["inbox"]}))
        s.commit()
    evaluate_batch(ctx, [article(topics=("traffic",), sentiment=1, title="Saigon metro ridership soars")])
    [rec] = _alerts(ctx)
    assert rec.rule_id == "ui-metro" and rec.severity == "low"


def test_in_memory_query_matches_the_index(ctx):
    """The engine matches rule queries in memory; it must agree with the index's search."""
    from index.base import Query

    docs = [
        article(title="Mưa lớn gây ngập lụt ở TP.HCM", text="Đường phố ngập lụt sau mưa."),
        article(title="Flooding in Saigon", text="Streets flooded near Ben Thanh."),
        article(title="Ngập lụt ở Hà Nội", text="Hà Nội ngập lụt."),
        article(title="Ngập nước và lụt", text="không liền nhau"),
        article(title="Kẹt xe ở Sài Gòn", text="Giao thông ùn tắc, quận 1."),
    ]
    ctx.index.upsert(docs)
    for q in ['("ngập lụt" OR flood*) -"Hà Nội"', '"ngập lụt" OR flood* -"Hà Nội"', "ngap lut", "ngập -lụt",
              "(ket xe OR un tac) quan", '="Hà Nội"', "saigon OR \"sai gon\""]:
        rule = CompiledRule.of(Rule(id="q", name="q", query=q, about_city=False))
        mem = {a.id for _, a, _ in match_batch([rule], docs)}
        idx = {a.id for a in ctx.index.search(Query(text=q, limit=100)).items}
        assert mem == idx, q
    rule = CompiledRule.of(Rule(id="q", name="q", query='("ngập lụt" OR flood*) -"Hà Nội"', about_city=False))
    assert {a.id for _, a, _ in match_batch([rule], docs)} == {docs[0].id, docs[1].id}


def test_several_rules_on_one_article_make_one_alert(make_ctx):
    ctx = make_ctx()
    a = article(topics=("sea_islands", "hostile_distortion"), title="Saigon 'distorts' island history, says report")
    hits = evaluate_batch(ctx, [a])
    assert len(hits) == 1
    [rec] = _alerts(ctx)
    assert rec.rule_id == "hostile-distortion"  # the most severe rule leads
    assert rec.severity == "critical" and rec.agency == "congan"
    assert set(rec.data["rules"]) == {"hostile-distortion", "foreign-sea-islands-border"}
    assert any("Cũng khớp quy tắc" in r for r in rec.data["reasons"])
    # a later article of the same story that only matches a lesser rule attaches to this alert
    evaluate_batch(ctx, [article(topics=("sea_islands",), story=None, title="Another island piece")])
    assert len(_alerts(ctx)) == 2  # different story (none): its own alert
    b = article(topics=("sea_islands",), title="Follow-up")
    a2 = a.model_copy(update={"story_id": "st-x"})
    b = b.model_copy(update={"story_id": "st-x"})
    evaluate_batch(ctx, [a2])
    n = len(_alerts(ctx))
    evaluate_batch(ctx, [b])
    assert len(_alerts(ctx)) == n
    evaluate_batch(ctx, [b])  # re-ingested: nothing changes
    with ctx.session() as s:
        rec = s.query(AlertRecord).filter(AlertRecord.story_id == "st-x").one()
    assert rec.data["article_ids"] == [a2.id, b.id]


def test_broken_rules_file_does_not_break_the_pipeline(make_ctx, config_dir, caplog):
    ctx = make_ctx()
    (config_dir / "alerts.yaml").write_text("rules: [\n", encoding="utf-8")
    assert evaluate_batch(ctx, [article()]) == []
    assert "alert rules not loaded" in caplog.text
    result = ctx.pipeline.process([article(title="Indexed anyway")])
    assert result.indexed == 1
