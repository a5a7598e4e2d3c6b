"""Sub-command groups of the `duluan` CLI, one module per area."""
