"""Development tools: the local SMTP sink, its mail store and mail page (`python -m devtools
smtp`). Installed in the development venv only; no service depends on it."""
