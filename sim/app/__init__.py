"""The Streamlit app's pieces (controller, run cache, controls, downloads, views); ``app.py`` is the entry point."""
