"""Pure domain rules, errors and events: no Flask, no database."""
