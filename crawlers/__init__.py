"""crawlers package of Dư Luận."""
