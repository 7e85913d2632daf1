"""Request-level plumbing for the emulator's Flask app: errors, auth, paging, limits, middleware."""
