"""``python -m adapters.webhook``: serve the webhook endpoints on their own port."""

from adapters.webhook._standalone import main

raise SystemExit(main())
