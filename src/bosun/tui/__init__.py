"""`bosun tui`: the full-screen fleet view (interfaces layer; imports Textual)."""
