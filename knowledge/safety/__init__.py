"""Text that a reader does not see, and sentences written to a language model rather than to a reader: found
at ingestion (warnings on the version) and kept out of what drafts quote."""
