"""The bridge's domain: rules, validators, errors and events that know nothing of HTTP, Flask,
the database or the command line."""
