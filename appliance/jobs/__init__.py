"""Durable background work (the SQS worker, re-made for one computer) and periodic tasks."""
