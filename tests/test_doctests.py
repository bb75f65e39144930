"""The examples in the package's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import pytest

import locator


def modules_with_examples() -> list[str]:
    names = [m.name for m in pkgutil.iter_modules(locator.__path__, "locator.") if m.name != "locator.__main__"]
    finder = doctest.DocTestFinder()
    return [name for name in names
            if any(not example.options.get(doctest.SKIP)
                   for test in finder.find(importlib.import_module(name)) for example in test.examples)]


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
