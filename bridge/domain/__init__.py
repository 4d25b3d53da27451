"""The bridge's domain: rules and values that know nothing of HTTP, Flask or the command line."""
