"""People: users and their settings, signing in, sign-in throttling."""
