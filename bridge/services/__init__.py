"""The use cases: one service per concern (users, TOTP, recovery codes, lockout, organisations).

Each service authorises inside; ``container.Services`` builds them once for the web app and the CLI.
"""
