"""A person's rights over their data (issue 29 B): see, download, correct, erase."""
