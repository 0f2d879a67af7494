"""The spend log has no model admin in /ui: its pages are custom views
(gateway/ui/views/logs.py, spend.py), paged without counting the table."""
