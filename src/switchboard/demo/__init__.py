"""`switchboard demo`: a manager, three engineers and a reviewer, each a scripted agent program launched by the
dispatcher, build a feature in worktrees of a throwaway repository."""
