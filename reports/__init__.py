"""reports package of Dư Luận."""
