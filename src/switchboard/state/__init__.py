"""Program state: a versioned JSON document per agent that outlives its sessions."""
