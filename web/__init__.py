"""web package of Dư Luận."""
