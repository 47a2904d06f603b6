"""trygg: incident platform for Swedish local safety agreements (trygghetsöverenskommelser)."""
