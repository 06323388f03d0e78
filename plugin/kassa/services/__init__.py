"""Use cases that combine the core, the database and the gateways."""
