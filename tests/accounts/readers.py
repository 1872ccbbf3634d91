"""The password every account test signs its readers up with."""

PASSWORD = "correct horse battery"
