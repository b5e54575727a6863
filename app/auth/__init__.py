"""Accounts: users, memberships of users in organisations, API tokens, the current actor."""
