"""What the customers app tells the others."""

from django.dispatch import Signal

customer_erased = Signal()
"""Sent (inside the erasing transaction) with `customer_id` once a customer's record is erased: every app
holding text the customer wrote, or text quoting them, erases it."""

ERASED_TEXT = "[erased]"
"""What erased text is replaced with."""
