"""A command-line greeter."""
