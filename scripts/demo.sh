#!/usr/bin/env bash
# Set up and run the document analyzer under devreload: bash scripts/demo.sh [devreload args]
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh" demo
exec .venv/bin/devreload demo_app/app.py "$@"
