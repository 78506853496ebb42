# SPDX-License-Identifier: GPL-2.0-or-later
# every class and the clock, no base
ghz 3.2
alu 1
load 4
store 1
push 1
pop 1
branch 1
call 2
ret 2
nop 0.25
syscall 30
sysret 20
swapgs 8
mov_cr3_flush 200
mov_cr3_noflush 150
mov_from_cr 3
wrmsr_spec_ctrl 90
wrmsr 80
rdmsr 60
iretq 70
lfence 5
verw 40
other 1
handler 100
