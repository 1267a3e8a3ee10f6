"""`bosun demo`: bosun's main job, run end to end in a temporary repository."""
