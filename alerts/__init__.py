"""alerts package of Dư Luận."""
