"""brain: analyses that write fields and runs onto datasets (embeddings,
uniqueness, duplicates, ...). Nothing is implemented here yet."""
