"""Checks on document text before it reaches search and drafts: hidden content and planted instructions."""
