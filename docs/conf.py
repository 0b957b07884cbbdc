"""Sphinx configuration of the herniarules documentation."""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))

import herniarules  # noqa: E402

project = "herniarules"
author = "herniarules developers"
copyright = "2026, herniarules developers"
release = herniarules.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "herniarules_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]
nitpicky = False

# -- MyST ---------------------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline", "attrs_block"]
myst_heading_anchors = 3

# -- autodoc ------------------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_member_order = "bysource"
autodoc_class_signature = "separated"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_preserve_defaults = True
python_use_unqualified_type_names = True
suppress_warnings = ["ref.python"]


# -- doctest ------------------------------------------------------------------------------
# Examples run from the repository root, so they read ``examples/patients/...`` as a reader
# would; TECHNIQUES lets an example that needs one plugin state it with ``:skipif:``.
doctest_global_setup = f"""
import os
os.chdir({str(ROOT)!r})
import herniarules
from datetime import date
TECHNIQUES = {{t.id for t in herniarules.Engine().techniques}}
"""
doctest_default_flags = 0
import doctest as _doctest  # noqa: E402

doctest_default_flags = (
    _doctest.ELLIPSIS | _doctest.NORMALIZE_WHITESPACE | _doctest.DONT_ACCEPT_TRUE_FOR_1
)

# -- HTML ---------------------------------------------------------------------------------
html_theme = "furo"
html_title = "herniarules"
html_short_title = "herniarules"
html_static_path = ["_static"]
html_css_files = ["herniarules.css"]
html_logo = "_static/logo.svg"
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
pygments_style = "friendly"
pygments_dark_style = "monokai"
html_theme_options = {
    "sidebar_hide_name": False,
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
    "light_css_variables": {
        "color-brand-primary": "#0f766e",
        "color-brand-content": "#0f766e",
        "color-brand-visited": "#115e59",
        "color-admonition-background": "#f0fdfa",
        "font-stack": "Inter, 'Segoe UI', system-ui, -apple-system, Roboto, 'Helvetica Neue', "
        "Arial, sans-serif",
        "font-stack--monospace": "'JetBrains Mono', 'SFMono-Regular', Menlo, Consolas, monospace",
    },
    "dark_css_variables": {
        "color-brand-primary": "#2dd4bf",
        "color-brand-content": "#5eead4",
        "color-brand-visited": "#99f6e4",
    },
}

# -- languages ----------------------------------------------------------------------------
# English is the source; Russian is built from the sphinx-intl catalogues in docs/locale
# (`make docs-ru`, into docs/_build/html/ru). Each page links to itself in the other build.
locale_dirs = ["locale/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False
LANGUAGES = {"en": "English", "ru": "Русский"}
html_sidebars = {
    "**": [
        "sidebar/brand.html",
        "sidebar/languages.html",
        "sidebar/search.html",
        "sidebar/scroll-start.html",
        "sidebar/navigation.html",
        "sidebar/scroll-end.html",
    ]
}
html_context = {"languages": LANGUAGES}
