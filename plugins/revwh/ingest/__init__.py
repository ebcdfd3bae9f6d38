"""Landed files into raw tables: finding a day's files, the streaming COPY loader with its
quarantine, and the bring-your-own-CRM mapping (spec, convert, report)."""
