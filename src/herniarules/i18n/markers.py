"""Markers for text that is translated when it is rendered, not when it is built.

``N_("...")`` returns its argument unchanged: it only tells ``pybabel extract`` (``make
messages``) that the string is a message id. A text with values in it is written as a
template, ``N_("Massage waits for {days} days ...").format(days=14)``; the renderer finds the
template again from the English text and fills the translated one with the same values.
This module imports nothing, so marking a string costs nothing at import time.
"""

__all__ = ["C_", "N_"]


def N_(message: str) -> str:
    """Return ``message``: mark it as a message id for extraction."""
    return message


def C_(context: str, message: str) -> str:
    """Return ``message``: mark it as a message id with a context (``msgctxt``) for extraction.

    The context tells apart one English word in two roles: ``lumbar`` the body site
    (*поясница*) and ``lumbar`` the spinal region of a hernia (*поясничный*).
    """
    return message
