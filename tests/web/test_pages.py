"""The pages and the JSON API on a seeded instance: search without diacritics, facets that follow
an analyst's correction, XSS-inert rendering of scraped text, formula-safe exports, saved search to
alert rule, sources, the alert workflow, reports, languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from tests.web.conftest import csrf_of


def hit_ids(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/articles/([0-9a-f]+)"', html)


def facet_count(html: str, dim: str, value: str) -> int:
    """The count shown next to one facet value (0 when the value is not offered)."""
    block = re.search(rf'<fieldset class="facet" id="facet-{dim}">(.*?)</fieldset>', html, re.S)
    assert block, dim
    m = re.search(rf'name="{dim}" value="{re.escape(value)}"[^>]*>.*?<span class="count">(\d+)</span>',
                  block.group(1), re.S)
    return int(m.group(1)) if m else 0


def test_every_page_renders_in_vietnamese_by_default(client_for: Any) -> None:
    c = client_for("admin")
    for path, marker in (("/", "Tổng quan"), ("/search", "Tìm kiếm"), ("/alerts", "Hộp cảnh báo"),
                         ("/sources", "Nguồn tin"), ("/rules", "Quy tắc cảnh báo"), ("/reports", "Báo cáo"),
                         ("/admin/users", "Người dùng"), ("/admin/audit", "Nhật ký thao tác"), ("/admin/settings", "Cấu hình"),
                         ("/api/docs", "/api/v1/search"), ("/status", "Trạng thái"), ("/rules/new", "Định nghĩa")):
        r = c.get(path)
        assert r.status_code == 200, path
        assert marker in r.text, path
        assert '<html lang="vi">' in r.text
    assert c.get("/articles/does-not-exist").status_code == 404


def test_english_switch(client_for: Any) -> None:
    c = client_for("viewer")
    r = c.post("/locale", data={"csrf_token": csrf_of(c), "locale": "en", "next": "/search"})
    assert r.status_code == 303 and r.headers["location"] == "/search"
    page = c.get("/search").text
    assert '<html lang="en">' in page and "Saved searches" in page and "Tìm kiếm đã lưu" not in page


def test_search_without_diacritics_and_dates(client_for: Any, web_ctx: Any) -> None:
    c = client_for("viewer")
    r = c.get("/search", params={"q": "xe buyt"})
    ids = hit_ids(r.text)
    assert ids, "no hit for a diacritic-free query"
    titles = [web_ctx.index.get(i).title + web_ctx.index.get(i).text for i in ids]
    assert any("xe buýt" in t for t in titles)
    # dates are shown dd/mm/yyyy in the office timezone
    art = web_ctx.index.get(ids[0])
    from zoneinfo import ZoneInfo

    assert art.published_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y") in r.text
    # a date filter in dd/mm/yyyy keeps only that range
    r = c.get("/search", params={"since": "01/10/2026", "until": "01/10/2026"})
    for i in hit_ids(r.text):
        local = web_ctx.index.get(i).published_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        assert local.strftime("%d/%m/%Y") == "01/10/2026"
    # a broken query is a message, not a crash
    assert c.get("/search", params={"q": '"unbalanced'}).status_code == 200


def test_default_window_is_the_last_30_days_of_data(client_for: Any, web_ctx: Any) -> None:
    from zoneinfo import ZoneInfo

    from index.base import Query

    newest = web_ctx.index.search(Query(limit=1)).items[0].published_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    start = (newest - __import__("datetime").timedelta(days=29)).strftime("%d/%m/%Y")
    c = client_for("viewer")
    page = c.get("/search").text
    assert f'name="since" value="{start}"' in page
    analyst = client_for("analyst")
    save_form = re.search(r'<form method="post" action="/searches".*?</form>', analyst.get("/search", params={"q": "xe"}).text, re.S)
    assert save_form and 'name="q" value="xe"' in save_form.group(0) and 'name="since"' not in save_form.group(0)
    everything = c.get("/search", params={"all": "1", "since": start}).text
    assert 'name="since" value=""' in everything
    total = web_ctx.index.count(Query())
    assert f"{total} kết quả" in everything


def test_pagination_and_sort(client_for: Any) -> None:
    c = client_for("viewer")
    p1 = hit_ids(c.get("/search").text)
    p2 = hit_ids(c.get("/search", params={"page": "2"}).text)
    assert len(p1) == 20 and p2 and not set(p1) & set(p2)
    assert c.get("/search", params={"sort": "risk"}).status_code == 200


def test_review_correction_wins_in_facets(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import AuditLog

    c = client_for("analyst")
    page = c.get("/search", params={"q": "xe buyt"}).text
    target = hit_ids(page)[0]
    art = web_ctx.index.get(target)
    new_label = 1 if art.effective_sentiment() != 1 else -1
    before = facet_count(c.get("/search/facets").text, "sentiment", str(new_label))
    token = csrf_of(c, f"/articles/{target}")
    r = c.post(f"/articles/{target}/review", data={
        "csrf_token": token, "sentiment": str(new_label), "relevant": "1", "topics_mode": "manual",
        "topics": ["traffic", "investment"], "note": "kiểm tra lại", "reviewed": "1"})
    assert r.status_code == 303
    after_page = c.get("/search/facets").text
    # the no-JavaScript page (?facets=1) shows the same counts inline
    inline = c.get("/search", params={"facets": "1"}).text
    assert facet_count(inline, "sentiment", str(new_label)) == facet_count(after_page, "sentiment", str(new_label))
    assert facet_count(after_page, "sentiment", str(new_label)) == before + 1
    assert facet_count(after_page, "reviewed", "1") >= 1
    filtered = c.get("/search", params={"sentiment": str(new_label), "reviewed": "1", "topic": "traffic"}).text
    assert target in hit_ids(filtered)
    stored = web_ctx.index.get(target)
    assert stored.review.topics == ["investment", "traffic"] and stored.review.note == "kiểm tra lại"
    assert stored.effective_sentiment() == new_label
    article_page = c.get(f"/articles/{target}").text
    assert "kiểm tra lại" in article_page and "đã hiệu chỉnh" in article_page
    with web_ctx.session() as s:
        assert s.query(AuditLog).filter_by(action="article.review", target=target).count() == 1
    # re-ingesting the same article keeps the correction
    web_ctx.pipeline.process([stored.model_copy(update={"review": type(stored.review)()})])
    assert web_ctx.index.get(target).review.sentiment == new_label


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "script":
            self.scripts.append(d)
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append(f"{tag} {k}")
            if k in ("href", "src", "action", "formaction") and v and v.strip().lower().startswith(("javascript:", "data:")):
                self.bad.append(f"{tag} {k}={v}")
        if tag in ("img", "iframe", "object", "embed", "svg", "style"):
            if tag != "svg" or "onload" in d:
                self.bad.append(tag)


def test_scraped_html_renders_inert(client_for: Any, web_ctx: Any) -> None:
    from duluan.models import Article, Mention, article_id

    url = "javascript:alert(document.cookie)//https://evil.example/a"
    evil = Article(
        id=article_id("https://evil.example/a"), url=url, canonical_url="https://evil.example/a",
        source_id="evil", source_name='<img src=x onerror="alert(1)">Evil', title='TP HCM <script>alert("t")</script>',
        text=('Đoạn một về TP HCM <script>alert("x")</script>\n<img src=x onerror=alert(2)> đoạn hai\n'
              '<a href="javascript:alert(3)">bấm</a> <iframe src="https://evil.example"></iframe> <svg onload=alert(4)>'),
        summary='<b onmouseover="alert(5)">tóm tắt</b>', published_at=datetime(2026, 11, 1, tzinfo=UTC),
        authors=['<script>alert(6)</script>'], mentions=[Mention(alias="TP HCM", field="body", start=11, end=17)],
    )
    web_ctx.index.upsert([evil])
    c = client_for("viewer")
    for path in (f"/articles/{evil.id}", "/search?q=evil", "/search?q=tp+hcm", "/search?q=evil&facets=1",
                 "/search/facets?q=evil&source=evil"):
        html = c.get(path).text
        insp = _Inspector()
        insp.feed(html)
        expected = [] if path.startswith("/search/facets") else [{"src": "/static/app.js", "defer": None}]
        assert insp.scripts == expected, path
        assert insp.bad == [], (path, insp.bad)
    html = c.get(f"/articles/{evil.id}").text
    assert "<mark>TP HCM</mark>" in html  # our highlight survives, the scraped markup does not
    assert "đoạn hai" in html
    assert 'id="original-link"' not in html  # the javascript: URL is not a link


def test_exports_are_formula_safe(client_for: Any, web_ctx: Any) -> None:
    from openpyxl import load_workbook

    from duluan.models import Article, article_id

    evil = []
    for i, title in enumerate(['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3+cmd",
                               "@SUM(1+1)", "\tTabbed", "\rReturn"]):
        u = f"https://formula.example/{i}"
        evil.append(Article(id=article_id(u), url=u, canonical_url=u, source_id="formula", title=title,
                            text="formulaprobe", published_at=datetime(2026, 11, 2, tzinfo=UTC)))
    web_ctx.index.upsert(evil)
    c = client_for("viewer")
    r = c.get("/search/export.csv", params={"q": "formulaprobe"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "published" and len(rows) == 7
    titles = {row[5] for row in rows[1:]}
    assert all(t.startswith("'") for t in titles), titles
    r = c.get("/search/export.xlsx", params={"q": "formulaprobe"})
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [row[5] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert len(cells) == 6 and all(isinstance(v, str) and v.startswith("'") for v in cells)
    assert all(ws.cell(row=i, column=6).data_type == "s" for i in range(2, 8))
    # a normal export has every result, numbers as numbers
    r = c.get("/search/export.xlsx", params={"all": "1"})
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws.max_row - 1 == web_ctx.index.count(__import__("index.base", fromlist=["Query"]).Query())
    assert isinstance(ws.cell(row=2, column=11).value, (int, float))


def test_saved_search_becomes_alert_rule(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import AlertRule, SavedSearch

    analyst = client_for("analyst")
    r = analyst.post("/searches", data={"csrf_token": csrf_of(analyst, "/search"), "name": "Ngập lụt",
                                        "q": "ngap lut", "topic": ["flooding"], "sentiment": ["-1"],
                                        "kind": ["foreign"]})
    assert r.status_code == 303
    with web_ctx.session() as s:
        saved = s.query(SavedSearch).one()
        assert saved.params == {"q": "ngap lut", "kind": ["foreign"], "topic": ["flooding"], "sentiment": ["-1"]}
    assert "Ngập lụt" in analyst.get("/search").text
    admin = client_for("admin")
    r = admin.post(f"/searches/{saved.id}/rule", data={"csrf_token": csrf_of(admin), "severity": "high"})
    assert r.status_code == 303
    with web_ctx.session() as s:
        rule = s.query(AlertRule).one()
        assert rule.origin == "ui"
        assert rule.definition["query"] == "ngap lut" and rule.definition["max_sentiment"] == -1
        assert rule.definition["severity"] == "high" and rule.definition["kinds"] == ["foreign"]
    from alerts.rules import load_rules

    assert rule.id in {r.id for r in load_rules(web_ctx)}  # the alerts engine picks it up
    page = admin.get(f"/rules/{rule.id}").text
    assert "ngap lut" in page
    r = admin.post("/rules/preview", data={"csrf_token": csrf_of(admin), "days": "3650",
                                           "definition": "id: preview-x\nname: P\nquery: xe buyt\nabout_city: false\n"})
    assert r.status_code == 200 and 'id="dry-run"' in r.text
    r = admin.post("/rules", data={"csrf_token": csrf_of(admin), "definition": "id: Bad Id\nname: x"})
    assert r.status_code == 400


def test_sources_add_validates_and_guards(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import AuditLog, CustomSource, SourceHealth

    c = client_for("admin")
    base = {"id": "new-outlet", "name": "Báo Mới", "homepage": "https://93.184.215.14/", "feeds": "",
            "country": "VN", "language": "vi", "kind": "domestic"}
    token = csrf_of(c, "/sources")
    r = c.post("/sources", data=base | {"csrf_token": token, "country": "Vietnam"})
    assert r.status_code == 400 and "country" in r.text
    r = c.post("/sources", data=base | {"csrf_token": token, "homepage": "http://127.0.0.1:8080/",
                                        "feeds": "http://10.0.0.5/rss"})
    assert r.status_code == 400 and "refused" in r.text  # SSRF guard
    r = c.post("/sources", data=base | {"csrf_token": token, "homepage": "file:///etc/passwd"})
    assert r.status_code == 400
    r = c.post("/sources", data=base | {"csrf_token": token, "feeds": "https://93.184.215.14/rss"})
    assert r.status_code == 303
    with web_ctx.session() as s:
        assert s.get(CustomSource, "new-outlet") is not None
    assert "new-outlet" in c.get("/sources").text
    r = c.post("/sources/new-outlet/toggle", data={"csrf_token": token})
    assert r.status_code == 303
    with web_ctx.session() as s:
        assert s.get(SourceHealth, "new-outlet").enabled_override is False
        assert s.query(AuditLog).filter_by(action="source.disable").count() == 1


def _make_alert(ctx: Any) -> str:
    from alerts.records import create_alert
    from index.base import Query

    art = ctx.index.search(Query(text="xe buyt", limit=1)).items[0]
    with ctx.session() as s:
        rec = create_alert(s, ctx, rule_id="test-rule", dedup_key="t1", kind="article", severity="high",
                           title=art.title, reasons=["từ khóa: xe buýt"], agency=None, article=art,
                           story_id=art.story_id, channels=["inbox"],
                           talking_points=[{"id": "p", "title": "Luận điểm", "summary": "Nội dung",
                                            "matched": ["xe buýt"]}])
        s.commit()
        return str(rec.id)


def test_alert_workflow_new_to_closed(client_for: Any, web_ctx: Any) -> None:
    alert_id = _make_alert(web_ctx)
    c = client_for("analyst")
    assert alert_id in c.get("/alerts").text
    page = c.get(f"/alerts/{alert_id}").text
    assert "Luận điểm" in page and "từ khóa: xe buýt" in page
    agency = web_ctx.city.agencies[0].id
    steps = [{"action": "acknowledge"},
             {"action": "assign", "agency": agency, "deadline": "30/11/2026", "assignee": "Chị Lan"},
             {"action": "respond", "response": "statement", "note": "Đã ra thông cáo"},
             {"action": "close"}]
    for step in steps:
        r = c.post(f"/alerts/{alert_id}/action", data=step | {"csrf_token": csrf_of(c, f"/alerts/{alert_id}")})
        assert r.status_code == 303, (step, r.text[:300])
    from duluan.db import AlertHistory, AlertRecord

    with web_ctx.session() as s:
        rec = s.get(AlertRecord, alert_id)
        assert rec.state == "closed" and rec.agency == agency and rec.deadline is not None
        actions = [h.action for h in s.query(AlertHistory).filter_by(alert_id=alert_id).order_by(AlertHistory.id)]
    assert actions == ["create", "acknowledge", "assign", "respond", "close"]
    # an illegal transition is refused with a message
    r = c.post(f"/alerts/{alert_id}/action", data={"action": "acknowledge", "csrf_token": csrf_of(c)})
    assert r.status_code == 409
    page = c.get(f"/alerts/{alert_id}").text
    assert "Đã đóng" in page and "Chị Lan" in page
    # the same workflow through the JSON API with the session's CSRF header
    other = _make_alert_2(web_ctx)
    r = c.post(f"/api/v1/alerts/{other}/actions", json={"action": "acknowledge"},
               headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert [h["action"] for h in r.json()["history"]] == ["create", "acknowledge"]


def _make_alert_2(ctx: Any) -> str:
    from alerts.records import create_alert

    with ctx.session() as s:
        rec = create_alert(s, ctx, rule_id="test-rule", dedup_key="t2", kind="article", severity="low",
                           title="Khác", reasons=[], agency=None, article=None, story_id=None, channels=["inbox"],
                           talking_points=[])
        s.commit()
        return str(rec.id)


def test_reports_generate_download_and_draft(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import ReportArchive, ReportDraft

    c = client_for("analyst")
    r = c.post("/reports/generate", data={"csrf_token": csrf_of(c, "/reports"), "kind": "daily",
                                          "start": "01/10/2026", "format": "html"})
    assert r.status_code == 303, r.text[:300]
    with web_ctx.session() as s:
        row = s.query(ReportArchive).one()
    page = c.get("/reports").text
    assert f"/reports/{row.id}/download" in page
    r = c.get(f"/reports/{row.id}/download")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"] and len(r.content) > 500
    assert "sandbox" in r.headers["content-security-policy"]
    # an archive row pointing outside <data_dir>/reports is never served
    with web_ctx.session() as s:
        bad = ReportArchive(kind="daily", title="x", period_start=row.period_start, period_end=row.period_end,
                            format="html", path=str(web_ctx.settings.data_dir / "duluan.db"))
        s.add(bad)
        s.commit()
        bad_id = bad.id
    assert c.get(f"/reports/{bad_id}/download").status_code == 404
    r = c.post("/reports/draft", data={"csrf_token": csrf_of(c, "/reports"), "month": "2026-10",
                                       "assessment": "Dư luận tích cực", "proposals": "Tăng cường", "number": "12"})
    assert r.status_code == 303
    with web_ctx.session() as s:
        d = s.query(ReportDraft).filter_by(kind="monthly", period_key="monthly:2026-10").one()
        assert d.assessment == "Dư luận tích cực" and d.updated_by == "analyst"
    assert "Dư luận tích cực" in c.get("/reports", params={"month": "2026-10"}).text


def test_dashboard_counts(client_for: Any, web_ctx: Any) -> None:
    from web.routes.dashboard import dashboard_data

    now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    data = dashboard_data(web_ctx, now=now)
    from index.base import Query
    from web.routes.dashboard import day_starts

    _, week = day_starts(web_ctx.settings.timezone, now)
    expected = web_ctx.index.count(Query(since=week, min_relevance=web_ctx.settings.enrichment.relevance_threshold))
    assert data["week"]["total"] == expected
    assert sum(v for _, v in data["series"]) <= expected
    assert client_for("viewer").get("/").status_code == 200


def test_admin_user_management(client_for: Any, web_ctx: Any) -> None:
    from duluan.db import AuditLog, User

    c = client_for("admin")
    token = csrf_of(c, "/admin/users")
    r = c.post("/admin/users", data={"csrf_token": token, "username": "lan", "password": "short",
                                     "role": "analyst"})
    assert r.status_code == 400
    r = c.post("/admin/users", data={"csrf_token": token, "username": "lan", "password": "long-enough-pw",
                                     "role": "analyst"})
    assert r.status_code == 303
    with web_ctx.session() as s:
        lan = s.query(User).filter_by(username="lan").one()
    lan_client = client_for(None)
    from tests.web.conftest import login

    assert login(lan_client, "lan", "long-enough-pw").status_code == 303
    r = c.post(f"/admin/users/{lan.id}", data={"csrf_token": token, "role": "viewer"})  # also disables
    assert r.status_code == 303
    assert lan_client.get("/").status_code == 303  # sessions end when role/access change
    with web_ctx.session() as s:
        assert s.get(User, lan.id).active is False
        assert s.query(AuditLog).filter_by(action="user.create", target="lan").count() == 1
    assert "user.create" in c.get("/admin/audit").text


def test_api_docs_and_schema(client_for: Any) -> None:
    c = client_for("admin")
    schema = c.get("/api/openapi.json").json()
    assert {"/api/v1/search", "/api/v1/articles/{article_id}", "/api/v1/alerts", "/api/v1/reports"} <= set(schema["paths"])
    assert not any(p.startswith(("/search", "/admin")) for p in schema["paths"])
    r = c.get("/api/v1/search", params={"q": "xe buyt", "facets": "true"})
    body = r.json()
    assert body["total"] >= 1 and "sentiment" in body["facets"]
    art = c.get(f"/api/v1/articles/{body['items'][0]['id']}").json()
    assert art["id"] == body["items"][0]["id"] and "text" in art


def test_vietnamese_catalogue_is_complete() -> None:
    from babel.messages.pofile import read_po

    from web.i18n import po_path

    with po_path("vi").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == []
    assert len(catalog) > 200


def test_config_rule_can_be_disabled_from_the_ui(client_for: Any, web_ctx: Any) -> None:
    from alerts.rules import load_alerts_file, load_rules

    config_rule = load_alerts_file(web_ctx.settings.config_dir).rules[0]
    assert config_rule.enabled
    c = client_for("admin")
    r = c.post(f"/rules/{config_rule.id}/toggle", data={"csrf_token": csrf_of(c, "/rules")})
    assert r.status_code == 303
    rules = {x.id: x for x in load_rules(web_ctx)}
    assert rules[config_rule.id].enabled is False  # the engine sees the override
    assert rules[config_rule.id].name == config_rule.name
    # a config rule cannot be deleted from the UI (only overridden)
    assert c.post(f"/rules/{config_rule.id}/delete", data={"csrf_token": csrf_of(c, "/rules")}).status_code == 404
    c.post(f"/rules/{config_rule.id}/toggle", data={"csrf_token": csrf_of(c, "/rules")})
    assert {x.id: x for x in load_rules(web_ctx)}[config_rule.id].enabled is True
