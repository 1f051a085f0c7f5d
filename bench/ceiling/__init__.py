"""The ceiling of a submission: a bare Django view doing the work a submission must do, nothing else."""
