"""A small registry of plugin classes by id: sign-in methods, payment providers, message channels.

An app makes one ``Registry`` per plugin kind; each plugin class registers itself with the
``register`` decorator when its module is imported, and the app imports its shipped plugins in
its ``AppConfig.ready()``. Tests build their own ``Registry`` instead of patching the global one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Classes registered by id; ``register`` is a decorator."""

    def __init__(self) -> None:
        self._items: dict[str, type[T]] = {}

    def register(self, identifier: str) -> Callable[[type[T]], type[T]]:
        def decorator(cls: type[T]) -> type[T]:
            if identifier in self._items:
                raise ValueError(f"{identifier!r} is already registered")
            self._items[identifier] = cls
            return cls

        return decorator

    def __getitem__(self, identifier: str) -> type[T]:
        return self._items[identifier]

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def get(self, identifier: str) -> type[T] | None:
        return self._items.get(identifier)

    def all(self) -> dict[str, type[T]]:
        """Every registered class by id, in registration order."""
        return dict(self._items)
