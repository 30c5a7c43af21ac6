"""Reviews: a reviewer's verdict on an engineer's finished work."""
