"""The web's plumbing every blueprint shares: error faces and sign-in guards."""
