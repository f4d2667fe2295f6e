"""The workspace: the database and its migrations, hashed artifacts, projects, jobs, errors."""
