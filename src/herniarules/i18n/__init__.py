"""Messages, labels and protocol steps in English or Russian, chosen per call.

Nothing here switches a process-wide locale: a :class:`Translator` is built for one locale and
passed to whatever renders, so two threads may render in two languages at once. Catalogues
are gettext ``.po`` files in git (``herniarules/locale/<lang>/LC_MESSAGES/herniarules.po``,
managed with ``pybabel``; ``make messages``); a built wheel carries the compiled ``.mo``
files, and an editable install, which has none, reads the ``.po`` files. A plugin ships its
own catalogue under its own gettext domain, the name of its package, in
``<package>/locale/<lang>/LC_MESSAGES/<package>.po``.

The message id is the English text. Rule ids, codes, outcome labels in JSON and JSON keys are
never translated; :func:`localize` returns a copy of a result with its texts translated. A
text the catalogues do not hold stays English. Babel (the ``i18n`` extra) is imported only
when a catalogue is first loaded: ``import herniarules`` never imports it.
"""

from typing import TYPE_CHECKING, Any

#: The gettext domain of the SDK's own messages.
DOMAIN = "herniarules"
#: The locales the SDK ships catalogues for; any other is an error.
LOCALES: tuple[str, ...] = ("en", "ru")

if TYPE_CHECKING:
    from herniarules.i18n._translate import (
        LocaleError,
        Translator,
        catalog_path,
        check_locale,
        localize,
        translator,
    )

__all__ = [
    "DOMAIN",
    "LOCALES",
    "LocaleError",
    "Translator",
    "catalog_path",
    "check_locale",
    "localize",
    "translator",
]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that marking a string (herniarules.i18n.markers) at import
    # time costs nothing.
    if name in _LAZY:
        from herniarules.i18n import _translate

        return getattr(_translate, name)
    raise AttributeError(f"module 'herniarules.i18n' has no attribute {name!r}")


_LAZY = frozenset(__all__) - {"DOMAIN", "LOCALES"}
