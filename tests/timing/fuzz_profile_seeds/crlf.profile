base skylake
handler 0  # comment

