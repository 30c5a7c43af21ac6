"""People in the loop: questions agents ask them, and alerts agents raise."""
