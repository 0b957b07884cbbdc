"""Builds the package as pyproject.toml says, with its gettext catalogues compiled.

``build_py`` compiles every ``locale/<lang>/LC_MESSAGES/<domain>.po`` it copies into the
build directory to the ``.mo`` next to it, so wheels carry compiled catalogues while git
holds only the ``.po`` files. An editable install has none and reads the ``.po`` files.

The ``setup.py`` of every plugin in ``plugins/`` is a symbolic link to this file, so each
plugin's build runs it from its own folder; a source distribution holds a copy.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted(Path(self.build_lib).glob("**/locale/*/LC_MESSAGES/*.po")):
            with po.open("rb") as stream:
                catalog = read_po(stream)
            with po.with_suffix(".mo").open("wb") as stream:
                write_mo(stream, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogues})
