"""gui layer of pestdesk (see DESIGN.md section 4)."""
