"""Login methods are plugins: a small registry of classes by id, each enabled per municipality.

A municipality turns a method on by adding an ``IdentityProvider`` row whose ``method`` names
a registered plugin. ``check_config`` says what is wrong with a row before anyone tries to sign
in with it. Tests build their own ``Registry`` instead of patching the global one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from idx.identity.models import IdentityProvider

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


class LoginMethod:
    """The contract of a login-method plugin, bound to one configured provider."""

    identifier: ClassVar[str] = ""

    def __init__(self, provider: IdentityProvider):
        self.provider = provider

    def check_config(self) -> list[str]:
        """Problems with the provider's configuration, in words for an administrator; empty when fine."""
        return []


login_methods: Registry[LoginMethod] = Registry()


def login_method_for(
    provider: IdentityProvider, registry: Registry[LoginMethod] | None = None
) -> LoginMethod:
    """The plugin instance serving ``provider`` (the OIDC plugins register on import)."""
    import idx.identity.contrib.oidc.plugins  # noqa: F401 - registers "oidc" and "demo"

    cls = (registry or login_methods)[provider.method]
    return cls(provider)
