"""The topic codes every area uses (config/topics.yaml gives them names and terms)."""

from __future__ import annotations

SENSITIVE = ("sea_islands", "border_territory", "human_rights", "religion", "democracy", "ethnic_groups",
             "security_defence", "hostile_distortion")
IMAGE = ("investment", "trade", "tourism", "culture", "asean_integration", "fta", "digital_transformation",
         "smart_city", "science_technology", "economy", "society", "environment", "flooding", "traffic", "land",
         "public_health", "education", "overseas_vietnamese", "laos_cambodia")
ALL = SENSITIVE + IMAGE
