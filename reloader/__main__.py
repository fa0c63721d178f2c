"""``python -m reloader APP.py ...``"""

from ._cli import cli

cli()
