"""The problem definition: what to predict, the task, and what 'good enough' means."""
