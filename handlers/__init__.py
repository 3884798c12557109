"""What each chat command or message means: small functions that decide, then call the engine."""
