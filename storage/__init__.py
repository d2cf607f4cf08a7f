"""Where conversations are kept: tracker stores configured in endpoints.yml."""
