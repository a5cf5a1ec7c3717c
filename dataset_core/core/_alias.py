"""How a ``dataset_core.core`` module forwards its names to the module it stands for."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any


def forwarder(
    alias: str, *targets: ModuleType
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for a module named ``alias`` that
    forwards to ``targets`` (the first that has a name wins)."""
    public: list[str] = []
    for t in targets:
        names = getattr(t, "__all__", None)
        if names is None:
            names = [n for n, v in vars(t).items() if not n.startswith("_") and _own(v)]
        public += [n for n in names if n not in public]

    def __getattr__(name: str) -> Any:
        for t in targets:
            if hasattr(t, name):
                return getattr(t, name)
        raise AttributeError(f"module {alias!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(public).union(*(dir(t) for t in targets)))

    return public, __getattr__, __dir__


def _own(value: Any) -> bool:
    """Whether a module-level name is ours to re-export (not ``typing.Any`` or a module)."""
    if isinstance(value, ModuleType):
        return False
    return str(getattr(value, "__module__", "dataset_core")).startswith("dataset_core")
