"""Other people's code: a user's forward and backward passes, run in a child process and checked like ours."""
