"""What every screen shares: the operation path, dialogs, error labels and colours, field
limits, list models, the PDF preview, pickers."""
