"""Scene Finder entry point.

``python main.py COMMAND ...`` runs the command line; ``streamlit run main.py``
opens the app. Under Streamlit this file only routes to the pages in ``pages/``.
"""

import sys


def _under_streamlit() -> bool:
    if "streamlit" not in sys.modules:
        return False
    from streamlit import runtime

    return runtime.exists()


if _under_streamlit():
    import streamlit as st

    from pages.words import t

    st.set_page_config(page_title="Scene Finder", page_icon="🎬", layout="wide")
    st.navigation([
        st.Page("pages/search.py", title=t("nav.search"), icon=":material/search:", default=True),
        st.Page("pages/ingest.py", title=t("nav.ingest"), icon=":material/video_library:"),
        st.Page("pages/video_to_text.py", title=t("nav.v2t"), icon=":material/subtitles:"),
        st.Page("pages/people.py", title=t("nav.people"), icon=":material/group:"),
    ]).run()
elif __name__ == "__main__":
    from modules.cli import main

    sys.exit(main())
