"""Topic names for reports: from `config/topics.yaml` when the enrichment taxonomy is there
(`code`, `name_vi`, `name_en`, `sensitive`), else this fallback table of the shared topic codes.
Also the Vietnamese names of languages and countries that reports print."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from duluan.errors import ConfigError
from duluan.settings import read_yaml

log = logging.getLogger("reports.topics")


@dataclass(frozen=True)
class TopicInfo:
    code: str
    name_vi: str
    name_en: str
    sensitive: bool


_FALLBACK: list[tuple[str, str, str, bool]] = [
    ("sea_islands", "Biển, đảo", "Sea and islands", True),
    ("border_territory", "Biên giới, lãnh thổ", "Border and territory", True),
    ("human_rights", "Nhân quyền", "Human rights", True),
    ("religion", "Tôn giáo", "Religion", True),
    ("democracy", "Dân chủ", "Democracy", True),
    ("ethnic_groups", "Dân tộc", "Ethnic groups", True),
    ("security_defence", "An ninh, quốc phòng", "Security and defence", True),
    ("hostile_distortion", "Xuyên tạc, luận điệu sai trái", "Hostile distortion", True),
    ("investment", "Đầu tư, FDI", "Investment", False),
    ("trade", "Thương mại, xuất khẩu", "Trade", False),
    ("tourism", "Du lịch", "Tourism", False),
    ("culture", "Văn hóa, di sản", "Culture", False),
    ("asean_integration", "ASEAN, hội nhập quốc tế", "ASEAN integration", False),
    ("fta", "Hiệp định thương mại tự do", "Free-trade agreements", False),
    ("digital_transformation", "Chuyển đổi số", "Digital transformation", False),
    ("smart_city", "Đô thị thông minh", "Smart city", False),
    ("science_technology", "Khoa học, công nghệ", "Science and technology", False),
    ("economy", "Kinh tế", "Economy", False),
    ("society", "Xã hội", "Society", False),
    ("environment", "Môi trường, ô nhiễm", "Environment", False),
    ("flooding", "Ngập lụt, triều cường", "Flooding", False),
    ("traffic", "Giao thông", "Traffic", False),
    ("land", "Đất đai", "Land", False),
    ("public_health", "Y tế, sức khỏe", "Public health", False),
    ("education", "Giáo dục", "Education", False),
    ("overseas_vietnamese", "Kiều bào", "Overseas Vietnamese", False),
    ("laos_cambodia", "Quan hệ với Lào, Campuchia", "Laos and Cambodia", False),
]

LANGUAGES_VI = {
    "vi": "Tiếng Việt", "en": "Tiếng Anh", "fr": "Tiếng Pháp", "zh": "Tiếng Trung", "ja": "Tiếng Nhật",
    "ko": "Tiếng Hàn", "ru": "Tiếng Nga", "de": "Tiếng Đức", "es": "Tiếng Tây Ban Nha", "th": "Tiếng Thái",
    "km": "Tiếng Khmer", "lo": "Tiếng Lào", "it": "Tiếng Ý", "pt": "Tiếng Bồ Đào Nha", "id": "Tiếng Indonesia",
    "ms": "Tiếng Mã Lai", "ar": "Tiếng Ả Rập", "nl": "Tiếng Hà Lan", "pl": "Tiếng Ba Lan",
    "tr": "Tiếng Thổ Nhĩ Kỳ", "uk": "Tiếng Ukraina", "und": "Chưa xác định",
}

COUNTRIES_VI = {
    "VN": "Việt Nam", "US": "Hoa Kỳ", "GB": "Anh", "FR": "Pháp", "DE": "Đức", "JP": "Nhật Bản",
    "KR": "Hàn Quốc", "CN": "Trung Quốc", "TW": "Đài Loan (Trung Quốc)", "HK": "Hồng Kông (Trung Quốc)",
    "SG": "Singapore", "TH": "Thái Lan", "MY": "Malaysia", "ID": "Indonesia", "PH": "Philippines",
    "KH": "Campuchia", "LA": "Lào", "MM": "Myanmar", "AU": "Australia", "NZ": "New Zealand",
    "CA": "Canada", "IN": "Ấn Độ", "RU": "Nga", "QA": "Qatar", "AE": "UAE", "IT": "Ý", "ES": "Tây Ban Nha",
    "NL": "Hà Lan", "BE": "Bỉ", "CH": "Thụy Sĩ", "SE": "Thụy Điển", "PL": "Ba Lan", "UA": "Ukraina",
    "TR": "Thổ Nhĩ Kỳ", "BR": "Brazil", "ZZ": "Không rõ",
}

SENTIMENT_VI = {1: "Tích cực", 0: "Trung lập", -1: "Tiêu cực", None: "Chưa đánh giá"}


def language_name(code: str) -> str:
    return LANGUAGES_VI.get(code, code or "Chưa xác định")


def country_name(code: str) -> str:
    return COUNTRIES_VI.get(code, code or "Không rõ")


class TopicNames:
    """Topic code → TopicInfo; unknown codes get their code as name (never an error in a report)."""

    def __init__(self, topics: dict[str, TopicInfo]):
        self.topics = topics

    @classmethod
    def fallback(cls) -> TopicNames:
        return cls({c: TopicInfo(c, vi, en, s) for c, vi, en, s in _FALLBACK})

    @classmethod
    def load(cls, config_dir: Path) -> TopicNames:
        """Read `<config>/topics.yaml` over the fallback table; a broken file is logged, not fatal,
        because a report must still go out (the config check reports the error)."""
        names = cls.fallback()
        path = config_dir / "topics.yaml"
        if not path.exists():
            return names
        try:
            data: Any = read_yaml(path)
        except ConfigError as exc:
            log.warning("topic names: %s; using the built-in table", exc)
            return names
        items = data.get("topics", data) if isinstance(data, dict) else data
        if isinstance(items, dict):
            items = [{"code": k, **v} if isinstance(v, dict) else {"code": k} for k, v in items.items()]
        if not isinstance(items, list):
            return names
        for item in items:
            if not isinstance(item, dict) or not item.get("code"):
                continue
            code = str(item["code"])
            old = names.topics.get(code)
            names.topics[code] = TopicInfo(
                code,
                str(item.get("name_vi") or (old.name_vi if old else code)),
                str(item.get("name_en") or (old.name_en if old else code)),
                bool(item.get("sensitive", old.sensitive if old else False)),
            )
        return names

    def name(self, code: str) -> str:
        info = self.topics.get(code)
        return info.name_vi if info else (code or "Chưa phân loại")

    def sensitive(self, code: str) -> bool:
        info = self.topics.get(code)
        return bool(info and info.sensitive)

    def order(self, code: str) -> tuple[int, int]:
        """Sort key: sensitive topics first, then the taxonomy order, unknown codes last."""
        codes = list(self.topics)
        pos = codes.index(code) if code in codes else len(codes)
        return (0 if self.sensitive(code) else 1, pos)
