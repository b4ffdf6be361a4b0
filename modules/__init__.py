"""The Scene Finder engine: no Streamlit here. Pages call into this package; it calls ``models``."""
