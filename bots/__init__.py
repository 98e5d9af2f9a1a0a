"""Runnable services and the ``channelwatch`` command line that assembles them."""

__all__: list[str] = []
