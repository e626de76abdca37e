"""Common plumbing of the job-seeker portal services (no service's rules live here)."""
