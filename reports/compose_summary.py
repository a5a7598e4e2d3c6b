"""The monthly / periodic summary composed into the document model, section by section in the
administrative form (I., II., …; 1., 2.; a), b))."""

from __future__ import annotations

from reports.alerts_data import STATE_VI, fmt_minutes
from reports.document import AdminFrame, Bullets, Document, Heading, Image, Note, Para, Run, Table
from reports.figures import Figures, change, num, share
from reports.summary import SummaryData
from reports.topics import SENTIMENT_VI, country_name, language_name

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def _sent_phrase(fig: Figures) -> str:
    labelled = fig.total - fig.unlabelled
    if not labelled:
        return "chưa có tin bài nào được đánh giá sắc thái"
    return (f"tích cực chiếm {share(fig.sentiment.get(1, 0), labelled)}, trung lập "
            f"{share(fig.sentiment.get(0, 0), labelled)}, tiêu cực {share(fig.sentiment.get(-1, 0), labelled)}")


def _paragraphs(text: str) -> list[Para]:
    return [Para(p.strip()) for p in text.replace("\r\n", "\n").split("\n") if p.strip()]


def _overview(d: SummaryData, prev_label: str) -> list:
    fig, prev = d.figures, d.previous
    out: list = []
    if fig.total:
        out.append(Para(
            f"Trong {d.period.label_vi}, hệ thống ghi nhận {num(fig.total)} tin bài của báo chí trong và ngoài "
            f"nước viết về Thành phố ({change(fig.total, prev.total)} so với {prev_label}), trong đó báo chí "
            f"trong nước {num(fig.domestic)} tin bài ({share(fig.domestic, fig.total)}), báo chí nước ngoài "
            f"{num(fig.foreign)} tin bài ({share(fig.foreign, fig.total)}) của {len(fig.countries_foreign)} quốc "
            f"gia và vùng lãnh thổ, bằng {len(fig.languages)} ngôn ngữ. Về sắc thái, {_sent_phrase(fig)}."))
    else:
        out.append(Para(f"Trong {d.period.label_vi}, hệ thống không ghi nhận tin bài nào viết về Thành phố."))
    rows = [["Tổng số tin bài về Thành phố", num(fig.total), num(prev.total), change(fig.total, prev.total)],
            ["Báo chí trong nước", num(fig.domestic), num(prev.domestic), change(fig.domestic, prev.domestic)],
            ["Báo chí nước ngoài", num(fig.foreign), num(prev.foreign), change(fig.foreign, prev.foreign)]]
    for s in (1, 0, -1):
        rows.append([f"Tin bài {SENTIMENT_VI[s].lower()}", num(fig.sentiment.get(s, 0)),
                     num(prev.sentiment.get(s, 0)), change(fig.sentiment.get(s, 0), prev.sentiment.get(s, 0))])
    if fig.unlabelled or prev.unlabelled:
        rows.append(["Tin bài chưa đánh giá sắc thái", num(fig.unlabelled), num(prev.unlabelled), ""])
    pa = d.alerts.previous_count
    rows.append(["Cảnh báo thông tin sai lệch", num(d.alerts.count), "" if pa is None else num(pa),
                 "" if pa is None else change(d.alerts.count, pa)])
    out.append(Table(["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"], rows, caption="Bảng 1. Số liệu tổng quan",
                     numeric={1, 2, 3}, widths=[6, 2, 2, 2]))
    out.append(Image("volume", "Biểu đồ 1. Số tin bài về Thành phố theo thời gian"))
    return out


def _foreign(d: SummaryData) -> list:
    fig = d.figures
    out: list = [Heading(2, "1. Theo quốc gia và ngôn ngữ")]
    if not fig.foreign:
        return [Para("Trong kỳ, không ghi nhận tin bài nào của báo chí nước ngoài viết về Thành phố.")]
    labelled = fig.foreign - fig.sentiment_by_kind.get("foreign", {}).get(None, 0)
    fs = fig.sentiment_by_kind.get("foreign", {})
    out.append(Para(f"Báo chí nước ngoài đăng {num(fig.foreign)} tin bài về Thành phố; tiêu cực "
                    f"{num(fs.get(-1, 0))} tin bài ({share(fs.get(-1, 0), labelled)} số tin đã đánh giá)."))
    out.append(Table(["Quốc gia, vùng lãnh thổ", "Số tin bài", "Tỷ lệ"],
                     [[country_name(k), num(v), share(v, fig.foreign)] for k, v in fig.countries_foreign.most_common(12)],
                     caption="Bảng 2. Báo chí nước ngoài theo quốc gia", numeric={1, 2}, widths=[6, 2, 2]))
    out.append(Table(["Ngôn ngữ", "Số tin bài", "Tỷ lệ"],
                     [[language_name(k), num(v), share(v, fig.foreign)] for k, v in fig.languages_foreign.most_common(12)],
                     caption="Bảng 3. Báo chí nước ngoài theo ngôn ngữ", numeric={1, 2}, widths=[6, 2, 2]))
    out.append(Image("languages", "Biểu đồ 2. Báo chí nước ngoài theo ngôn ngữ và quốc gia"))
    out.append(Heading(2, "2. Các cơ quan báo chí nước ngoài đưa tin nhiều nhất"))
    out.append(Table(["Cơ quan báo chí", "Quốc gia", "Số tin bài"],
                     [[o.name, o.country, num(o.count)] for o in d.outlets_foreign], numeric={2}, widths=[6, 3, 2]))
    out.append(Heading(2, "3. Tin bài tiêu cực đáng chú ý"))
    if not d.negative_foreign:
        out.append(Para("Không ghi nhận tin bài tiêu cực của báo chí nước ngoài."))
    else:
        items = []
        for a in d.negative_foreign:
            item = [Run(a.title, italic=True, href=a.url)]
            if a.gloss:
                item.append(Run(f" (tạm dịch: {a.gloss})"))
            item.append(Run(f" — {a.outlet}, {a.country}, {a.time}."))
            items.append(item)
        out.append(Bullets(items))
    return out


def _topics(d: SummaryData) -> list:
    fig, names = d.figures, d.topics
    rows = sorted(fig.topics.values(), key=lambda r: (-r.count, names.order(r.code)))
    sensitive = [r for r in rows if names.sensitive(r.code) and (r.count or r.previous)]
    image = [r for r in rows if not names.sensitive(r.code) and r.count]

    def table(items: list, caption: str) -> Table:
        return Table(["Chủ đề", "Số tin bài", "Nước ngoài", "Tiêu cực", "Kỳ trước", "Thay đổi"],
                     [[names.name(r.code), num(r.count), num(r.foreign), num(r.negative), num(r.previous),
                       change(r.count, r.previous)] for r in items],
                     caption=caption, numeric={1, 2, 3, 4, 5}, widths=[5, 1.6, 1.6, 1.6, 1.6, 1.8])

    out: list = [Heading(2, "1. Các chủ đề nhạy cảm")]
    if sensitive:
        total_s = sum(r.count for r in sensitive)
        out.append(Para(Run(f"Ghi nhận {num(total_s)} lượt tin bài thuộc các chủ đề nhạy cảm "
                            f"({', '.join(names.name(r.code) for r in sensitive if r.count)}); đề nghị tiếp tục "
                            "theo dõi chặt chẽ.", bold=True)))
        out.append(table(sensitive, "Bảng 4. Các chủ đề nhạy cảm"))
    else:
        out.append(Para("Không ghi nhận tin bài thuộc các chủ đề nhạy cảm."))
    out.append(Heading(2, "2. Các chủ đề quảng bá hình ảnh và vấn đề của Thành phố"))
    if image:
        out.append(table(image[:15], "Bảng 5. Các chủ đề quảng bá hình ảnh và vấn đề của Thành phố"))
    else:
        out.append(Para("Chưa có dữ liệu phân loại chủ đề trong kỳ."))
    out.append(Image("topics", "Biểu đồ 3. Số tin bài theo chủ đề"))
    return out


def _sentiment(d: SummaryData) -> list:
    fig = d.figures
    rows = []
    for kind, label in (("domestic", "Báo chí trong nước"), ("foreign", "Báo chí nước ngoài")):
        c = fig.sentiment_by_kind.get(kind, {})
        n = sum(v for k, v in c.items() if k is not None)
        rows.append([label, *[f"{num(c.get(s, 0))} ({share(c.get(s, 0), n)})" for s in (1, 0, -1)],
                     num(c.get(None, 0))])
    return [Para(f"Về sắc thái, {_sent_phrase(fig)}. Diễn biến theo thời gian thể hiện tại biểu đồ dưới đây."),
            Table(["Khối báo chí", "Tích cực", "Trung lập", "Tiêu cực", "Chưa đánh giá"], rows,
                  caption="Bảng 6. Sắc thái tin bài theo khối báo chí", numeric={1, 2, 3, 4}, widths=[4, 2.5, 2.5, 2.5, 2]),
            Image("sentiment", "Biểu đồ 4. Tỷ lệ sắc thái tin bài theo thời gian")]


def _alerts(d: SummaryData) -> list:
    al = d.alerts
    if not al.count:
        return [Para("Trong kỳ, hệ thống không phát hiện thông tin sai lệch cần cảnh báo.")]
    states = ", ".join(f"{STATE_VI.get(k, k).lower()} {v}" for k, v in sorted(al.by_state.items()))
    out: list = [Para(f"Trong kỳ, hệ thống phát hiện và cảnh báo {num(al.count)} trường hợp thông tin sai lệch "
                      f"hoặc có nguy cơ ảnh hưởng đến hình ảnh Thành phố ({states}). Thời gian tiếp nhận trung vị "
                      f"{fmt_minutes(al.median_ack)}; thời gian phản hồi trung vị {fmt_minutes(al.median_response)}.")]
    rows = []
    for i, r in enumerate(al.rows, 1):
        handled = "; ".join(r.handling[-3:]) if r.handling else "—"
        rows.append([str(i), r.title, r.created, r.severity, r.agency, r.state, fmt_minutes(r.response_minutes),
                     handled])
    out.append(Table(["TT", "Nội dung thông tin", "Phát hiện", "Mức độ", "Đơn vị xử lý", "Tình trạng",
                      "Thời gian phản hồi", "Kết quả xử lý"], rows, caption="Bảng 10. Thông tin sai lệch và kết quả xử lý",
                     widths=[0.7, 4, 2, 1.5, 2.3, 1.8, 1.8, 4]))
    if al.by_agency:
        out.append(Table(["Đơn vị xử lý", "Số cảnh báo", "Tiếp nhận (trung vị)", "Phản hồi (trung vị)"],
                         [[a, num(n), fmt_minutes(ack), fmt_minutes(resp)] for a, n, ack, resp in al.by_agency],
                         caption="Bảng 11. Thời gian xử lý theo đơn vị", numeric={1}, widths=[5, 2, 2.5, 2.5]))
    return out


def compose_summary(d: SummaryData, frame: AdminFrame) -> Document:
    """The summary in the administrative form; `d.charts` become the document's images."""
    fig = d.figures
    prev_label = d.period.previous().label_vi
    doc = Document(title="BÁO CÁO", subject=d.subject, frame=frame, images=dict(d.charts))
    doc.add(Para("Thực hiện nhiệm vụ theo dõi, tổng hợp dư luận báo chí trong và ngoài nước về tình hình Thành phố, "
                 f"Sở Thông tin và Truyền thông báo cáo kết quả {d.period.label_vi} như sau:"))
    sections: list[tuple[str, list]] = [
        ("TỔNG QUAN", _overview(d, prev_label)),
        ("BÁO CHÍ TRONG NƯỚC", [
            Para(f"Báo chí trong nước đăng {num(fig.domestic)} tin bài về Thành phố; "
                 f"{_sent_phrase_kind(fig, 'domestic')}.") if fig.domestic
            else Para("Trong kỳ, không ghi nhận tin bài của báo chí trong nước viết về Thành phố."),
            Table(["Cơ quan báo chí", "Số tin bài", "Tỷ lệ"],
                  [[o.name, num(o.count), share(o.count, fig.domestic)] for o in d.outlets_domestic],
                  caption="Bảng 7. Các cơ quan báo chí trong nước đưa tin nhiều nhất", numeric={1, 2}, widths=[6, 2, 2]),
        ]),
        ("BÁO CHÍ NƯỚC NGOÀI", _foreign(d)),
        ("CÁC CHỦ ĐỀ ĐƯỢC QUAN TÂM", _topics(d)),
        ("DIỄN BIẾN SẮC THÁI DƯ LUẬN", _sentiment(d)),
        ("CÁC SỰ KIỆN ĐƯỢC ĐƯA TIN NHIỀU NHẤT", [
            Table(["TT", "Sự kiện, câu chuyện", "Số tin bài", "Cơ quan báo chí", "Quốc gia", "Xuất hiện lần đầu"],
                  [[str(i), s.title, num(s.articles), ", ".join(s.outlets[:6]) + (" …" if len(s.outlets) > 6 else ""),
                    ", ".join(s.countries[:5]), s.first_seen] for i, s in enumerate(d.stories, 1)],
                  caption="Bảng 8. Các sự kiện được nhiều cơ quan báo chí đưa tin", numeric={2},
                  widths=[0.7, 6, 1.5, 4, 2.5, 2.2])
            if d.stories else Para("Chưa ghi nhận sự kiện được nhiều cơ quan báo chí cùng đưa tin "
                                   "(hoặc chưa có dữ liệu nhóm tin bài theo sự kiện)."),
        ]),
        ("CƠ QUAN BÁO CHÍ VÀ PHÓNG VIÊN VIẾT NHIỀU VỀ THÀNH PHỐ", _outlets_people(d)),
        ("THÔNG TIN SAI LỆCH ĐƯỢC PHÁT HIỆN VÀ KẾT QUẢ XỬ LÝ", _alerts(d)),
        ("NHẬN ĐỊNH, ĐÁNH GIÁ VÀ KIẾN NGHỊ, ĐỀ XUẤT", [
            Heading(2, "1. Nhận định, đánh giá"), *_paragraphs(d.draft.assessment),
            Heading(2, "2. Kiến nghị, đề xuất"), *_paragraphs(d.draft.proposals),
        ]),
    ]
    for i, (title, blocks) in enumerate(sections):
        doc.add(Heading(1, f"{ROMAN[i]}. {title}"))
        if i == 0 and d.notes:
            doc.add(*[Note(n) for n in d.notes])
        doc.add(*blocks)
    _number_captions(doc)
    doc.add(Para(f"Trên đây là báo cáo tổng hợp dư luận báo chí {d.period.label_vi} của Sở Thông tin và Truyền thông./."))
    return doc


def _number_captions(doc: Document) -> None:
    """Number tables and charts in the order they appear ("Bảng 1.", "Biểu đồ 1." …)."""
    n_table = n_chart = 0
    for b in doc.blocks:
        if isinstance(b, Table) and b.caption.startswith("Bảng "):
            n_table += 1
            b.caption = f"Bảng {n_table}." + b.caption.split(".", 1)[1]
        elif isinstance(b, Image) and b.caption.startswith("Biểu đồ "):
            n_chart += 1
            b.caption = f"Biểu đồ {n_chart}." + b.caption.split(".", 1)[1]


def _sent_phrase_kind(fig: Figures, kind: str) -> str:
    c = fig.sentiment_by_kind.get(kind, {})
    n = sum(v for k, v in c.items() if k is not None)
    if not n:
        return "chưa có tin bài nào được đánh giá sắc thái"
    return (f"tích cực {share(c.get(1, 0), n)}, trung lập {share(c.get(0, 0), n)}, "
            f"tiêu cực {share(c.get(-1, 0), n)}")


def _outlets_people(d: SummaryData) -> list:
    out: list = [Heading(2, "1. Cơ quan báo chí"), Image("outlets", "Biểu đồ 5. Các cơ quan báo chí đưa tin nhiều nhất"),
                 Heading(2, "2. Phóng viên báo chí nước ngoài")]
    if d.correspondents:
        note = " (tính trên 8.000 tin bài mới nhất của kỳ)" if d.correspondents_capped else ""
        out.append(Table(["Phóng viên, tác giả", "Cơ quan báo chí", "Số tin bài"],
                         [[a, o, num(c)] for a, o, c in d.correspondents],
                         caption=f"Bảng 9. Phóng viên báo chí nước ngoài viết nhiều về Thành phố{note}", numeric={2},
                         widths=[5, 5, 2]))
    else:
        out.append(Para("Các tin bài của báo chí nước ngoài trong kỳ không ghi tên tác giả."))
    return out
