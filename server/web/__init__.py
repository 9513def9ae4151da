"""The web plumbing every room's routes stand on: pages and forms, JSON bodies and refusals,
sessions and sign-in, security headers, store-outage answers, the `/ws` socket, the API
description. The core (`server.domain`, `server.store`, `server.hub`, `server.service`)
knows nothing of it."""
