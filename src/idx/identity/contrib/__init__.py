"""Login methods are plugins: a registry of classes by id (``idx.common.registry``), each enabled
per municipality.

A municipality turns a method on by adding an ``IdentityProvider`` row whose ``method`` names
a registered plugin. ``check_config`` says what is wrong with a row before anyone tries to sign
in with it. The shipped plugins (``oidc``, ``demo``) register in ``IdentityConfig.ready()``.
Tests build their own ``Registry`` instead of patching the global one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from idx.common.registry import Registry

if TYPE_CHECKING:
    from idx.identity.models import IdentityProvider


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
    """The plugin instance serving ``provider`` (the shipped plugins register in ``IdentityConfig.ready``)."""
    cls = (registry or login_methods)[provider.method]
    return cls(provider)
