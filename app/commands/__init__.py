"""Sub-commands of the `onemap` CLI, one module per family."""
