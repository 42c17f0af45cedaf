"""Invoices and credit notes: numbered documents, one sequence each, without gaps.

A number is taken from a counter row by one UPDATE inside the transaction that records the
payment or the refund, so a rolled-back payment gives its number back and racing payments
queue on the counter row instead of sharing or skipping a number.
"""
