"""Pure rules: no I/O, no clock, no database. Time and data are passed in."""
