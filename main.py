"""Scene Finder entry point.

``python main.py COMMAND ...`` runs the command line; ``streamlit run main.py``
opens the app (this file only routes: the pages live in ``pages/``).
"""

import sys


def _under_streamlit() -> bool:
    if "streamlit" not in sys.modules:
        return False
    from streamlit import runtime

    return runtime.exists()


if _under_streamlit():
    from pages.app import run_app

    run_app()
elif __name__ == "__main__":
    from modules.cli import main

    sys.exit(main())
