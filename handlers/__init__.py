"""What each chat update or command means, and how a job is shown in its chat: small functions that decide,
call the engine, and follow a job with the platform's client."""
