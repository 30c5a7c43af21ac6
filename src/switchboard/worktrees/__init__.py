"""Git worktrees: a repository per team, a worktree and branch per claimed task, diff and merge."""
