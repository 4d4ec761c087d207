"""A read-only sequence whose items are made on first use (all at once, then kept).

Half a million sample datetimes of a week's forecast, or the record dicts of a block the CLI
writes as JSON text, are often never read: :class:`LazyList` defers them. It equals any sequence
holding the same items, as the list it stands for would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

__all__ = ["LazyList"]

T = TypeVar("T")


class LazyList(Sequence[T], Generic[T]):
    """``length`` items, made by ``make()`` (a list) the first time one is read."""

    def __init__(self, length: int, make: Callable[[], list[T]]) -> None:
        self._length = int(length)
        self._make: Callable[[], list[T]] | None = make
        self._items: list[T] | None = None

    def _all(self) -> list[T]:
        if self._items is None:
            assert self._make is not None
            self._items, self._make = self._make(), None
        return self._items

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: Any) -> Any:
        return self._all()[i]

    def __iter__(self) -> Iterator[T]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._all() == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} items, {'made' if self._items is not None else 'not made yet'})"
