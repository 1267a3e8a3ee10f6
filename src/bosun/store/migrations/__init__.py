"""Schema migrations, one module each: mNNN_<name>.py defines MIGRATION."""
