"""Model security: integrity, access, privacy and the attacks a class can see happen and see stopped."""
