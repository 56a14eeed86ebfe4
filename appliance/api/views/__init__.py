"""One module per resource; handlers validate, call a service, serialize."""
