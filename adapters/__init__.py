"""Platform adapters: Telegram, Discord, an HTTP webhook and the local playground.

Each adapter lives in its own subpackage and implements :class:`core.Adapter`. Import the one you
need (``adapters.telegram``, ``adapters.discord``...): importing this package loads no platform
library.
"""

__all__: list[str] = []
