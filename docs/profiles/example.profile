# SPDX-License-Identifier: GPL-2.0-or-later
# A user profile for `sysentry trace --cpu docs/profiles/example.profile`:
# start from the Skylake-class profile and make MOV to CR3 dearer.
name skylake-slow-cr3
base skylake
mov_cr3_noflush 300
mov_cr3_flush 400
