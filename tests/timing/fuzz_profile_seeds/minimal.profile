ghz 1e1
name x
