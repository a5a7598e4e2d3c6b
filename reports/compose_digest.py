"""The daily digest composed into the document model (`reports.document`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reports.alerts_data import fmt_minutes
from reports.content import ArticleItem
from reports.digest import DigestData
from reports.document import AdminFrame, Document, Heading, Note, Para, Run, Table
from reports.figures import change, num, share
from reports.topics import SENTIMENT_VI, country_name, language_name

SENT_COLOR = {1: "#2e7d32", 0: "#616161", -1: "#c62828", None: "#616161"}


def _item_blocks(item: ArticleItem) -> list[Para]:
    title = [Run(item.title, bold=True, href=item.url)]
    out = [Para(title, align="left", indent=False)]
    if item.gloss:
        out.append(Para([Run("Tạm dịch: ", italic=True), Run(item.gloss, italic=True)], align="left", indent=False))
    meta = [Run(f"{item.outlet} ({item.country}, {item.language}) · {item.time} · ")]
    meta.append(Run(item.sentiment_vi, bold=True, color=SENT_COLOR.get(item.sentiment)))
    if item.outlets:
        shown = ", ".join(item.outlets[:8]) + (f" và {len(item.outlets) - 8} cơ quan khác" if len(item.outlets) > 8 else "")
        meta.append(Run(f" · Cùng đưa tin: {shown}"))
    out.append(Para(meta, align="left", indent=False, small=True))
    if item.summary:
        out.append(Para(item.summary, align="justify", indent=False))
    return out


def compose_digest(data: DigestData, frame: AdminFrame) -> Document:
    """Headline figures, the alerts of the day, the notable articles by topic."""
    fig, prev = data.figures, data.previous
    doc = Document(title=data.title,
                   subject=f"(Từ 00:00 đến 24:00 {data.period.label_vi}, giờ Việt Nam)", frame=frame)
    for n in data.notes:
        doc.add(Note(n))
    doc.add(Heading(1, "I. SỐ LIỆU CHÍNH"))
    if data.empty:
        doc.add(Para(Run("Không ghi nhận tin bài nào của báo chí trong nước và nước ngoài viết về Thành phố "
                         "trong ngày.", bold=True)))
    labelled = fig.total - fig.unlabelled
    rows = [
        ["Tin bài viết về Thành phố", num(fig.total), num(prev.total), change(fig.total, prev.total)],
        ["— Báo chí trong nước", num(fig.domestic), num(prev.domestic), change(fig.domestic, prev.domestic)],
        ["— Báo chí nước ngoài", num(fig.foreign), num(prev.foreign), change(fig.foreign, prev.foreign)],
    ]
    for label in (1, 0, -1):
        rows.append([f"— {SENTIMENT_VI[label]} ({share(fig.sentiment.get(label, 0), labelled)})",
                     num(fig.sentiment.get(label, 0)), num(prev.sentiment.get(label, 0)),
                     change(fig.sentiment.get(label, 0), prev.sentiment.get(label, 0))])
    if fig.unlabelled:
        rows.append(["— Chưa đánh giá sắc thái", num(fig.unlabelled), num(prev.unlabelled), ""])
    doc.add(Table(["Chỉ tiêu", "Trong ngày", "Ngày trước", "Thay đổi"], rows, numeric={1, 2, 3},
                  widths=[5, 2, 2, 2]))
    if fig.total:
        langs = ", ".join(f"{language_name(k)} {num(v)}" for k, v in fig.languages.most_common())
        doc.add(Para(f"Theo ngôn ngữ: {langs}."))
        if fig.countries_foreign:
            cs = ", ".join(f"{country_name(k)} {num(v)}" for k, v in fig.countries_foreign.most_common(10))
            doc.add(Para(f"Báo chí nước ngoài theo quốc gia: {cs}."))
    doc.add(Heading(1, "II. CẢNH BÁO TRONG NGÀY"))
    al = data.alerts
    if not al.count:
        doc.add(Para("Không phát sinh cảnh báo trong ngày."))
    else:
        doc.add(Para(f"Phát sinh {al.count} cảnh báo; thời gian tiếp nhận trung vị {fmt_minutes(al.median_ack)}, "
                     f"thời gian phản hồi trung vị {fmt_minutes(al.median_response)}."))
        doc.add(Table(
            ["Thời điểm", "Nội dung cảnh báo", "Mức độ", "Đơn vị xử lý", "Tình trạng"],
            [[r.created, r.title, r.severity, r.agency, r.state] for r in al.rows],
            widths=[2.2, 6, 1.6, 3, 2.2],
        ))
    doc.add(Heading(1, "III. TIN BÀI ĐÁNG CHÚ Ý THEO CHỦ ĐỀ"))
    if not data.groups:
        doc.add(Para("Không có tin bài đáng chú ý."))
    for i, g in enumerate(data.groups, 1):
        label = f"{i}. {g.name}" + (" (chủ đề nhạy cảm)" if g.sensitive else "")
        doc.add(Heading(2, label))
        for item in g.items:
            doc.add(*_item_blocks(item))
    if data.shown and data.shown < fig.total:
        doc.add(Para(Run(f"Bản tin nêu {data.shown} trong tổng số {num(fig.total)} tin bài; danh sách đầy đủ "
                         "tra cứu trên hệ thống Dư Luận.", italic=True)))
    local = data.generated_at.astimezone(ZoneInfo(data.period.tz))
    doc.footer_text = f"Bản tin do hệ thống Dư Luận lập tự động lúc {local:%H:%M ngày %d/%m/%Y}."
    return doc


def digest_text_summary(data: DigestData) -> list[str]:
    """Bullet lines for the e-mail preview / logs."""
    fig = data.figures
    return [f"{num(fig.total)} tin bài về Thành phố ({num(fig.domestic)} trong nước, {num(fig.foreign)} nước ngoài)",
            f"{data.alerts.count} cảnh báo"]

