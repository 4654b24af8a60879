"""bilateral-monitor: the service (domain, runtimes, HTTP API, command line)."""
