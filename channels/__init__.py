"""Chat channels: Rasa input channels of ours (registered by module path in credentials.yml) and
the settings they read from the environment."""
