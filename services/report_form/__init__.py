"""The partners' report form: server-rendered pages reached through a personal link (`trygg form`)."""
