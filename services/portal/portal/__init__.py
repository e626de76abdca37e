"""The reference portal: the manual's screens for job seekers and for the counter."""
