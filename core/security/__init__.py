"""Security of the studio: the secret key outside the database, model signing, API keys, rate
limits, the workspace password, personal data and attacks (one module per concern)."""
