"""What operators watch: Prometheus metrics (``metrics``), structured logs with a request id
(``logs``), the health and metrics endpoints and the per-request hooks (``web``), and what the
services record into the metrics (``recording``)."""
