"""Pure domain rules, validators, errors and events: no Flask, no database."""
