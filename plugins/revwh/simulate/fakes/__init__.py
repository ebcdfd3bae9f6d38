"""Loopback fakes of the platforms' APIs, serving the simulated company's records in each API's
documented shape (HTTP; HTTPS with a test CA where the client insists on TLS), with faults
(429 with Retry-After, 5xx, slow responses, expired tokens) injected on request. The pull
(revwh.ingest.pull) is tested against them, and the demo pulls from them."""
