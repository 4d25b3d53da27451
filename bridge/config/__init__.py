"""Configuration: the YAML file, ``BRIDGE_*`` variables and secrets, parsed once into frozen values,
and the login flows the configuration points at."""
