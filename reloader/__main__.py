"""``python -m reloader APP.py ...``"""

from reloader._cli import cli

cli()
