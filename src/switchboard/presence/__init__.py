"""Who is alive and working: agents' last signs of life and their working sessions."""
