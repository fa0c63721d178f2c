"""How long a developer waits after a save: devreload against its peers, in one run.

``python -m benchmarks`` runs the full benchmark (about 35 minutes on 2 cores),
``python -m benchmarks --quick`` a smoke check of a couple of minutes. Results go
to ``benchmarks/results/`` (``results/quick/`` for ``--quick``): ``results.json``,
``results.md`` and PNG charts.

Modules: ``apps`` writes the benchmark app and its variants (``frameworks``
the NiceGUI, Dash, Shiny and FastHTML apps), ``tools`` says how
each tool is started, ``processes`` runs and kills server processes,
``hmr_env`` prepares the Python 3.12 venv uvicorn-hmr needs, ``measure`` holds the
probes (served config, browser tab, CPU, memory), ``plan`` the variants of a full
or quick run, ``runner`` carries them out, ``results`` is the data model and
``report`` writes JSON, Markdown and charts.
"""
